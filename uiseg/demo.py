"""`make demo`: the whole pipeline on synthetic data, each step shown as the command a user would type.

synth + train + evaluate must finish in about 5 minutes on a 2-core CPU; export and segment follow.
"""

from __future__ import annotations

import argparse
import json
import shlex
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from uiseg.images import read_mask


def step(title: str, *args: str) -> float:
    """Run `uiseg ARGS...` in a fresh process, echo the command, return its seconds; stop the demo on failure."""
    print(f"\n== {title}\n$ uiseg {shlex.join(args)}", flush=True)
    start = time.perf_counter()
    code = subprocess.call([sys.executable, "-m", "uiseg", *args])
    if code != 0:
        sys.exit(f"demo stopped: `uiseg {args[0]}` exited with {code}")
    return time.perf_counter() - start


def mask_agreement(a: Path, b: Path) -> float:
    """Fraction of mask pixels on which two segment output folders agree."""
    same = total = 0
    for mask in sorted(a.rglob("*.png")):
        rel = mask.relative_to(a)
        if rel.parts[0] in ("overlays", "probs"):
            continue
        x, y = read_mask(mask), read_mask(b / rel)
        same, total = same + int((x == y).sum()), total + x.size
    return same / max(total, 1)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("demo"))
    out = parser.parse_args(argv).out
    run, heldout = out / "run", out / "heldout"
    ckpt = run / "checkpoints" / "best.ckpt"
    t = {"train (synth + fit)": step("train on synthetic screenshots (no DATA: made in RUN/data)",
                                     "train", "--out", str(run), "--seed", "0", "--overwrite")}
    t["evaluate"] = step("evaluate on held-out UI styles", "evaluate", str(run / "data" / "val"),
                         "--checkpoint", str(ckpt), "--out", str(run / "eval"))
    budget = sum(t.values())
    t["export"] = step("export TorchScript + ONNX (fp32, fp16) with a parity report",
                       "export", str(ckpt), "--fp16")
    t["synth"] = step("make a folder of unseen screenshots", "synth", str(heldout), "--count", "24",
                      "--size", "256x224", "--size", "320x240", "--seed", "123", "--val-families")
    models = {"torch": ckpt, "torchscript": ckpt.with_name("model.ts"), "onnx": ckpt.with_name("model.onnx")}
    for name, model in models.items():
        t[f"segment ({name})"] = step(f"segment with {name}", "segment", str(heldout / "images"),
                                      str(out / f"segment-{name}"), "--model", str(model), "--overlay",
                                      "--overwrite")
    summary = json.loads((run / "eval" / "summary.json").read_text())
    overall = summary["overall"]
    print("\n== summary")
    for name, seconds in t.items():
        print(f"{name:24} {seconds:7.1f} s")
    print(f"{'synth+train+evaluate':24} {budget:7.1f} s (target <= 300 s on a 2-core CPU)")
    for name in ("torchscript", "onnx"):
        agree = mask_agreement(out / "segment-torch", out / f"segment-{name}")
        print(f"mask agreement torch vs {name}: {100 * agree:.4f} %")
    overlay = next(iter(sorted((out / "segment-onnx" / "overlays").rglob("*.png"))), None)
    print(f"overlay example: {overlay}")
    print(f"val IoU {overall['iou']:.3f}  Dice {overall['dice']:.3f}  (held-out UI styles; "
          f"checkpoint {ckpt})")
    if np.isnan(overall["iou"]):
        sys.exit("demo: val IoU is NaN")


if __name__ == "__main__":
    main()
