"""The held-out test split written out for the TypeScript evaluator (cli/evaluate.ts), item for item what
python/fwd2bot/evaluate.py scores: the same scenes, the same questions and hard negatives (the same
world.language_rng seeding), the same pixels.

    python -m fwd2bot.testset --out artifacts/reproduction/testset --scenes 500

Writes <out>/testset.json and <out>/images/test_NNNNN.png. Images are the uint8 renders evaluate.py feeds
PyTorch (data.image_pool: render(scene, 64, supersample=4)), saved as PNG at the model's input size, so the
engine's box resize is the identity and both sides see identical pixels.

testset.json:
  split, scenes, imageSize, questionTypes, negativeTypes,
  generation: {vqaMaxTokens, captionMaxTokens, captionQuestion}   (what evaluate.py decodes with)
  captionFactPatterns: {object, sign}   (evaluate.py's OBJ_RE / SIGN_RE sources, compiled as-is by the TS side)
  items: [{index, image, caption, facts: [[size, color, shape, where] | ["sign", char, where]],
           questions: [{type, question, answer}], hardNegatives: {type: text}}]
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from . import data, text, world
from .evaluate import OBJ_RE, SIGN_RE, caption_facts, scene_facts

VQA_MAX_TOKENS = 4  # evaluate.eval_generation: fb.generate(..., max_new=4)
CAPTION_MAX_TOKENS = 80  # ... max_new=80 for captions


def test_images(n: int, size: int = data.IMAGE_SIZE) -> np.ndarray:
    """(n, size, size, 3) uint8: the first n test renders, from the cached pool when it exists (what
    evaluate.py reads), else rendered the same way (render is a pure function of the scene)."""
    pool = data.CACHE / f"test_{world.SPLIT_SIZES['test']}_{size}_ss{data.SUPERSAMPLE}.npy"
    if pool.exists():
        return np.asarray(np.load(pool, mmap_mode="r")[:n])
    return np.stack([world.render(world.scene("test", i), size, data.SUPERSAMPLE) for i in range(n)])


def item(i: int) -> dict:
    """Everything evaluate.py asks or checks about test scene i."""
    sc = world.scene("test", i)
    qs = world.questions(sc, world.language_rng("test", i))  # eval_generation's seeding
    negs = world.hard_negatives(sc, world.language_rng("test", i, salt=1))  # eval_retrieval's seeding
    cap = world.caption(sc)
    facts = sorted(scene_facts(sc))
    assert set(caption_facts(cap)) == set(facts), f"the caption regexes do not read back scene {i}"
    return {"index": i, "caption": cap, "facts": [list(f) for f in facts],
            "questions": [{"type": t, "question": q, "answer": a} for t, q, a in qs],
            "hardNegatives": negs}


def write_testset(out: Path, scenes: int, size: int = data.IMAGE_SIZE) -> dict:
    from PIL import Image
    if not 1 <= scenes <= world.SPLIT_SIZES["test"]:
        raise ValueError(f"--scenes must be 1..{world.SPLIT_SIZES['test']}, got {scenes}")
    (out / "images").mkdir(parents=True, exist_ok=True)
    images = test_images(scenes, size)
    items = []
    for i in range(scenes):
        rec = item(i)
        rec["image"] = f"images/test_{i:05d}.png"
        Image.fromarray(images[i]).save(out / rec["image"])
        items.append(rec)
    doc = {"format": "fwd2bot-testset", "version": 1, "split": "test", "scenes": scenes, "imageSize": size,
           "questionTypes": world.QUESTION_TYPES, "negativeTypes": world.NEGATIVE_TYPES,
           "generation": {"vqaMaxTokens": VQA_MAX_TOKENS, "captionMaxTokens": CAPTION_MAX_TOKENS,
                          "captionQuestion": text.CAPTION_QUESTION},
           "captionFactPatterns": {"object": OBJ_RE.pattern, "sign": SIGN_RE.pattern},
           "items": items}
    (out / "testset.json").write_text(json.dumps(doc, indent=1) + "\n")
    return doc


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--scenes", type=int, default=500, help="first N scenes of the test split")
    ap.add_argument("--size", type=int, default=data.IMAGE_SIZE, help="image side in pixels (the model's input size)")
    a = ap.parse_args(argv)
    t0 = time.time()
    doc = write_testset(a.out, a.scenes, a.size)
    nq = sum(len(it["questions"]) for it in doc["items"])
    print(f"wrote {a.out / 'testset.json'}: {a.scenes} scenes, {nq} questions ({time.time() - t0:.1f} s)", file=sys.stderr)


if __name__ == "__main__":
    main()
