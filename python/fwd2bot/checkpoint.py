"""Commit-sized copies of trained weights: fp16 safetensors with the trainer's metadata (config, options).

    python -m fwd2bot.checkpoint runs/default/fwd2bot.safetensors python/checkpoints/fwd2bot.safetensors

The evaluation and the export read these copies, so the numbers and the shipped package describe exactly the
weights in the repository (rounding fp32 -> fp16 moves held-out VQA by well under a point; int8 quantization
in the package then dominates).
"""
from __future__ import annotations

import sys
from pathlib import Path

import torch
from safetensors import safe_open
from safetensors.torch import save_file


def to_fp16(src: Path, dst: Path) -> None:
    with safe_open(str(src), "pt") as f:
        meta = f.metadata() or {}
        sd = {k: (f.get_tensor(k).half() if f.get_tensor(k).is_floating_point() else f.get_tensor(k)).contiguous()
              for k in f.keys()}
    dst.parent.mkdir(parents=True, exist_ok=True)
    save_file(sd, str(dst), metadata={**meta, "dtype": "float16", "source": src.name})


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    to_fp16(Path(sys.argv[1]), Path(sys.argv[2]))
    print(f"wrote {sys.argv[2]}", file=sys.stderr)
