"""Export a trained checkpoint to the browser's model package (docs/MODEL_PACKAGE.md).

    python -m fwd2bot.export --weights runs/default/fwd2bot.safetensors --out public/models/default --quant int8
    python -m fwd2bot.export --hf-dir path/to/llava-1.5 --adapters fwd2bot_adapters.safetensors --out pkg
    python -m fwd2bot.export --tiny-random --out test/fixtures/tiny-package --quant none   # test fixture

Graphs (TorchScript exporter, opset 17): vision.onnx (pixels -> vision tokens), embed_tokens.onnx,
decoder.onnx (inputs_embeds + KV cache + LoRA factors as inputs -> logits, hidden_states, presents) and the
per-layer graphs for the WGSL attention path. Base weights are initializers, quantized to com.microsoft
MatMulNBits (symmetric, block 32; 8 or 4 bits); LoRA factors are graph inputs, so the app switches stage
by binding the other adapter's tensors. decoder.onnx and the per-layer graphs hold the same weights, so
their initializers live once in decoder_weights.bin (ONNX external data, deduplicated by content) and the
graphs keep only their structure. After export, every graph is checked against PyTorch with Python
onnxruntime, and golden.json records PyTorch reference outputs (of the dequantized weights the package
actually carries) for the engine's tests.
"""
from __future__ import annotations

import argparse
import hashlib
import io
import json
import math
import os
import re
import shutil
import sys
from pathlib import Path

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F
from onnx import TensorProto, helper, numpy_helper
from safetensors.torch import load_file

from . import data, text, world
from . import fwd2bot as fb
from .model import LoRALinear, ModelConfig, TinyLlava, from_hf_state_dict, rotate_half

FORMAT_VERSION = 2  # 2: decoder graphs take their weights from a shared external-data file
SHARED_WEIGHTS = "decoder_weights.bin"
PROJS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
GOLDEN_QUESTIONS = ["what color is the object at the top left ?", "how many objects are there ?",
                    "what is written on the sign ?", "where is the sign ?", text.CAPTION_QUESTION]
GOLDEN_QUERIES = ["a large red circle", "a sign that says k", "a small blue square at the top left",
                  "two green triangles on a striped background"]


# ----------------------------------------------------------------------------------------------------
# Export wrappers: the same math as model.py, with LoRA factors and the KV cache as explicit tensors.

def _lin(x, layer: nn.Linear, a=None, b=None):
    y = F.linear(x, layer.weight, layer.bias)
    if a is not None:
        y = y + F.linear(F.linear(x, a), b)
    return y


def _rope(positions, hd, theta):
    inv = 1.0 / (theta ** (torch.arange(0, hd, 2, dtype=torch.float32) / hd))
    f = positions.float()[..., None] * inv
    emb = torch.cat([f, f], -1)[:, None]  # (1, 1, T, hd)
    return emb.cos(), emb.sin()


class LayerPre(nn.Module):
    """hidden (1,T,d), positions (1,T) -> q (1,T,H*hd), k, v (1,T,kvH*hd), RoPE applied."""

    def __init__(self, model: TinyLlava, i: int):
        super().__init__()
        self.layer, self.c = model.lm.layers[i], model.cfg.text

    def forward(self, hidden, positions, qa, qb, ka, kb, va, vb):
        c, att = self.c, self.layer.self_attn
        x = self.layer.input_layernorm(hidden)
        T = hidden.shape[1]
        q = _lin(x, att.q_proj, qa, qb).view(1, T, att.h, att.hd).transpose(1, 2)
        k = _lin(x, att.k_proj, ka, kb).view(1, T, att.kvh, att.hd).transpose(1, 2)
        v = _lin(x, att.v_proj, va, vb)
        cos, sin = _rope(positions, att.hd, c.rope_theta)
        q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
        return q.transpose(1, 2).reshape(1, T, -1), k.transpose(1, 2).reshape(1, T, -1), v


class LayerPost(nn.Module):
    """hidden (1,T,d), attn (1,T,H*hd) -> hidden_out (1,T,d)."""

    def __init__(self, model: TinyLlava, i: int):
        super().__init__()
        self.layer = model.lm.layers[i]

    def forward(self, hidden, attn, oa, ob, ga, gb, ua, ub, da, db):
        L = self.layer
        h = hidden + _lin(attn, L.self_attn.o_proj, oa, ob)
        x = L.post_attention_layernorm(h)
        m = _lin(F.silu(_lin(x, L.mlp.gate_proj, ga, gb)) * _lin(x, L.mlp.up_proj, ua, ub), L.mlp.down_proj, da, db)
        return h + m


class Final(nn.Module):
    def __init__(self, model: TinyLlava):
        super().__init__()
        self.norm, self.lm_head = model.lm.norm, model.lm_head

    def forward(self, hidden):
        h = self.norm(hidden)
        return self.lm_head(h), h


