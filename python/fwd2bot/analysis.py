"""PyTorch-side numbers for docs/REPRODUCTION.md that python/fwd2bot/evaluate.py does not compute:

  same items   Fwd2Bot VQA / captions (per item) and retrieval on exactly the scenes the TypeScript engine
               scored (cli/evaluate.ts), so deployed-vs-trained differences are not sampling noise
  Fig. 4       attention density of pass 1 (summary tokens over the vision tokens) vs the base model's
               (the text tokens of the caption prompt over the vision tokens)
  Fig. 5       captions as K' grows, for a few scenes
  Fig. 6       VQA when groups of summary tokens are masked out of pass 2

    python -m fwd2bot.analysis --weights runs/default/fwd2bot.safetensors --out analysis.json
    python -m fwd2bot.analysis --weights tiny-random --out analysis.json   # the test fixture's weights

Generation is evaluate.py's: the same image blocks, prefixes, greedy decoding and answer/caption scoring.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import sys
import time
from argparse import Namespace
from pathlib import Path

import numpy as np
import torch

from . import data, text, world
from . import fwd2bot as fb
from .evaluate import caption_facts, eval_retrieval, image_blocks, load_model, prefix, scene_facts
from .model import TinyLlava, rope_cos_sin, rotate_half

VQA_MAX_NEW, CAPTION_MAX_NEW = 4, 80  # evaluate.eval_generation


def load_weights(spec: str) -> TinyLlava:
    """A trainer checkpoint path, or 'tiny-random[:seed]': the weights of `export --tiny-random` (the test
    fixture test/fixtures/tiny-package is exactly these, seed 0)."""
    if spec.startswith("tiny-random"):
        from .export import load_for_export
        seed = int(spec.split(":", 1)[1]) if ":" in spec else 0
        return load_for_export(Namespace(tiny_random=True, seed=seed, hf_dir=None, weights=None))
    return load_model(Path(spec))


def weights_id(spec: str) -> str:
    if spec.startswith("tiny-random"):
        return spec
    h = hashlib.sha256()
    with open(spec, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return f"{spec} (sha256 {h.hexdigest()[:16]})"


def nested_ks(model: TinyLlava) -> list[int]:
    """K' values pass 2 was trained on (evaluate.py cuts hc[:, :k] for any k; the app allows only these)."""
    K = model.cfg.num_summary_tokens
    if not getattr(model, "options", {}).get("nested", True):
        return [K]
    return [k for k in (1, 2, 4, 8, 16, 32, 64) if k <= K]


# -- greedy decoding with masked prefix positions ---------------------------------------------------------

@torch.no_grad()
def generate_masked(model: TinyLlava, prefixes: list[torch.Tensor], stage: str | None, max_new: int,
                    masked: list[int] | None = None) -> list[list[int]]:
    """fb.generate, except that no position attends to the prefix positions `masked` (indices into each
    prefix). Positions are unchanged (RoPE sees the same layout), as masking tokens in the paper's Fig. 6."""
    if not masked:
        return fb.generate(model, prefixes, stage, max_new=max_new)
    model.set_stage(stage)
    B, d = len(prefixes), prefixes[0].shape[-1]
    L = max(p.shape[0] for p in prefixes)
    e = torch.zeros(B, L, d)
    valid = torch.zeros(B, L, dtype=torch.bool)
    for i, p in enumerate(prefixes):
        e[i, L - p.shape[0]:] = p
        valid[i, L - p.shape[0]:] = True
    attend = valid.clone()
    for i, p in enumerate(prefixes):
        for c in masked:
            attend[i, L - p.shape[0] + c] = False
    mask, pos = fb.padded_mask(valid)
    mask = (mask & attend[:, None, None, :]) | torch.eye(L, dtype=torch.bool)[None, None]
    h, past = model.lm(e, positions=pos, mask=mask, return_present=True)
    nxt = model.lm_head(h[:, -1]).argmax(-1)
    out: list[list[int]] = [[] for _ in range(B)]
    done = torch.zeros(B, dtype=torch.bool)
    last = pos[:, -1]
    for _ in range(max_new):
        for i in range(B):
            if not done[i]:
                out[i].append(int(nxt[i]))
        done |= nxt == text.EOS
        if bool(done.all()):
            break
        attend = torch.cat([attend, torch.ones(B, 1, dtype=torch.bool)], 1)
        last = last + 1
        h, past = model.lm(model.embed(nxt[:, None]), positions=last[:, None], mask=attend[:, None, None, :],
                           past=past, return_present=True)
        nxt = model.lm_head(h[:, -1]).argmax(-1)
    return [[t for t in o if t != text.EOS] for o in out]


