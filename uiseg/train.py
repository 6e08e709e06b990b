"""Training: TrainConfig (the recipe), the two built-in recipes, and run_training().

run_training checks the data before the Trainer starts, trains the one UisegSystem, writes checkpoints
(best by val IoU, last), CSV logs, validation grids and RUN/summary.json, and returns the summary.
"""

from __future__ import annotations

import dataclasses
import json
import os
import time
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from uiseg.config import Contract, ModelConfig
from uiseg.errors import UisegError
from uiseg.model import padded_size


@dataclass(frozen=True)
class TrainConfig:
    """Everything about a run except the UNet's shape (ModelConfig). Defaults are the GPU recipe."""

    image_size: tuple[int, int] = (224, 256)  # (H, W) the inference size: with "aspect", its pixel count
    resize_policy: str = "aspect"  # how images meet image_size, in training and (recorded in the contract) later
    crop_size: tuple[int, int] | None = None  # (H, W) training windows ("aspect"); None: image_size
    batch_size: int = 32
    learning_rate: float = 3e-3  # peak LR of the one-cycle schedule; BN + AdamW tolerates it at batch 32
    weight_decay: float = 1e-4
    optimizer: str = "adamw"
    schedule: str = "onecycle"
    loss: str = "bce+dice"  # Dice counters the UI/background imbalance (UI is often < 20 % of pixels)
    pos_weight: float | None = None
    max_epochs: int = 30
    max_steps: int = -1
    val_fraction: float = 0.1
    overfit_num: int | None = None
    seed: int = 0
    workers: int | None = None  # None: min(8, cores - 1)
    augment: float = 0.5  # strength of the photometric augmentation (0 = random zoom/crop only)
    early_stop_patience: int | None = None
    accumulate_grad_batches: int = 1
    time_budget: float | None = None  # seconds of training; stops then, and the LR schedule follows the clock
    # Images synthesised when no DATA is given; val gets synth_count // 8 (16 to 250) in unseen styles.
    # Unique images matter more than epochs: on the CPU recipe 480 images reached val IoU 0.72, 1500 reached 0.81.
    synth_count: int = 8000
    synth_sizes: tuple[str, ...] = ("256x224", "320x240", "160x144", "480x270", "640x360")
    grid_images: int = 4  # rows in the per-epoch validation grid
    accelerator: str = "auto"
    devices: Any = "auto"
    num_nodes: int = 1
    strategy: str = "auto"
    precision: str | None = None  # None: bf16-mixed on CUDA, 32-true elsewhere
    profiler: str | None = None  # simple | advanced
    trainer: dict = field(default_factory=dict)  # extra Trainer(**kwargs), from --trainer KEY=VALUE


# Overrides of the defaults above (TrainConfig) and of ModelConfig's. "cpu" is sized for `make demo` on a
# 2-core box: synth + train + evaluate in under 5 minutes. Measured there (val IoU on unseen styles, 150 s):
# base 16 + augment 1.0 -> 0.55; augment 0 -> 0.72; + 1500 images -> 0.81; base 8 (2.5x the steps) -> 0.84;
# augment 0.3 -> 0.82; batch 16 instead of 8 -> no change. The time budget ends training on time on a slower
# or busier machine, at the cost of IoU: with other jobs on the 2 cores, 3x fewer steps gave 0.69.
RECIPES: dict[str, dict[str, Any]] = {
    "gpu": {},
    "cpu": {
        "crop_size": (112, 128),  # windows of 256x224-scale frames: inference sees what training saw, 4x cheaper
        "batch_size": 8,
        "augment": 0.0,
        "synth_count": 1500,
        "synth_sizes": ("256x224", "160x144", "320x180"),
        "max_epochs": 100,
        "max_steps": 1000,
    },
}
MODEL_RECIPES: dict[str, dict[str, Any]] = {"gpu": {}, "cpu": {"base": 8}}


def resolve_recipe(name: str = "auto", accelerator: str = "auto") -> str:
    """'auto' means 'gpu' when training will run on CUDA, else 'cpu'."""
    if name != "auto":
        if name not in RECIPES:
            raise UisegError(f"unknown recipe {name!r}; choose one of: auto, {', '.join(RECIPES)}")
        return name
    return "gpu" if _uses_cuda(accelerator) else "cpu"