def attention(q, k, v, past_k, past_v, H, kvH, hd):
    """q (1,T,H*hd), k/v (1,T,kvH*hd), past (1,kvH,P,hd) -> out (1,T,H*hd), present k/v (1,kvH,P+T,hd)."""
    T = q.shape[1]
    q = q.view(1, T, H, hd).transpose(1, 2)
    k = torch.cat([past_k, k.view(1, T, kvH, hd).transpose(1, 2)], 2)
    v = torch.cat([past_v, v.view(1, T, kvH, hd).transpose(1, 2)], 2)
    S = k.shape[2]
    rep = H // kvH
    kk = k[:, :, None].expand(1, kvH, rep, S, hd).reshape(1, H, S, hd)
    vv = v[:, :, None].expand(1, kvH, rep, S, hd).reshape(1, H, S, hd)
    scores = (q @ kk.transpose(-1, -2)) / math.sqrt(hd)  # (1, H, T, S)
    qpos = torch.arange(T)[:, None] + (S - T)
    allowed = torch.arange(S)[None, :] <= qpos  # causal with the past offset
    scores = scores.masked_fill(~allowed, float("-inf"))
    o = scores.softmax(-1) @ vv  # (1, H, T, hd)
    return o.transpose(1, 2).reshape(1, T, H * hd), k, v


class Decoder(nn.Module):
    """The whole decoder with KV cache, LoRA factors as inputs (flat list, layer-major, PROJS order, A then B)."""

    def __init__(self, model: TinyLlava):
        super().__init__()
        c = model.cfg.text
        self.n, self.H, self.kvH, self.hd = c.num_hidden_layers, c.num_attention_heads, c.num_key_value_heads, c.head_dim
        self.pre = nn.ModuleList(LayerPre(model, i) for i in range(self.n))
        self.post = nn.ModuleList(LayerPost(model, i) for i in range(self.n))
        self.final = Final(model)

    def forward(self, inputs_embeds, *rest):
        n = self.n
        past = rest[: 2 * n]
        lora = rest[2 * n:]
        T = inputs_embeds.shape[1]
        P = past[0].shape[2]
        positions = (torch.arange(T) + P)[None]
        h, presents = inputs_embeds, []
        for i in range(n):
            f = lora[i * 14:(i + 1) * 14]
            q, k, v = self.pre[i](h, positions, *f[0:6])
            a, pk, pv = attention(q, k, v, past[2 * i], past[2 * i + 1], self.H, self.kvH, self.hd)
            presents += [pk, pv]
            h = self.post[i](h, a, *f[6:14])
        logits, hidden = self.final(h)
        return (logits, hidden, *presents)


class Vision(nn.Module):
    def __init__(self, model: TinyLlava):
        super().__init__()
        self.m = model

    def forward(self, pixel_values):
        return self.m.encode_image(pixel_values)


class Embed(nn.Module):
    def __init__(self, model: TinyLlava):
        super().__init__()
        self.e = model.lm.embed_tokens

    def forward(self, input_ids):
        return self.e(input_ids)


# ----------------------------------------------------------------------------------------------------
# LoRA tensors

def lora_shapes(model: TinyLlava, rank: int) -> list[tuple[str, tuple[int, int]]]:
    out = []
    for i, layer in enumerate(model.lm.layers):
        for p in PROJS:
            lin = getattr(layer.self_attn, p, None) or getattr(layer.mlp, p)
            out += [(f"lora.{i}.{p}.A", (rank, lin.in_features)), (f"lora.{i}.{p}.B", (lin.out_features, rank))]
    return out


def lora_tensors(model: TinyLlava, stage: str | None) -> list[tuple[str, np.ndarray]]:
    """(name, fp32 array) in decoder-input order; B is pre-multiplied by alpha/r. stage None -> zeros (rank 1)."""
    out = []
    for i, layer in enumerate(model.lm.layers):
        for p in PROJS:
            lin: LoRALinear = getattr(layer.self_attn, p, None) or getattr(layer.mlp, p)
            if stage is None or stage not in lin.lora_A:
                a = np.zeros((1, lin.in_features), np.float32)
                b = np.zeros((lin.out_features, 1), np.float32)
            else:
                a = lin.lora_A[stage].detach().float().numpy()
                b = (lin.lora_B[stage].detach().float() * lin.scaling).numpy()
            out += [(f"lora.{i}.{p}.A", np.ascontiguousarray(a)), (f"lora.{i}.{p}.B", np.ascontiguousarray(b))]
    return out


# ----------------------------------------------------------------------------------------------------
# ONNX export + quantization

def export_graph(module, args, path: Path, input_names, output_names, dynamic_axes) -> None:
    buf = io.BytesIO()
    with torch.no_grad():
        torch.onnx.export(module, args, buf, input_names=input_names, output_names=output_names,
                          dynamic_axes=dynamic_axes, opset_version=17, do_constant_folding=True, dynamo=False)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buf.getvalue())


