"""Exporter: graphs match PyTorch under onnxruntime, quantization is what the manifest says, ids track weights."""
import json
import types

import numpy as np
import onnx
import pytest

from fwd2bot import export


def _export(tmp_path, quant, seed=0):
    a = types.SimpleNamespace(tiny_random=True, hf_dir=None, seed=seed, weights=None, adapters=None)
    model = export.load_for_export(a)
    samples = export.write_sample_photos(tmp_path / "s", 2)
    out = tmp_path / f"pkg-{quant}-{seed}"
    manifest = export.export_package(model, out, quant, "tiny", True, None, samples)
    par = export.parity(model, out, manifest, sorted((out / "samples").glob("*.png")))
    export.finish_manifest(out, manifest)
    return out, manifest, par


@pytest.mark.parametrize("quant", ["none", "int8", "int4"])
def test_exported_graphs_match_pytorch(tmp_path, quant):
    out, manifest, par = _export(tmp_path, quant)
    assert par["vision_tokens_max_abs"] < 1e-5
    assert par["compressed_max_abs"] < 1e-4
    assert par["logits_max_abs"] < 1e-4
    assert par["cached_vs_uncached_max_abs"] < 1e-5
    dec = onnx.load(str(out / "decoder.onnx"))
    nbits = [n for n in dec.graph.node if n.op_type == "MatMulNBits"]
    if quant == "none":
        assert not nbits
    else:
        bits = {a.name: a.i for n in nbits for a in n.attribute if a.name == "bits"}
        assert len(nbits) == 2 * 7 + 1 and set(bits.values()) == {8 if quant == "int8" else 4}
    names = [i.name for i in dec.graph.input]
    assert names[0] == "inputs_embeds" and "lora.1.down_proj.B" in names and "past_key_values.1.value" in names


def test_manifest_lists_every_file_with_its_hash_and_ids_track_weights(tmp_path):
    out, manifest, _ = _export(tmp_path, "none", seed=0)
    m = json.loads((out / "manifest.json").read_text())
    listed = {f["path"] for f in m["files"]}
    on_disk = {str(p.relative_to(out)) for p in out.rglob("*") if p.is_file() and p.name != "manifest.json"}
    assert listed == on_disk
    for f in m["files"]:
        assert export.sha256(out / f["path"]) == f["sha256"] and (out / f["path"]).stat().st_size == f["bytes"]
    lora = m["tensors"]["lora"]["compress"]
    blob = (out / lora["file"]).read_bytes()
    last = lora["entries"][-1]
    assert last["offset"] + 4 * int(np.prod(last["shape"])) == len(blob)
    out2, m2, _ = _export(tmp_path, "none", seed=1)
    assert m2["modelId"] != m["modelId"]
    out3, m3, _ = _export(tmp_path, "none", seed=0)
    assert m3["modelId"] == m["modelId"]  # deterministic export


def test_decoder_weights_are_stored_once_and_the_layer_graphs_compose_to_the_decoder(tmp_path):
    """decoder.onnx and the per-layer graphs hold the same base weights: the package stores them once in
    decoder_weights.bin, and the layer graphs run from it (pre -> causal GQA attention -> post, then final)
    give decoder.onnx's logits and hidden states."""
    import onnxruntime as ort
    from onnx.external_data_helper import ExternalDataInfo

    out, manifest, _ = _export(tmp_path, "int8")
    assert manifest["formatVersion"] == 2
    shared = manifest["graphs"]["decoder"]["externalData"]
    assert shared == export.SHARED_WEIGHTS and manifest["graphs"]["layers"]["externalData"] == shared
    blob = (out / shared).read_bytes()
    L = manifest["architecture"]["decoder"]["layers"]
    files = ["decoder.onnx", "layers/final.onnx"] + [f"layers/{k}_{i}.onnx" for k in ("pre", "post") for i in range(L)]
    spans, inline_big = {}, []
    for f in files:
        m = onnx.load(str(out / f), load_external_data=False)
        for t in m.graph.initializer:
            if t.data_location == onnx.TensorProto.EXTERNAL:
                info = ExternalDataInfo(t)
                assert info.location == shared and info.offset % 64 == 0 and info.offset + info.length <= len(blob)
                spans.setdefault(f, []).append((info.offset, info.length))
            elif len(t.raw_data) >= 1024:
                inline_big.append((f, t.name))
    assert not inline_big
    # every weight the decoder references is referenced by some layer graph at the same bytes (stored once)
    layer_spans = {s for f, v in spans.items() if f != "decoder.onnx" for s in v}
    assert set(spans["decoder.onnx"]) == layer_spans
    # no byte range of the shared file is written twice
    uniq = sorted(set(layer_spans))
    assert all(a[0] + a[1] <= b[0] for a, b in zip(uniq, uniq[1:]))

    so = ort.SessionOptions()
    so.log_severity_level = 3
    sess = {f: ort.InferenceSession(export.load_graph(out, f), so, providers=["CPUExecutionProvider"]) for f in files}
    dec = manifest["architecture"]["decoder"]
    H, kvH, hd, d = dec["heads"], dec["kvHeads"], dec["headDim"], dec["hiddenSize"]
    lora = dict((n, np.frombuffer((out / "lora_generate.bin").read_bytes(), "<f4", int(np.prod(e["shape"])), e["offset"]).reshape(e["shape"]))
                for e in manifest["tensors"]["lora"]["generate"]["entries"] for n in [e["name"]])
    rng = np.random.default_rng(0)
    T = 5
    x = rng.standard_normal((1, T, d)).astype(np.float32)
    feeds = {"inputs_embeds": x, **lora}
    for i in range(L):
        for kv in ("key", "value"):
            feeds[f"past_key_values.{i}.{kv}"] = np.zeros((1, kvH, 0, hd), np.float32)
    want_logits, want_hidden = sess["decoder.onnx"].run(["logits", "hidden_states"], feeds)

    def inputs_of(f):
        return {i.name for i in sess[f].get_inputs()}

    h = x
    pos = np.arange(T, dtype=np.int64)[None]
    for i in range(L):
        pre = f"layers/pre_{i}.onnx"
        q, k, v = sess[pre].run(["q", "k", "v"], {"hidden": h, "position_ids": pos, **{n: lora[n] for n in inputs_of(pre) if n in lora}})
        q = q.reshape(T, H, hd).transpose(1, 0, 2)
        k = np.repeat(k.reshape(T, kvH, hd).transpose(1, 0, 2), H // kvH, 0)
        v = np.repeat(v.reshape(T, kvH, hd).transpose(1, 0, 2), H // kvH, 0)
        s = q @ k.transpose(0, 2, 1) / np.sqrt(hd) + np.triu(np.full((T, T), -np.inf, np.float32), 1)
        p = np.exp(s - s.max(-1, keepdims=True))
        attn = ((p / p.sum(-1, keepdims=True)) @ v).transpose(1, 0, 2).reshape(1, T, H * hd).astype(np.float32)
        post = f"layers/post_{i}.onnx"
        (h,) = sess[post].run(["hidden_out"], {"hidden": h, "attn": attn, **{n: lora[n] for n in inputs_of(post) if n in lora}})
    logits, hidden = sess["layers/final.onnx"].run(["logits", "hidden_states"], {"hidden": h})
    assert np.abs(logits - want_logits).max() < 1e-4
    assert np.abs(hidden - want_hidden).max() < 1e-4
