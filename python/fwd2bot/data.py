"""Image pools (rendered once, cached as .npy) and batch builders for every training stage.

Pixels: render(scene, 64, supersample=4) is exactly a 256x256 render box-averaged to 64x64, which is
what the app does with the 256x256 sample photos (box resize), so train and deploy inputs match.
Normalisation: x = (rgb / 255 - 0.5) / 0.5, layout (3, H, W).
"""
from __future__ import annotations

import os
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from . import text, world

CACHE = Path(os.environ.get("FWD2BOT_DATA_CACHE", Path(__file__).resolve().parents[1] / "data_cache"))
IMAGE_SIZE = 64
SUPERSAMPLE = 4
MEAN, STD = 0.5, 0.5


def image_pool(split: str, n: int, size: int = IMAGE_SIZE, quiet: bool = False) -> np.ndarray:
    """(n, size, size, 3) uint8 renders of scene(split, 0..n-1), cached on disk."""
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"{split}_{n}_{size}_ss{SUPERSAMPLE}.npy"
    if path.exists():
        return np.load(path, mmap_mode="r")
    out = np.empty((n, size, size, 3), np.uint8)
    t0 = time.time()
    for i in range(n):
        out[i] = world.render(world.scene(split, i), size, SUPERSAMPLE)
        if not quiet and (i + 1) % 2000 == 0:
            print(f"[data] rendered {i + 1}/{n} {split} images ({time.time() - t0:.0f}s)", file=sys.stderr, flush=True)
    tmp = path.with_suffix(".tmp.npy")
    np.save(tmp, out)
    tmp.rename(path)
    return out


def to_pixels(images: np.ndarray) -> torch.Tensor:
    """uint8 (B, H, W, 3) -> float32 (B, 3, H, W) normalised."""
    x = torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2).float() / 255.0
    return (x - MEAN) / STD


# ----------------------------------------------------------------------------------------------------
# Vision pre-training targets: per grid cell (what is there) and the background.

SHAPE_CLASSES = ["none"] + world.SHAPES + ["sign"]
COLOR_CLASSES = ["none"] + world.COLOR_NAMES
SIZE_CLASSES = ["none"] + world.SIZES
CHAR_CLASSES = ["none"] + world.CHARS


def cell_targets(sc: world.Scene) -> np.ndarray:
    """(9, 4) int64: shape, colour, size, char class per cell."""
    t = np.zeros((9, 4), np.int64)
    for o in sc.objects:
        t[o.cell] = (SHAPE_CLASSES.index(o.shape), COLOR_CLASSES.index(o.color) if o.shape != "sign" else 0,
                     SIZE_CLASSES.index(o.size) if o.shape != "sign" else 0,
                     CHAR_CLASSES.index(o.char) if o.char else 0)
    return t


def cell_patch_weights(image_size: int = IMAGE_SIZE, patch: int = 8) -> torch.Tensor:
    """(9, V): fraction of each patch inside each of the 3x3 cells, rows normalised to sum 1."""
    g = image_size // patch
    w = torch.zeros(9, g * g)
    for cell in range(9):
        r, c = divmod(cell, 3)
        y0, y1, x0, x1 = r * image_size / 3, (r + 1) * image_size / 3, c * image_size / 3, (c + 1) * image_size / 3
        for py in range(g):
            for px in range(g):
                oy = max(0.0, min(y1, (py + 1) * patch) - max(y0, py * patch))
                ox = max(0.0, min(x1, (px + 1) * patch) - max(x0, px * patch))
                w[cell, py * g + px] = oy * ox
    return w / w.sum(1, keepdim=True)


# ----------------------------------------------------------------------------------------------------
# Text samples


@dataclass
class Sample:
    index: int  # scene index in the split
    question: str
    answer: str
    qtype: str  # "caption" or a world.QUESTION_TYPES entry
    caption: str  # a caption of the scene (for the contrastive branch)


def make_sample(split: str, index: int, rng: random.Random, caption_ratio: float = 0.5) -> Sample:
    sc = world.scene(split, index)
    caps = [world.caption(sc)] + world.paraphrases(sc, rng, 2)
    cap = rng.choice(caps)
    if rng.random() < caption_ratio:
        return Sample(index, text.CAPTION_QUESTION, rng.choice(caps), "caption", cap)
    qtype, q, a = rng.choice(world.questions(sc, rng))
    return Sample(index, q, a, qtype, cap)


def pad_right(seqs: list[list[int]], value: int) -> torch.Tensor:
    T = max(len(s) for s in seqs)
    return torch.tensor([s + [value] * (T - len(s)) for s in seqs], dtype=torch.long)


@dataclass
class GenBatch:
    """[<s>, image block (n_img), prompt tokens, answer tokens, pad...] right-padded.
    ids (B, T) with IMAGE placeholders for the image block; labels (B, T) = -100 except answer tokens."""
    ids: torch.Tensor
    labels: torch.Tensor


def gen_batch(samples: list[Sample], n_img: int) -> GenBatch:
    ids, labels = [], []
    for s in samples:
        p, a = list(text.prompt_ids(s.question)), list(text.answer_ids(s.answer))
        seq = [text.BOS] + [text.IMAGE] * n_img + p + a
        ids.append(seq)
        labels.append([-100] * (1 + n_img + len(p)) + a)
    return GenBatch(pad_right(ids, text.PAD), pad_right(labels, -100))


def text_lm_batch(strings: list[str]) -> GenBatch:
    """Text-only LM pre-training: [<s>, tokens, </s>] with loss on every token after <s>."""
    seqs = [[text.BOS] + list(text.encode(s)) + [text.EOS] for s in strings]
    ids = pad_right(seqs, text.PAD)
    labels = ids.clone()
    labels[:, 0] = -100
    labels[ids == text.PAD] = -100
    return GenBatch(ids, labels)


def caption_ids_batch(captions: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
    """Pass-1 text branch input: [<s>, caption, X_p] right-padded, and each row's length (B,)."""
    prompt = list(text.encode(text.COMPRESSION_PROMPT))
    seqs = [[text.BOS] + list(text.encode(c)) + prompt for c in captions]
    return pad_right(seqs, text.PAD), torch.tensor([len(s) for s in seqs])
