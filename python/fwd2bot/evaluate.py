"""Evaluation on the held-out test split (never seen in training): VQA exact match by question type,
caption object-F1, retrieval R@1/5/10 both ways, hard-negative accuracy by type; for the full-token base
model, average-pool-to-K and CLS-attention pruning-to-K (PruMerge-style) baselines, the E5-V-style
zero-shot embedding of the base model, and Fwd2Bot at K = 16, 8, 4, 1.

    python -m fwd2bot.evaluate --run runs/default            # writes runs/default/eval.json + eval.md
"""
from __future__ import annotations

import argparse
import json
import math
import os
import re
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from safetensors.torch import load_file

from . import data, text, world
from . import fwd2bot as fb
from .model import ModelConfig, TinyLlava

E5V_IMAGE = "summary above image in one word :"
E5V_TEXT = "summary above sentence in one word :"
POS_RE = "|".join(sorted(world.CELL_NAMES, key=len, reverse=True))
OBJ_RE = re.compile(rf"an? (small|large) (\w+) (\w+) (?:at the|in the) ({POS_RE})\b")
SIGN_RE = re.compile(rf"a sign that says (\w) (?:at the|in the) ({POS_RE})\b")


def load_model(path: Path) -> TinyLlava:
    from safetensors import safe_open
    with safe_open(str(path), "pt") as f:
        meta = f.metadata() or {}
    cfg = ModelConfig.from_dict(json.loads(meta["config"])) if "config" in meta else None
    sd = load_file(str(path))
    m = TinyLlava(cfg or ModelConfig())
    stages = sorted({k.split(".lora_A.")[1] for k in sd if ".lora_A." in k})
    if stages:
        m.add_lora(tuple(stages))
    if any(k.startswith("single_forward.") for k in sd):
        m.single_forward = fb.InputSpaceCompressor(m.cfg.text.hidden_size, m.cfg.num_summary_tokens)
    m.load_state_dict(sd, strict=True)
    m.options = json.loads(meta.get("options", "{}"))
    return m.eval()


def scene_facts(sc: world.Scene) -> set:
    return {("sign", o.char.lower(), world.CELL_NAMES[o.cell]) if o.shape == "sign"
            else (o.size, o.color, o.shape, world.CELL_NAMES[o.cell]) for o in sc.objects}


def caption_facts(cap: str) -> set:
    facts = {m.groups() for m in OBJ_RE.finditer(cap)}
    facts |= {("sign",) + m.groups() for m in SIGN_RE.finditer(cap)}
    return facts


# -- image blocks for the different methods ------------------------------------------------------------

