"""The training recipe, stage by stage, resumable (a stage checkpoint is written every few minutes).

    python -m fwd2bot.train --run runs/default --stage all      # the whole default recipe, in order
    python -m fwd2bot.train --run runs/default --stage instruct # one stage (needs the previous ones)

Stages (mirroring how LLaVA gets a grounded encoder and a fluent LLM before instruction tuning):
  vision    ViT supervised on what is in each 3x3 cell (shape, colour, size, glyph) + background
  text      decoder LM pre-training on the world's captions and Q&A text (no images)
  align     projector only, captioning with all vision tokens (encoder and LLM frozen)
  instruct  projector + LLM, captions + Q&A 1:1 with all vision tokens  -> the base model ("LLaVA");
            the vision encoder stays frozen here, as in LLaVA-1.5 (the vision stage already grounded it,
            and skipping its backward makes the longest stage ~1/4 cheaper)
  fwd2bot   frozen base; summary tokens + stage LoRAs; double forward; AR + contrastive; nested K
Each stage ends with runs/<run>/<stage>.safetensors (full fp32 weights) that the next stage starts from.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import random
import sys
import time
from dataclasses import dataclass, field, asdict
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import load_file, save_file

from . import data, text, world
from . import fwd2bot as fb
from .model import ModelConfig, TextConfig, TinyLlava

STAGES = ["vision", "text", "align", "instruct", "fwd2bot"]
NESTED_K = (1, 2, 4, 8, 16)


@dataclass
class StageConfig:
    samples: int
    batch: int
    lr: float
    warmup: int = 100
    pool: int = 24000  # distinct training scenes (rendered once)


DEFAULTS = {
    "vision": StageConfig(samples=192_000, batch=128, lr=1e-3),
    "text": StageConfig(samples=16_000, batch=64, lr=1e-3),
    "align": StageConfig(samples=16_000, batch=64, lr=2e-3),
    "instruct": StageConfig(samples=72_000, batch=64, lr=6e-4),
    "fwd2bot": StageConfig(samples=32_000, batch=64, lr=1e-3),
}


@dataclass
class Fwd2BotOptions:
    """Switches for the paper's ablations (Tables 5, 6, 7, 12) and our nested-K extension."""
    generative: bool = True  # L_AR through pass 2
    discriminative: bool = True  # contrastive L_disc on pass-1 outputs
    lora: str = "stage"  # "stage" (two adapters) | "single" (one shared) | "full" (full fine-tuning of the LLM)
    double_forward: bool = True  # False: compress in the input space without the LLM (InputSpaceCompressor)
    bidirectional: bool = False  # bidirectional attention over the prompt+summary block in pass 1
    nested: bool = True  # random prefix K' in pass 2 so tokens can be cut at query time
    caption_ratio: float = 0.5  # caption vs Q&A generation targets


def model_config() -> ModelConfig:
    return ModelConfig(text=TextConfig(vocab_size=text.vocab_size()))


def log(run: Path, rec: dict) -> None:
    with open(run / "log.jsonl", "a") as f:
        f.write(json.dumps(rec) + "\n")


def lr_at(step: int, total: int, cfg: StageConfig) -> float:
    if step < cfg.warmup:
        return cfg.lr * (step + 1) / cfg.warmup
    p = (step - cfg.warmup) / max(1, total - cfg.warmup)
    return cfg.lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, p))))


class VisionHeads(nn.Module):
    """Cell-level probes used only in the vision stage; discarded afterwards."""

    def __init__(self, dv: int):
        super().__init__()
        self.register_buffer("w", data.cell_patch_weights())
        self.shape = nn.Linear(dv, len(data.SHAPE_CLASSES))
        self.color = nn.Linear(dv, len(data.COLOR_CLASSES))
        self.size = nn.Linear(dv, len(data.SIZE_CLASSES))
        self.char = nn.Linear(dv, len(data.CHAR_CLASSES))
        self.bg = nn.Linear(dv, len(world.BACKGROUNDS))

    def loss(self, feats: torch.Tensor, cls: torch.Tensor, targets: torch.Tensor, bg: torch.Tensor):
        cells = torch.einsum("cv,bvd->bcd", self.w, feats)  # (B, 9, dv)
        ce = lambda head, t: F.cross_entropy(head(cells).flatten(0, 1), t.flatten())
        losses = [ce(self.shape, targets[..., 0]), ce(self.color, targets[..., 1]), ce(self.size, targets[..., 2]),
                  ce(self.char, targets[..., 3]), F.cross_entropy(self.bg(cls), bg)]
        acc = (self.shape(cells).argmax(-1) == targets[..., 0]).float().mean()
        return sum(losses), acc