def make_config(recipe: str = "auto", **explicit: Any) -> TrainConfig:
    """TrainConfig from a recipe plus explicit values; explicit values (not None) always win."""
    name = resolve_recipe(recipe, explicit.get("accelerator") or "auto")
    values = {**RECIPES[name], **{k: v for k, v in explicit.items() if v is not None}}
    known = {f.name for f in dataclasses.fields(TrainConfig)}
    unknown = set(values) - known
    if unknown:
        raise UisegError(f"unknown training options: {', '.join(sorted(unknown))}")
    return TrainConfig(**values)


def make_model_config(recipe: str = "auto", accelerator: str | None = None, **explicit: Any) -> ModelConfig:
    """ModelConfig from a recipe plus explicit values (not None)."""
    name = resolve_recipe(recipe, accelerator or "auto")
    return ModelConfig(**{**MODEL_RECIPES[name], **{k: v for k, v in explicit.items() if v is not None}})


def _uses_cuda(accelerator: str) -> bool:
    import torch

    return accelerator in ("auto", "gpu", "cuda") and torch.cuda.is_available()


def check_image_size(image_size: tuple[int, int], depth: int, flag: str = "--image-size") -> None:
    """Training size must be a multiple of 2^depth; the error names the size to use instead."""
    h, w = image_size
    multiple = 2**depth
    if h % multiple or w % multiple:
        ph, pw = padded_size(h, w, multiple)
        raise UisegError(f"{flag} {w}x{h} is not a multiple of {multiple} (2^depth, depth={depth}); "
                         f"use {flag} {pw}x{ph} (the padded size)")


def default_workers(workers: int | None) -> int:
    if workers is not None:
        return max(0, int(workers))
    return min(8, max(0, (os.cpu_count() or 1) - 1))


