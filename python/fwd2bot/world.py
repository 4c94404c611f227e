"""The synthetic visual world: one source of truth for scenes, images, captions, Q&A and hard negatives.

A scene is 1-6 objects on a 3x3 grid (shape, colour, size, cell, sub-cell jitter), optionally one sign
tile showing a letter or digit, on a plain or textured background. Everything is deterministic by seed:
scene(split, index) always returns the same scene, and rendering is a pure function of the scene.

Splits: 'train' draws from an unbounded seed space and skips any scene whose layout signature belongs
to the 'val' or 'test' splits (fixed sizes), so held-out scenes are never seen in training.

The app's sample photos are rendered by this same module (`render(scene, size=256)`).
"""
from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field, asdict
from functools import lru_cache

import numpy as np

SHAPES = ["circle", "square", "triangle", "diamond", "cross", "ring"]
COLORS = {
    "red": (220, 40, 40), "green": (40, 170, 60), "blue": (40, 80, 220), "yellow": (240, 210, 40),
    "purple": (150, 60, 190), "orange": (245, 140, 30), "white": (245, 245, 245),
}
COLOR_NAMES = list(COLORS)
SIZES = ["small", "large"]
ROWS = ["top", "middle", "bottom"]
COLS = ["left", "center", "right"]
# Position names of the 9 cells (row-major). The middle row uses plain "left"/"right"/"center".
CELL_NAMES = ["top left", "top", "top right", "left", "center", "right", "bottom left", "bottom", "bottom right"]
CHARS = list("ABCDEFGHKMNPRSTXYZ2345789")  # glyphs that stay distinct in a 5x7 font
BACKGROUNDS = ["gray", "dark", "sand", "stripes", "checker", "noise"]
NUMBER_WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven"]
SPLIT_SIZES = {"val": 500, "test": 2000}
SPLIT_SALT = {"train": 11, "val": 22, "test": 33, "samples": 44}

# A compact 5x7 bitmap font for the sign glyphs (rows top to bottom, 5 bits each).
FONT = {
    "A": ["01110", "10001", "10001", "11111", "10001", "10001", "10001"],
    "B": ["11110", "10001", "10001", "11110", "10001", "10001", "11110"],
    "C": ["01111", "10000", "10000", "10000", "10000", "10000", "01111"],
    "D": ["11110", "10001", "10001", "10001", "10001", "10001", "11110"],
    "E": ["11111", "10000", "10000", "11110", "10000", "10000", "11111"],
    "F": ["11111", "10000", "10000", "11110", "10000", "10000", "10000"],
    "G": ["01111", "10000", "10000", "10011", "10001", "10001", "01111"],
    "H": ["10001", "10001", "10001", "11111", "10001", "10001", "10001"],
    "K": ["10001", "10010", "10100", "11000", "10100", "10010", "10001"],
    "M": ["10001", "11011", "10101", "10101", "10001", "10001", "10001"],
    "N": ["10001", "11001", "10101", "10011", "10001", "10001", "10001"],
    "P": ["11110", "10001", "10001", "11110", "10000", "10000", "10000"],
    "R": ["11110", "10001", "10001", "11110", "10100", "10010", "10001"],
    "S": ["01111", "10000", "10000", "01110", "00001", "00001", "11110"],
    "T": ["11111", "00100", "00100", "00100", "00100", "00100", "00100"],
    "X": ["10001", "10001", "01010", "00100", "01010", "10001", "10001"],
    "Y": ["10001", "10001", "01010", "00100", "00100", "00100", "00100"],
    "Z": ["11111", "00001", "00010", "00100", "01000", "10000", "11111"],
    "2": ["01110", "10001", "00001", "00010", "00100", "01000", "11111"],
    "3": ["11110", "00001", "00001", "01110", "00001", "00001", "11110"],
    "4": ["00010", "00110", "01010", "10010", "11111", "00010", "00010"],
    "5": ["11111", "10000", "11110", "00001", "00001", "10001", "01110"],
    "7": ["11111", "00001", "00010", "00100", "01000", "01000", "01000"],
    "8": ["01110", "10001", "10001", "01110", "10001", "10001", "01110"],
    "9": ["01110", "10001", "10001", "01111", "00001", "00010", "01100"],
}


