"""Leave-one-out generalisation: train without one style family (or world kind), score on it.

uiseg is judged on screenshots of games it has never seen, drawn by other renderers. The nearest stand-in it
can make itself: hold one style family, or one kind of game world, out of training entirely, and score the
model on screenshots of exactly that family or world. Every generator or recipe change is judged by the mean
and the worst of these scores, never by the in-distribution validation score.

One fold = synthesise the training set without X (the recipe's image count and sizes) and a small validation
set from the same distribution, train with the recipe (step-bounded, seeded), then evaluate the *last*
checkpoint on a test set made only of X (so checkpoint choice never sees X). Test sets mix screen sizes from
160x144 to 1280x720. Data is cached under OUT keyed by its parameters and the generator's source, so a rerun
with another recipe reuses it and a changed generator re-renders it.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

AXES = ("families", "worlds")
TEST_SIZES = ("256x224", "160x144", "320x180", "320x240", "640x360", "1280x720")
MODEL_KEYS = ("base", "depth")  # --set keys that shape the UNet rather than the run


@dataclass(frozen=True)
class Fold:
    axis: str  # "families" | "worlds"
    held_out: str

    @property
    def kind(self) -> str:
        return {"families": "family", "worlds": "world"}[self.axis]

    @property
    def name(self) -> str:
        return f"{self.kind}-{self.held_out}"


def all_folds(axes=AXES, only: tuple[str, ...] | None = None) -> list[Fold]:
    """Every family, then every world kind (restricted to `only` names when given)."""
    from uiseg.errors import UisegError
    from uiseg.synth import FAMILIES, WORLDS

    names = {"families": FAMILIES, "worlds": WORLDS}
    unknown = [a for a in axes if a not in names]
    if unknown:
        raise UisegError(f"unknown axis {unknown[0]!r}; choose from {', '.join(AXES)}")
    folds = [Fold(a, n) for a in axes for n in names[a] if not only or n in only]
    if only and len({f.held_out for f in folds}) != len(set(only)):
        missing = sorted(set(only) - {f.held_out for f in folds})
        raise UisegError(f"--only {', '.join(missing)}: not a family or world kind on the chosen axes")
    return folds


def synth_fingerprint() -> str:
    """sha256 of the generator's source: cached data is re-rendered when the generator changes."""
    from uiseg import synth

    digest = hashlib.sha256()
    for path in sorted(Path(synth.__file__).parent.glob("*.py")):
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:16]


def cached_generate(out: Path, count: int, sizes, seed: int, **restrict) -> Path:
    """generate() into OUT unless OUT already holds exactly this set (same parameters and generator)."""
    from uiseg.config import parse_size
    from uiseg.synth import generate

    params = {"count": count, "sizes": list(sizes), "seed": seed, "synth": synth_fingerprint(),
              **{k: list(v) for k, v in restrict.items()}}
    marker = out / "params.json"
    if marker.is_file() and json.loads(marker.read_text()) == params:
        return out
    if out.exists():
        shutil.rmtree(out)
    generate(out, count, [parse_size(s) for s in sizes], seed, layout="folders", **restrict)
    marker.write_text(json.dumps(params))
    return out


