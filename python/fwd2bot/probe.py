"""Linear-probe check of the vision stage: how well the cell heads read each attribute on held-out scenes.

    python -m fwd2bot.probe --ckpt runs/default/vision.ckpt.pt [--scenes 300]
"""
from __future__ import annotations

import argparse
import json

import numpy as np
import torch

from . import data, world
from .model import TinyLlava
from .train import VisionHeads, model_config


@torch.no_grad()
def probe(ckpt: str, n: int = 300) -> dict:
    st = torch.load(ckpt, weights_only=False)
    m = TinyLlava(model_config())
    m.load_state_dict(st["model"])
    m.eval()
    h = VisionHeads(m.cfg.vision.hidden_size)
    h.load_state_dict({k[len("heads."):]: v for k, v in st["extra"].items() if k.startswith("heads.")})
    imgs = data.image_pool("test", world.SPLIT_SIZES["test"])
    hs = m.model.vision_tower.hidden_states(data.to_pixels(imgs[:n]))[m.cfg.vision_feature_layer]
    cells = torch.einsum("cv,bvd->bcd", h.w, hs[:, 1:])
    t = torch.from_numpy(np.stack([data.cell_targets(world.scene("test", i)) for i in range(n)]))
    occupied = t[..., 0] > 0
    out = {"step": st["step"], "samples": st["samples"]}
    for j, (name, head) in enumerate([("shape", h.shape), ("color", h.color), ("size", h.size), ("char", h.char)]):
        mask = occupied if name != "char" else t[..., 3] > 0
        out[f"{name}_acc_occupied"] = float((head(cells).argmax(-1)[mask] == t[..., j][mask]).float().mean())
    return out


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", default="runs/default/vision.ckpt.pt")
    ap.add_argument("--scenes", type=int, default=300)
    a = ap.parse_args()
    print(json.dumps(probe(a.ckpt, a.scenes)))