@dataclass(frozen=True)
class Obj:
    shape: str  # one of SHAPES, or "sign"
    color: str  # one of COLOR_NAMES ("white" for signs)
    size: str  # "small" | "large"
    cell: int  # 0..8, row-major on the 3x3 grid
    jitter: tuple[float, float] = (0.0, 0.0)  # offset from the cell centre, fraction of a cell
    char: str | None = None  # the glyph on a sign

    @property
    def row(self) -> int:
        return self.cell // 3

    @property
    def col(self) -> int:
        return self.cell % 3

    def phrase(self) -> str:
        if self.shape == "sign":
            return f"a sign that says {self.char.lower()}"
        return f"a {self.size} {self.color} {self.shape}"

    def name(self) -> str:
        return f"{self.color} {self.shape}"


@dataclass(frozen=True)
class Scene:
    objects: tuple[Obj, ...]
    background: str
    seed: int = 0
    bg_tint: tuple[int, int, int] = (0, 0, 0)

    def signature(self) -> str:
        """Layout identity, ignoring jitter and tint: scenes with equal signatures count as the same scene."""
        parts = sorted(f"{o.shape}/{o.color}/{o.size}/{o.cell}/{o.char}" for o in self.objects)
        return self.background + "|" + ",".join(parts)

    def shapes(self) -> list[Obj]:
        return [o for o in self.objects if o.shape != "sign"]

    def sign(self) -> Obj | None:
        return next((o for o in self.objects if o.shape == "sign"), None)

    def to_json(self) -> dict:
        return asdict(self)


def _rng(split: str, index: int) -> random.Random:
    h = hashlib.sha256(f"fwd2bot-world/{SPLIT_SALT[split]}/{index}".encode()).digest()
    return random.Random(int.from_bytes(h[:8], "little"))


def _sample_scene(rng: random.Random, seed: int) -> Scene:
    n = rng.choice([1, 2, 2, 3, 3, 4, 4, 5, 6])
    cells = rng.sample(range(9), n)
    has_sign = rng.random() < 0.35
    objs: list[Obj] = []
    background = rng.choice(BACKGROUNDS)
    for i, cell in enumerate(cells):
        jit = (rng.uniform(-0.12, 0.12), rng.uniform(-0.12, 0.12))
        if has_sign and i == 0:
            objs.append(Obj("sign", "white", "large", cell, jit, rng.choice(CHARS)))
        else:
            objs.append(Obj(rng.choice(SHAPES), rng.choice(COLOR_NAMES), rng.choice(SIZES), cell, jit))
    tint = tuple(rng.randint(-12, 12) for _ in range(3))
    return Scene(tuple(objs), background, seed, tint)


@lru_cache(maxsize=4)
def heldout_signatures() -> frozenset[str]:
    return frozenset(scene(s, i).signature() for s in ("val", "test") for i in range(SPLIT_SIZES[s]))


def scene(split: str, index: int) -> Scene:
    """The scene at `index` of `split` ('train' | 'val' | 'test' | 'samples'). Deterministic."""
    if split in SPLIT_SIZES and not 0 <= index < SPLIT_SIZES[split]:
        raise IndexError(f"{split} has {SPLIT_SIZES[split]} scenes, asked for {index}")
    if split == "train":
        held = heldout_signatures()
        attempt = 0
        while True:
            s = _sample_scene(_rng(split, index * 1000 + attempt), index)
            if s.signature() not in held:
                return s
            attempt += 1
    return _sample_scene(_rng(split, index), index)


# ----------------------------------------------------------------------------------------------------
# Rendering


