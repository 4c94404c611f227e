"""The reproduction harness (docs/REPRODUCTION.md): the test-set export matches what evaluate.py scores, the
PyTorch analysis agrees with evaluate.py and does what its figures claim, the report is computed from its
inputs (a synthetic eval.json here), and the whole pipeline runs on the tiny fixture through the TS engine."""
import json
import os
import re
import shutil
import subprocess
from argparse import Namespace
from pathlib import Path

import numpy as np
import pytest
import torch

from fwd2bot import analysis, data, report, testset, text, world
from fwd2bot import fwd2bot as fb
from fwd2bot.evaluate import eval_generation

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "test" / "fixtures" / "tiny-package"


@pytest.fixture(scope="module")
def tiny_fwd2bot():
    return analysis.load_weights("tiny-random")


def test_testset_holds_evaluate_items_and_pixels(tmp_path):
    doc = testset.write_testset(tmp_path, 3)
    assert [it["index"] for it in doc["items"]] == [0, 1, 2]
    from PIL import Image
    for it in doc["items"]:
        i = it["index"]
        sc = world.scene("test", i)
        qs = world.questions(sc, world.language_rng("test", i))
        assert [(q["type"], q["question"], q["answer"]) for q in it["questions"]] == qs
        assert it["hardNegatives"] == world.hard_negatives(sc, world.language_rng("test", i, salt=1))
        assert it["caption"] == world.caption(sc)
        png = np.asarray(Image.open(tmp_path / it["image"]).convert("RGB"))
        assert png.shape == (data.IMAGE_SIZE, data.IMAGE_SIZE, 3)
        assert np.array_equal(png, world.render(sc, data.IMAGE_SIZE, data.SUPERSAMPLE))
        # the fact patterns travel as sources; compiled again they read the gold facts back from the caption
        got = {m.groups() for m in re.finditer(doc["captionFactPatterns"]["object"], it["caption"])}
        got |= {("sign",) + m.groups() for m in re.finditer(doc["captionFactPatterns"]["sign"], it["caption"])}
        assert sorted(got) == sorted(tuple(f) for f in it["facts"])
    assert doc["generation"] == {"vqaMaxTokens": 4, "captionMaxTokens": 80, "captionQuestion": text.CAPTION_QUESTION}


def test_analysis_scores_equal_evaluate_py(tiny_fwd2bot):
    m = tiny_fwd2bot
    idx = [0, 1, 2]
    images = testset.test_images(3)
    scenes = [world.scene("test", i) for i in idx]
    for k in (4, 1):
        ref = eval_generation(m, images, scenes, "fwd2bot", k)
        pr = analysis.predict(m, images, idx, k)
        got = analysis.score(idx, pr["answers"], pr["captions"])
        for key in ("vqa", "vqa_by_type", "n_questions", "caption_object_f1", "caption_exact"):
            assert got[key] == ref[key], key
        assert len(pr["answers"]) == 3 and all(isinstance(a, str) for row in pr["answers"] for a in row)


def test_masked_tokens_are_not_read(tiny_fwd2bot):
    m = tiny_fwd2bot
    torch.manual_seed(1)
    block = torch.randn(4, m.cfg.text.hidden_size)
    q = "what color is the ring ?"
    plain = analysis.generate_masked(m, [fb_prefix(m, block, q)], "generate", 6, None)
    assert plain == fb.generate(m, [fb_prefix(m, block, q)], "generate", max_new=6)
    other = block.clone()
    other[1] = torch.randn(m.cfg.text.hidden_size) * 5
    a = analysis.generate_masked(m, [fb_prefix(m, block, q)], "generate", 6, [1 + 1])
    b = analysis.generate_masked(m, [fb_prefix(m, other, q)], "generate", 6, [1 + 1])
    assert a == b  # token 1 is masked: its content cannot matter
    # ...and the mask is real: masked logits differ from unmasked ones (checked on the first step)
    m.set_stage("generate")
    e = fb_prefix(m, block, q)[None]
    valid = torch.ones(1, e.shape[1], dtype=torch.bool)
    mask, pos = fb.padded_mask(valid)
    drop = valid.clone()
    drop[0, 2] = False
    h_full = m.lm(e, positions=pos, mask=mask)[:, -1]
    h_mask = m.lm(e, positions=pos, mask=(mask & drop[:, None, None, :]) | torch.eye(e.shape[1], dtype=torch.bool))[:, -1]
    assert not torch.allclose(h_full, h_mask)