# -- per-item predictions and evaluate.py's scores --------------------------------------------------------

@torch.no_grad()
def predict(model: TinyLlava, images: np.ndarray, indices: list[int], k: int, method: str = "fwd2bot",
            masked_tokens: list[int] | None = None, captions: bool = True, batch: int = 32) -> dict:
    """Greedy answers to every test question of each scene (world.language_rng('test', i), as evaluate.py)
    and, when asked, its caption, from the first k tokens of the method's image block.
    masked_tokens: indices into the image block that pass 2 may not attend to. -> {answers, captions}"""
    answers: list[list[str]] = []
    caps: list[str] = []
    masked = [1 + t for t in masked_tokens] if masked_tokens else None  # +1: <s> precedes the block
    for s0 in range(0, len(indices), batch):
        idx = indices[s0:s0 + batch]
        blocks, stage = image_blocks(model, data.to_pixels(images[idx]), method, k)
        prefixes, owner = [], []
        for j, i in enumerate(idx):
            for _, q, _ in world.questions(world.scene("test", i), world.language_rng("test", i)):
                prefixes.append(prefix(model, blocks[j], q))
                owner.append(j)
        preds: list[str] = []
        for c0 in range(0, len(prefixes), 256):
            preds += [text.decode(o) for o in generate_masked(model, prefixes[c0:c0 + 256], stage, VQA_MAX_NEW, masked)]
        rows: list[list[str]] = [[] for _ in idx]
        for j, p in zip(owner, preds):
            rows[j].append(p)
        answers += rows
        if captions:
            outs = generate_masked(model, [prefix(model, blocks[j], text.CAPTION_QUESTION) for j in range(len(idx))],
                                   stage, CAPTION_MAX_NEW, masked)
            caps += [text.decode(o) for o in outs]
    return {"answers": answers, "captions": caps if captions else None}


def score(indices: list[int], answers: list[list[str]], captions: list[str] | None) -> dict:
    """evaluate.eval_generation's numbers from per-item predictions."""
    per_type: dict[str, list[int]] = {t: [] for t in world.QUESTION_TYPES}
    for i, row in zip(indices, answers):
        qs = world.questions(world.scene("test", i), world.language_rng("test", i))
        assert len(qs) == len(row), f"scene {i}: {len(qs)} questions, {len(row)} answers"
        for (qtype, _, a), pred in zip(qs, row):
            per_type[qtype].append(int(pred == a))
    n_all = sum(len(v) for v in per_type.values())
    out = {"vqa": sum(sum(v) for v in per_type.values()) / max(1, n_all),
           "vqa_by_type": {t: (sum(v) / len(v) if v else None) for t, v in per_type.items()}, "n_questions": n_all}
    if captions is not None:
        tp = fp = fn = exact = 0
        for i, cap in zip(indices, captions):
            gold, got = scene_facts(world.scene("test", i)), caption_facts(cap)
            tp, fp, fn = tp + len(gold & got), fp + len(got - gold), fn + len(gold - got)
            exact += int(gold == got)
        p, r = tp / max(1, tp + fp), tp / max(1, tp + fn)
        out.update({"caption_object_f1": 2 * p * r / max(1e-9, p + r), "caption_precision": p, "caption_recall": r,
                    "caption_exact": exact / max(1, len(indices))})
    return out


def caption_f1(i: int, cap: str) -> float:
    gold, got = scene_facts(world.scene("test", i)), caption_facts(cap)
    tp = len(gold & got)
    p, r = tp / max(1, len(got)), tp / max(1, len(gold))
    return 2 * p * r / max(1e-9, p + r)


# -- Fig. 4: attention density -----------------------------------------------------------------------------

