"""Train and score the paper's ablations (Tables 5, 6, 7, 12) on a shorter schedule than the default model.

Each run trains only the Fwd2Bot stage, from the same base model, with one `Fwd2BotOptions` switch changed
(the table is `report.ABLATIONS`), then `fwd2bot.evaluate` scores it at K = 16 (VQA by type, caption F1)
and for retrieval. `reference` is the unchanged recipe on the same schedule: the row the others compare to.
Runs that finished are skipped, so the command resumes after an interruption:

  PYTHONPATH=python .venv/bin/python -m fwd2bot.ablations --out runs/ablations \
      --init python/checkpoints/instruct.safetensors --samples 6000 --scenes 300 --retrieval-scenes 300

The report (`fwd2bot.report --ablations runs/ablations`) reads <out>/<name>/{eval.json,options.json,log.jsonl}.
"""
from __future__ import annotations

import argparse
import shlex
import sys
import time
from pathlib import Path

from . import evaluate, train
from .report import ABLATIONS, ABLATION_SAMPLES


def flags_of(spec: str) -> list[str]:
    return shlex.split(spec)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=Path("runs/ablations"))
    ap.add_argument("--init", type=Path, default=Path("python/checkpoints/instruct.safetensors"),
                    help="the base model every ablation starts from")
    ap.add_argument("--samples", type=int, default=ABLATION_SAMPLES, help="Fwd2Bot-stage samples per run")
    ap.add_argument("--scenes", type=int, default=300, help="held-out scenes for VQA and captions")
    ap.add_argument("--retrieval-scenes", type=int, default=300)
    ap.add_argument("--only", default="", help="comma list of ablation names (default: all, in table order)")
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args(argv)
    if not a.init.exists():
        sys.exit(f"--init {a.init} does not exist: it is the base model (instruct stage) every ablation starts from")
    names = [n for n, *_ in ABLATIONS]
    only = [n for n in a.only.split(",") if n]
    unknown = [n for n in only if n not in names]
    if unknown:
        sys.exit(f"unknown ablation(s) {unknown}; known: {names}")
    for name, _tab, _row, flags, what in ABLATIONS:
        if only and name not in only:
            continue
        run = a.out / name
        if (run / "eval.json").exists():
            print(f"[{name}] done already ({run / 'eval.json'})", file=sys.stderr)
            continue
        t0 = time.time()
        print(f"[{name}] {what}: training {a.samples} samples", file=sys.stderr, flush=True)
        # warm-up as the default schedule has it (100 of 500 steps): a fifth of the run
        warmup = max(1, round(0.2 * a.samples / train.DEFAULTS["fwd2bot"].batch))
        train.main(["--run", str(run), "--stage", "fwd2bot", "--init", str(a.init), "--samples", str(a.samples),
                    "--warmup", str(warmup),
                    "--threads", str(a.threads), *flags_of(flags)])
        if not (run / "fwd2bot.safetensors").exists():
            sys.exit(f"[{name}] training stopped before the end; run again to resume")
        evaluate.main(["--run", str(run), "--only", "fwd2bot,retrieval", "--ks", "16", "--scenes", str(a.scenes),
                       "--retrieval-scenes", str(a.retrieval_scenes), "--threads", str(a.threads)])
        print(f"[{name}] finished in {(time.time() - t0) / 60:.1f} min", file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