def pool_to_k(hv: torch.Tensor, k: int) -> torch.Tensor:
    """Average-pool the (g x g) grid of vision tokens to k tokens. (B, V, d) -> (B, k, d)."""
    B, V, d = hv.shape
    g = int(math.isqrt(V))
    rows = {1: 1, 2: 1, 4: 2, 8: 2, 16: 4, 32: 4, 64: 8}[k]
    grid = hv.transpose(1, 2).reshape(B, d, g, g)
    return F.adaptive_avg_pool2d(grid, (rows, k // rows)).flatten(2).transpose(1, 2)


@torch.no_grad()
def cls_attention(model: TinyLlava, pixels: torch.Tensor) -> torch.Tensor:
    """Attention of the CLS token over patches in the last vision layer, mean over heads. (B, V)."""
    vt = model.model.vision_tower
    hs = vt.hidden_states(pixels)
    layer = vt.encoder.layers[-1]
    x = layer.layer_norm1(hs[-2])
    att = layer.self_attn
    B, N, dv = x.shape
    q = att.q_proj(x[:, :1]).view(B, 1, att.h, -1).transpose(1, 2)
    k = att.k_proj(x).view(B, N, att.h, -1).transpose(1, 2)
    p = ((q @ k.transpose(-1, -2)) / math.sqrt(q.shape[-1])).softmax(-1)  # (B, h, 1, N)
    return p.mean(1)[:, 0, 1:]


def prune_to_k(model: TinyLlava, pixels: torch.Tensor, hv: torch.Tensor, k: int) -> torch.Tensor:
    """Training-free PruMerge/FastV-style baseline: keep the k vision tokens the CLS attends to most,
    in their original order. (B, V, d) -> (B, k, d)."""
    idx = cls_attention(model, pixels).topk(k, -1).indices.sort(-1).values
    return torch.gather(hv, 1, idx[..., None].expand(-1, -1, hv.shape[-1]))


def image_blocks(model: TinyLlava, pixels: torch.Tensor, method: str, k: int):
    """-> (block (B, n, d), generation stage) for a method name."""
    hv = model.encode_image(pixels)
    if method == "base":
        return hv, None
    if method == "avgpool":
        return pool_to_k(hv, k), None
    if method == "prune":
        return prune_to_k(model, pixels, hv, k), None
    opts = getattr(model, "options", {})
    if opts.get("double_forward", True) is False:
        hc = model.single_forward(hv)
    else:
        lora = opts.get("lora", "stage")
        stage = {"stage": "compress", "single": "shared", "full": None}[lora]
        hc = fb.compress_image(model, hv, opts.get("bidirectional", False), stage)
    gen = {"stage": "generate", "single": "shared", "full": None}[opts.get("lora", "stage")]
    return hc[:, :k], gen


def prefix(model: TinyLlava, block: torch.Tensor, question: str) -> torch.Tensor:
    """(n, d) image block -> (1 + n + len(prompt), d) embeddings of <s> block user : q assistant :"""
    dev = block.device
    bos = model.embed(torch.tensor([text.BOS], device=dev))
    q = model.embed(torch.tensor(text.prompt_ids(question), device=dev))
    return torch.cat([bos, block, q], 0)


@torch.no_grad()
def eval_generation(model, images, scenes, method, k, batch=32, captions=True) -> dict:
    per_type: dict[str, list[int]] = {t: [] for t in world.QUESTION_TYPES}
    tp = fp = fn = 0
    exact_caps = 0
    examples = []
    for s0 in range(0, len(scenes), batch):
        idx = list(range(s0, min(len(scenes), s0 + batch)))
        blocks, stage = image_blocks(model, data.to_pixels(images[idx]), method, k)
        prefixes, meta = [], []
        for j, i in enumerate(idx):
            sc, rng = scenes[i], world.language_rng("test", i)
            for qtype, q, a in world.questions(sc, rng):
                prefixes.append(prefix(model, blocks[j], q))
                meta.append((qtype, a, q, i))
        for c0 in range(0, len(prefixes), 256):
            outs = fb.generate(model, prefixes[c0:c0 + 256], stage, max_new=4)
            for (qtype, a, q, i), o in zip(meta[c0:c0 + 256], outs):
                pred = text.decode(o)
                per_type[qtype].append(int(pred == a))
                if len(examples) < 12 and i % 7 == 0:
                    examples.append({"scene": i, "q": q, "gold": a, "pred": pred})
        if captions:
            outs = fb.generate(model, [prefix(model, blocks[j], text.CAPTION_QUESTION) for j in range(len(idx))],
                               stage, max_new=80)
            for j, o in zip(idx, outs):
                cap = text.decode(o)
                gold, got = scene_facts(scenes[j]), caption_facts(cap)
                tp, fp, fn = tp + len(gold & got), fp + len(got - gold), fn + len(gold - got)
                exact_caps += int(gold == got)
    n_all = sum(len(v) for v in per_type.values())
    out = {"vqa": sum(sum(v) for v in per_type.values()) / max(1, n_all),
           "vqa_by_type": {t: (sum(v) / len(v) if v else None) for t, v in per_type.items()},
           "n_questions": n_all, "examples": examples}
    if captions:
        p, r = tp / max(1, tp + fp), tp / max(1, tp + fn)
        out.update({"caption_object_f1": 2 * p * r / max(1e-9, p + r), "caption_precision": p, "caption_recall": r,
                    "caption_exact": exact_caps / len(scenes)})
    return out


@torch.no_grad()
def embeddings(model, images, captions_list, method, batch=64):
    """-> (image embeddings (N, d), fn(text list) -> (M, d)) L2-normalised."""
    ev = []
    for s0 in range(0, len(images), batch):
        pixels = data.to_pixels(images[s0:s0 + batch])
        if method == "e5v":
            model.set_stage(None)
            hv = model.encode_image(pixels)
            B = hv.shape[0]
            tail = model.embed(torch.tensor(text.encode(E5V_IMAGE)))[None].expand(B, -1, -1)
            bos = model.embed(torch.full((B, 1), text.BOS))
            h = model.lm(torch.cat([bos, hv, tail], 1))
            ev.append(F.normalize(h[:, -1], dim=-1))
        else:
            hc, _ = image_blocks(model, pixels, "fwd2bot", model.cfg.num_summary_tokens)
            ev.append(fb.embedding(hc))
    ev = torch.cat(ev)

    def embed_texts(caps: list[str]) -> torch.Tensor:
        out = []
        for c0 in range(0, len(caps), batch):
            chunk = caps[c0:c0 + batch]
            if method == "e5v":
                model.set_stage(None)
                seqs = [[text.BOS] + list(text.encode(c)) + list(text.encode(E5V_TEXT)) for c in chunk]
                L = max(map(len, seqs))
                ids = torch.tensor([[text.PAD] * (L - len(s)) + s for s in seqs])
                mask, pos = fb.padded_mask(ids != text.PAD)
                h = model.lm(model.embed(ids), positions=pos, mask=mask)
                out.append(F.normalize(h[:, -1], dim=-1))
            else:
                opts = getattr(model, "options", {})
                stage = {"stage": "compress", "single": "shared", "full": None}[opts.get("lora", "stage")]
                out.append(fb.embedding(fb.compress_text(model, chunk, opts.get("bidirectional", False), stage)))
        return torch.cat(out)

    return ev, embed_texts


def recall_at(sim: torch.Tensor, ks=(1, 5, 10)) -> dict:
    """sim (Nq, Nc) with the correct candidate of query i at column i."""
    ranks = (sim > sim.diagonal()[:, None]).sum(1)
    return {f"R@{k}": float((ranks < k).float().mean()) for k in ks}


@torch.no_grad()
def eval_retrieval(model, images, scenes, method) -> dict:
    ev, embed_texts = embeddings(model, images, None, method)
    caps = [world.caption(s) for s in scenes]
    et = embed_texts(caps)
    sim = ev @ et.T  # (N images, N captions)
    out = {"t2i": recall_at(sim.T), "i2t": recall_at(sim)}
    # hard negatives: the true caption must score above each SugarCrepe-style negative
    negs, owners, types = [], [], []
    for i, sc in enumerate(scenes):
        for t, neg in world.hard_negatives(sc, world.language_rng("test", i, salt=1)).items():
            negs.append(neg), owners.append(i), types.append(t)
    en = embed_texts(negs)
    owners_t = torch.tensor(owners)
    pos_s = (ev[owners_t] * et[owners_t]).sum(-1)
    neg_s = (ev[owners_t] * en).sum(-1)
    win = (pos_s > neg_s).float()
    out["hard_negative"] = {t: float(win[[j for j, tt in enumerate(types) if tt == t]].mean())
                            for t in world.NEGATIVE_TYPES if t in types}
    out["hard_negative_mean"] = float(np.mean(list(out["hard_negative"].values())))
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--run", type=Path, default=Path("runs/default"))
    ap.add_argument("--base", type=Path, help="base weights (default: <run>/instruct.safetensors)")
    ap.add_argument("--fwd2bot", type=Path, help="Fwd2Bot weights (default: <run>/fwd2bot.safetensors)")
    ap.add_argument("--scenes", type=int, default=2000, help="test scenes for VQA/captions")
    ap.add_argument("--retrieval-scenes", type=int, default=1000)
    ap.add_argument("--ks", default="16,8,4,1")
    ap.add_argument("--skip-baselines", action="store_true")
    ap.add_argument("--quant", default="", help="also evaluate Fwd2Bot at K=16 with weights quantized as the package "
                    "carries them (comma list of int8,int4): the accuracy cost of quantization")
    ap.add_argument("--only", default="", help="comma list of result groups to run (base,baselines,e5v,fwd2bot,"
                    "retrieval,quant); default all")
    ap.add_argument("--out", type=Path)
    ap.add_argument("--merge", action="store_true", help="keep the other results already in --out")
    ap.add_argument("--threads", type=int, default=int(os.environ.get("FWD2BOT_THREADS", "2")))
    a = ap.parse_args(argv)
    torch.set_num_threads(a.threads)
    t0 = time.time()
    n = max(a.scenes, a.retrieval_scenes)
    images = data.image_pool("test", world.SPLIT_SIZES["test"])[:n]
    scenes = [world.scene("test", i) for i in range(n)]
    res: dict = {"split": "test", "scenes": a.scenes, "retrieval_scenes": a.retrieval_scenes, "results": {}}
    ks = [int(k) for k in a.ks.split(",")]
    say = lambda *x: print(*x, file=sys.stderr, flush=True)
    only = set(filter(None, a.only.split(","))) or {"base", "baselines", "e5v", "fwd2bot", "retrieval", "quant"}
    if a.skip_baselines:
        only.discard("baselines")
    base_path = a.base or a.run / "instruct.safetensors"
    if base_path.exists() and only & {"base", "baselines", "e5v"}:
        base = load_model(base_path)
        if "base" in only:
            res["results"]["base"] = eval_generation(base, images, scenes[:a.scenes], "base", 0)
            say("base", json.dumps({k: v for k, v in res["results"]["base"].items() if k != "examples"}))
        if "baselines" in only:
            for k in ks:
                for method in ("avgpool", "prune"):
                    r = eval_generation(base, images, scenes[:a.scenes], method, k, captions=False)
                    res["results"][f"{method}_k{k}"] = r
                    say(method, k, r["vqa"])
        if "e5v" in only:
            res["results"]["e5v_zero_shot"] = eval_retrieval(base, images[:a.retrieval_scenes], scenes[:a.retrieval_scenes], "e5v")
            say("e5v", json.dumps(res["results"]["e5v_zero_shot"]))
    f_path = a.fwd2bot or a.run / "fwd2bot.safetensors"
    if f_path.exists():
        fm = load_model(f_path)
        if "fwd2bot" in only:
            for k in ks:
                r = eval_generation(fm, images, scenes[:a.scenes], "fwd2bot", k)
                res["results"][f"fwd2bot_k{k}"] = r
                say("fwd2bot", k, r["vqa"], r.get("caption_object_f1"))
        if "retrieval" in only:
            res["results"]["fwd2bot_retrieval"] = eval_retrieval(fm, images[:a.retrieval_scenes], scenes[:a.retrieval_scenes], "fwd2bot")
            say("fwd2bot retrieval", json.dumps(res["results"]["fwd2bot_retrieval"]))
        if "quant" in only:
            from .export import dequantize_into_model
            k = fm.cfg.num_summary_tokens
            for q in filter(None, a.quant.split(",")):
                qm = load_model(f_path)
                dequantize_into_model(qm, {"int8": 8, "int4": 4}[q])
                r = eval_generation(qm, images, scenes[:a.scenes], "fwd2bot", k, captions=False)  # VQA only
                res["results"][f"fwd2bot_k{k}_{q}"] = r
                say("fwd2bot", k, q, r["vqa"], r.get("caption_object_f1"))
    res["seconds"] = time.time() - t0
    out = a.out or a.run / "eval.json"
    if a.merge and out.exists():  # add these results to an earlier run's (e.g. groups evaluated separately)
        old = json.loads(out.read_text())
        if (old.get("scenes"), old.get("retrieval_scenes")) != (res["scenes"], res["retrieval_scenes"]):
            sys.exit(f"--merge: {out} was evaluated on {old.get('scenes')}/{old.get('retrieval_scenes')} scenes, not {a.scenes}/{a.retrieval_scenes}")
        res["results"] = {**old["results"], **res["results"]}
        res["seconds"] += old.get("seconds", 0)
    out.write_text(json.dumps(res, indent=1))
    out.with_suffix(".md").write_text(summary_markdown(res))
    say(f"wrote {out}")


def summary_markdown(res: dict) -> str:
    R = res["results"]
    lines = [f"# Held-out evaluation ({res['scenes']} test scenes for VQA/captions, "
             f"{res['retrieval_scenes']} for retrieval)", "",
             "| method | tokens | VQA | " + " | ".join(world.QUESTION_TYPES) + " | caption F1 |",
             "|---|---|---|" + "---|" * len(world.QUESTION_TYPES) + "---|"]
    fmt = lambda v: "-" if v is None else f"{100 * v:.1f}"
    for name, r in R.items():
        if "vqa" not in r:
            continue
        tokens = "64" if name == "base" else name.rsplit("_k", 1)[-1]
        lines.append(f"| {name.rsplit('_k', 1)[0]} | {tokens} | {fmt(r['vqa'])} | "
                     + " | ".join(fmt(r["vqa_by_type"][t]) for t in world.QUESTION_TYPES)
                     + f" | {fmt(r.get('caption_object_f1'))} |")
    lines += ["", "| embedding | T2I R@1 | R@5 | R@10 | I2T R@1 | R@5 | R@10 | hard-neg mean | "
              + " | ".join(world.NEGATIVE_TYPES) + " |", "|---|" + "---|" * (7 + len(world.NEGATIVE_TYPES))]
    for name in ("e5v_zero_shot", "fwd2bot_retrieval"):
        if name in R:
            r = R[name]
            lines.append(f"| {name} | " + " | ".join(fmt(r[d][f"R@{k}"]) for d in ("t2i", "i2t") for k in (1, 5, 10))
                         + f" | {fmt(r['hard_negative_mean'])} | "
                         + " | ".join(fmt(r["hard_negative"].get(t)) for t in world.NEGATIVE_TYPES) + " |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
