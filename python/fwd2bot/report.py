"""docs/REPRODUCTION.md and its plots, from the numbers the reproduction harness collected
(`node scripts/reproduce.mjs` runs every step; this is the last one):

  --pytorch-eval  runs/default/eval.json        python -m fwd2bot.evaluate: base, avgpool, prune, E5-V, Fwd2Bot (PyTorch)
  --ts-eval       <work>/eval-ts.json           cli/evaluate.ts: Fwd2Bot through the exported ONNX graphs (TS engine, Node)
  --analysis      <work>/analysis.json          python -m fwd2bot.analysis: same-item PyTorch numbers, Figs. 4, 5, 6
  --ablations     runs/ablations                <name>/eval.json (+ options.json, log.jsonl) per ablation run
  --bench         bench/results                 npm run bench: *.json
  --model         public/models/default         manifest.json: K, d, V, model id
  --steps         <work>/steps.json             what reproduce.mjs ran and how long each step took

Every input is optional: a section whose numbers are missing says so and names the command that makes them.
Comparisons in the text are computed from the numbers; nothing is hard-coded but the paper's own numbers
(METHOD.md), quoted for comparison.
"""
from __future__ import annotations

import argparse
import json
import math
import re
from pathlib import Path

import numpy as np

from . import world

# -- the paper's numbers (METHOD.md, LLaVA-1.5-7B base) ------------------------------------------------------
PAPER_T1_BENCHES = ["GQA", "MMB", "MME", "POPE", "SQA", "TextVQA", "VizWiz", "VQAv2"]
PAPER_T1 = {  # method, tokens -> scores in PAPER_T1_BENCHES order
    ("LLaVA-1.5", 576): [62.0, 64.3, 1510.7, 85.9, 66.8, 58.2, 50.0, 78.5],
    ("QueCC", 36): [60.5, 62.5, 1442.0, 84.5, 70.6, 53.3, 50.1, 75.8],
    ("Fwd2Bot", 32): [61.6, 64.6, 1472.1, 85.9, 68.5, 55.8, 53.1, 77.1],
    ("Fwd2Bot", 16): [61.0, 64.4, 1470.0, 85.6, 67.7, 54.2, 49.8, 76.5],
    ("Fwd2Bot", 4): [58.6, 63.3, 1403.0, 84.3, 67.7, 52.5, 51.6, 74.5],
}
PAPER_T2 = {  # CIDEr Flickr30K / COCO / nocaps
    ("LLaVA-1.5", 576): [81.2, 115.4, 105.3], ("Fwd2Bot", 32): [78.9, 113.1, 105.9],
    ("Fwd2Bot", 16): [78.2, 112.0, 104.7], ("Fwd2Bot", 4): [74.5, 111.4, 103.4],
}
PAPER_T3 = {  # R@1: image retrieval (T2I) Flickr / COCO, text retrieval (I2T) Flickr / COCO
    "LLaVA-1.5-7B zero-shot (E5-V prompt)": [59.6, 34.4, 65.6, 35.6], "E5-V": [76.7, 48.2, 86.6, 57.4],
    "EVA-CLIP 8B": [80.3, 52.0, 94.5, 70.1], "Fwd2Bot (16 tokens)": [83.8, 59.0, 94.3, 72.9],
}
PAPER_SUGARCREPE_COLS = ["replace obj", "replace att", "replace rel", "swap obj", "swap att", "add obj", "add att"]
PAPER_SUGARCREPE = {"Fwd2Bot": [98.1, 89.5, 82.7, 77.8, 78.1, 95.3, 93.1], "CLIP ViT-L": [94.1, 79.2, 65.2, 60.2, 62.3, 78.3, 71.5]}
OUR_NEG_TO_PAPER = {"replace-obj": "replace obj", "replace-att": "replace att", "replace-rel": "replace rel",
                    "swap-att": "swap att", "add-obj": "add obj"}
PAPER_ABL_COLS = ["MMB", "MME", "TextVQA", "F-T2I", "F-I2T", "C-T2I", "C-I2T"]
PAPER_ABL = {
    "discriminative loss only": [46.2, 624.3, 13.5, 84.3, 94.8, 56.3, 73.2],
    "generative loss only": [64.1, 1420.1, 54.2, 61.3, 76.0, 33.9, 47.0],
    "both (Fwd2Bot)": [64.4, 1470.0, 54.2, 83.8, 94.4, 56.8, 70.2],
    "full fine-tuning": [64.3, 1413.1, 52.9, 83.1, 94.0, 56.2, 70.4],
    "single LoRA": [64.3, 1410.5, 51.8, 83.8, 94.1, 56.5, 69.9],
    "single forward (compress in CLIP/input space)": [61.3, 1305.0, 42.1, 80.8, 92.1, 53.1, 66.2],
    "bidirectional attention in pass 1": [60.2, 1310.1, 48.4, 83.6, 94.8, 57.9, 72.2],
}
PAPER_SCALE = {"d": 4096, "V": 576, "clip_d": 768}  # LLaVA-1.5-7B width, its vision tokens, CLIP ViT-L/14 embedding

# The ablation runs the report looks for: runs/ablations/<name>, with the train.py flags that make them.
ABLATIONS = [
    ("reference", "5, 6, 7, 12", "both (Fwd2Bot)", "", "both losses, stage LoRA, double forward, causal pass 1, on the ablation schedule"),
    ("gen_only", "5", "generative loss only", "--discriminative false", "generative loss only"),
    ("disc_only", "5", "discriminative loss only", "--generative false", "discriminative loss only"),
    ("single_lora", "6", "single LoRA", "--lora single", "one LoRA shared by both passes"),
    ("full_ft", "6", "full fine-tuning", "--lora full", "full fine-tuning of the LLM instead of LoRA"),
    ("single_forward", "7", "single forward (compress in CLIP/input space)", "--double-forward false",
     "single forward: K queries cross-attend to H_v in the input space, no LLM pass 1"),
    ("bidirectional", "12", "bidirectional attention in pass 1", "--bidirectional true",
     "bidirectional attention over the prompt + summary block in pass 1"),
]
ABLATION_SAMPLES = 6000  # python -m fwd2bot.ablations: 7 runs had to fit one 2-core session

SECTIONS = ["Summary", "The deployed graphs vs PyTorch", "Table 1/2 analogue: VQA and captions vs K",
            "Table 3/4 analogue: retrieval and hard negatives", "Ablations (Tables 5, 6, 7, 12)",
            "Fig. 4 analogue: attention density of pass 1", "Fig. 5 analogue: captions as K grows",
            "Fig. 6 analogue: masking groups of summary tokens", "Performance", "Honest discussion",
            "How this report was made"]

PY = "PYTHONPATH=python .venv/bin/python"


# -- small helpers ----------------------------------------------------------------------------------------------

def load_json(p: Path | None):
    if p is None or not Path(p).exists():
        return None
    return json.loads(Path(p).read_text())


def pct(v, digits: int = 1) -> str:
    return "-" if v is None else f"{100 * v:.{digits}f}"


def pts(a, b) -> str:
    """a - b in percentage points, signed (no '-0.0')."""
    if a is None or b is None:
        return "-"
    v = round(100 * (a - b), 1)
    return f"{v + 0.0:+.1f}"


def kib(b: float) -> str:
    return f"{b:,.0f} B" if b < 1024 else f"{b / 1024:,.1f} KiB" if b < 2 ** 20 else f"{b / 2 ** 20:,.2f} MiB"


def ms(v) -> str:
    return "-" if v is None else f"{v:,.2f} ms" if v < 10 else f"{v:,.1f} ms" if v < 1000 else f"{v / 1000:,.2f} s"


def table(header: list[str], rows: list[list]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join("-" if c is None else str(c) for c in r) + " |" for r in rows]
    return out


def ks_of(results: dict | None, prefix: str = "fwd2bot_k") -> list[int]:
    if not results:
        return []
    return sorted((int(k[len(prefix):]) for k in results if k.startswith(prefix) and k[len(prefix):].isdigit()), reverse=True)


def binom_se(p: float, n: int) -> float:
    return math.sqrt(max(p * (1 - p), 1e-12) / max(1, n))


def retention(ours: list[float], ref: list[float]) -> float:
    return float(np.mean([o / r for o, r in zip(ours, ref)]))


def missing(what: str, command: str) -> list[str]:
    return [f"*Not available: {what}. Produce it with:*", "", "```sh", command, "```"]


class Plots:
    """Writes figures under `folder`; `rel` is how the markdown links them."""

    def __init__(self, folder: Path, rel: str):
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        plt.rcParams.update({"svg.hashsalt": "fwd2bot", "font.size": 9, "axes.spines.top": False,
                             "axes.spines.right": False})
        self.plt, self.folder, self.rel = plt, folder, rel.rstrip("/")
        folder.mkdir(parents=True, exist_ok=True)
        self.written: list[str] = []

    def save(self, fig, name: str) -> str:
        meta = {"Date": None} if name.endswith(".svg") else {"Software": None}
        fig.savefig(self.folder / name, metadata=meta, dpi=110)
        self.plt.close(fig)
        self.written.append(name)
        return f"{self.rel}/{name}"


# -- the report -------------------------------------------------------------------------------------------------