def fold_data(fold: Fold, cfg, root: Path, test_count: int) -> tuple[Path, Path, Path]:
    """(train, val, test) folders of a fold: train/val never show the held-out X, test shows only X."""
    from uiseg.synth import FAMILIES, WORLDS

    pool = FAMILIES if fold.axis == "families" else WORLDS
    kept = {fold.axis: tuple(x for x in pool if x != fold.held_out)}
    only = {fold.axis: (fold.held_out,)}
    base = root / "data" / fold.name
    train = cached_generate(base / "train", cfg.synth_count, cfg.synth_sizes, cfg.seed, **kept)
    val = cached_generate(base / "val", max(16, cfg.synth_count // 24), cfg.synth_sizes, cfg.seed + 1_000_000,
                          **kept)
    test = cached_generate(root / "data" / "test" / fold.name, test_count, TEST_SIZES, 7_000_000 + cfg.seed,
                           **only)
    return train, val, test


def split_overrides(overrides: dict[str, Any]) -> tuple[dict, dict]:
    """--set KEY=VALUE pairs -> (TrainConfig overrides, ModelConfig overrides)."""
    model = {k: v for k, v in overrides.items() if k in MODEL_KEYS}
    return {k: v for k, v in overrides.items() if k not in MODEL_KEYS}, model


def run_fold(fold: Fold, recipe: str, overrides: dict, root: Path, test_count: int, size: str,
             log: Callable[[str], None]) -> dict:
    """Train without the held-out family/world, evaluate the last checkpoint on it; one result row.

    A fold already run with the same parameters (and generator) is read back from RUN/result.json.
    """
    from uiseg.evaluate import run_evaluation
    from uiseg.train import make_config, make_model_config, run_training

    train_over, model_over = split_overrides(overrides)
    cfg = make_config(recipe, **train_over)
    model_cfg = make_model_config(recipe, **model_over)
    run = root / "runs" / fold.name
    params = {"recipe": recipe, "overrides": overrides, "test_count": test_count, "size": size,
              "synth": synth_fingerprint()}
    done = run / "result.json"
    if done.is_file() and json.loads(done.read_text())["params"] == params:
        row = json.loads(done.read_text())["row"]
        log(f"{fold.name:28} IoU {row['iou']:.3f}  (done before: {done})")
        return row
    t0 = time.perf_counter()
    train, val, test = fold_data(fold, cfg, root, test_count)
    data_s = time.perf_counter() - t0
    if run.exists():
        shutil.rmtree(run)
    summary = run_training(cfg, model_cfg, out=run, data=train, val_data=val, log=lambda m: None)
    last = run / "checkpoints" / "last.ckpt"
    ev = run_evaluation(test, last, out=run / "eval", size=size, log=lambda m: None)
    row = {"axis": fold.axis, "held_out": fold.held_out, **{k: round(v, 4) for k, v in ev["overall"].items()},
           "steps": summary["steps"], "train_s": summary["seconds"], "data_s": round(data_s, 1),
           "val_iou_in_distribution": summary["best"].get("val_iou"), "test_images": ev["images"]}
    done.write_text(json.dumps({"params": params, "row": row}, indent=1))
    log(f"{fold.name:28} IoU {row['iou']:.3f}  Dice {row['dice']:.3f}  P {row['precision']:.3f}  "
        f"R {row['recall']:.3f}  ({row['steps']} steps, {row['train_s']:.0f} s)")
    return row


def aggregate(rows: list[dict]) -> dict:
    """Per axis: mean IoU, and the worst fold with its IoU."""
    out = {}
    for axis in AXES:
        part = [r for r in rows if r["axis"] == axis]
        if part:
            worst = min(part, key=lambda r: r["iou"])
            out[axis] = {"mean_iou": round(sum(r["iou"] for r in part) / len(part), 4),
                         "worst": worst["held_out"], "worst_iou": worst["iou"], "folds": len(part)}
    return out


def markdown(report: dict) -> str:
    from uiseg.bench.results import describe_machine, md_table

    rows = [[Fold(r["axis"], r["held_out"]).kind, r["held_out"], f"{r['iou']:.3f}", f"{r['dice']:.3f}", f"{r['precision']:.3f}",
             f"{r['recall']:.3f}", r["steps"], f"{r['train_s']:.0f}"] for r in report["rows"]]
    lines = [f"# Leave-one-out generalisation — {report['label']}", "", describe_machine(report), "",
             (f"Recipe `{report['recipe']}` with overrides `{json.dumps(report['overrides'])}`; "
             f"evaluated at `--size {report['size']}` on {report['test_count']} screenshots of the held-out "
             f"family/world per fold ({', '.join(TEST_SIZES)}); the last checkpoint of each fold."), "",
             md_table(["held out", "name", "IoU", "Dice", "precision", "recall", "steps", "train s"], rows,
                      right={2, 3, 4, 5, 6, 7}), ""]
    for axis, agg in report["aggregate"].items():
        lines.append(f"- **{axis}**: mean IoU {agg['mean_iou']:.3f}, worst {agg['worst']} "
                     f"{agg['worst_iou']:.3f} ({agg['folds']} folds)")
    return "\n".join(lines)


def _fold_in_process(args: tuple) -> dict:
    """One fold in a fresh process with its own torch thread count (pools hand it over)."""
    fold, recipe, overrides, root, test_count, size, threads = args
    import logging

    import torch

    torch.set_num_threads(threads)
    logging.getLogger("pytorch_lightning").setLevel(logging.WARNING)  # one line per fold, not Lightning's tables
    return run_fold(fold, recipe, overrides, root, test_count, size, lambda m: print(m, flush=True))


def run_benchmark(out: Path, recipe: str = "cpu", overrides: dict | None = None, axes=AXES,
                  only: tuple[str, ...] | None = None, test_count: int = 96, size: str = "auto",
                  label: str = "cpu", jobs: int = 1, log: Callable[[str], None] = print) -> dict:
    """Every fold, `jobs` at a time, each in its own process with cores // jobs torch threads (one thread per
    fold on a busy 2-core box: OpenMP teams that wait for each other cost ~10x there). Returns the report."""
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    from uiseg.bench.results import header, usable_cores

    overrides = dict(overrides or {})
    folds = all_folds(axes, only)
    report = {**header("generalise"), "label": label, "recipe": recipe, "overrides": overrides,
              "size": size, "test_count": test_count, "jobs": jobs, "rows": []}
    t0 = time.perf_counter()
    threads = max(1, usable_cores() // max(1, jobs))
    work = [(fold, recipe, overrides, Path(out), test_count, size, threads) for fold in folds]
    # spawn: a fresh interpreter per fold (no forked torch thread pools); max_tasks_per_child keeps it fresh
    with ProcessPoolExecutor(max(1, jobs), mp_context=mp.get_context("spawn"), max_tasks_per_child=1) as pool:
        report["rows"] = list(pool.map(_fold_in_process, work))
    report["aggregate"] = aggregate(report["rows"])
    report["seconds"] = round(time.perf_counter() - t0, 1)
    return report


__all__ = ["AXES", "TEST_SIZES", "Fold", "aggregate", "all_folds", "markdown", "run_benchmark", "run_fold"]