@torch.no_grad()
def attention_probs(model: TinyLlava, embeds: torch.Tensor, stage: str | None, mask: torch.Tensor | None = None):
    """Softmax attention of every decoder layer for one forward pass. embeds (B, T, d); mask None (causal)
    or bool (B, 1, T, T). -> list over layers of (B, heads, T, T) probabilities."""
    model.set_stage(stage)
    lm = model.lm
    B, T, _ = embeds.shape
    pos = torch.arange(T)[None].expand(B, T)
    cos, sin = rope_cos_sin(pos, lm.c.head_dim, lm.c.rope_theta)
    allowed = torch.ones(T, T, dtype=torch.bool).tril()[None, None] if mask is None else mask
    x, probs = embeds, []
    for layer in lm.layers:
        att = layer.self_attn
        xn = layer.input_layernorm(x)
        q = att.q_proj(xn).view(B, T, att.h, att.hd).transpose(1, 2)
        k = att.k_proj(xn).view(B, T, att.kvh, att.hd).transpose(1, 2)
        q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
        k = k.repeat_interleave(att.h // att.kvh, 1)
        s = (q @ k.transpose(-1, -2)) / math.sqrt(att.hd)
        probs.append(s.masked_fill(~allowed, float("-inf")).softmax(-1))
        x, _ = layer(x, cos, sin, mask)
    return probs


def density(p: torch.Tensor) -> torch.Tensor:
    """Normalised effective number of attended patches: exp(entropy) / V of the attention over the V vision
    keys (renormalised to sum 1). 1 = spread evenly over the whole image, 1/V = one patch. p (..., V) -> (...)."""
    q = p / p.sum(-1, keepdim=True).clamp_min(1e-12)
    ent = -(q * q.clamp_min(1e-12).log()).sum(-1)
    return ent.exp() / p.shape[-1]


@torch.no_grad()
def attention_density(model: TinyLlava, images: np.ndarray, indices: list[int], base: TinyLlava | None = None) -> dict:
    """Paper Fig. 4: how evenly pass 1's summary tokens attend over the image, vs the base model reading all V
    vision tokens and the caption prompt ("user : describe the image . assistant :", its text rows).
    Per layer: mean density (see `density`) and mean attention mass on the vision tokens, over heads, query
    rows and scenes; plus per-scene heat maps over the patch grid (mean over layers, heads and rows)."""
    base = base or model
    opts = getattr(model, "options", {})
    lora = opts.get("lora", "stage")
    c_stage = {"stage": "compress", "single": "shared", "full": None}[lora]
    pixels = data.to_pixels(images[indices])
    hv = model.encode_image(pixels)  # (B, V, d)
    B, V, _ = hv.shape
    K = model.cfg.num_summary_tokens
    # pass 1: [<s>; H_v; X_p; H_r], rows = the K summary positions
    bos = model.embed(torch.full((B, 1), text.BOS))
    e1 = torch.cat([bos, hv, fb.prompt_embeds(model, B), fb.summary_input(model, B)], 1)
    mask1 = None
    if opts.get("bidirectional", False):
        P = len(text.encode(text.COMPRESSION_PROMPT))
        mask1, _ = fb.padded_mask(torch.ones(B, e1.shape[1], dtype=torch.bool), P + K)
    # the single-forward ablation compresses outside the LLM: it has no pass-1 attention
    p1 = attention_probs(model, e1, c_stage, mask1) if opts.get("double_forward", True) else None
    rows1 = slice(e1.shape[1] - K, e1.shape[1])
    # base: [<s>; H_v; user : describe the image . assistant :], rows = those text positions, no adapter
    hvb = base.encode_image(pixels)
    q = base.embed(torch.tensor(text.prompt_ids(text.CAPTION_QUESTION)))[None].expand(B, -1, -1)
    e2 = torch.cat([base.embed(torch.full((B, 1), text.BOS)), hvb, q], 1)
    p2 = attention_probs(base, e2, None)
    rows2 = slice(1 + V, e2.shape[1])
    keys = slice(1, 1 + V)
    g = int(math.isqrt(V))
    out: dict = {"V": V, "grid": [g, V // g] if g * g == V else [1, V], "scenes": indices,
                 "metric": "exp(entropy)/V of each query row's attention over the V vision tokens (renormalised); "
                           "1 = even over the whole image, 1/V = a single patch"}
    runs = [("base", p2, rows2)]
    if p1 is not None:
        runs.insert(0, ("fwd2bot_pass1", p1, rows1))
    for name, probs, rows in runs:
        per_layer, mass, heat = [], [], torch.zeros(B, V)
        for p in probs:
            pv = p[:, :, rows, keys]  # (B, h, R, V)
            per_layer.append(float(density(pv).mean()))
            mass.append(float(pv.sum(-1).mean()))
            heat += pv.mean((1, 2))
        out[name] = {"density_by_layer": per_layer, "density": float(np.mean(per_layer)),
                     "vision_mass_by_layer": mass, "heat": (heat / len(probs)).tolist()}
    model.set_stage(None)
    return out


# -- the whole analysis -------------------------------------------------------------------------------------

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--weights", required=True, help="Fwd2Bot checkpoint (.safetensors), or tiny-random[:seed]")
    ap.add_argument("--base", help="base model for Fig. 4 (default: the Fwd2Bot weights without adapters)")
    ap.add_argument("--scenes", type=int, default=500, help="same-items VQA/captions (the TS engine's scenes)")
    ap.add_argument("--retrieval-scenes", type=int, default=500)
    ap.add_argument("--ks", default="16,8,4,1")
    ap.add_argument("--caption-scenes", type=int, default=4, help="Fig. 5 scenes")
    ap.add_argument("--mask-scenes", type=int, default=300, help="Fig. 6 scenes")
    ap.add_argument("--density-scenes", type=int, default=32, help="Fig. 4 scenes")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--threads", type=int, default=int(os.environ.get("FWD2BOT_THREADS", "2")))
    a = ap.parse_args(argv)
    torch.set_num_threads(a.threads)
    say = lambda *x: print("[analysis]", *x, file=sys.stderr, flush=True)
    t00 = time.time()
    model = load_weights(a.weights)
    base = load_model(Path(a.base)) if a.base else None
    allowed = nested_ks(model)
    ks = [k for k in map(int, a.ks.split(",")) if k in allowed]
    K = model.cfg.num_summary_tokens
    n = max(a.scenes, a.retrieval_scenes, a.caption_scenes, a.mask_scenes, a.density_scenes)
    from .testset import test_images
    images = test_images(n, model.cfg.vision.image_size)
    res: dict = {"format": "fwd2bot-analysis", "version": 1, "weights": weights_id(a.weights),
                 "base": weights_id(a.base) if a.base else "the Fwd2Bot weights with no adapter (same frozen base)",
                 "options": getattr(model, "options", {}), "K": K, "V": model.cfg.vision.num_patches,
                 "d": model.cfg.text.hidden_size, "nested_ks": allowed, "ks": ks, "scenes": a.scenes,
                 "retrieval_scenes": a.retrieval_scenes, "seconds": {}}
    sec = res["seconds"]
    # same items as the TS engine
    t0 = time.time()
    gen_idx = list(range(a.scenes))
    res["results"], res["items"] = {}, {}
    for k in ks:
        pr = predict(model, images, gen_idx, k)
        res["results"][f"fwd2bot_k{k}"] = score(gen_idx, pr["answers"], pr["captions"])
        res["items"][f"fwd2bot_k{k}"] = pr
        say(f"K'={k}: VQA {100 * res['results'][f'fwd2bot_k{k}']['vqa']:.1f}%")
    sec["same_items_generation"] = time.time() - t0
    t0 = time.time()
    scenes = [world.scene("test", i) for i in range(a.retrieval_scenes)]
    res["results"]["fwd2bot_retrieval"] = eval_retrieval(model, images[:a.retrieval_scenes], scenes, "fwd2bot")
    sec["same_items_retrieval"] = time.time() - t0
    # Fig. 5: captions as K' grows
    t0 = time.time()
    cap_idx = list(range(a.caption_scenes))
    fig5 = {"ks": allowed, "scenes": []}
    by_k = {k: predict(model, images, cap_idx, k)["captions"] for k in allowed}
    for j, i in enumerate(cap_idx):
        fig5["scenes"].append({"scene": i, "gold": world.caption(world.scene("test", i)),
                               "by_k": {str(k): {"caption": by_k[k][j], "object_f1": caption_f1(i, by_k[k][j])}
                                        for k in allowed}})
    res["captions_vs_k"] = fig5
    sec["captions_vs_k"] = time.time() - t0
    # Fig. 6: masking groups of summary tokens (VQA only)
    t0 = time.time()
    m_idx = list(range(a.mask_scenes))
    g = max(1, K // 4)
    configs = [("none", [])] + [(f"token {s + 1}" if g == 1 else f"tokens {s + 1}-{s + g}", list(range(s, s + g)))
                                for s in range(0, K, g)]
    if K >= 2:
        configs += [(f"first half (1-{K // 2})", list(range(K // 2))), (f"second half ({K // 2 + 1}-{K})", list(range(K // 2, K)))]
    rows = []
    for name, drop in configs:
        pr = predict(model, images, m_idx, K, masked_tokens=drop, captions=False)
        r = score(m_idx, pr["answers"], None)
        rows.append({"name": name, "masked": drop, "vqa": r["vqa"], "vqa_by_type": r["vqa_by_type"]})
        say(f"mask {name}: VQA {100 * r['vqa']:.1f}%")
    res["masking"] = {"K": K, "scenes": a.mask_scenes, "configs": rows}
    sec["masking"] = time.time() - t0
    # Fig. 4: attention density
    t0 = time.time()
    res["attention_density"] = attention_density(model, images, list(range(a.density_scenes)), base)
    sec["attention_density"] = time.time() - t0
    sec["total"] = time.time() - t00
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps(res) + "\n")
    say(f"wrote {a.out} ({sec['total']:.0f} s)")


if __name__ == "__main__":
    main()