def fb_prefix(m, block, q):
    from fwd2bot.evaluate import prefix
    return prefix(m, block, q)


def test_attention_probs_reproduce_the_layer(tiny_fwd2bot):
    m = tiny_fwd2bot
    torch.manual_seed(2)
    e = torch.randn(2, 9, m.cfg.text.hidden_size)
    probs = analysis.attention_probs(m, e, "compress")
    assert len(probs) == m.cfg.text.num_hidden_layers
    p = probs[0]
    assert torch.allclose(p.sum(-1), torch.ones_like(p.sum(-1)), atol=1e-6)
    assert float(p.triu(1).abs().max()) == 0.0  # causal
    # layer 0's output recomputed from the probabilities equals the model's attention output
    from fwd2bot.model import rope_cos_sin
    layer = m.lm.layers[0]
    att = layer.self_attn
    m.set_stage("compress")
    xn = layer.input_layernorm(e)
    cos, sin = rope_cos_sin(torch.arange(9)[None].expand(2, 9), att.hd, m.lm.c.rope_theta)
    v = att.v_proj(xn).view(2, 9, att.kvh, att.hd).transpose(1, 2).repeat_interleave(att.h // att.kvh, 1)
    mine = att.o_proj((p @ v).transpose(1, 2).reshape(2, 9, -1))
    ref, _ = att(xn, cos, sin, None)
    assert torch.allclose(mine, ref, atol=1e-5)
    # density: 1 for an even spread, 1/V for one patch
    V = 16
    assert analysis.density(torch.full((V,), 1 / V)).item() == pytest.approx(1.0)
    one = torch.zeros(V)
    one[3] = 1
    assert analysis.density(one).item() == pytest.approx(1 / V)


def test_attention_density_runs(tiny_fwd2bot):
    images = testset.test_images(2)
    ad = analysis.attention_density(tiny_fwd2bot, images, [0, 1])
    V = tiny_fwd2bot.cfg.vision.num_patches
    for key in ("fwd2bot_pass1", "base"):
        assert len(ad[key]["density_by_layer"]) == tiny_fwd2bot.cfg.text.num_hidden_layers
        assert 1 / V - 1e-6 <= ad[key]["density"] <= 1 + 1e-6
        assert np.array(ad[key]["heat"]).shape == (2, V)


# -- the report, from synthetic inputs ---------------------------------------------------------------------------

def _gen(v, by=None, cap=True, n=1000):
    r = {"vqa": v, "vqa_by_type": {t: (by or {}).get(t, v) for t in world.QUESTION_TYPES}, "n_questions": n, "examples": []}
    if cap:
        r.update({"caption_object_f1": v - 0.1, "caption_precision": v, "caption_recall": v, "caption_exact": 0.1})
    return r


def _ret(a, hn=0.7):
    return {"t2i": {"R@1": a, "R@5": a + 0.1, "R@10": a + 0.2}, "i2t": {"R@1": a + 0.05, "R@5": a + 0.15, "R@10": a + 0.25},
            "hard_negative": {t: hn for t in world.NEGATIVE_TYPES}, "hard_negative_mean": hn}


def _synthetic_inputs(tmp: Path) -> Namespace:
    R = {"base": _gen(0.873, {"reading": 0.9})}
    for k, v in ((16, 0.851), (8, 0.83), (4, 0.79), (1, 0.62)):
        R[f"fwd2bot_k{k}"] = _gen(v, {"reading": v - 0.3})
        R[f"avgpool_k{k}"] = _gen(v - 0.2, cap=False)
        R[f"prune_k{k}"] = _gen(v - 0.25, cap=False)
    R["fwd2bot_k16_int8"] = _gen(0.845, cap=False)  # evaluate.py --quant int8
    R["e5v_zero_shot"], R["fwd2bot_retrieval"] = _ret(0.213), _ret(0.612, 0.8)
    pt = tmp / "eval.json"
    pt.write_text(json.dumps({"split": "test", "scenes": 2000, "retrieval_scenes": 1000, "results": R, "seconds": 99.0}))
    ts = {"format": "fwd2bot-eval-ts", "model": {"modelId": "f2b-test", "name": "synthetic", "K": 16, "d": 256, "V": 64,
                                                 "tokenCounts": [1, 2, 4, 8, 16], "quantization": {"decoder": "int8"}, "decoderPath": "ort"},
          "machine": {"cpu": "Test CPU 9000", "logicalCores": 2, "memoryGiB": 8, "platform": "linux", "node": "v20", "onnxruntimeNode": "1.30.0"},
          "threads": 2, "measuredAt": "2026-01-01T00:00:00Z", "storedTokens": "fp16", "scenes": 2, "retrieval_scenes": 2,
          "ks": [16, 1], "skippedKs": [], "results": {"fwd2bot_k16": _gen(0.80), "fwd2bot_k1": _gen(0.60), "fwd2bot_retrieval": _ret(0.5)},
          "items": {"fwd2bot_k16": {"answers": [["red", "two"], ["yes", "no"]], "captions": ["a", "b"]}},
          "perf": {"ttft": {"K": 16, "V": 64, "Q": 10, "fwd2botMs": 2.0, "fwd2botSmallestKMs": 1.5, "smallestK": 1,
                            "baseWithEncoderMs": 9.0, "basePrefillOnlyMs": 5.0, "ratioWithEncoder": 4.5, "ratioPrefillOnly": 2.5,
                            "expectedPrefillRatio": 2.78},
                   "decode": {"tokensPerSecond": 321.0}, "indexing": {"photos": 2, "seconds": 0.1, "photosPerSecond": 20.0, "what": "all"},
                   "search": {"embedTextMs": 1.0, "sizes": [{"N": 1000, "jsScanMs": 0.5, "totalWithQueryMs": 1.5},
                                                             {"N": 100000, "jsScanMs": 50.0, "totalWithQueryMs": 51.0}]}},
          "seconds": {"total": 10.0, "cpu": 12.0}, "attentionMaps": {"maps": []}}
    (tmp / "eval-ts.json").write_text(json.dumps(ts))
    an = {"weights": "synthetic", "K": 16, "V": 64, "d": 256, "scenes": 2, "retrieval_scenes": 2,
          "results": {"fwd2bot_k16": _gen(0.82), "fwd2bot_k1": _gen(0.60), "fwd2bot_retrieval": _ret(0.5)},
          "items": {"fwd2bot_k16": {"answers": [["red", "one"], ["yes", "no"]], "captions": ["a", "c"]}},
          "captions_vs_k": {"ks": [1, 16], "scenes": [{"scene": 0, "gold": "g", "by_k": {"1": {"caption": "c1", "object_f1": 0.2},
                                                                                          "16": {"caption": "c16", "object_f1": 0.9}}}]},
          "masking": {"K": 16, "scenes": 5, "configs": [{"name": "none", "masked": [], "vqa": 0.8, "vqa_by_type": {}},
                                                        {"name": "first half (1-8)", "masked": [], "vqa": 0.5, "vqa_by_type": {}},
                                                        {"name": "second half (9-16)", "masked": [], "vqa": 0.7, "vqa_by_type": {}}]},
          "attention_density": {"V": 64, "grid": [8, 8], "scenes": [0], "metric": "m",
                                "fwd2bot_pass1": {"density_by_layer": [0.9, 0.8], "density": 0.85, "vision_mass_by_layer": [0.5, 0.5], "heat": [[1 / 64] * 64]},
                                "base": {"density_by_layer": [0.3, 0.2], "density": 0.25, "vision_mass_by_layer": [0.4, 0.4], "heat": [[1 / 64] * 64]}},
          "seconds": {"total": 5.0}}
    (tmp / "analysis.json").write_text(json.dumps(an))
    abl = tmp / "ablations"
    for name, vqa, r1 in (("reference", 0.80, 0.60), ("disc_only", 0.30, 0.65)):
        (abl / name).mkdir(parents=True)
        (abl / name / "eval.json").write_text(json.dumps({"scenes": 500, "retrieval_scenes": 500, "results": {
            "fwd2bot_k16": _gen(vqa), "fwd2bot_retrieval": _ret(r1)}}))
        (abl / name / "log.jsonl").write_text(json.dumps({"stage": "fwd2bot", "samples": 24000}) + "\n")
    (abl / "gen_only").mkdir()  # started, nothing evaluated
    model = tmp / "model"
    model.mkdir()
    (model / "manifest.json").write_text(json.dumps({"name": "synthetic", "modelId": "f2b-test",
                                                     "architecture": {"vision": {"numVisionTokens": 64}, "decoder": {"hiddenSize": 256}},
                                                     "fwd2bot": {"numSummaryTokens": 16}}))
    bench = tmp / "bench"
    bench.mkdir()
    (tmp / "steps.json").write_text(json.dumps({"command": "node scripts/reproduce.mjs --quick", "machine": "Test CPU 9000",
                                                "steps": [{"name": "ts", "command": "x", "seconds": 3.0, "cpuSeconds": 4.0}]}))
    return Namespace(pytorch_eval=pt, ts_eval=tmp / "eval-ts.json", analysis=tmp / "analysis.json", ablations=abl, bench=bench,
                     model=model, run=tmp / "no-run", steps=tmp / "steps.json", out=tmp / "docs" / "REPRODUCTION.md",
                     plots=tmp / "docs" / "reproduction", plots_rel="reproduction")


def test_report_has_every_section_and_numbers_from_its_inputs(tmp_path):
    a = _synthetic_inputs(tmp_path)
    report.main(["--pytorch-eval", str(a.pytorch_eval), "--ts-eval", str(a.ts_eval), "--analysis", str(a.analysis),
                 "--ablations", str(a.ablations), "--bench", str(a.bench), "--model", str(a.model), "--run", str(a.run),
                 "--steps", str(a.steps), "--out", str(a.out)])
    md = a.out.read_text()
    heads = re.findall(r"^## (.+)$", md, re.M)
    assert heads == report.SECTIONS
    # Table 1/2 and the compression finding: 85.1 vs 87.3 -> -2.2 points
    assert "| Fwd2Bot | 16 | 85.1 |" in md and "| base (LLaVA-style) | 64 | 87.3 |" in md
    assert "VQA is 85.1% vs 87.3% for the base (-2.2 points" in md
    # deployed vs PyTorch: engine 80.0 vs PyTorch 82.0 on the same items -> -2.0, and 3 of 4 answers identical
    assert "| VQA, K'=16 | 82.0 | 80.0 | -2.0 |" in md
    assert "75.0% of 4 (question, K') pairs" in md and "50.0% of 2 (scene, K') captions" in md
    assert "within 2.0 points" in md
    assert "| 16 | int8 | 84.5 | -0.6 |" in md  # the quantization cost PyTorch measured
    assert "| Fwd2Bot | 16_int8 |" not in md
    # retrieval: Fwd2Bot 61.2 vs E5-V 21.3 -> +39.9
    assert "by +39.9 (T2I)" in md
    # ablations: two evaluated, differences vs reference computed, the rest listed as not run with commands
    assert re.search(r"\| `disc_only` \| 5 \|.*\| 30\.0 \|.*\| -50\.0 \| \+5\.0 \|", md)
    assert "- `gen_only` (Table 5: generative loss only; train.py `--discriminative false`), in training or started:" in md
    assert "-m fwd2bot.ablations --out runs/ablations --samples 6000 --only single_lora" in md
    assert "`--lora single`" in md
    assert "| `single_lora` |" not in md  # never a row without numbers
    # figures: density ratio, masking ordering, captions vs K
    assert "attend 3.4x more densely" in md
    assert "first half of the summary tokens changes VQA by -30.0 points" in md and "Same ordering here" in md
    # K = 16 -> 4 against the paper's 16 -> 4: 79.0 / 85.1 = 92.8% kept vs the paper's 98.3%
    assert "K = 16 -> 4 (4x fewer tokens) keeps 92.8% of the VQA score (-6.1 points); the paper's 16 -> 4 keeps 98.3%" in md
    assert "beats on 7 of 8 benchmarks" in md and "largest relative loss at 16 tokens is TextVQA" in md
    assert "K'=1 20%, K'=16 90% - detail grows with K" in md
    # performance: bytes from the manifest; measured numbers and the machine named; missing bench named
    assert "| 8.0 KiB |" in md and "| 32.0 KiB |" in md and "| 512 B |" in md
    assert "**Test CPU 9000**" in md and "4.50x" in md
    assert "No bench results: run `npm run bench`" in md
    for f in ("vqa_vs_k.svg", "vqa_by_type.svg", "retrieval.svg", "attention_density.svg", "attention_maps.png", "masking.svg",
              "search_latency.svg", "scene_00000.png"):
        assert (a.plots / f).exists(), f
        assert f"reproduction/{f}" in md


def test_report_without_inputs_says_what_is_missing(tmp_path):
    out = tmp_path / "R.md"
    report.main(["--ts-eval", str(tmp_path / "none.json"), "--ablations", str(tmp_path / "no"), "--bench", str(tmp_path / "no"),
                 "--model", str(tmp_path / "no"), "--run", str(tmp_path / "no"), "--out", str(out)])
    md = out.read_text()
    assert re.findall(r"^## (.+)$", md, re.M) == report.SECTIONS
    assert md.count("*Not available:") >= 5
    assert "**No ablation has been run yet.**" in md


# -- the whole pipeline on the tiny fixture, through the TypeScript engine -----------------------------------------

@pytest.mark.skipif(not (ROOT / "node_modules" / "tsx").exists() or shutil.which("node") is None,
                    reason="needs node and npm packages (npm ci)")
def test_reproduce_pipeline_on_the_tiny_fixture(tmp_path):
    a = _synthetic_inputs(tmp_path)
    out = tmp_path / "out" / "REPRODUCTION.md"
    r = subprocess.run(["node", "scripts/reproduce.mjs", "--model", str(FIXTURE.relative_to(ROOT)), "--weights", "tiny-random",
                        "--pytorch-eval", str(a.pytorch_eval), "--scenes", "2", "--retrieval-scenes", "2", "--mask-scenes", "2",
                        "--density-scenes", "1", "--caption-scenes", "1", "--ablations", str(tmp_path / "none"),
                        "--work", str(tmp_path / "work"), "--out", str(out), "--threads", "1", "--workers", "1"],
                       cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stderr[-3000:]
    md = out.read_text()
    assert re.findall(r"^## (.+)$", md, re.M) == report.SECTIONS
    ts = json.loads((tmp_path / "work" / "eval-ts.json").read_text())
    assert ts["model"]["modelId"] == json.loads((FIXTURE / "manifest.json").read_text())["modelId"]
    assert ts["ks"] == [4, 1] and ts["skippedKs"] == [16, 8]
    # the fixture is exported from exactly these weights without quantization: the engine answers as PyTorch does
    assert "character for character PyTorch's on 100.0% of" in md
    assert "random-weight test fixture" in md
    steps = json.loads((tmp_path / "work" / "steps.json").read_text())["steps"]
    assert [s["name"] for s in steps] == ["testset", "ts", "analysis", "report"]