def _background(scene: Scene, size: int) -> np.ndarray:
    """(size, size, 3) float32 in 0..255."""
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / size
    tint = np.array(scene.bg_tint, np.float32)
    base = {"gray": (150, 150, 150), "dark": (60, 60, 70), "sand": (200, 185, 150),
            "stripes": (120, 130, 140), "checker": (130, 120, 110), "noise": (140, 140, 130)}[scene.background]
    img = np.empty((size, size, 3), np.float32)
    img[:] = np.array(base, np.float32) + tint
    if scene.background == "stripes":
        band = (np.floor((xx + yy) * 8) % 2)[..., None]
        img += band * 30 - 15
    elif scene.background == "checker":
        band = ((np.floor(xx * 6) + np.floor(yy * 6)) % 2)[..., None]
        img += band * 30 - 15
    elif scene.background == "noise":
        r = np.random.default_rng(scene.seed + 7)
        coarse = r.normal(0, 18, (16, 16, 1)).astype(np.float32)
        reps = -(-size // 16)
        img += np.kron(coarse, np.ones((reps, reps, 1), np.float32))[:size, :size]
    return img


def _shape_mask(shape: str, xx: np.ndarray, yy: np.ndarray, r: float) -> np.ndarray:
    """Coverage in {0,1} of a shape of half-size r centred at 0 (xx, yy in pixels from the centre)."""
    ax, ay = np.abs(xx), np.abs(yy)
    if shape == "circle":
        return (xx * xx + yy * yy) <= r * r
    if shape == "square":
        return (ax <= r * 0.85) & (ay <= r * 0.85)
    if shape == "diamond":
        return (ax + ay) <= r
    if shape == "triangle":  # apex up
        return (yy <= r * 0.8) & (yy >= -r) & (ax <= (yy + r) * 0.58)
    if shape == "cross":
        t = r * 0.33
        return ((ax <= t) & (ay <= r)) | ((ay <= t) & (ax <= r))
    if shape == "ring":
        d2 = xx * xx + yy * yy
        return (d2 <= r * r) & (d2 >= (r * 0.55) ** 2)
    raise ValueError(shape)


def render(scene: Scene, size: int = 64, supersample: int = 2) -> np.ndarray:
    """(size, size, 3) uint8 RGB. Anti-aliased by rendering at size*supersample and box-averaging."""
    s = size * supersample
    img = _background(scene, s)
    cell = s / 3.0
    yy, xx = np.mgrid[0:s, 0:s].astype(np.float32) + 0.5
    for o in scene.objects:
        cx = (o.col + 0.5 + o.jitter[0]) * cell
        cy = (o.row + 0.5 + o.jitter[1]) * cell
        if o.shape == "sign":
            half = cell * 0.40
            tile = (np.abs(xx - cx) <= half) & (np.abs(yy - cy) <= half)
            img[tile] = (250, 250, 245)
            glyph = FONT[o.char]
            px = (2 * half * 0.8) / 7.0  # glyph pixel size: 7 rows fill 80% of the tile
            gx0, gy0 = cx - 2.5 * px, cy - 3.5 * px
            gx = np.floor((xx - gx0) / px).astype(np.int64)
            gy = np.floor((yy - gy0) / px).astype(np.int64)
            inside = (gx >= 0) & (gx < 5) & (gy >= 0) & (gy < 7) & tile
            bits = np.array([[c == "1" for c in row] for row in glyph])
            on = np.zeros_like(inside)
            on[inside] = bits[gy[inside], gx[inside]]
            img[on] = (20, 20, 20)
            continue
        r = cell * (0.42 if o.size == "large" else 0.24)
        m = _shape_mask(o.shape, xx - cx, yy - cy, r)
        img[m] = COLORS[o.color]
    img = np.clip(img, 0, 255)
    if supersample > 1:
        img = img.reshape(size, supersample, size, supersample, 3).mean(axis=(1, 3))
    return np.round(img).astype(np.uint8)


# ----------------------------------------------------------------------------------------------------
# Language: captions, paraphrases, Q&A, hard negatives


def _join(parts: list[str]) -> str:
    if len(parts) == 1:
        return parts[0]
    return " , ".join(parts[:-1]) + " and " + parts[-1]  # punctuation spaced, as the tokenizer decodes it


def _where(o: Obj) -> str:
    n = CELL_NAMES[o.cell]
    return "in the center" if n == "center" else f"at the {n}"


def _bg_phrase(bg: str) -> str:
    return {"gray": "a gray background", "dark": "a dark background", "sand": "a sand background",
            "stripes": "a striped background", "checker": "a checkered background",
            "noise": "a noisy background"}[bg]


def _order(scene: Scene) -> list[Obj]:
    return sorted(scene.objects, key=lambda o: o.cell)


def caption(scene: Scene, objs: list[Obj] | None = None) -> str:
    """The canonical caption: objects in reading order, each with its position, then the background."""
    objs = _order(scene) if objs is None else objs
    return f"{_join([f'{o.phrase()} {_where(o)}' for o in objs])} on {_bg_phrase(scene.background)} ."


def paraphrases(scene: Scene, rng: random.Random, n: int = 3) -> list[str]:
    """Alternative captions: other object orders and openings; the same facts."""
    out = []
    for _ in range(n):
        objs = list(scene.objects)
        rng.shuffle(objs)
        body = _join([f"{o.phrase()} {_where(o)}" for o in objs])
        opening = rng.choice(["", "there is ", "the image shows ", "a picture of "])
        if opening == "there is " and len(objs) > 1:
            opening = "there are "
        out.append(f"{opening}{body} on {_bg_phrase(scene.background)} .".strip())
    return out


def _unique(objs: list[Obj], key) -> dict:
    count: dict = {}
    for o in objs:
        count[key(o)] = count.get(key(o), 0) + 1
    return {k: v for k, v in count.items() if v == 1}


RELATIONS = {"left of": (0, -1), "right of": (0, 1), "above": (-1, 0), "below": (1, 0)}


def _relation_holds(a: Obj, b: Obj, rel: str) -> bool:
    if rel == "left of":
        return a.col < b.col
    if rel == "right of":
        return a.col > b.col
    if rel == "above":
        return a.row < b.row
    return a.row > b.row


def questions(scene: Scene, rng: random.Random) -> list[tuple[str, str, str]]:
    """(type, question, answer) triples, one or more per type that the scene supports."""
    qa: list[tuple[str, str, str]] = []
    shapes = scene.shapes()
    names = _unique(shapes, lambda o: (o.color, o.shape))
    by_name = {(o.color, o.shape): o for o in shapes if (o.color, o.shape) in names}
    uniq_shape = _unique(shapes, lambda o: o.shape)
    uniq_color = _unique(shapes, lambda o: o.color)
    # colour
    if uniq_shape:
        shp = rng.choice(sorted(uniq_shape))
        o = next(o for o in shapes if o.shape == shp)
        qa.append(("color", f"what color is the {shp} ?", o.color))
    if shapes:
        o = rng.choice(shapes)
        qa.append(("color", f"what color is the object {_where(o)} ?", o.color))
    # shape
    if uniq_color:
        col = rng.choice(sorted(uniq_color))
        o = next(o for o in shapes if o.color == col)
        qa.append(("shape", f"what shape is the {col} object ?", o.shape))
    if shapes:
        o = rng.choice(shapes)
        qa.append(("shape", f"what shape is {_where(o)} ?", o.shape))
    # size
    if by_name:
        o = by_name[rng.choice(sorted(by_name))]
        qa.append(("size", f"is the {o.name()} small or large ?", o.size))
    # count
    qa.append(("count", "how many objects are there ?", NUMBER_WORDS[len(scene.objects)]))
    if rng.random() < 0.5:
        col = rng.choice(COLOR_NAMES)
        qa.append(("count", f"how many {col} objects are there ?", NUMBER_WORDS[sum(o.color == col for o in shapes)]))
    else:
        shp = rng.choice(SHAPES)
        qa.append(("count", f"how many {shp}s are there ?", NUMBER_WORDS[sum(o.shape == shp for o in shapes)]))
    # position
    if by_name:
        o = by_name[rng.choice(sorted(by_name))]
        qa.append(("position", f"where is the {o.name()} ?", CELL_NAMES[o.cell]))
    # relation (yes/no, balanced by construction: ask a true or a false relation at random)
    if len(by_name) >= 2:
        a_key, b_key = rng.sample(sorted(by_name), 2)
        a, b = by_name[a_key], by_name[b_key]
        true_rels = [r for r in RELATIONS if _relation_holds(a, b, r)]
        false_rels = [r for r in RELATIONS if not _relation_holds(a, b, r)]
        want = rng.random() < 0.5
        pool = true_rels if want and true_rels else false_rels
        rel = rng.choice(pool)
        qa.append(("relation", f"is the {a.name()} {rel} the {b.name()} ?", "yes" if _relation_holds(a, b, rel) else "no"))
    # existence (balanced)
    if rng.random() < 0.5 and shapes:
        o = rng.choice(shapes)
        qa.append(("existence", f"is there a {o.name()} ?", "yes"))
    else:
        present = {(o.color, o.shape) for o in shapes}
        for _ in range(20):
            c, s = rng.choice(COLOR_NAMES), rng.choice(SHAPES)
            if (c, s) not in present:
                qa.append(("existence", f"is there a {c} {s} ?", "no"))
                break
    # reading
    sign = scene.sign()
    if sign is not None:
        qa.append(("reading", "what is written on the sign ?", sign.char.lower()))
        qa.append(("reading", "where is the sign ?", CELL_NAMES[sign.cell]))
    return qa


QUESTION_TYPES = ["color", "shape", "size", "count", "position", "relation", "existence", "reading"]
NEGATIVE_TYPES = ["replace-obj", "replace-att", "replace-rel", "swap-att", "add-obj"]


def hard_negatives(scene: Scene, rng: random.Random) -> dict[str, str]:
    """SugarCrepe-style negatives of the canonical caption, one per type the scene supports."""
    objs = _order(scene)
    shapes = [o for o in objs if o.shape != "sign"]
    out: dict[str, str] = {}

    def with_obj(i: int, new: Obj) -> str:
        lst = list(objs)
        lst[i] = new
        return caption(scene, lst)

    if shapes:
        o = rng.choice(shapes)
        i = objs.index(o)
        out["replace-obj"] = with_obj(i, Obj(rng.choice([s for s in SHAPES if s != o.shape]), o.color, o.size, o.cell))
        o = rng.choice(shapes)
        i = objs.index(o)
        out["replace-att"] = with_obj(i, Obj(o.shape, rng.choice([c for c in COLOR_NAMES if c != o.color]), o.size, o.cell))
        free = [c for c in range(9) if all(x.cell != c for x in objs)]
        if free:
            o = rng.choice(shapes)
            i = objs.index(o)
            out["replace-rel"] = with_obj(i, Obj(o.shape, o.color, o.size, rng.choice(free)))
    diff = [(a, b) for a in shapes for b in shapes if a.cell < b.cell and a.color != b.color]
    if diff:
        a, b = rng.choice(diff)
        lst = list(objs)
        lst[objs.index(a)] = Obj(a.shape, b.color, a.size, a.cell)
        lst[objs.index(b)] = Obj(b.shape, a.color, b.size, b.cell)
        out["swap-att"] = caption(scene, lst)
    free = [c for c in range(9) if all(x.cell != c for x in objs)]
    if free:
        new = Obj(rng.choice(SHAPES), rng.choice(COLOR_NAMES), rng.choice(SIZES), rng.choice(free))
        out["add-obj"] = caption(scene, sorted(objs + [new], key=lambda o: o.cell))
    return out


def language_rng(split: str, index: int, salt: int = 0) -> random.Random:
    """Deterministic randomness for the texts of one scene (held-out splits use salt 0)."""
    return _rng(split, index * 7919 + 104729 * (salt + 1))


def vocabulary() -> list[str]:
    """Every word the world's texts use (the tokenizer's vocabulary, special tokens excluded)."""
    words = set("a sign that says at the in on background there is are image shows picture of and , . ? : "
                "what color is object shape small or large how many objects where left right above below "
                "top bottom center middle yes no written describe summarize few words summary word sentence".split())
    words |= set(SHAPES) | {s + "s" for s in SHAPES} | set(COLOR_NAMES) | set(SIZES) | set(NUMBER_WORDS)
    words |= {c.lower() for c in CHARS}
    words |= {"gray", "dark", "sand", "striped", "checkered", "noisy", "user", "assistant", "the", "an"}
    return sorted(words)
