"""Training throughput: the tutorial's configuration against uiseg's default recipe, in the same run.

Both train the same default UNet at the tutorial's 256x224 on the same synthesised folder, through the same
data pipeline (uiseg.data: PNG decode + training augmentation), with Lightning. Only the speed-related settings
differ:
  tutorial: fp32, batch 4, num_workers=0, Adam, NCHW
  uiseg:    the default recipe for the device (GPU: bf16-mixed autocast, channels_last, batch 32, workers,
            pinned memory, AdamW + one-cycle; CPU: the cpu recipe's batch and workers, fp32)
Throughput is images per second over the steps after warm-up, data loading included (CUDA synchronised at
the window's edges); the median per-step rate is reported too. Usage:

    python benchmarks/bench_train.py --steps 30 --device auto
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pytorch_lightning as pl
import torch

from uiseg.bench.results import describe_machine, header, md_table
from uiseg.bench.results import write_results as write_pair
from uiseg.config import Contract, ModelConfig
from uiseg.system import UisegSystem
from uiseg.train import default_workers, make_config

SIZE = (224, 256)  # (H, W): the tutorial's 256x224


class StepTimer(pl.Callback):
    """Wall time at the end of every training step (after a CUDA sync, so GPU work is counted)."""

    def __init__(self):
        self.ends: list[float] = []

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
        if pl_module.device.type == "cuda":
            torch.cuda.synchronize()
        self.ends.append(time.perf_counter())


def configs(device: str) -> dict[str, dict]:
    recipe = make_config("gpu" if device == "cuda" else "cpu")
    return {
        "tutorial": {"batch_size": 4, "workers": 0, "precision": "32-true",
                     "train": {"optimizer": "adam", "schedule": "none", "loss": "bce", "learning_rate": 1e-3}},
        "uiseg": {"batch_size": recipe.batch_size, "workers": default_workers(recipe.workers),
                  "precision": "bf16-mixed" if device == "cuda" else "32-true",
                  "train": {"optimizer": recipe.optimizer, "schedule": recipe.schedule, "loss": recipe.loss,
                            "learning_rate": recipe.learning_rate}},
    }


def measure(name: str, cfg: dict, pairs, device: str, steps: int, warmup: int) -> dict:
    from torch.utils.data import DataLoader

    from uiseg.data import SegDataset, train_transform

    pl.seed_everything(0, verbose=False)
    workers = cfg["workers"]
    loader = DataLoader(SegDataset(pairs, train_transform(SIZE)), batch_size=cfg["batch_size"], shuffle=True,
                        drop_last=True, num_workers=workers, persistent_workers=workers > 0,
                        pin_memory=device == "cuda")
    system = UisegSystem(ModelConfig(), Contract(image_size=SIZE), cfg["train"])
    timer = StepTimer()
    trainer = pl.Trainer(accelerator="gpu" if device == "cuda" else "cpu", devices=1, precision=cfg["precision"],
                         max_steps=warmup + steps, max_epochs=-1, callbacks=[timer], logger=False,
                         enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False,
                         limit_val_batches=0, benchmark=device == "cuda")
    trainer.fit(system, loader)
    ends = timer.ends[warmup - 1:]  # window: from the end of the last warm-up step to the end of the last step
    per_step = [b - a for a, b in itertools.pairwise(ends)]
    batch = cfg["batch_size"]
    result = {"name": name, "batch_size": batch, "workers": workers, "precision": cfg["precision"],
              **cfg["train"], "steps": len(per_step), "seconds": ends[-1] - ends[0],
              "images_per_second": len(per_step) * batch / (ends[-1] - ends[0]),
              "median_images_per_second": batch / statistics.median(per_step)}
    print(f"{name:<9} batch {batch:>3}  workers {workers}  {cfg['precision']:<10} "
          f"{result['images_per_second']:8.1f} img/s (median step {result['median_images_per_second']:.1f})",
          flush=True)
    return result


def synthesize(count: int, root: Path) -> Path:
    from uiseg.synth import generate

    t0 = time.perf_counter()
    generate(root, count, [SIZE], seed=0, layout="folders")
    print(f"synthesised {count} images at {SIZE[1]}x{SIZE[0]} in {time.perf_counter() - t0:.1f} s", flush=True)
    return root


def write_results(report: dict, out: Path) -> Path:
    """<out>/<host>-<date>-train.json/.md, in the format every benchmark shares (uiseg.bench.results)."""
    rows = [[r["name"], r["batch_size"], r["workers"], r["precision"], r["optimizer"],
             f"{r['images_per_second']:.1f}", f"{r['median_images_per_second']:.1f}"] for r in report["results"]]
    lines = [f"# Training throughput, {report['device_name']} ({report['date']})", "", describe_machine(report), "",
             (f"Default UNet at {SIZE[1]}x{SIZE[0]}, {report['images']} synthesised images, "
              f"{report['warmup']} warm-up + {report['steps']} timed steps, data loading included."), "",
             md_table(["config", "batch", "workers", "precision", "optimizer", "img/s", "median img/s"], rows,
                      right={1, 2, 5, 6}),
             "", f"**uiseg / tutorial: {report['ratio']:.2f}x**"]
    return write_pair(report, "\n".join(lines), out, "train")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=30, help="timed steps per configuration")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    parser.add_argument("--data", type=Path, help="a labelled folder to use instead of synthesising one")
    parser.add_argument("--images", type=int, default=256, help="images to synthesise")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    args = parser.parse_args(argv)
    device = ("cuda" if torch.cuda.is_available() else "cpu") if args.device == "auto" else args.device
    from uiseg.data import check_dataset

    with tempfile.TemporaryDirectory() as tmp:
        pairs = check_dataset(args.data or synthesize(args.images, Path(tmp) / "data"))
        results = [measure(n, c, pairs, device, args.steps, args.warmup) for n, c in configs(device).items()]
    ratio = results[1]["images_per_second"] / results[0]["images_per_second"]
    name = torch.cuda.get_device_name() if device == "cuda" else f"CPU, {os.cpu_count()} cores"
    print(f"uiseg / tutorial: {ratio:.2f}x  ({name}; goal on a GPU: >= 3x)")
    report = {**header("train"), "device": device, "device_name": name, "torch": torch.__version__,
              "python": sys.version.split()[0], "images": len(pairs),
              "steps": args.steps, "warmup": args.warmup, "results": results, "ratio": ratio}
    print(f"wrote {write_results(report, args.out)}.json/.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
