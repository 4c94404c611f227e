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