def quantize_matmuls(path: Path, bits: int, block: int = 32, min_size: int = 16) -> int:
    """Replace MatMul(x, W) with a constant 2-D W (K, N) by com.microsoft MatMulNBits (symmetric, default
    zero point 2^(bits-1), `block` along K, K padded to a multiple of the block). Returns the count."""
    m = onnx.load(str(path))
    g = m.graph
    inits = {t.name: t for t in g.initializer}
    consumers: dict[str, int] = {}
    for nd in g.node:
        for i in nd.input:
            consumers[i] = consumers.get(i, 0) + 1
    new_nodes, replaced, drop = [], 0, set()
    for nd in g.node:
        w = inits.get(nd.input[1]) if nd.op_type == "MatMul" and len(nd.input) == 2 else None
        if w is None or len(w.dims) != 2 or min(w.dims) < min_size:
            new_nodes.append(nd)
            continue
        W = numpy_helper.to_array(w).astype(np.float32)  # (K, N)
        K, N = W.shape
        nb = -(-K // block)
        Wt = np.zeros((N, nb * block), np.float32)
        Wt[:, :K] = W.T
        blocks = Wt.reshape(N, nb, block)
        qmax = 2 ** (bits - 1) - 1
        scale = np.abs(blocks).max(-1) / qmax  # (N, nb)
        scale[scale == 0] = 1.0
        q = np.clip(np.round(blocks / scale[..., None]), -qmax - 1, qmax).astype(np.int32) + 2 ** (bits - 1)
        if bits == 4:
            q = q.astype(np.uint8)
            packed = (q[..., 0::2] | (q[..., 1::2] << 4)).astype(np.uint8)  # low nibble first
        else:
            packed = q.astype(np.uint8)
        base = nd.input[1].replace(":", "_").replace(".", "_")
        qn, sn = f"{base}_q{bits}", f"{base}_scales"
        g.initializer.extend([numpy_helper.from_array(packed, qn), numpy_helper.from_array(scale.astype(np.float32).reshape(-1), sn)])
        new_nodes.append(helper.make_node("MatMulNBits", [nd.input[0], qn, sn], list(nd.output), name=(nd.name or base) + "_nbits",
                                          domain="com.microsoft", K=K, N=N, bits=bits, block_size=block))
        if consumers.get(nd.input[1], 0) == 1:
            drop.add(nd.input[1])
        replaced += 1
    del g.node[:]
    g.node.extend(new_nodes)
    keep = [t for t in g.initializer if t.name not in drop]
    del g.initializer[:]
    g.initializer.extend(keep)
    if replaced and not any(o.domain == "com.microsoft" for o in m.opset_import):
        m.opset_import.append(helper.make_opsetid("com.microsoft", 1))
    onnx.save(m, str(path))
    return replaced


def share_weights(out: Path, graphs: list[Path], data_file: str, min_bytes: int = 1024, align: int = 64) -> dict:
    """Moves every initializer of `graphs` of at least `min_bytes` into one ONNX external-data file `data_file`
    (in `out`), each distinct content once, at `align`-byte offsets. The location written into the graphs is
    `data_file` as the package names it (not relative to the graph's folder): the app and the CLI create
    sessions from bytes and hand onnxruntime the file under that name (`externalData`). Returns counts."""
    blob, at = bytearray(), {}
    stats = {"tensors": 0, "unique": 0, "inlineBytes": 0}
    for gp in graphs:
        m = onnx.load(str(gp))
        for t in m.graph.initializer:
            raw = numpy_helper.to_array(t).tobytes()  # little-endian on every platform this runs on
            if len(raw) < min_bytes:
                continue
            key = hashlib.sha256(raw).digest()
            if key not in at:
                blob += b"\0" * (-len(blob) % align)
                at[key] = len(blob)
                blob += raw
                stats["unique"] += 1
            stats["tensors"] += 1
            stats["inlineBytes"] += len(raw)
            for f in ("raw_data", "float_data", "int32_data", "int64_data", "double_data", "uint64_data", "string_data"):
                t.ClearField(f)
            del t.external_data[:]
            t.data_location = onnx.TensorProto.EXTERNAL
            for k, v in (("location", data_file), ("offset", str(at[key])), ("length", str(len(raw)))):
                e = t.external_data.add()
                e.key, e.value = k, v
        gp.write_bytes(m.SerializeToString())
    (out / data_file).write_bytes(bytes(blob))
    stats["bytes"] = len(blob)
    return stats


def load_graph(out: Path, rel: str) -> bytes:
    """A package graph as self-contained bytes (external data inlined from the package folder)."""
    from onnx.external_data_helper import load_external_data_for_model
    m = onnx.load(str(out / rel), load_external_data=False)
    load_external_data_for_model(m, str(out))
    return m.SerializeToString()


def dequantize_into_model(model: TinyLlava, bits: int, block: int = 32, min_size: int = 16) -> None:
    """Apply the same quantization to the PyTorch weights (so golden outputs describe the shipped graphs)."""
    qmax = 2 ** (bits - 1) - 1
    mods = [m for m in list(model.lm.modules()) + list(model.model.vision_tower.modules()) + [model.lm_head]
            + list(model.model.multi_modal_projector.modules()) if isinstance(m, nn.Linear)]
    for lin in set(mods):
        W = lin.weight.detach()  # (N, K)
        N, K = W.shape
        if min(N, K) < min_size:
            continue
        nb = -(-K // block)
        Wp = torch.zeros(N, nb * block)
        Wp[:, :K] = W
        b = Wp.view(N, nb, block)
        scale = b.abs().amax(-1) / qmax
        scale[scale == 0] = 1.0
        q = torch.clamp(torch.round(b / scale[..., None]), -qmax - 1, qmax)
        lin.weight.data.copy_((q * scale[..., None]).view(N, nb * block)[:, :K])


# ----------------------------------------------------------------------------------------------------

def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def load_for_export(a) -> TinyLlava:
    from .evaluate import load_model
    if a.tiny_random:
        from .model import TextConfig, VisionConfig
        torch.manual_seed(a.seed)
        cfg = ModelConfig(vision=VisionConfig(image_size=64, patch_size=16, hidden_size=32, num_hidden_layers=2,
                                              num_attention_heads=4, intermediate_size=64),
                          text=TextConfig(vocab_size=text.vocab_size(), hidden_size=32, num_hidden_layers=2,
                                          num_attention_heads=4, num_key_value_heads=2, intermediate_size=64),
                          num_summary_tokens=4, lora_rank=4, lora_alpha=8.0)
        m = TinyLlava(cfg)
        m.add_lora()
        for lin in m.lora_layers():  # random adapters, so each stage visibly differs
            for s in ("compress", "generate"):
                nn.init.normal_(lin.lora_B[s], std=0.05)
        m.options = {"lora": "stage", "nested": True}
        return m.eval()
    if a.hf_dir:
        from safetensors.torch import load_file as lf
        cfg_hf = json.loads((a.hf_dir / "config.json").read_text())
        cfg = model_config_from_hf(cfg_hf)
        sd = {}
        for f in sorted(a.hf_dir.glob("*.safetensors")):
            sd.update(lf(str(f)))
        m = TinyLlava(cfg)
        m.load_state_dict(from_hf_state_dict(sd), strict=False)
        m.options = {"lora": "stage"}
        if a.adapters:
            ad = lf(str(a.adapters))
            stages = sorted({k.split(".lora_A.")[1] for k in ad if ".lora_A." in k})
            m.add_lora(tuple(stages))
            m.load_state_dict(ad, strict=False)
            m.options = {"lora": "single" if stages == ["shared"] else "stage"}
        return m.eval()
    return load_model(a.weights)


def model_config_from_hf(c: dict) -> ModelConfig:
    """LlavaConfig json -> ModelConfig (vision tower CLIP, LLaMA text model)."""
    from .model import TextConfig, VisionConfig
    v, t = c["vision_config"], c["text_config"]
    return ModelConfig(
        vision=VisionConfig(image_size=v.get("image_size", 336), patch_size=v.get("patch_size", 14),
                            hidden_size=v["hidden_size"], num_hidden_layers=v["num_hidden_layers"],
                            num_attention_heads=v["num_attention_heads"], intermediate_size=v["intermediate_size"],
                            layer_norm_eps=v.get("layer_norm_eps", 1e-5), hidden_act=v.get("hidden_act", "quick_gelu")),
        text=TextConfig(vocab_size=t["vocab_size"], hidden_size=t["hidden_size"], num_hidden_layers=t["num_hidden_layers"],
                        num_attention_heads=t["num_attention_heads"],
                        num_key_value_heads=t.get("num_key_value_heads", t["num_attention_heads"]),
                        intermediate_size=t["intermediate_size"], rms_norm_eps=t.get("rms_norm_eps", 1e-5),
                        rope_theta=t.get("rope_theta", 10000.0), max_position_embeddings=t.get("max_position_embeddings", 4096)),
        vision_feature_layer=c.get("vision_feature_layer", -2), image_token_id=c.get("image_token_index", c.get("image_token_id", 32000)))


def stages_of(model: TinyLlava) -> dict:
    lora = getattr(model, "options", {}).get("lora", "stage")
    if lora == "single":
        return {"compress": "shared", "generate": "shared"}
    if lora == "full" or not model.lora_layers() or not model.lora_layers()[0].lora_A:
        return {"compress": None, "generate": None}
    return {"compress": "compress", "generate": "generate"}


def export_package(model: TinyLlava, out: Path, quant: str, name: str, per_layer: bool = True,
                   eval_json: Path | None = None, samples: list[Path] | None = None) -> dict:
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    cfg, c = model.cfg, model.cfg.text
    bits = {"int8": 8, "int4": 4, "none": None}[quant]
    V, d, K = cfg.vision.num_patches, c.hidden_size, cfg.num_summary_tokens
    rank = cfg.lora_rank
    stage_map = stages_of(model)
    say = lambda *x: print("[export]", *x, file=sys.stderr, flush=True)

    # graphs
    px = torch.zeros(1, 3, cfg.vision.image_size, cfg.vision.image_size)
    export_graph(Vision(model), (px,), out / "vision.onnx", ["pixel_values"], ["vision_tokens"],
                 {"pixel_values": {0: "batch"}, "vision_tokens": {0: "batch"}})
    export_graph(Embed(model), (torch.zeros(1, 3, dtype=torch.long),), out / "embed_tokens.onnx", ["input_ids"],
                 ["inputs_embeds"], {"input_ids": {1: "sequence"}, "inputs_embeds": {1: "sequence"}})
    dec = Decoder(model)
    n = c.num_hidden_layers
    past_names = [f"past_key_values.{i}.{kv}" for i in range(n) for kv in ("key", "value")]
    present_names = [f"present.{i}.{kv}" for i in range(n) for kv in ("key", "value")]
    lshapes = lora_shapes(model, rank)
    lora_names = [nm for nm, _ in lshapes]
    T0, P0 = 3, 2
    args = [torch.randn(1, T0, d)] + [torch.randn(1, c.num_key_value_heads, P0, c.head_dim) for _ in past_names]
    args += [torch.zeros(*s) for _, s in lshapes]
    dyn = {"inputs_embeds": {1: "sequence"}, "logits": {1: "sequence"}, "hidden_states": {1: "sequence"}}
    dyn.update({p: {2: "past"} for p in past_names})
    dyn.update({p: {2: "total"} for p in present_names})
    dyn.update({nm: ({0: "rank"} if nm.endswith(".A") else {1: "rank"}) for nm in lora_names})
    export_graph(dec, tuple(args), out / "decoder.onnx", ["inputs_embeds"] + past_names + lora_names,
                 ["logits", "hidden_states"] + present_names, dyn)
    if per_layer:
        for i in range(n):
            f = [torch.zeros(*s) for _, s in lshapes[i * 14:(i + 1) * 14]]
            fn = lora_names[i * 14:(i + 1) * 14]
            export_graph(LayerPre(model, i), (torch.randn(1, T0, d), torch.arange(T0)[None], *f[0:6]),
                         out / "layers" / f"pre_{i}.onnx", ["hidden", "position_ids"] + fn[0:6], ["q", "k", "v"],
                         {**{k: {1: "sequence"} for k in ("hidden", "position_ids", "q", "k", "v")},
                          **{nm: ({0: "rank"} if nm.endswith(".A") else {1: "rank"}) for nm in fn[0:6]}})
            export_graph(LayerPost(model, i), (torch.randn(1, T0, d), torch.randn(1, T0, c.num_attention_heads * c.head_dim), *f[6:14]),
                         out / "layers" / f"post_{i}.onnx", ["hidden", "attn"] + fn[6:14], ["hidden_out"],
                         {**{k: {1: "sequence"} for k in ("hidden", "attn", "hidden_out")},
                          **{nm: ({0: "rank"} if nm.endswith(".A") else {1: "rank"}) for nm in fn[6:14]}})
        export_graph(Final(model), (torch.randn(1, T0, d),), out / "layers" / "final.onnx", ["hidden"],
                     ["logits", "hidden_states"], {k: {1: "sequence"} for k in ("hidden", "logits", "hidden_states")})
    graphs = [out / "vision.onnx", out / "decoder.onnx"] + sorted((out / "layers").glob("*.onnx"))
    if bits:
        for gpath in graphs:
            cnt = quantize_matmuls(gpath, bits)
            say(f"{gpath.name}: {cnt} MatMul -> MatMulNBits({bits})")
        dequantize_into_model(model, bits)  # PyTorch now computes with the shipped weights
    dec_graphs = [out / "decoder.onnx"] + (sorted((out / "layers").glob("*.onnx")) if per_layer else [])
    shared = share_weights(out, dec_graphs, SHARED_WEIGHTS)
    say(f"{SHARED_WEIGHTS}: {shared['unique']} tensors ({shared['bytes']} bytes) for {shared['tensors']} initializers "
        f"of {len(dec_graphs)} graphs ({shared['inlineBytes']} bytes before)")

    # tensors
    (out / "summary_tokens.bin").write_bytes(model.summary_tokens.detach().float().numpy().astype("<f4").tobytes())
    lora_meta = {}
    for stage in sorted({s for s in stage_map.values() if s}):
        entries, blob, off = [], bytearray(), 0
        for nm, arr in lora_tensors(model, stage):
            b = arr.astype("<f4").tobytes()
            entries.append({"name": nm, "shape": list(arr.shape), "offset": off})
            blob += b
            off += len(b)
        (out / f"lora_{stage}.bin").write_bytes(bytes(blob))
        lora_meta[stage] = {"file": f"lora_{stage}.bin", "dtype": "float32", "entries": entries}
    text.tokenizer().save(str(out / "tokenizer.json"))
    if samples:
        (out / "samples").mkdir()
        for s in samples:
            shutil.copy(s, out / "samples" / s.name)
    if eval_json and eval_json.exists():
        shutil.copy(eval_json, out / "eval.json")

    weight_files = sorted(p for p in out.rglob("*") if p.is_file() and p.suffix in (".onnx", ".bin"))
    model_id = "f2b-" + hashlib.sha256("".join(f"{p.relative_to(out)}:{sha256(p)}\n" for p in weight_files).encode()).hexdigest()[:16]
    opts = getattr(model, "options", {})
    manifest = {
        "format": "fwd2bot-model-package", "formatVersion": FORMAT_VERSION, "modelId": model_id, "name": name,
        "architecture": {
            "vision": {"imageSize": cfg.vision.image_size, "patchSize": cfg.vision.patch_size,
                       "hiddenSize": cfg.vision.hidden_size, "layers": cfg.vision.num_hidden_layers,
                       "heads": cfg.vision.num_attention_heads, "numVisionTokens": V, "featureLayer": cfg.vision_feature_layer},
            "projector": {"type": "mlp2x_gelu", "outputSize": d},
            "decoder": {"type": "llama", "layers": n, "hiddenSize": d, "heads": c.num_attention_heads,
                        "kvHeads": c.num_key_value_heads, "headDim": c.head_dim, "intermediateSize": c.intermediate_size,
                        "vocabSize": c.vocab_size, "ropeTheta": c.rope_theta, "rmsNormEps": c.rms_norm_eps,
                        "maxPositions": c.max_position_embeddings},
        },
        "fwd2bot": {"numSummaryTokens": K, "nestedK": [k for k in (1, 2, 4, 8, 16, 32) if k <= K] if opts.get("nested", True) else [],
                    "compressionPrompt": text.COMPRESSION_PROMPT,
                    "passOneAttention": "bidirectional-block" if opts.get("bidirectional") else "causal",
                    "loraStages": sorted(lora_meta), "loraRank": rank, "stageForPass": stage_map},
        "tokens": {"pad": text.PAD, "bos": text.BOS, "eos": text.EOS, "unk": text.UNK, "image": text.IMAGE},
        "chatTemplate": {"turn": f"{text.USER} {{question}} {text.ASSISTANT}", "captionQuestion": text.CAPTION_QUESTION,
                         "stop": [text.EOS]},
        "preprocessing": {"size": [cfg.vision.image_size, cfg.vision.image_size], "resize": "box",
                          "mean": [data.MEAN] * 3, "std": [data.STD] * 3, "layout": "NCHW", "alpha": "composite-on-white"},
        "graphs": {"vision": {"file": "vision.onnx"}, "embed": {"file": "embed_tokens.onnx"},
                   "decoder": {"file": "decoder.onnx", "externalData": SHARED_WEIGHTS},
                   **({"layers": {"pre": [f"layers/pre_{i}.onnx" for i in range(n)],
                                  "post": [f"layers/post_{i}.onnx" for i in range(n)], "final": "layers/final.onnx",
                                  "externalData": SHARED_WEIGHTS}} if per_layer else {})},
        "tensors": {"summaryTokens": {"file": "summary_tokens.bin", "dtype": "float32", "shape": [K, d]}, "lora": lora_meta},
        "quantization": {"decoder": quant, "vision": quant, "blockSize": 32, "compute": "float32"},
    }
    if (out / "eval.json").exists():
        manifest["eval"] = "eval.json"
    return manifest


def finish_manifest(out: Path, manifest: dict) -> None:
    files = sorted(p for p in out.rglob("*") if p.is_file() and p.name != "manifest.json")
    manifest["files"] = [{"path": str(p.relative_to(out)), "bytes": p.stat().st_size, "sha256": sha256(p)} for p in files]
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")


# ----------------------------------------------------------------------------------------------------
# Golden data + parity (PyTorch vs onnxruntime)

def load_png_pixels(path: Path, size: int) -> torch.Tensor:
    """The reference preprocessing: RGB(A on white) -> PIL BOX resize -> normalise -> (1, 3, H, W)."""
    from PIL import Image
    im = Image.open(path)
    if im.mode in ("RGBA", "LA", "P"):
        im = im.convert("RGBA")
        bg = Image.new("RGBA", im.size, (255, 255, 255, 255))
        im = Image.alpha_composite(bg, im)
    im = im.convert("RGB").resize((size, size), Image.BOX)
    return data.to_pixels(np.asarray(im)[None])


def golden(model: TinyLlava, out: Path, manifest: dict, samples: list[Path]) -> dict:
    stage_map = manifest["fwd2bot"]["stageForPass"]
    K = model.cfg.num_summary_tokens
    g = {"images": [], "queries": [], "tolerances": {"vision_tokens": 1e-4, "compressed": 1e-3, "embedding": 1e-3}}
    embs = []
    with torch.no_grad():
        for p in samples:
            px = load_png_pixels(p, model.cfg.vision.image_size)
            hv = model.encode_image(px)
            hc = fb.compress_image(model, hv, manifest["fwd2bot"]["passOneAttention"] != "causal", stage_map["compress"])
            e = fb.embedding(hc)
            embs.append(e[0])
            entry = {"file": f"samples/{p.name}", "pixels_sum": float(px.sum()), "pixels_head": px.flatten()[:8].tolist(),
                     "vision_tokens_sum": float(hv.sum()), "vision_tokens_head": hv[0, 0, :8].tolist(),
                     "compressed": hc[0].tolist(), "embedding": e[0].tolist(), "answers": []}
            for kk in sorted({K, max(1, K // 4)}):
                for q in GOLDEN_QUESTIONS:
                    from .evaluate import prefix
                    ids = fb.generate(model, [prefix(model, hc[0, :kk], q)], stage_map["generate"],
                                      max_new=80 if q == text.CAPTION_QUESTION else 12)[0]
                    entry["answers"].append({"k": kk, "question": q, "prompt_ids": list(text.prompt_ids(q)),
                                             "ids": ids, "text": text.decode(ids)})
            # The scene's own questions with their true answers (the sample photos are world scenes), and
            # PyTorch's greedy answers from all K tokens: the engine must give the same, and the test can
            # say how often the shipped model is right on them.
            m_idx = re.fullmatch(r"sample_(\d+)\.png", p.name)
            if m_idx:
                i = int(m_idx.group(1))
                from .evaluate import prefix
                truth = world.questions(world.scene("samples", i), world.language_rng("samples", i))
                outs = [fb.generate(model, [prefix(model, hc[0], q)], stage_map["generate"], max_new=4)[0] for _, q, _ in truth]
                entry["truth"] = [{"type": t, "question": q, "answer": a, "prompt_ids": list(text.prompt_ids(q)),
                                   "ids": o, "pytorch": text.decode(o)} for (t, q, a), o in zip(truth, outs)]
            g["images"].append(entry)
        E = torch.stack(embs)
        for qtext in GOLDEN_QUERIES:
            et = fb.embedding(fb.compress_text(model, [qtext], False, stage_map["compress"]))[0]
            scores = (E @ et).tolist()
            order = sorted(range(len(scores)), key=lambda i: (-scores[i], i))
            g["queries"].append({"query": qtext, "ids": list(text.encode(qtext)), "embedding": et.tolist(),
                                 "ranking": order[:10], "scores": [scores[i] for i in order[:10]]})
    return g


def parity(model: TinyLlava, out: Path, manifest: dict, samples: list[Path]) -> dict:
    """Run the exported graphs with Python onnxruntime (the same graphs the browser runs) and compare."""
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.log_severity_level = 3
    sess = lambda f: ort.InferenceSession(load_graph(out, f), so, providers=["CPUExecutionProvider"])
    vis, emb, dec = sess("vision.onnx"), sess("embed_tokens.onnx"), sess("decoder.onnx")
    c = model.cfg.text
    stage_map = manifest["fwd2bot"]["stageForPass"]
    lora = {s: dict(lora_tensors(model, s)) for s in set(stage_map.values())}
    res = {}

    def run_dec(e, past, stage):
        feeds = {"inputs_embeds": e}
        for i in range(c.num_hidden_layers):
            for j, kv in enumerate(("key", "value")):
                feeds[f"past_key_values.{i}.{kv}"] = past[2 * i + j] if past else np.zeros((1, c.num_key_value_heads, 0, c.head_dim), np.float32)
        feeds.update(lora[stage])
        outs = dec.run(None, feeds)
        return outs[0], outs[1], outs[2:]

    with torch.no_grad():
        px = load_png_pixels(samples[0], model.cfg.vision.image_size)
        hv_t = model.encode_image(px)
        hv_o = vis.run(None, {"pixel_values": px.numpy()})[0]
        res["vision_tokens_max_abs"] = float(np.abs(hv_o - hv_t.numpy()).max())
        # pass 1 through ORT
        ids = np.array([[text.BOS]], np.int64)
        bos = emb.run(None, {"input_ids": ids})[0]
        prm = emb.run(None, {"input_ids": np.array([text.encode(text.COMPRESSION_PROMPT)], np.int64)})[0]
        st = model.summary_tokens.detach().numpy()[None]
        e1 = np.concatenate([bos, hv_o, prm, st], 1).astype(np.float32)
        _, h1, _ = run_dec(e1, None, stage_map["compress"])
        hc_o = h1[:, -model.cfg.num_summary_tokens:]
        hc_t = fb.compress_image(model, hv_t, False, stage_map["compress"])
        res["compressed_max_abs"] = float(np.abs(hc_o - hc_t.numpy()).max())
        # pass 2: logits + cached vs uncached
        q = text.prompt_ids("how many objects are there ?")
        qe = emb.run(None, {"input_ids": np.array([q], np.int64)})[0]
        e2 = np.concatenate([bos, hc_o, qe], 1).astype(np.float32)
        logits_o, _, pres = run_dec(e2, None, stage_map["generate"])
        from .evaluate import prefix
        model.set_stage(stage_map["generate"])
        logits_t = model.lm_head(model.lm(prefix(model, hc_t[0], "how many objects are there ?")[None]))
        res["logits_max_abs"] = float(np.abs(logits_o - logits_t.numpy()).max())
        nxt = int(logits_o[0, -1].argmax())
        ne = emb.run(None, {"input_ids": np.array([[nxt]], np.int64)})[0]
        l_cached, _, _ = run_dec(ne, pres, stage_map["generate"])
        l_full, _, _ = run_dec(np.concatenate([e2, ne], 1), None, stage_map["generate"])
        res["cached_vs_uncached_max_abs"] = float(np.abs(l_cached[0, -1] - l_full[0, -1]).max())
    return res


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--weights", type=Path, help="trainer checkpoint (.safetensors with config metadata)")
    src.add_argument("--hf-dir", type=Path, help="Hugging Face LlavaForConditionalGeneration directory")
    src.add_argument("--tiny-random", action="store_true", help="a tiny random-weight model (test fixture)")
    ap.add_argument("--adapters", type=Path, help="Fwd2Bot adapters (summary tokens + LoRA) for --hf-dir")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--quant", choices=["int8", "int4", "none"], default="int8")
    ap.add_argument("--name", default="fwd2bot-synthetic-tiny")
    ap.add_argument("--eval-json", type=Path)
    ap.add_argument("--samples", type=int, default=6, help="sample photos (world 'samples' split) for golden data")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-per-layer", action="store_true")
    ap.add_argument("--card-only", action="store_true", help="keep the graphs of an exported --out; only copy "
                    "--eval-json in, rewrite the model card and the manifest's file list (the model id is unchanged)")
    a = ap.parse_args(argv)
    torch.set_num_threads(int(os.environ.get("FWD2BOT_THREADS", "2")))
    if a.card_only:
        manifest = json.loads((a.out / "manifest.json").read_text())
        manifest.pop("files", None)
        if a.eval_json:
            shutil.copy(a.eval_json, a.out / "eval.json")
            manifest["eval"] = "eval.json"
        gold = json.loads((a.out / "golden.json").read_text())
        (a.out / "MODEL_CARD.md").write_text(model_card(manifest, a, gold["parity"]))
        finish_manifest(a.out, manifest)
        print(json.dumps({"modelId": manifest["modelId"], "bytes": sum(f["bytes"] for f in manifest["files"])}))
        return
    model = load_for_export(a)
    sample_dir = a.out.parent / (a.out.name + ".samples.tmp")
    sample_dir.mkdir(parents=True, exist_ok=True)
    samples = write_sample_photos(sample_dir, a.samples)
    manifest = export_package(model, a.out, a.quant, a.name, not a.no_per_layer, a.eval_json, samples)
    samples = sorted((a.out / "samples").glob("*.png"))
    shutil.rmtree(sample_dir)
    gold = golden(model, a.out, manifest, samples)
    gold["parity"] = parity(model, a.out, manifest, samples)
    (a.out / "golden.json").write_text(json.dumps(gold) + "\n")
    manifest["golden"] = "golden.json"
    (a.out / "MODEL_CARD.md").write_text(model_card(manifest, a, gold["parity"]))
    manifest["modelCard"] = "MODEL_CARD.md"
    finish_manifest(a.out, manifest)
    total = sum(f["bytes"] for f in manifest["files"])
    print(json.dumps({"modelId": manifest["modelId"], "bytes": total, "parity": gold["parity"]}, indent=1))


def model_card(manifest: dict, a, par: dict) -> str:
    """What the model is, what it can and cannot do, its measured held-out numbers, how to rebuild it."""
    arch = manifest["architecture"]
    K, d = manifest["fwd2bot"]["numSummaryTokens"], arch["decoder"]["hiddenSize"]
    if getattr(a, "tiny_random", False):
        return (f"# Tiny random-weight test fixture ({manifest['modelId']})\n\nUntrained, seeded random weights in the "
                "real package format, for the engine's golden tests: its answers are gibberish by design.\n\n"
                "Rebuild: `PYTHONPATH=python .venv/bin/python -m fwd2bot.export --tiny-random --out "
                "test/fixtures/tiny-package --quant none --samples 4`\n")
    lines = [f"# {manifest['name']} ({manifest['modelId']})", "",
             "A small LLaVA-style vision-language model (CLIP-style ViT -> MLP projector -> LLaMA-style decoder) "
             "trained from scratch on this project's synthetic world (python/fwd2bot/world.py), then given the "
             "Fwd2Bot summary tokens and stage LoRAs (METHOD.md).", "",
             "## What it can do", "",
             "- Describe and answer questions about synthetic scenes: 1-6 coloured shapes (circle, square, triangle, "
             "diamond, cross, ring; 7 colours; small/large) on a 3x3 grid, an optional sign with a letter or digit, "
             "plain or textured backgrounds: colour, shape, size, count, position, relation, existence, reading.",
             "- Search such scenes by text, from the stored summary tokens alone.", "",
             "## What it cannot do", "",
             "- It has never seen a real photo. On real photos its answers and search rankings are meaningless: "
             "it only knows the words and objects of the synthetic world. Real photos need a real model package "
             "(a LLaVA-class checkpoint converted with `python -m fwd2bot.export --hf-dir ... --adapters ...`).", "",
             "## Numbers", "",
             f"- Vision: {arch['vision']['imageSize']}x{arch['vision']['imageSize']} pixels, patch {arch['vision']['patchSize']}, "
             f"{arch['vision']['numVisionTokens']} vision tokens; decoder d={d}, {arch['decoder']['layers']} layers, "
             f"{arch['decoder']['heads']} heads ({arch['decoder']['kvHeads']} KV heads), vocabulary {arch['decoder']['vocabSize']} words.",
             f"- K = {K} summary tokens: {2 * K * d} bytes per photo in fp16 (all {arch['vision']['numVisionTokens']} "
             f"vision tokens would take {2 * arch['vision']['numVisionTokens'] * d}).",
             f"- Quantization: {manifest['quantization']['decoder']} weights (MatMulNBits, block 32), fp32 compute.",
             f"- Export parity (onnxruntime vs PyTorch with the same weights, max abs): {json.dumps(par)}"]
    ev = (a.out / "eval.json")
    if ev.exists():
        ev_all = json.loads(ev.read_text())
        r = ev_all["results"]
        lines += ["", f"Held-out test split ({ev_all.get('scenes')} scenes for VQA and captions, "
                  f"{ev_all.get('retrieval_scenes')} for retrieval; never seen in training), PyTorch, from eval.json "
                  "(`_int8`/`_int4`: the weights quantized as a package carries them):", ""]
        for name, v in r.items():
            if "vqa" in v:
                lines.append(f"- {name}: VQA {100 * v['vqa']:.1f}%" + (f", caption object F1 {100 * v['caption_object_f1']:.1f}%" if "caption_object_f1" in v else ""))
            elif "t2i" in v:
                lines.append(f"- {name}: text->image R@1 {100 * v['t2i']['R@1']:.1f}%, image->text R@1 {100 * v['i2t']['R@1']:.1f}%, "
                             f"hard-negative accuracy {100 * v['hard_negative_mean']:.1f}%")
    else:
        lines += ["", "Not evaluated: no eval.json was given to the exporter."]
    lines += ["", "## Training", "", "Stages, sample counts and measured throughput: python/checkpoints/README.md "
              "(the committed fp16 weights this package was exported from).", "",
              "## Rebuild", "", "From the committed weights (exactly this package):", "", "```sh",
              f"PYTHONPATH=python .venv/bin/python -m fwd2bot.export --weights {a.weights} "
              f"--out {a.out} --quant {manifest['quantization']['decoder']} --name {a.name}"
              + (f" --eval-json {a.eval_json}" if a.eval_json else "") + f" --samples {a.samples}", "```", "",
              "From scratch (hours of CPU): `npm run train`, then `python -m fwd2bot.checkpoint` and "
              "`python -m fwd2bot.evaluate` as python/checkpoints/README.md says.", ""]
    return "\n".join(lines)


def write_sample_photos(folder: Path, n: int, size: int = 256) -> list[Path]:
    """Sample photos of the world's 'samples' split, as the app bundles them (PNG, 256x256)."""
    from PIL import Image
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        p = folder / f"sample_{i:02d}.png"
        Image.fromarray(world.render(world.scene("samples", i), size, 1)).save(p, optimize=True)
        paths.append(p)
    return paths


if __name__ == "__main__":
    main()