class Report:
    def __init__(self, a):
        self.a = a
        self.pt = load_json(a.pytorch_eval)
        self.ts = load_json(a.ts_eval)
        self.an = load_json(a.analysis)
        self.steps = load_json(a.steps)
        self.manifest = load_json(Path(a.model) / "manifest.json") if a.model else None
        self.plots = Plots(a.plots, a.plots_rel)
        self.lines: list[str] = []
        self.findings: list[str] = []  # "Honest discussion" bullets, computed along the way
        R = (self.pt or {}).get("results", {})
        self.R = R
        self.TR = (self.ts or {}).get("results", {})
        self.AR = (self.an or {}).get("results", {})
        m = self.manifest
        arch = (m or {}).get("architecture", {})
        self.V = arch.get("vision", {}).get("numVisionTokens") or (self.an or {}).get("V") or (self.ts or {}).get("model", {}).get("V")
        self.K = (m or {}).get("fwd2bot", {}).get("numSummaryTokens") or (self.an or {}).get("K") or (self.ts or {}).get("model", {}).get("K")
        self.d = arch.get("decoder", {}).get("hiddenSize") or (self.an or {}).get("d") or (self.ts or {}).get("model", {}).get("d")

    def w(self, *lines: str) -> None:
        self.lines.extend(lines)

    def section(self, title: str) -> None:
        assert title in SECTIONS, title
        self.w("", f"## {title}", "")

    # -- header ---------------------------------------------------------------------------------------------
    def header(self) -> None:
        m, ts, pt = self.manifest, self.ts, self.pt
        model = (f"`{m['name']}` (`{m['modelId']}`, package `{self.a.model}`)" if m
                 else f"`{ts['model']['name']}` (`{ts['model']['modelId']}`)" if ts else "no model package")
        self.w("# Reproducing Fwd2Bot at small scale", "",
               "<!-- generated by `node scripts/reproduce.mjs` (python/fwd2bot/report.py); edit the generator, not this file -->", "",
               f"Fwd2Bot (Bulat et al., arXiv 2503.21757; `../shared/METHOD.md`) on this project's synthetic world, with the "
               f"model {model}: a LLaVA-style model trained from scratch (python/fwd2bot/train.py), "
               f"V = {self.V} vision tokens, d = {self.d}, K = {self.K} summary tokens.", "",
               "Every number comes from the held-out **test split** (python/fwd2bot/world.py: scenes whose layouts never "
               "occur in training), with the questions, captions and hard negatives evaluate.py draws for each scene.")
        srcs = []
        if pt:
            srcs.append(f"PyTorch (`python -m fwd2bot.evaluate`): {pt['scenes']} scenes for VQA/captions, "
                        f"{pt['retrieval_scenes']} for retrieval (`{self.a.pytorch_eval}`)")
        if ts:
            srcs.append(f"the TypeScript engine through the exported ONNX graphs on onnxruntime-node (`cli/evaluate.ts`): "
                        f"the first {ts['scenes']} of those scenes for VQA/captions, {ts['retrieval_scenes']} for retrieval")
        if self.an:
            srcs.append(f"PyTorch on exactly the engine's items, plus Figs. 4-6 (`python -m fwd2bot.analysis`, weights "
                        f"{self.an['weights']})")
        if srcs:
            self.w("", "Sources: " + "; ".join(srcs) + ".")
        card = Path(self.a.model) / m["modelCard"] if m and m.get("modelCard") else None
        if card and card.exists() and "random-weight" in card.read_text():
            self.w("", "> **This report was generated on the tiny random-weight test fixture.** Its numbers are meaningless "
                       "(the weights are untrained); it only shows that the pipeline runs end to end.")

    # -- summary --------------------------------------------------------------------------------------------
    def summary(self) -> None:
        self.section("Summary")
        R, TR = self.R, self.TR
        out = []
        kmax = (ks_of(R) or ks_of(TR) or [None])[0]
        if "base" in R and kmax and f"fwd2bot_k{kmax}" in R:
            f, b = R[f"fwd2bot_k{kmax}"], R["base"]
            out.append(f"VQA (exact match, {self.pt['scenes']} scenes): base with all {self.V} vision tokens "
                       f"{pct(b['vqa'])}%, Fwd2Bot with K = {kmax} summary tokens {pct(f['vqa'])}% ({pts(f['vqa'], b['vqa'])} points)"
                       + (f"; K = {min(ks_of(R))}: {pct(R[f'fwd2bot_k{min(ks_of(R))}']['vqa'])}%" if len(ks_of(R)) > 1 else "") + ".")
        if "fwd2bot_retrieval" in R and "e5v_zero_shot" in R:
            f, e = R["fwd2bot_retrieval"], R["e5v_zero_shot"]
            out.append(f"Retrieval R@1 over {self.pt['retrieval_scenes']} scenes, text to image / image to text: Fwd2Bot "
                       f"{pct(f['t2i']['R@1'])}% / {pct(f['i2t']['R@1'])}%, E5-V-style zero-shot base "
                       f"{pct(e['t2i']['R@1'])}% / {pct(e['i2t']['R@1'])}%.")
        dep = self.deployment_numbers()
        if dep:
            out.append(f"Deployed graphs (TypeScript engine, onnxruntime-node) vs PyTorch on the same {self.ts['scenes']} scenes: "
                       f"largest metric difference {dep['max_abs_pts']:.1f} points ({dep['max_metric']})"
                       + (f", identical answers on {pct(dep['answer_agreement'])}% of questions" if dep.get("answer_agreement") is not None else "")
                       + ".")
        if self.K and self.d and self.V:
            out.append(f"Storage per photo: {kib(2 * self.K * self.d)} (K x d fp16) instead of {kib(2 * self.V * self.d)} for all "
                       f"{self.V} vision tokens ({self.V / self.K:.0f}x less).")
        self.w(*(f"- {s}" for s in out) if out else ["*No numbers yet: run `node scripts/reproduce.mjs`.*"])

    # -- deployed vs PyTorch --------------------------------------------------------------------------------
    def deployment_numbers(self) -> dict | None:
        if not self.ts or not self.an:
            return None
        TR, AR = self.TR, self.AR
        diffs = []  # (label, PyTorch value, engine value)
        for k in ks_of(TR):
            t, p = TR[f"fwd2bot_k{k}"], AR.get(f"fwd2bot_k{k}")
            for m, label in (("vqa", "VQA"), ("caption_object_f1", "caption F1")):
                if p and t.get(m) is not None and p.get(m) is not None:
                    diffs.append((f"{label}, K'={k}", p[m], t[m]))
        t, p = TR.get("fwd2bot_retrieval"), AR.get("fwd2bot_retrieval")
        if t and p:
            for d in ("t2i", "i2t"):
                for k in ("R@1", "R@5", "R@10"):
                    diffs.append((f"{d.upper()} {k}", p[d][k], t[d][k]))
            if t.get("hard_negative_mean") is not None and p.get("hard_negative_mean") is not None:
                diffs.append(("hard-negative mean", p["hard_negative_mean"], t["hard_negative_mean"]))
        if not diffs:
            return None
        name, dp, dt = max(diffs, key=lambda x: abs(x[2] - x[1]))
        dmax = dt - dp
        same = total = cap_same = cap_total = 0
        for key, ti in self.ts.get("items", {}).items():
            pi = self.an.get("items", {}).get(key)
            if not pi:
                continue
            for ra, rt in zip(pi["answers"], ti["answers"]):
                same += sum(x == y for x, y in zip(ra, rt))
                total += min(len(ra), len(rt))
            if pi.get("captions") and ti.get("captions"):
                cap_same += sum(x == y for x, y in zip(pi["captions"], ti["captions"]))
                cap_total += min(len(pi["captions"]), len(ti["captions"]))
        return {"diffs": diffs, "max_abs_pts": 100 * abs(dmax), "max_metric": name,
                "answer_agreement": same / total if total else None, "caption_agreement": cap_same / cap_total if cap_total else None,
                "questions": total, "captions": cap_total}

    def deployment(self) -> None:
        self.section("The deployed graphs vs PyTorch")
        if not self.ts:
            self.w(*missing("the TypeScript engine's evaluation", "node scripts/reproduce.mjs   # or: npx tsx cli/evaluate.ts --testset <dir> --model public/models/default --out eval-ts.json"))
            return
        tm = self.ts["model"]
        self.w(f"The app's engine core (src/engine/core) ran the exported graphs of `{tm['modelId']}` "
               f"(quantization {json.dumps(tm.get('quantization', {}))}, decoder path `{tm.get('decoderPath')}`) on "
               f"onnxruntime-node, starting every answer, caption and search from the summary tokens as the library stores "
               f"them (fp16). PyTorch ran the trained weights in fp32 on the same items "
               f"(`python -m fwd2bot.analysis`). Differences come from weight quantization, fp16 token storage and float "
               f"rounding, not from sampling.", "")
        if self.ts.get("skippedKs"):
            self.w(f"K' = {', '.join(map(str, self.ts['skippedKs']))} left out: the package answers from K' in "
                   f"{{{', '.join(map(str, tm['tokenCounts']))}}}.", "")
        dep = self.deployment_numbers()
        if not dep:
            self.w(*missing("PyTorch numbers on the engine's items", f"{PY} -m fwd2bot.analysis --weights runs/default/fwd2bot.safetensors "
                            f"--scenes {self.ts['scenes']} --retrieval-scenes {self.ts['retrieval_scenes']} --out analysis.json"))
            return
        rows = [[name, pct(p), pct(t), pts(t, p)] for name, p, t in dep["diffs"]]
        self.w(*table(["metric", f"PyTorch fp32 ({self.an['scenes']} scenes)", "TS engine, ONNX", "difference (points)"], rows), "")
        if dep["answer_agreement"] is not None:
            self.w(f"Per item: the engine's answer is character for character PyTorch's on {pct(dep['answer_agreement'])}% of "
                   f"{dep['questions']} (question, K') pairs, and its caption on {pct(dep['caption_agreement'])}% of {dep['captions']} "
                   f"(scene, K') captions.", "")
        quant = self.quantization_rows()
        if quant:
            self.w(f"The accuracy cost of the quantization alone, in PyTorch (evaluate.py `--quant`: the fp32 weights rounded as "
                   f"the package stores them, then dequantized; {self.pt['scenes']} scenes, VQA only):", "")
            self.w(*table(["K", "weights", "VQA", "vs fp32 (points)"], quant), "")
        maps = self.map_agreement()
        if maps:
            self.w(f"Pass-1 attention maps (Fig. 4) from the engine's per-layer graphs ({maps['path']}) vs PyTorch on "
                   f"{maps['n']} scenes: max abs difference {maps['max']:.2e} on attention probabilities averaging {maps['mean']:.2e}.", "")
        agree = dep["max_abs_pts"] <= 1.0
        self.findings.append(
            f"**Deployed = trained.** Through the exported graphs the engine's metrics are within {dep['max_abs_pts']:.1f} points "
            f"of PyTorch's on identical items (largest: {dep['max_metric']})"
            + (f", with {pct(dep['answer_agreement'])}% of answers identical" if dep["answer_agreement"] is not None else "")
            + (". The browser/Node engine is the trained model." if agree else
               ". That is more than 1 point: quantization or fp16 storage changes the model's behaviour measurably "
               "(compare with an `--quant none` export to tell which)."))

    def quantization_rows(self) -> list[list]:
        """evaluate.py --quant results: fwd2bot_k{K}_{int8|int4} beside fwd2bot_k{K} (fp32)."""
        rows = []
        for key, r in self.R.items():
            m = re.fullmatch(r"fwd2bot_k(\d+)_(int\d+)", key)
            ref = self.R.get(f"fwd2bot_k{m.group(1)}") if m else None
            if m and ref:
                if not rows:
                    rows.append([m.group(1), "fp32 (trained)", pct(ref["vqa"]), "-"])
                rows.append([m.group(1), m.group(2), pct(r["vqa"]), pts(r["vqa"], ref["vqa"])])
        return rows

    def map_agreement(self) -> dict | None:
        ts_maps = (self.ts or {}).get("attentionMaps", {}).get("maps", [])
        ad = (self.an or {}).get("attention_density", {})
        if not ts_maps or "fwd2bot_pass1" not in ad:
            return None
        pt_heat = dict(zip(ad["scenes"], ad["fwd2bot_pass1"]["heat"]))
        diffs, means = [], []
        for m in ts_maps:
            if m["scene"] in pt_heat:
                a, b = np.array(m["heat"]), np.array(pt_heat[m["scene"]])
                diffs.append(float(np.abs(a - b).max()))
                means.append(float(b.mean()))
        if not diffs:
            return None
        return {"n": len(diffs), "max": max(diffs), "mean": float(np.mean(means)), "path": ts_maps[0]["path"]}

    # -- Table 1/2 -----------------------------------------------------------------------------------------
    def table12(self) -> None:
        self.section("Table 1/2 analogue: VQA and captions vs K")
        R, TR = self.R, self.TR
        if not R and not TR:
            self.w(*missing("held-out VQA/caption numbers", f"{PY} -m fwd2bot.evaluate --run runs/default"))
            return
        types = world.QUESTION_TYPES
        self.w("VQA: exact match of the greedy answer (max 4 tokens), in %, by question type; caption metric: object-F1 of "
               "the generated caption's (size, colour, shape, position) facts against the scene's (evaluate.py's regexes). "
               "`avgpool` = the base model reading its V vision tokens average-pooled to K; `prune` = the base model reading "
               "the K vision tokens the vision encoder's CLS attends to most (training-free, PruMerge / FastV style). "
               "Both baselines use the base model without any training for K tokens.", "")
        rows = []
        src = f"PyTorch, {self.pt['scenes']} scenes" if self.pt else ""
        if "base" in R:
            b = R["base"]
            rows.append(["base (LLaVA-style)", self.V, pct(b["vqa"]), *[pct(b["vqa_by_type"].get(t)) for t in types],
                         pct(b.get("caption_object_f1")), src])
        for k in sorted(set(ks_of(R)) | set(ks_of(TR)) | set(ks_of(R, "avgpool_k")), reverse=True):
            for name, res, label, s in (("Fwd2Bot", R, "fwd2bot", src), ("Fwd2Bot (TS engine)", TR, "fwd2bot",
                                         f"ONNX + TS, {self.ts['scenes']} scenes" if self.ts else ""),
                                        ("avgpool", R, "avgpool", src), ("prune (CLS top-K)", R, "prune", src)):
                r = res.get(f"{label}_k{k}")
                if r:
                    rows.append([name, k, pct(r["vqa"]), *[pct(r["vqa_by_type"].get(t)) for t in types],
                                 pct(r.get("caption_object_f1")), s])
        self.w(*table(["method", "tokens", "VQA", *types, "caption F1", "source"], rows), "")
        fig = self.plot_vs_k()
        if fig:
            self.w(f"![VQA and caption F1 vs K]({fig})", "")
        ptypes = self.plot_by_type()
        if ptypes:
            self.w(f"![VQA by question type]({ptypes})", "")
        # retention vs the paper
        self.w("Share of the full-token model's score kept (ours: VQA and caption F1 relative to the base model; paper: "
               "mean over its 8 understanding benchmarks (Table 1) and 3 captioning sets (Table 2) relative to LLaVA-1.5 "
               "with 576 tokens):", "")
        rows = []
        base = PAPER_T1[("LLaVA-1.5", 576)]
        for (meth, tok), sc in PAPER_T1.items():
            if meth == "Fwd2Bot":
                cap = PAPER_T2.get((meth, tok))
                rows.append([f"paper Fwd2Bot, {tok} tokens ({576 / tok:.0f}x fewer)", f"{100 * retention(sc, base):.1f}%",
                             f"{100 * retention(cap, PAPER_T2[('LLaVA-1.5', 576)]):.1f}%" if cap else "-"])
        if "base" in R:
            for k in ks_of(R):
                f = R[f"fwd2bot_k{k}"]
                cap = (f"{100 * f['caption_object_f1'] / R['base']['caption_object_f1']:.1f}%"
                       if f.get("caption_object_f1") is not None and R["base"].get("caption_object_f1") else "-")
                rows.append([f"ours Fwd2Bot, K = {k} ({self.V / k:.0f}x fewer)" if self.V else f"ours, K = {k}",
                             f"{100 * f['vqa'] / max(1e-9, R['base']['vqa']):.1f}%", cap])
        self.w(*table(["model", "understanding kept", "captioning kept"], rows), "")
        self.w("Paper Table 1 (LLaVA-1.5-7B base), quoted:", "")
        self.w(*table(["method", "tokens", *PAPER_T1_BENCHES], [[m, t, *v] for (m, t), v in PAPER_T1.items()]))
        self._findings_table12()

    def _findings_table12(self) -> None:
        R = self.R
        ks = ks_of(R)
        if "base" not in R or not ks:
            return
        b = R["base"]["vqa"]
        kmax = ks[0]
        f = R[f"fwd2bot_k{kmax}"]["vqa"]
        paper16 = retention(PAPER_T1[("Fwd2Bot", 16)], PAPER_T1[("LLaVA-1.5", 576)])
        ours = f / max(1e-9, b)
        se = 100 * math.sqrt(binom_se(f, R[f"fwd2bot_k{kmax}"]["n_questions"]) ** 2 + binom_se(b, R["base"]["n_questions"]) ** 2)
        verdict = ("agrees with the paper" if ours >= paper16 - 0.03 else
                   "loses more than the paper does")
        self.findings.append(
            f"**Compression cost.** With K = {kmax} summary tokens ({self.V / kmax:.0f}x fewer than the base model's {self.V}) "
            f"VQA is {100 * f:.1f}% vs {100 * b:.1f}% for the base ({100 * (f - b):+.1f} points, ±{2 * se:.1f} at 2 standard "
            f"errors), keeping {100 * ours:.1f}% of the base score; the paper keeps {100 * paper16:.1f}% with 16 tokens "
            f"(36x fewer). Ours {verdict}" + (" (within 3 points of retention)." if ours >= paper16 - 0.03 else
                                              f" ({100 * (paper16 - ours):.1f} points of retention more)."))
        if len(ks) > 1:
            # like for like with the paper's 16 -> 4 (a 4x cut) when we have K = kmax/4, then our smallest K
            k4 = kmax // 4 if kmax // 4 in ks else None
            p4 = retention(PAPER_T1[("Fwd2Bot", 4)], PAPER_T1[("Fwd2Bot", 16)])
            parts = []
            if k4:
                f4 = R[f"fwd2bot_k{k4}"]["vqa"]
                kept = f4 / max(1e-9, f)
                parts.append(f"K = {kmax} -> {k4} (4x fewer tokens) keeps {100 * kept:.1f}% of the VQA score "
                             f"({100 * (f4 - f):+.1f} points); the paper's 16 -> 4 keeps {100 * p4:.1f}%: "
                             + ("a steeper loss than the paper's." if kept < p4 - 0.03 else "the paper's shape."))
            kmin = ks[-1]
            if kmin != k4:
                fm = R[f"fwd2bot_k{kmin}"]["vqa"]
                parts.append(f"Down to K = {kmin} ({self.V / kmin:.0f}x fewer than the base's {self.V}, a cut the paper does "
                             f"not try) VQA is {100 * fm:.1f}% ({100 * (fm - f):+.1f} points from K = {kmax}).")
            self.findings.append("**Fewer tokens.** " + " ".join(parts))
        # baselines
        wins, losses = [], []
        for k in ks:
            for bl in ("avgpool", "prune"):
                r = R.get(f"{bl}_k{k}")
                if r:
                    d = R[f"fwd2bot_k{k}"]["vqa"] - r["vqa"]
                    (wins if d > 0 else losses).append(f"{bl} K={k} ({100 * d:+.1f})")
        if wins or losses:
            self.findings.append(
                "**Against training-free reduction at equal K** (VQA points, Fwd2Bot minus baseline): "
                + (f"Fwd2Bot ahead of {', '.join(wins)}" if wins else "Fwd2Bot ahead of none")
                + (f"; behind {', '.join(losses)}." if losses else ".")
                + f" (METHOD.md quotes no pruning baseline; its low-budget comparison is QueCC with 36 tokens, which "
                f"Fwd2Bot with 32 beats on {self.paper_wins(('Fwd2Bot', 32), ('QueCC', 36))} of {len(PAPER_T1_BENCHES)} benchmarks.)")
        # question types
        k = kmax
        drops = {t: R[f"fwd2bot_k{k}"]["vqa_by_type"].get(t) - R["base"]["vqa_by_type"].get(t)
                 for t in world.QUESTION_TYPES
                 if R[f"fwd2bot_k{k}"]["vqa_by_type"].get(t) is not None and R["base"]["vqa_by_type"].get(t) is not None}
        if drops:
            worst = min(drops, key=drops.get)
            best = max(drops, key=drops.get)
            pb, pf = PAPER_T1[("LLaVA-1.5", 576)], PAPER_T1[("Fwd2Bot", 16)]
            rel = {n: (f_ - b_) / b_ for n, f_, b_ in zip(PAPER_T1_BENCHES, pf, pb)}
            pworst = min(rel, key=rel.get)
            order = sorted(drops, key=drops.get)
            reading = (f" Our reading questions (the TextVQA analogue) change {100 * drops['reading']:+.1f} points, "
                       f"rank {order.index('reading') + 1} of {len(order)} from the largest loss."
                       if "reading" in drops else "")
            self.findings.append(
                f"**Where the tokens lose information** (K = {k} vs base, by question type): largest change {worst} "
                f"({100 * drops[worst]:+.1f} points), smallest {best} ({100 * drops[best]:+.1f}). In the paper the largest "
                f"relative loss at 16 tokens is {pworst} ({pf[PAPER_T1_BENCHES.index(pworst)]} vs "
                f"{pb[PAPER_T1_BENCHES.index(pworst)]}, {100 * rel[pworst]:+.1f}%).{reading}")
        if R["base"].get("caption_object_f1") is not None and R[f"fwd2bot_k{kmax}"].get("caption_object_f1") is not None:
            cf, cb = R[f"fwd2bot_k{kmax}"]["caption_object_f1"], R["base"]["caption_object_f1"]
            p2 = retention(PAPER_T2[("Fwd2Bot", 16)], PAPER_T2[("LLaVA-1.5", 576)])
            self.findings.append(
                f"**Captions.** Object-F1 {100 * cf:.1f}% at K = {kmax} vs {100 * cb:.1f}% for the base "
                f"({100 * cf / max(1e-9, cb):.1f}% kept; the paper keeps {100 * p2:.1f}% of CIDEr at 16 tokens).")

    @staticmethod
    def paper_wins(a: tuple, b: tuple) -> int:
        return sum(x > y for x, y in zip(PAPER_T1[a], PAPER_T1[b]))

    def plot_vs_k(self) -> str | None:
        R, TR = self.R, self.TR
        ks = sorted(set(ks_of(R)) | set(ks_of(TR)))
        if not ks:
            return None
        plt = self.plots.plt
        fig, axes = plt.subplots(1, 2, figsize=(8.5, 3.2))
        for ax, metric, title in ((axes[0], "vqa", "VQA (exact match, %)"), (axes[1], "caption_object_f1", "caption object-F1 (%)")):
            for label, res, key, style in (("Fwd2Bot (PyTorch)", R, "fwd2bot", "o-"), ("Fwd2Bot (TS engine, ONNX)", TR, "fwd2bot", "x--"),
                                           ("avgpool (base)", R, "avgpool", "s:"), ("prune (base)", R, "prune", "^:")):
                xs = [k for k in ks if res.get(f"{key}_k{k}", {}).get(metric) is not None]
                if xs:
                    ax.plot(xs, [100 * res[f"{key}_k{k}"][metric] for k in xs], style, label=label)
            if R.get("base", {}).get(metric) is not None:
                ax.axhline(100 * R["base"][metric], color="gray", lw=1, label=f"base, all {self.V} tokens")
            ax.set_xscale("log", base=2)
            ax.set_xticks(ks, [str(k) for k in ks])
            ax.set_xlabel("tokens K")
            ax.set_title(title)
        axes[0].legend(fontsize=7, loc="lower left")
        fig.tight_layout()
        return self.plots.save(fig, "vqa_vs_k.svg")

    def plot_by_type(self) -> str | None:
        R = self.R
        ks = ks_of(R)
        if "base" not in R or not ks:
            return None
        k = ks[0]
        series = [("base", R["base"])] + [(f"{n} K={k}", R[f"{key}_k{k}"]) for n, key in
                                            (("Fwd2Bot", "fwd2bot"), ("avgpool", "avgpool"), ("prune", "prune")) if f"{key}_k{k}" in R]
        if len(ks) > 1:
            series.append((f"Fwd2Bot K={ks[-1]}", R[f"fwd2bot_k{ks[-1]}"]))
        plt = self.plots.plt
        types = world.QUESTION_TYPES
        fig, ax = plt.subplots(figsize=(8.5, 3))
        wdt = 0.8 / len(series)
        for j, (name, r) in enumerate(series):
            ax.bar(np.arange(len(types)) + j * wdt, [100 * (r["vqa_by_type"].get(t) or 0) for t in types], wdt, label=name)
        ax.set_xticks(np.arange(len(types)) + 0.4 - wdt / 2, types)
        ax.set_ylabel("VQA %")
        ax.legend(fontsize=7, ncol=len(series), loc="lower left")
        fig.tight_layout()
        return self.plots.save(fig, "vqa_by_type.svg")

    # -- Table 3/4 -----------------------------------------------------------------------------------------
    def table34(self) -> None:
        self.section("Table 3/4 analogue: retrieval and hard negatives")
        R, TR = self.R, self.TR
        if not any(k in R for k in ("fwd2bot_retrieval", "e5v_zero_shot")) and "fwd2bot_retrieval" not in TR:
            self.w(*missing("retrieval numbers", f"{PY} -m fwd2bot.evaluate --run runs/default"))
            return
        n = self.pt["retrieval_scenes"] if self.pt else None
        self.w("Zero-shot retrieval among the test scenes: text to image (T2I: a scene's canonical caption finds its image) and "
               "image to text (I2T), R@k in %. Hard negatives (SugarCrepe-style, world.hard_negatives): the share of scenes "
               "whose image embedding is closer to the true caption than to a minimally edited one. The E5-V-style baseline is "
               "the base model with E5-V's one-word prompts, no training (the paper's 'LLaVA-1.5-7B zero-shot' row).", "")
        negs = world.NEGATIVE_TYPES
        rows = []
        for label, res, key, src in (("E5-V-style zero-shot (base)", R, "e5v_zero_shot", f"PyTorch, {n} scenes"),
                                     (f"Fwd2Bot, K = {self.K}", R, "fwd2bot_retrieval", f"PyTorch, {n} scenes"),
                                     (f"Fwd2Bot, K = {self.K} (TS engine)", TR, "fwd2bot_retrieval",
                                      f"ONNX + TS, {(self.ts or {}).get('retrieval_scenes')} scenes")):
            r = res.get(key)
            if r:
                rows.append([label, *[pct(r[d][f"R@{k}"]) for d in ("t2i", "i2t") for k in (1, 5, 10)],
                             pct(r.get("hard_negative_mean")), *[pct(r["hard_negative"].get(t)) for t in negs], src])
        self.w(*table(["embedding", "T2I R@1", "R@5", "R@10", "I2T R@1", "R@5", "R@10", "hard-neg mean", *negs, "source"], rows), "")
        if self.ts and self.pt and self.ts["retrieval_scenes"] != self.pt["retrieval_scenes"]:
            self.w(f"(R@k depends on the gallery size: the engine's row ranks among {self.ts['retrieval_scenes']} scenes, "
                   f"PyTorch's among {self.pt['retrieval_scenes']}; the same-gallery comparison is in the section above.)", "")
        dup = self.duplicate_captions(n or (self.ts or {}).get("retrieval_scenes"))
        if dup:
            self.w(f"{dup[0]} of the first {dup[1]} test scenes share their canonical caption with another scene (same "
                   f"objects and background, other jitter), so T2I R@1 cannot exceed {100 * (1 - dup[2]):.1f}% there.", "")
        fig = self.plot_retrieval()
        if fig:
            self.w(f"![retrieval and hard negatives]({fig})", "")
        self.w("Paper Table 3 (R@1, zero-shot), quoted:", "")
        self.w(*table(["model", "Flickr T2I", "COCO T2I", "Flickr I2T", "COCO I2T"], [[k, *v] for k, v in PAPER_T3.items()]), "")
        self.w("Paper SugarCrepe accuracy, quoted (our five types map to replace obj / att / rel, swap att, add obj):", "")
        self.w(*table(["model", *PAPER_SUGARCREPE_COLS], [[k, *v] for k, v in PAPER_SUGARCREPE.items()]))
        self._findings_table34()

    def duplicate_captions(self, n: int | None):
        if not n:
            return None
        caps = [world.caption(world.scene("test", i)) for i in range(n)]
        counts: dict[str, int] = {}
        for c in caps:
            counts[c] = counts.get(c, 0) + 1
        shared = sum(v for v in counts.values() if v > 1)
        if not shared:
            return None
        # a query whose caption has m identical copies ranks its image first with probability 1/m at best
        lost = sum(v - 1 for v in counts.values() if v > 1) / n
        return shared, n, lost

    def _findings_table34(self) -> None:
        R = self.R
        f, e = R.get("fwd2bot_retrieval"), R.get("e5v_zero_shot")
        if f and e:
            dt = f["t2i"]["R@1"] - e["t2i"]["R@1"]
            di = f["i2t"]["R@1"] - e["i2t"]["R@1"]
            paper_t, paper_i = 83.8 - 59.6, 94.3 - 65.6
            self.findings.append(
                f"**Retrieval.** Fwd2Bot's mean summary token beats the E5-V-style zero-shot embedding of the base model by "
                f"{100 * dt:+.1f} (T2I) and {100 * di:+.1f} (I2T) points of R@1; the paper reports {paper_t:+.1f} / {paper_i:+.1f} "
                f"on Flickr30K over the same kind of baseline. "
                + ("Same direction." if dt > 0 and di > 0 else "Not the paper's direction: see the ablations for which loss carries retrieval."))
        if f and f.get("hard_negative"):
            hn = f["hard_negative"]
            worst = min(hn, key=hn.get)
            pw = min(OUR_NEG_TO_PAPER, key=lambda t: PAPER_SUGARCREPE["Fwd2Bot"][PAPER_SUGARCREPE_COLS.index(OUR_NEG_TO_PAPER[t])])
            self.findings.append(
                f"**Hard negatives.** Hardest type for us: {worst} ({pct(hn[worst])}%); for the paper (among the types we "
                f"share): {pw} ({PAPER_SUGARCREPE['Fwd2Bot'][PAPER_SUGARCREPE_COLS.index(OUR_NEG_TO_PAPER[pw])]}%). "
                + ("They agree: attribute binding is the weak spot of a pooled embedding." if worst == pw else
                   "They differ; our negatives are edits of templated captions, the paper's of free text."))

    def plot_retrieval(self) -> str | None:
        R, TR = self.R, self.TR
        series = [(n, r) for n, r in (("E5-V-style (base)", R.get("e5v_zero_shot")), ("Fwd2Bot (PyTorch)", R.get("fwd2bot_retrieval")),
                                      ("Fwd2Bot (TS engine)", TR.get("fwd2bot_retrieval"))) if r]
        if not series:
            return None
        plt = self.plots.plt
        fig, axes = plt.subplots(1, 2, figsize=(9, 3))
        cols = ["T2I R@1", "T2I R@10", "I2T R@1", "I2T R@10"]
        get = {"T2I R@1": ("t2i", "R@1"), "T2I R@10": ("t2i", "R@10"), "I2T R@1": ("i2t", "R@1"), "I2T R@10": ("i2t", "R@10")}
        wdt = 0.8 / len(series)
        for j, (name, r) in enumerate(series):
            axes[0].bar(np.arange(4) + j * wdt, [100 * r[get[c][0]][get[c][1]] for c in cols], wdt, label=name)
            axes[1].bar(np.arange(len(world.NEGATIVE_TYPES)) + j * wdt,
                        [100 * (r["hard_negative"].get(t) or 0) for t in world.NEGATIVE_TYPES], wdt, label=name)
        axes[0].set_xticks(np.arange(4) + 0.4 - wdt / 2, cols)
        axes[0].set_title("retrieval (%)")
        axes[1].set_xticks(np.arange(len(world.NEGATIVE_TYPES)) + 0.4 - wdt / 2, world.NEGATIVE_TYPES, fontsize=7)
        axes[1].set_title("hard-negative accuracy (%)")
        axes[1].axhline(50, color="gray", lw=0.8, ls=":")
        axes[0].legend(fontsize=7, loc="upper left")
        fig.tight_layout()
        return self.plots.save(fig, "retrieval.svg")

    # -- ablations -----------------------------------------------------------------------------------------
    def ablation_runs(self) -> dict:
        root = Path(self.a.ablations) if self.a.ablations else None
        found = {}
        if root and root.exists():
            for d in sorted(p for p in root.iterdir() if p.is_dir()):
                ev = load_json(d / "eval.json")
                opts = load_json(d / "options.json") or {}
                samples = None
                if (d / "log.jsonl").exists():
                    recs = [json.loads(l) for l in (d / "log.jsonl").read_text().splitlines() if l.strip()]
                    fw = [r["samples"] for r in recs if r.get("stage") == "fwd2bot"]
                    samples = max(fw) if fw else None
                found[d.name] = {"eval": ev, "options": opts, "samples": samples, "path": str(d),
                                 "done": (d / "fwd2bot.safetensors").exists()}
        return found

    @staticmethod
    def option_changes(options: dict) -> str:
        """The Fwd2Bot options of a run that differ from the default recipe (train.Fwd2BotOptions)."""
        from dataclasses import asdict
        from .train import Fwd2BotOptions
        default, got = asdict(Fwd2BotOptions()), options.get("fwd2bot") or {}
        diff = [f"{k}={v}" for k, v in got.items() if k in default and default[k] != v]
        return ", ".join(diff) if diff else ("default options" if got else "options unknown")

    def ablations(self) -> None:
        self.section("Ablations (Tables 5, 6, 7, 12)")
        runs = self.ablation_runs()
        known = {n for n, *_ in ABLATIONS}
        self.w("Each ablation trains only the Fwd2Bot stage from the same base model (`python/checkpoints/instruct.safetensors`) "
               "with one switch changed (python/fwd2bot/train.py `Fwd2BotOptions`), then `python -m fwd2bot.evaluate` scores "
               "it. They run on a shorter schedule than the default model; `reference` is the unchanged recipe on that same "
               "schedule, the row the others compare against. One command trains and scores them all (resuming): "
               f"`{PY} -m fwd2bot.ablations --out runs/ablations --samples {ABLATION_SAMPLES}`; their eval.json, "
               "options.json and log.jsonl are committed in `python/checkpoints/ablations/`.", "")
        rows, todo = [], []
        ref = runs.get("reference", {}).get("eval")
        kabl = None
        others = [(n, "-", None, "", f"other run ({self.option_changes(runs[n]['options'])})") for n in runs if n not in known]
        for name, tab, paper_row, flags, what in ABLATIONS + others:
            r = runs.get(name)
            ev = (r or {}).get("eval")
            if not ev:
                todo.append((name, tab, flags, what, r))
                continue
            res = ev["results"]
            ks = ks_of(res)
            k = kabl = ks[0] if ks else None
            g, ret = res.get(f"fwd2bot_k{k}", {}), res.get("fwd2bot_retrieval", {})
            planned = (r["options"].get("args") or {}).get("samples")
            sched = (f"{r['samples']:,} samples" if r.get("samples") else
                     f"{planned} samples planned (no log.jsonl)" if planned not in (None, "None") else "unknown (no log.jsonl)")
            rr = (ref or {}).get("results", {}) if ref else {}
            rg, rret = rr.get(f"fwd2bot_k{k}", {}), rr.get("fwd2bot_retrieval", {})
            if r["options"].get("fwd2bot") and name in known:
                what = f"{what} [options.json: {self.option_changes(r['options'])}]"
            rows.append([f"`{name}`", tab, what, sched, k, pct(g.get("vqa")), pct((g.get("vqa_by_type") or {}).get("reading")),
                         pct(g.get("caption_object_f1")), pct((ret.get("t2i") or {}).get("R@1")),
                         pct((ret.get("i2t") or {}).get("R@1")), pct(ret.get("hard_negative_mean")),
                         pts(g.get("vqa"), rg.get("vqa")) if ref and name != "reference" else "-",
                         pts((ret.get("t2i") or {}).get("R@1"), (rret.get("t2i") or {}).get("R@1")) if ref and name != "reference" else "-",
                         f"{ev['scenes']}/{ev['retrieval_scenes']}"])
        if rows:
            self.w(*table(["run", "paper table", "variant", "schedule", "K", "VQA", "reading", "caption F1", "T2I R@1", "I2T R@1",
                           "hard-neg", "VQA vs ref", "T2I vs ref", "scenes (VQA/retr.)"], rows), "")
        else:
            self.w("**No ablation has been run yet.**", "")
        if todo:
            self.w("Not run (no `eval.json`), so no numbers are reported for them:", "")
            for name, tab, flags, what, r in todo:
                state = "trained, not evaluated" if r and r.get("done") else "in training or started" if r else "not started"
                self.w(f"- `{name}` (Table {tab}: {what}; train.py `{flags or 'default flags'}`), {state}:", "", "  ```sh",
                       f"  {PY} -m fwd2bot.ablations --out runs/ablations --samples {ABLATION_SAMPLES} --only {name}", "  ```")
            self.w("")
        self.w("Paper ablations at 16 tokens (LLaVA-1.5-7B), quoted:", "")
        self.w(*table(["variant", *PAPER_ABL_COLS], [[k, *v] for k, v in PAPER_ABL.items()]))
        # findings: direction of each effect vs the paper's
        if ref and kabl:
            rr = ref["results"]
            pb = PAPER_ABL["both (Fwd2Bot)"]
            for name, tab, paper_row, _, what in ABLATIONS[1:]:
                ev = (runs.get(name) or {}).get("eval")
                if not ev or not paper_row:
                    continue
                res = ev["results"]
                dv = res.get(f"fwd2bot_k{kabl}", {}).get("vqa"), rr.get(f"fwd2bot_k{kabl}", {}).get("vqa")
                dr = (res.get("fwd2bot_retrieval", {}).get("t2i", {}).get("R@1"), rr.get("fwd2bot_retrieval", {}).get("t2i", {}).get("R@1"))
                pr = PAPER_ABL[paper_row]
                p_gen, p_ret = pr[0] - pb[0], pr[3] - pb[3]  # MMB, Flickr T2I
                parts = []
                # two standard errors of the difference of two independent proportions: below it, the sign is noise
                two_se = lambda p1, n1, p2, n2: 2 * math.sqrt(binom_se(p1, n1) ** 2 + binom_se(p2, n2) ** 2)
                noise = lambda d, band: f", within noise: ±{100 * band:.1f} at 2 SE" if abs(d) < band else f", ±{100 * band:.1f} at 2 SE"
                if None not in dv:
                    d = dv[0] - dv[1]
                    band = two_se(dv[0], res[f"fwd2bot_k{kabl}"].get("n_questions", 0), dv[1], rr[f"fwd2bot_k{kabl}"].get("n_questions", 0))
                    parts.append(f"VQA {100 * d:+.1f} points (paper MMB {p_gen:+.1f}"
                                 + (", same direction" if (d > 0) == (p_gen > 0) or abs(p_gen) < 0.5 and abs(d) < 0.01 else ", opposite direction")
                                 + noise(d, band) + ")")
                if None not in dr:
                    d = dr[0] - dr[1]
                    band = two_se(dr[0], ev.get("retrieval_scenes", 0), dr[1], ref.get("retrieval_scenes", 0))
                    parts.append(f"T2I R@1 {100 * d:+.1f} (paper Flickr T2I {p_ret:+.1f}"
                                 + (", same direction" if (d > 0) == (p_ret > 0) or abs(p_ret) < 0.5 and abs(d) < 0.01 else ", opposite direction")
                                 + noise(d, band) + ")")
                if parts:
                    self.findings.append(f"**Ablation `{name}`** (Table {tab}, {what}) vs `reference`: " + "; ".join(parts) + ".")
        missing_names = [n for n, *_ in ABLATIONS if not (runs.get(n) or {}).get("eval")]
        if missing_names:
            self.findings.append(f"**Not tested here:** ablations {', '.join(f'`{n}`' for n in missing_names)} have no numbers "
                                 f"yet, so this report makes no claim about them.")

    # -- Fig. 4 ----------------------------------------------------------------------------------------------
    def fig4(self) -> None:
        self.section("Fig. 4 analogue: attention density of pass 1")
        ad = (self.an or {}).get("attention_density")
        if not ad:
            self.w(*missing("attention maps", f"{PY} -m fwd2bot.analysis --weights runs/default/fwd2bot.safetensors --out analysis.json"))
            return
        self.w(f"Pass 1's K summary tokens attending over the V = {ad['V']} vision tokens, against the base model reading all "
               f"vision tokens and the caption prompt (its text positions attending over the image), {len(ad['scenes'])} test scenes, "
               f"PyTorch. Density = {ad['metric']}. 'Mass on the image' = the attention probability that lands on vision tokens "
               f"at all (the rest goes to <s> and the text).", "")
        rows = []
        names = [("fwd2bot_pass1", "Fwd2Bot pass 1 (summary tokens)"), ("base", "base model (caption prompt tokens)")]
        for key, label in names:
            if key in ad:
                rows.append([label, f"{ad[key]['density']:.3f}", *[f"{x:.3f}" for x in ad[key]["density_by_layer"]],
                             f"{100 * float(np.mean(ad[key]['vision_mass_by_layer'])):.1f}%"])
        L = len(ad["base"]["density_by_layer"])
        self.w(*table(["attention of", "density (mean)", *[f"layer {i}" for i in range(L)], "mass on the image"], rows), "")
        fig = self.plot_density(ad)
        self.w(f"![attention density per layer]({fig})", "")
        maps = self.plot_maps(ad)
        if maps:
            self.w(f"![pass-1 attention over the image]({maps})", "")
        if "fwd2bot_pass1" in ad:
            a, b = ad["fwd2bot_pass1"]["density"], ad["base"]["density"]
            self.findings.append(
                f"**Attention density (Fig. 4).** Summary tokens spread their pass-1 attention over {100 * a:.0f}% of the image's "
                f"effective patch count, the base model's prompt tokens over {100 * b:.0f}%; "
                + (f"the summary tokens attend {a / max(1e-9, b):.1f}x more densely, as in the paper." if a > b * 1.05 else
                   "not the paper's dense-vs-sparse contrast" + (f" (the base model already spreads its attention over most of "
                                                                   f"our {ad['V']} coarse patches)." if b > 0.5 else ".")))

    def plot_density(self, ad: dict) -> str:
        plt = self.plots.plt
        fig, axes = plt.subplots(1, 2, figsize=(8, 2.8))
        for key, label, style in (("fwd2bot_pass1", "Fwd2Bot pass 1", "o-"), ("base", "base model", "s--")):
            if key in ad:
                L = len(ad[key]["density_by_layer"])
                axes[0].plot(range(L), ad[key]["density_by_layer"], style, label=label)
                axes[1].plot(range(L), [100 * m for m in ad[key]["vision_mass_by_layer"]], style, label=label)
        axes[0].set_ylim(0, 1.05)
        axes[0].set_title("density over the image (1 = even)")
        axes[1].set_title("attention mass on the image (%)")
        for ax in axes:
            ax.set_xlabel("decoder layer")
        axes[0].legend(fontsize=7, loc="lower left")
        fig.tight_layout()
        return self.plots.save(fig, "attention_density.svg")

    def plot_maps(self, ad: dict, n: int = 3) -> str | None:
        scenes = ad["scenes"][:n]
        if not scenes:
            return None
        ts_maps = {m["scene"]: m for m in (self.ts or {}).get("attentionMaps", {}).get("maps", [])}
        cols = [("image", None)] + [(lbl, k) for k, lbl in (("fwd2bot_pass1", "Fwd2Bot pass 1 (PyTorch)"),) if k in ad]
        if any(s in ts_maps for s in scenes):
            cols.append(("pass 1, TS engine", "ts"))
        cols.append(("base model", "base"))
        gr, gc = ad["grid"]
        plt = self.plots.plt
        fig, axes = plt.subplots(len(scenes), len(cols), figsize=(2 * len(cols), 2 * len(scenes)), squeeze=False)
        for r, s in enumerate(scenes):
            for c, (label, key) in enumerate(cols):
                ax = axes[r][c]
                ax.set_xticks([])
                ax.set_yticks([])
                if key is None:
                    ax.imshow(world.render(world.scene("test", s), 64, 4))
                elif key == "ts":
                    if s in ts_maps:
                        ax.imshow(np.array(ts_maps[s]["heat"]).reshape(gr, gc), cmap="magma")
                else:
                    h = np.array(ad[key]["heat"][ad["scenes"].index(s)])
                    ax.imshow((h / max(h.sum(), 1e-12)).reshape(gr, gc), cmap="magma")
                if r == 0:
                    ax.set_title(label, fontsize=8)
            axes[r][0].set_ylabel(f"test {s}", fontsize=8)
        fig.tight_layout()
        return self.plots.save(fig, "attention_maps.png")

    # -- Fig. 5 ----------------------------------------------------------------------------------------------
    def fig5(self) -> None:
        self.section("Fig. 5 analogue: captions as K grows")
        cv = (self.an or {}).get("captions_vs_k")
        if not cv:
            self.w(*missing("captions per K", f"{PY} -m fwd2bot.analysis --weights runs/default/fwd2bot.safetensors --out analysis.json"))
            return
        self.w("Greedy captions (\"describe the image .\") from the first K' summary tokens of the same stored tokens (nested K, "
               "PyTorch), with each caption's object-F1 against the scene.", "")
        for s in cv["scenes"]:
            img = self.scene_image(s["scene"])
            self.w(f"**test scene {s['scene']}** ![scene {s['scene']}]({img})", "", f"- truth: {s['gold']}")
            for k in cv["ks"]:
                c = s["by_k"][str(k)]
                self.w(f"- K' = {k} (F1 {pct(c['object_f1'], 0)}%): {c['caption'] or '(empty)'}")
            self.w("")
        f1 = {k: float(np.mean([s["by_k"][str(k)]["object_f1"] for s in cv["scenes"]])) for k in cv["ks"]}
        if len(f1) > 1:
            kk = sorted(f1)
            mono = all(f1[a] <= f1[b] + 1e-9 for a, b in zip(kk, kk[1:]))
            grows = f1[kk[-1]] > f1[kk[0]] + 1e-9
            self.findings.append(
                f"**Captions vs K (Fig. 5).** Mean object-F1 over the shown scenes: "
                + ", ".join(f"K'={k} {100 * f1[k]:.0f}%" for k in kk)
                + (" - detail grows with K, as in the paper." if mono and grows else
                   " - flat on these scenes." if mono else
                   " - not monotone on these few scenes (Table 1/2 above has the many-scene numbers)."))

    def scene_image(self, i: int) -> str:
        from PIL import Image
        name = f"scene_{i:05d}.png"
        Image.fromarray(world.render(world.scene("test", i), 64, 4)).resize((96, 96), Image.NEAREST).save(self.plots.folder / name)
        self.plots.written.append(name)
        return f"{self.plots.rel}/{name}"

    # -- Fig. 6 ----------------------------------------------------------------------------------------------
    def fig6(self) -> None:
        self.section("Fig. 6 analogue: masking groups of summary tokens")
        mk = (self.an or {}).get("masking")
        if not mk:
            self.w(*missing("masking numbers", f"{PY} -m fwd2bot.analysis --weights runs/default/fwd2bot.safetensors --out analysis.json"))
            return
        self.w(f"VQA from all K = {mk['K']} stored tokens when pass 2 may not attend to some of them (positions unchanged), "
               f"{mk['scenes']} test scenes, PyTorch.", "")
        cfg = mk["configs"]
        base = next(c for c in cfg if c["name"] == "none")
        rows = [[c["name"], pct(c["vqa"]), pts(c["vqa"], base["vqa"]),
                 *[pct(c["vqa_by_type"].get(t)) for t in world.QUESTION_TYPES]] for c in cfg]
        self.w(*table(["masked tokens", "VQA", "vs none", *world.QUESTION_TYPES], rows), "")
        plt = self.plots.plt
        fig, ax = plt.subplots(figsize=(7, 2.8))
        ax.bar(range(len(cfg)), [100 * c["vqa"] for c in cfg], color=["gray"] + ["tab:blue"] * (len(cfg) - 1))
        ax.set_xticks(range(len(cfg)), [c["name"] for c in cfg], fontsize=7, rotation=20)
        ax.set_ylabel("VQA %")
        fig.tight_layout()
        self.w(f"![VQA with masked summary tokens]({self.plots.save(fig, 'masking.svg')})")
        first = next((c for c in cfg if c["name"].startswith("first half")), None)
        second = next((c for c in cfg if c["name"].startswith("second half")), None)
        if first and second:
            cf, cs = base["vqa"] - first["vqa"], base["vqa"] - second["vqa"]
            self.findings.append(
                f"**Which tokens matter (Fig. 6).** Masking the first half of the summary tokens changes VQA by {-100 * cf:+.1f} "
                f"points ({-100 * cf / max(1e-9, base['vqa']):+.0f}% relative), the second half by {-100 * cs:+.1f}. The paper: masking the first 8 "
                f"of 16 costs ~10%, earlier tokens carrying coarser, more essential information. "
                + ("Same ordering here" if cf > cs + 1e-9 else "No difference here" if abs(cf - cs) <= 1e-9 else "Opposite ordering here")
                + (" (nested-K training, which teaches a prefix of the tokens to answer alone, pushes the same way)." if cf > cs + 1e-9 else "."))

    # -- performance -----------------------------------------------------------------------------------------
    def performance(self) -> None:
        self.section("Performance")
        K, d, V = self.K, self.d, self.V
        if K and d and V:
            self.w("**Bytes per photo** (fp16; computed from the package manifest, and at the paper's scale: LLaVA-1.5-7B, "
                   "d = 4096, V = 576, a CLIP ViT-L/14 vector of 768):", "")
            rows = [["Fwd2Bot summary tokens (chat + search)", f"2·K·d = 2·{K}·{d}", kib(2 * K * d), f"2·16·4096 = {kib(2 * 16 * 4096)}"],
                    ["all vision tokens (what LLaVA re-reads)", f"2·V·d = 2·{V}·{d}", kib(2 * V * d), kib(2 * 576 * 4096)],
                    ["one CLIP-style vector (search only, no chat)", f"2·d = 2·{d}", kib(2 * d), kib(2 * 768)]]
            self.w(*table(["representation", "formula", "this model", "paper scale"], rows), "")
            self.w(f"The library also stores each photo's search embedding (the mean of the K tokens, 2·d = {kib(2 * d)}) so "
                   f"that search does not read the tokens. Ours: {V / K:.0f}x smaller than the vision tokens; at the paper's scale "
                   f"36x.", "")
        else:
            self.w("*Bytes per photo: no model manifest given (`--model`).*", "")
        perf = (self.ts or {}).get("perf")
        if perf:
            mc = self.ts["machine"]
            self.w(f"**Measured in this run** (cli/evaluate.ts on the evaluated model, onnxruntime-node CPU, one process with "
                   f"{perf.get('threads', self.ts['threads'])} thread(s), after the evaluation) on **{mc['cpu']}**, {mc['logicalCores']} logical cores, {mc['memoryGiB']} GiB, {mc['platform']}, "
                   f"Node {mc['node']}, onnxruntime-node {mc['onnxruntimeNode']}; {self.ts['measuredAt']}:", "")
            t = perf["ttft"]
            rows = [["time to first token from stored tokens (K = %d)" % t["K"], ms(t["fwd2botMs"]), "1.00x"],
                    [f"... from K' = {t['smallestK']} stored tokens", ms(t["fwd2botSmallestKMs"]), f"{t['fwd2botSmallestKMs'] / t['fwd2botMs']:.2f}x"],
                    [f"... from the photo: vision encoder + all V = {t['V']} tokens", ms(t["baseWithEncoderMs"]), f"{t['ratioWithEncoder']:.2f}x"],
                    [f"... all V = {t['V']} vision tokens already computed (prefill only)", ms(t["basePrefillOnlyMs"]),
                     f"{t['ratioPrefillOnly']:.2f}x (sequence-length ratio {t['expectedPrefillRatio']:.2f}x)"]]
            self.w(*table(["time to first token (median)", "ms", "vs stored tokens"], rows), "")
            self.w(f"Decoding: {perf['decode']['tokensPerSecond']} tokens/s. Indexing: {perf['indexing']['photosPerSecond']} photos/s "
                   f"({perf['indexing']['what']}, {perf['indexing']['photos']} photos). Search over N stored embeddings "
                   f"(query embedding {ms(perf['search']['embedTextMs'])} + JS scan):", "")
            self.w(*table(["N photos", "scan", "query + scan"], [[f"{s['N']:,}", ms(s["jsScanMs"]), ms(s["totalWithQueryMs"])]
                                                                for s in perf["search"]["sizes"]]), "")
            fig = self.plot_search(perf)
            if fig:
                self.w(f"![search latency vs library size]({fig})", "")
            self.findings.append(
                f"**Speed.** Chatting from stored tokens reaches the first token {t['ratioWithEncoder']:.1f}x sooner than reading the "
                f"photo again ({ms(t['fwd2botMs'])} vs {ms(t['baseWithEncoderMs'])} here); with the vision tokens precomputed the "
                f"prefill alone is {t['ratioPrefillOnly']:.2f}x (the sequence is {t['expectedPrefillRatio']:.2f}x longer). "
                + ("Below the sequence-length ratio: at our size fixed per-run costs weigh as much as the tokens; the paper's "
                   "O(N_LLM (V + Q)) vs O(N_LLM (K + Q)) saving shows in full only with V >> K and a large LLM."
                   if t["ratioPrefillOnly"] < t["expectedPrefillRatio"] else
                   "At or above the sequence-length ratio, as the paper's O(N_LLM (V + Q)) vs O(N_LLM (K + Q)) predicts."))
        else:
            self.w("*No speed numbers from this run (cli/evaluate.ts ran with `--perf false`, or did not run).*", "")
        self.bench_section()

    def plot_search(self, perf: dict) -> str | None:
        series = [("Node, this run (JS scan)", [(s["N"], s["totalWithQueryMs"]) for s in perf["search"]["sizes"]])]
        for name, b in self.bench_files().items():
            if name == "engine" and isinstance(b.get("backends"), dict):
                for be, v in b["backends"].items():
                    if isinstance(v, dict) and v.get("search"):
                        series.append((f"browser {be} (bench, {b.get('model')})", [(s["N"], s["totalWithQueryMs"]) for s in v["search"]["sizes"]]))
        plt = self.plots.plt
        fig, ax = plt.subplots(figsize=(5, 3))
        for label, pts_ in series:
            ax.plot([p[0] for p in pts_], [p[1] for p in pts_], "o-", label=label)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("photos in the library")
        ax.set_ylabel("text query latency (ms)")
        ax.legend(fontsize=6, loc="upper left")
        fig.tight_layout()
        return self.plots.save(fig, "search_latency.svg")

    def bench_files(self) -> dict:
        root = Path(self.a.bench) if self.a.bench else None
        if not root or not root.exists():
            return {}
        return {p.stem: json.loads(p.read_text()) for p in sorted(root.glob("*.json"))}

    def bench_section(self) -> None:
        b = self.bench_files()
        model_dir = str(self.a.model or "").strip("/")
        self.w("**From `npm run bench`** (bench/results/*.json, separate runs; the files name the browser or Node version but "
               "not the CPU):", "")
        if not b:
            self.w("*No bench results: run `npm run bench` (results in bench/results/).*")
            return
        rows = []
        for name in ("engine-node", "engine"):
            r = b.get(name)
            if not r:
                cmd = {"engine-node": "engine.bench.node", "engine": "engine.bench.browser"}[name]
                rows.append([name, "-", "-", "-", "-", "-", "-", f"missing: `npm run bench -- {cmd}`"])
                continue
            # the browser bench names the package by URL: public/ is served at the root ("/models/default/")
            served = lambda path: str(path).strip("/").removeprefix("public/")
            other = served(r.get("model", "")) != served(model_dir)
            where = r.get("node") and f"Node {r['node']}" or (r.get("userAgent", "")[:60] + "...")
            backs = {"onnxruntime-node": r} if name == "engine-node" else r.get("backends", {})
            for be, v in backs.items():
                if not isinstance(v, dict) or "ttft" not in v:
                    continue
                t = v["ttft"]
                big = max(v["search"]["sizes"], key=lambda s: s["N"]) if v.get("search") else None
                rows.append([f"{name} / {be}", r.get("measuredAt", "?")[:10], f"`{r.get('model')}`" + (" (**not this model**)" if other else ""),
                             ms(t["fwd2botMs"]), f"{t['ratioWithEncoder']:.2f}x", f"{v['indexing']['photosPerSecond']}",
                             f"{ms(big['totalWithQueryMs'])} @ {big['N']:,}" if big else "-", where])
        self.w(*table(["bench / backend", "date", "model", "TTFT stored", "TTFT photo / stored", "photos/s", "search", "runtime"], rows), "")
        if any("not this model" in str(r[2]) for r in rows):
            self.w(f"Rows marked *not this model* were measured on another package: rerun `npm run bench -- engine` once "
                   f"`{model_dir}` exists (the benches pick up public/models/default).", "")
        notes = {b[n].get("note") for n in ("engine-node", "engine") if isinstance(b.get(n), dict) and b[n].get("note")}
        for n in sorted(notes):
            self.w(f"> {n}")

    # -- discussion / provenance -------------------------------------------------------------------------------
    def discussion(self) -> None:
        self.section("Honest discussion")
        self.w("Statements below are computed from the tables above each time the report is generated.", "")
        self.w(*(f"- {f}" for f in self.findings) if self.findings else ["- *No numbers to discuss yet.*"])
        if self.V and self.K:
            self.w(f"- **Scale.** The paper compresses 576 vision tokens of a 7B model to 16 (36x); we compress {self.V} tokens of a "
                   f"d = {self.d} model trained from scratch to {self.K} ({self.V / self.K:.0f}x), on a closed synthetic world "
                   f"with a {len(world.vocabulary())}-word vocabulary, exact-match answers and object-F1 instead of CIDEr. Agreement "
                   f"in direction is what this can show; absolute numbers are not comparable with the paper's.")

    def provenance(self) -> None:
        self.section("How this report was made")
        st = self.steps or {}
        self.w("```sh", st.get("command", "node scripts/reproduce.mjs"), "```", "")
        if st.get("steps"):
            self.w(*table(["step", "command", "wall s", "CPU s", "status"],
                          [[s["name"], f"`{s['command']}`", f"{s['seconds']:.1f}",
                            "-" if s.get("cpuSeconds") is None else f"{s['cpuSeconds']:.1f}", s.get("status", "ok")]
                           for s in st["steps"]]), "")
            if st.get("machine"):
                self.w(f"Machine: {st['machine']}.", "")
        sizes = []
        if self.pt:
            sizes.append(f"PyTorch evaluate.py: {self.pt['scenes']} scenes for VQA/captions, {self.pt['retrieval_scenes']} for retrieval "
                         f"({self.pt.get('seconds', 0):.0f} s)")
        if self.ts:
            sizes.append(f"TS engine: {self.ts['scenes']} / {self.ts['retrieval_scenes']} scenes, {self.ts.get('workers', 1)} worker "
                         f"process(es) ({self.ts['seconds']['total']:.0f} s wall, {self.ts['seconds'].get('cpu', 0):.0f} s CPU)")
        if self.an:
            sizes.append(f"PyTorch analysis: {self.an['scenes']} / {self.an['retrieval_scenes']} scenes, Fig. 4 on "
                         f"{len(self.an['attention_density']['scenes'])}, Fig. 6 on {self.an['masking']['scenes']} "
                         f"({self.an['seconds']['total']:.0f} s)")
        if sizes:
            self.w("Sizes: " + "; ".join(sizes) + ". The engine path decodes one question at a time in Node, so it scores fewer "
                   "scenes than PyTorch's batched evaluation; the same-item comparison uses the engine's scenes on both sides.", "")
        sched = self.schedule()
        if sched:
            self.w(f"Training schedule of the evaluated run (`{self.a.run}/log.jsonl`, samples seen per stage): {sched}.", "")
        self.w("Inputs: " + ", ".join(f"`{p}`" for p in (self.a.pytorch_eval, self.a.ts_eval, self.a.analysis, self.a.ablations,
                                                          self.a.bench, self.a.model) if p) + ".")

    def schedule(self) -> str | None:
        log = Path(self.a.run) / "log.jsonl" if self.a.run else None
        if not log or not log.exists():
            return None
        best: dict[str, int] = {}
        for line in log.read_text().splitlines():
            try:
                r = json.loads(line)
            except json.JSONDecodeError:
                continue
            best[r["stage"]] = max(best.get(r["stage"], 0), r.get("samples", 0))
        return ", ".join(f"{s} {n:,}" for s, n in best.items())

    def build(self) -> str:
        self.header()
        body_start = len(self.lines)
        self.deployment()
        self.table12()
        self.table34()
        self.ablations()
        self.fig4()
        self.fig5()
        self.fig6()
        self.performance()
        body = self.lines[body_start:]
        self.lines = self.lines[:body_start]
        self.summary()  # after the sections, so it can use what they computed; placed first
        self.lines += body
        self.discussion()
        self.provenance()
        return "\n".join(self.lines).rstrip() + "\n"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pytorch-eval", type=Path)
    ap.add_argument("--ts-eval", type=Path)
    ap.add_argument("--analysis", type=Path)
    ap.add_argument("--ablations", type=Path, default=Path("runs/ablations"))
    ap.add_argument("--bench", type=Path, default=Path("bench/results"))
    ap.add_argument("--model", type=Path, default=Path("public/models/default"))
    ap.add_argument("--run", type=Path, default=Path("runs/default"), help="training run (its log.jsonl gives the schedule)")
    ap.add_argument("--steps", type=Path)
    ap.add_argument("--out", type=Path, default=Path("docs/REPRODUCTION.md"))
    ap.add_argument("--plots", type=Path, help="plot folder (default: <out dir>/reproduction)")
    ap.add_argument("--plots-rel", help="how the markdown links the plot folder (default: its path relative to --out)")
    a = ap.parse_args(argv)
    a.plots = a.plots or a.out.parent / "reproduction"
    if a.plots_rel is None:
        import os
        a.plots_rel = os.path.relpath(a.plots, a.out.parent)
    a.out.parent.mkdir(parents=True, exist_ok=True)
    md = Report(a).build()
    a.out.write_text(md)
    print(f"wrote {a.out}", flush=True)


if __name__ == "__main__":
    main()