# -- data ----------------------------------------------------------------------------------------------
def synthesize(out: Path, cfg: TrainConfig, log: Callable[[str], None] = print) -> tuple[Path, Path]:
    """Synthetic train set (styles not in VAL_FAMILIES) and val set (VAL_FAMILIES only) under OUT/data.

    Keeping the val styles out of training makes val IoU a measure of generalisation to unseen looks.
    Re-running with the same settings (e.g. --resume) reuses the data instead of re-rendering it.
    """
    from uiseg.config import parse_size
    from uiseg.synth import FAMILIES, VAL_FAMILIES, generate

    root = out / "data"
    sizes = [parse_size(s, "synth size") for s in cfg.synth_sizes]  # (H, W) pairs
    val_count = min(250, max(16, cfg.synth_count // 8))
    params = {"count": cfg.synth_count, "val_count": val_count, "sizes": list(cfg.synth_sizes), "seed": cfg.seed}
    marker = root / "synth.json"
    if marker.is_file() and json.loads(marker.read_text()) == params:
        log(f"reusing synthetic data in {root}")
        return root / "train", root / "val"
    workers = None if cfg.workers is None else max(1, cfg.workers)  # synth counts processes, not extra ones
    train_families = tuple(f for f in FAMILIES if f not in VAL_FAMILIES)
    t0 = time.perf_counter()
    generate(root / "train", cfg.synth_count, sizes, cfg.seed, layout="folders", workers=workers,
             families=train_families)
    generate(root / "val", val_count, sizes, cfg.seed + 1_000_000, layout="folders", workers=workers,
             families=tuple(VAL_FAMILIES))
    marker.write_text(json.dumps(params))
    log(f"synthesised {cfg.synth_count} train + {val_count} val images in {time.perf_counter() - t0:.0f} s "
        f"→ {root} (val styles: {', '.join(VAL_FAMILIES)})")
    return root / "train", root / "val"


def load_pairs(data: Path, val_data: Path | None, cfg: TrainConfig):
    """Check every file before training (one line per problem), then split or use the explicit val set."""
    from uiseg.data import check_dataset, split_pairs

    pairs = check_dataset(data, workers=cfg.workers)
    if val_data is None:
        return split_pairs(pairs, val_fraction=cfg.val_fraction, seed=cfg.seed, overfit_num=cfg.overfit_num)
    val = check_dataset(val_data, workers=cfg.workers)
    if cfg.overfit_num:
        return split_pairs(pairs, seed=cfg.seed, overfit_num=cfg.overfit_num)[0], val[: cfg.overfit_num]
    return pairs, val


def make_loaders(train_pairs, val_pairs, cfg: TrainConfig):
    import torch
    from torch.utils.data import DataLoader

    from uiseg.data import SeededSampler, SegDataset, eval_transform, pad_collate, train_transform

    workers = default_workers(cfg.workers)
    common = {"num_workers": workers, "persistent_workers": workers > 0, "pin_memory": torch.cuda.is_available()}
    train_ds = SegDataset(train_pairs, train_transform(cfg.image_size, cfg.augment, cfg.resize_policy,
                                                       cfg.crop_size))
    val_ds = SegDataset(val_pairs, eval_transform(cfg.image_size, cfg.resize_policy))
    train = DataLoader(train_ds, batch_size=cfg.batch_size, sampler=SeededSampler(len(train_ds), cfg.seed),
                       drop_last=len(train_ds) > cfg.batch_size, **common)
    val = DataLoader(val_ds, batch_size=cfg.batch_size, shuffle=False, collate_fn=pad_collate, **common)
    return train, val


# -- the run -------------------------------------------------------------------------------------------
def run_training(cfg: TrainConfig, model_cfg: ModelConfig | None = None, out: str | Path = "run",
                 data: str | Path | None = None, val_data: str | Path | None = None,
                 resume: str | Path | None = None, log: Callable[[str], None] = print) -> dict:
    """Train a UNet and return the summary (also written to OUT/summary.json)."""
    import pytorch_lightning as pl

    from uiseg.trainer import build_trainer, finish_run, system_for_run

    out = Path(out)
    model_cfg = model_cfg or ModelConfig()
    check_image_size(cfg.image_size, model_cfg.depth)
    if cfg.crop_size is not None:
        check_image_size(cfg.crop_size, model_cfg.depth, "--crop-size")
    out.mkdir(parents=True, exist_ok=True)
    if data is None:
        data, val_data = synthesize(out, cfg, log)
    train_pairs, val_pairs = load_pairs(Path(data), None if val_data is None else Path(val_data), cfg)
    log(f"training on {len(train_pairs)} images, validating on {len(val_pairs)} "
        f"at {cfg.image_size[1]}x{cfg.image_size[0]}")
    pl.seed_everything(cfg.seed, workers=True, verbose=False)
    system, model_cfg = system_for_run(cfg, model_cfg, resume)
    train_loader, val_loader = make_loaders(train_pairs, val_pairs, cfg)
    trainer, parts = build_trainer(cfg, out, val_loader.dataset, steps_per_epoch=len(train_loader),
                                   model_depth=model_cfg.depth, log=log)
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        # Lightning 2.6 on torch 2.14 warns about its own pytree use on every run; nothing a user can act on.
        warnings.filterwarnings("ignore", message=".*LeafSpec.*", category=Warning)
        trainer.fit(system, train_loader, val_loader, ckpt_path=None if resume is None else str(resume))
    seconds = time.perf_counter() - t0
    info = {"train": str(data), "val": None if val_data is None else str(val_data),
            "train_images": len(train_pairs), "val_images": len(val_pairs)}
    summary = finish_run(trainer, parts, system, cfg, model_cfg, out, seconds, info, log)
    return summary


def config_dict(cfg: TrainConfig, model_cfg: ModelConfig) -> dict:
    """Plain-value view of a run's configuration (what summary.json and the checkpoint record)."""
    contract = Contract(image_size=tuple(cfg.image_size), resize_policy=cfg.resize_policy,
                        pad_multiple=model_cfg.pad_multiple)
    return {"train": asdict(cfg), "model": asdict(model_cfg), "contract": contract.to_dict()}


__all__ = ["MODEL_RECIPES", "RECIPES", "TrainConfig", "check_image_size", "config_dict", "default_workers", "make_config",
           "make_model_config",
           "resolve_recipe", "run_training", "synthesize"]