class Trainer:
    def __init__(self, run: Path, stage: str, cfg: StageConfig, opts: Fwd2BotOptions, seed: int = 0,
                 init: Path | None = None, quiet: bool = False):
        self.run, self.stage, self.cfg, self.opts, self.quiet = run, stage, cfg, opts, quiet
        run.mkdir(parents=True, exist_ok=True)
        torch.manual_seed(seed)
        self.rng = random.Random(seed * 1000 + STAGES.index(stage))
        self.model = TinyLlava(model_config())
        self.extra = nn.ModuleDict()
        if init is not None:
            self.model.load_state_dict(load_file(str(init)), strict=False)
        self.params = self._setup_params()
        self.opt = torch.optim.AdamW(self.params, lr=cfg.lr, weight_decay=0.0 if stage == "fwd2bot" else 0.01,
                                     betas=(0.9, 0.98))
        self.step, self.samples_seen = 0, 0
        self.ckpt = run / f"{stage}.ckpt.pt"
        if self.ckpt.exists():
            st = torch.load(self.ckpt, weights_only=False)
            self.model.load_state_dict(st["model"])
            self.extra.load_state_dict(st["extra"])
            self.opt.load_state_dict(st["opt"])
            self.step, self.samples_seen = st["step"], st["samples"]
            self.rng.setstate(st["rng"])
            torch.set_rng_state(st["torch_rng"])
            self._say(f"[{stage}] resumed at step {self.step} ({self.samples_seen} samples)")
        if stage != "vision":
            self.pool = data.image_pool("train", cfg.pool, quiet=quiet) if stage != "text" else None
        else:
            self.pool = data.image_pool("train", cfg.pool, quiet=quiet)

    def _say(self, msg: str) -> None:
        if not self.quiet:
            print(msg, file=sys.stderr, flush=True)

    def _setup_params(self) -> list[nn.Parameter]:
        m, s, o = self.model, self.stage, self.opts
        for p in m.parameters():
            p.requires_grad_(False)
        if s == "vision":
            self.extra["heads"] = VisionHeads(m.cfg.vision.hidden_size)
            ps = list(m.model.vision_tower.parameters()) + list(self.extra.parameters())
        elif s == "text":
            ps = list(m.model.language_model.parameters()) + list(m.lm_head.parameters())
        elif s == "align":
            ps = list(m.model.multi_modal_projector.parameters())
        elif s == "instruct":
            ps = [p for n, p in m.named_parameters()
                  if not n.startswith("summary_tokens") and not n.startswith("model.vision_tower.")]
        else:  # fwd2bot
            self.extra["logit_scale"] = nn.ParameterList([nn.Parameter(torch.tensor(math.log(1 / 0.07)))])
            ps = [m.summary_tokens] + list(self.extra.parameters())
            if o.lora == "stage":
                m.add_lora(("compress", "generate"))
                ps += m.lora_parameters()
            elif o.lora == "single":
                m.add_lora(("shared",))
                ps += m.lora_parameters()
            elif o.lora == "full":
                ps += list(m.model.language_model.parameters())
            if not o.double_forward:
                m.single_forward = fb.InputSpaceCompressor(m.cfg.text.hidden_size, m.cfg.num_summary_tokens)
                ps += list(m.single_forward.parameters())
        for p in ps:
            p.requires_grad_(True)
        return ps

    def stage_name(self, pass_name: str) -> str | None:
        if self.stage != "fwd2bot" or self.opts.lora == "full":
            return None
        return "shared" if self.opts.lora == "single" else pass_name

    # -- one step per stage ---------------------------------------------------------------------------
    def batch_indices(self, B: int) -> list[int]:
        return [self.rng.randrange(self.cfg.pool) for _ in range(B)]

    def step_vision(self, B: int) -> dict:
        idx = self.batch_indices(B)
        pixels = data.to_pixels(self.pool[sorted(idx)])
        scenes = [world.scene("train", i) for i in sorted(idx)]
        targets = torch.from_numpy(np.stack([data.cell_targets(s) for s in scenes]))
        bg = torch.tensor([world.BACKGROUNDS.index(s.background) for s in scenes])
        hs = self.model.model.vision_tower.hidden_states(pixels)[self.model.cfg.vision_feature_layer]
        loss, acc = self.extra["heads"].loss(hs[:, 1:], hs[:, 0], targets, bg)
        return {"loss": loss, "shape_acc": float(acc)}

    def step_text(self, B: int) -> dict:
        strings = []
        for _ in range(B):
            sc = world.scene("train", self.rng.randrange(10_000_000))
            if self.rng.random() < 0.5:
                strings.append(self.rng.choice([world.caption(sc)] + world.paraphrases(sc, self.rng, 2)))
            else:
                _, q, a = self.rng.choice(world.questions(sc, self.rng))
                strings.append(f"{text.USER} {q} {text.ASSISTANT} {a}")
        b = data.text_lm_batch(strings)
        self.model.set_stage(None)
        return {"loss": fb.lm_loss(self.model, self.model.embed(b.ids), b.labels)}

    def step_base(self, B: int, caption_ratio: float) -> dict:
        idx = sorted(self.batch_indices(B))
        samples = [data.make_sample("train", i, self.rng, caption_ratio) for i in idx]
        hv = self.model.encode_image(data.to_pixels(self.pool[idx]))
        b = data.gen_batch(samples, hv.shape[1])
        self.model.set_stage(None)
        return {"loss": fb.lm_loss(self.model, fb.embed_with_image(self.model, b.ids, hv), b.labels)}

    def step_fwd2bot(self, B: int) -> dict:
        m, o = self.model, self.opts
        idx = sorted(self.batch_indices(B))
        # Every sample of the synthetic world has both a conversation and a caption, so each batch feeds
        # both losses with B samples (the paper's sampler groups such samples to reach 1:1).
        samples = [data.make_sample("train", i, self.rng, o.caption_ratio) for i in idx]
        with torch.no_grad():
            hv = m.encode_image(data.to_pixels(self.pool[idx]))
        if o.double_forward:
            hc = fb.compress_image(m, hv, o.bidirectional, self.stage_name("compress"))
        else:
            hc = m.single_forward(hv)
        out, loss = {}, torch.zeros(())
        if o.generative:
            k = self.rng.choice(NESTED_K) if o.nested and self.rng.random() < 0.6 else m.cfg.num_summary_tokens
            b = data.gen_batch(samples, k)
            m.set_stage(self.stage_name("generate"))
            l_ar = fb.lm_loss(m, fb.embed_with_image(m, b.ids, hc[:, :k]), b.labels)
            loss = loss + l_ar
            out["ar"], out["k"] = float(l_ar), k
        if o.discriminative:
            ht = self._compress_text([s.caption for s in samples])
            scale = self.extra["logit_scale"][0].exp().clamp(max=100.0)
            l_disc = fb.contrastive_loss(hc.mean(1), ht.mean(1), scale)
            loss = loss + l_disc
            out["disc"] = float(l_disc)
        out["loss"] = loss
        return out

    def _compress_text(self, captions):
        return fb.compress_text(self.model, captions, self.opts.bidirectional, self.stage_name("compress"))

    # -- loop -----------------------------------------------------------------------------------------
    def save_ckpt(self) -> None:
        tmp = self.ckpt.with_suffix(".tmp")
        torch.save({"model": self.model.state_dict(), "extra": self.extra.state_dict(), "opt": self.opt.state_dict(),
                    "step": self.step, "samples": self.samples_seen, "rng": self.rng.getstate(),
                    "torch_rng": torch.get_rng_state()}, tmp)
        os.replace(tmp, self.ckpt)

    def train(self, max_minutes: float | None = None) -> Path:
        cfg, B = self.cfg, self.cfg.batch
        total = cfg.samples // B
        self.model.train()
        t0, last_save, tl = time.time(), time.time(), time.time()
        acc: dict[str, list[float]] = {}
        while self.step < total:
            for g in self.opt.param_groups:
                g["lr"] = lr_at(self.step, total, cfg)
            if self.stage == "vision":
                out = self.step_vision(B)
            elif self.stage == "text":
                out = self.step_text(B)
            elif self.stage == "align":
                out = self.step_base(B, caption_ratio=1.0)
            elif self.stage == "instruct":
                out = self.step_base(B, caption_ratio=0.5)
            else:
                out = self.step_fwd2bot(B)
            self.opt.zero_grad(set_to_none=True)
            out["loss"].backward()
            torch.nn.utils.clip_grad_norm_(self.params, 1.0)
            self.opt.step()
            self.step += 1
            self.samples_seen += B
            for k, v in out.items():
                acc.setdefault(k, []).append(float(v))
            if self.step % 25 == 0 or self.step == total:
                rec = {"stage": self.stage, "step": self.step, "samples": self.samples_seen,
                       "lr": self.opt.param_groups[0]["lr"], "time": time.time(),
                       "samples_per_s": 25 * B / max(1e-9, time.time() - tl)}
                rec.update({k: float(np.mean(v)) for k, v in acc.items()})
                log(self.run, rec)
                self._say(" ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in rec.items() if k != "time"))
                acc, tl = {}, time.time()
            if time.time() - last_save > 300:
                self.save_ckpt()
                last_save = time.time()
            if max_minutes is not None and time.time() - t0 > max_minutes * 60:
                self.save_ckpt()
                self._say(f"[{self.stage}] paused after {max_minutes} min at step {self.step}/{total}")
                return None
        self.save_ckpt()
        out = self.run / f"{self.stage}.safetensors"
        sd = {k: v.contiguous() for k, v in self.model.state_dict().items()}
        save_file(sd, str(out), metadata={"stage": self.stage, "config": json.dumps(self.model.cfg.to_dict()),
                                           "options": json.dumps(asdict(self.opts))})
        self._say(f"[{self.stage}] done: {out}")
        return out


def previous_weights(run: Path, stage: str) -> Path | None:
    """The weights a stage starts from: vision and text start fresh; align merges them."""
    if stage in ("vision", "text"):
        return None
    if stage == "align":
        merged = run / "align.init.safetensors"
        if not merged.exists():
            v, t = load_file(str(run / "vision.safetensors")), load_file(str(run / "text.safetensors"))
            sd = {k: (v[k] if k.startswith("model.vision_tower.") else t[k]) for k in t}
            save_file(sd, str(merged))
        return merged
    return run / f"{STAGES[STAGES.index(stage) - 1]}.safetensors"


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--run", type=Path, default=Path("runs/default"))
    ap.add_argument("--stage", default="all", choices=STAGES + ["all"])
    ap.add_argument("--samples", type=int, help="override the stage's sample budget")
    ap.add_argument("--batch", type=int)
    ap.add_argument("--lr", type=float)
    ap.add_argument("--pool", type=int)
    ap.add_argument("--warmup", type=int, help="linear warm-up steps (default 100; a short schedule needs fewer)")
    ap.add_argument("--init", type=Path, help="start the stage from these weights (default: previous stage)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--max-minutes", type=float, help="pause (checkpoint) after this long; rerun to resume")
    ap.add_argument("--threads", type=int, default=int(os.environ.get("FWD2BOT_THREADS", "2")))
    for f in ("generative", "discriminative", "nested", "double_forward", "bidirectional"):
        ap.add_argument(f"--{f.replace('_', '-')}", type=lambda s: s.lower() in ("1", "true", "yes"))
    ap.add_argument("--lora", choices=["stage", "single", "full"])
    a = ap.parse_args(argv)
    torch.set_num_threads(a.threads)
    opts = Fwd2BotOptions()
    for f in ("generative", "discriminative", "nested", "double_forward", "bidirectional", "lora"):
        if getattr(a, f) is not None:
            setattr(opts, f, getattr(a, f))
    a.run.mkdir(parents=True, exist_ok=True)
    (a.run / "options.json").write_text(json.dumps({"args": {k: str(v) for k, v in vars(a).items()},
                                                     "fwd2bot": asdict(opts)}, indent=1))
    stages = STAGES if a.stage == "all" else [a.stage]
    t_start = time.time()
    for s in stages:
        if (a.run / f"{s}.safetensors").exists():
            print(f"[{s}] already done", file=sys.stderr)
            continue
        cfg = DEFAULTS[s]
        cfg = StageConfig(**{**asdict(cfg), **{k: getattr(a, k) for k in ("samples", "batch", "lr", "pool", "warmup") if getattr(a, k)}})
        left = None if a.max_minutes is None else a.max_minutes - (time.time() - t_start) / 60
        if left is not None and left <= 0:
            return
        tr = Trainer(a.run, s, cfg, opts, a.seed, a.init or previous_weights(a.run, s))
        if tr.train(left) is None:
            return


if __name__ == "__main__":
    main()
