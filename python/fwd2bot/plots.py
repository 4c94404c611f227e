"""Training curves from runs/<run>/log.jsonl -> PNG (one panel per stage).

    python -m fwd2bot.plots --run runs/default --out docs/training_curves.png
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from .train import STAGES  # noqa: E402


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--run", type=Path, default=Path("runs/default"))
    ap.add_argument("--out", type=Path)
    a = ap.parse_args(argv)
    recs = [json.loads(l) for l in (a.run / "log.jsonl").read_text().splitlines() if l.strip()]
    stages = [s for s in STAGES if any(r["stage"] == s for r in recs)]
    fig, axes = plt.subplots(1, len(stages), figsize=(4 * len(stages), 3.2), squeeze=False)
    for ax, s in zip(axes[0], stages):
        # a stage restarted from scratch (or resumed from a checkpoint) logs some steps again: the last wins
        rs = sorted({r["step"]: r for r in recs if r["stage"] == s}.values(), key=lambda r: r["step"])
        x = [r["samples"] / 1000 for r in rs]
        for key in ("loss", "ar", "disc"):
            if key in rs[0]:
                ax.plot(x, [r[key] for r in rs], label=key)
        if "shape_acc" in rs[0]:
            ax2 = ax.twinx()
            ax2.plot(x, [r["shape_acc"] for r in rs], color="tab:green", label="cell shape acc")
            ax2.set_ylim(0, 1)
            ax2.legend(loc="center right", fontsize=7)
        ax.set_title(s)
        ax.set_xlabel("samples (k)")
        ax.set_yscale("log")
        ax.legend(fontsize=7)
    fig.tight_layout()
    out = a.out or a.run / "training_curves.png"
    fig.savefig(out, dpi=110)
    print(out)


if __name__ == "__main__":
    main()
