"""Training: run_training() with a TrainConfig (uiseg.recipes holds the config and the built-in recipes).

run_training checks the data before the Trainer starts, trains the one UisegSystem, writes checkpoints
(best by val IoU, last), CSV logs, validation grids and RUN/summary.json, and returns the summary.
"""

from __future__ import annotations

import json
import time
import warnings
from collections.abc import Callable
from pathlib import Path

from uiseg.config import ModelConfig
from uiseg.recipes import (
    MODEL_RECIPES,
    RECIPES,
    TrainConfig,
    check_image_size,
    config_dict,
    default_workers,
    make_config,
    make_model_config,
    resolve_recipe,
)


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


# -- the run folder ------------------------------------------------------------------------------------
RUN_OUTPUTS = ("checkpoints", "logs", "val_images", "summary.json", "val_timeline.gif", "final_prediction.png",
               "profile.txt")  # what a run writes into --out (data/, the synthetic data, is reused, never here)


class TrainingInterrupted(Exception):
    """Ctrl-C or SIGTERM stopped training; `checkpoint` (RUN/checkpoints/last.ckpt) resumes it."""

    def __init__(self, checkpoint: Path, step: int):
        super().__init__(f"interrupted at step {step}")
        self.checkpoint, self.step = checkpoint, step


def prepare_run_dir(out: Path, resume, overwrite: bool) -> None:
    """An --out that holds a run is refused (UsageError) unless --resume continues it or --overwrite starts it
    again; --overwrite removes that run's outputs (RUN_OUTPUTS), never its synthetic data."""
    import shutil

    from uiseg.errors import UsageError

    found = [name for name in RUN_OUTPUTS if (out / name).exists()]
    if not found or resume is not None:
        return
    if not overwrite:
        last = out / "checkpoints" / "last.ckpt"
        again = f"pass --resume {last} to continue it, " if last.is_file() else ""
        raise UsageError(f"--out {out} holds a run ({', '.join(found)}); {again}--overwrite to start it again "
                         "(its synthetic data is kept), or another --out")
    for name in found:
        path = out / name
        shutil.rmtree(path) if path.is_dir() and not path.is_symlink() else path.unlink()


def fit(trainer, system, train_loader, val_loader, resume, out: Path) -> None:
    """trainer.fit; Ctrl-C or SIGTERM (Lightning saves last.ckpt through SaveOnInterrupt, then exits) becomes
    TrainingInterrupted, which names the checkpoint to resume from."""
    from pytorch_lightning.trainer.states import TrainerStatus

    with warnings.catch_warnings():
        # Lightning 2.6 on torch 2.14 warns about its own pytree use on every run; nothing a user can act on.
        warnings.filterwarnings("ignore", message=".*LeafSpec.*", category=Warning)
        try:
            trainer.fit(system, train_loader, val_loader, ckpt_path=None if resume is None else str(resume))
        except (KeyboardInterrupt, SystemExit):  # Lightning turns Ctrl-C into sys.exit(1), SIGTERM into SystemExit
            if trainer.state.status != TrainerStatus.INTERRUPTED:
                raise
            raise TrainingInterrupted(out / "checkpoints" / "last.ckpt", int(trainer.global_step)) from None


# -- the run -------------------------------------------------------------------------------------------
def run_training(cfg: TrainConfig, model_cfg: ModelConfig | None = None, out: str | Path = "run",
                 data: str | Path | None = None, val_data: str | Path | None = None,
                 resume: str | Path | None = None, log: Callable[[str], None] = print) -> dict:
    """Train a UNet and return the summary (also written to OUT/summary.json). Sizes and the Trainer's settings
    are checked before any data is synthesised or read (`uiseg train` also refuses an --out that holds another
    run: prepare_run_dir). Raises TrainingInterrupted after Ctrl-C/SIGTERM (last.ckpt saved)."""
    import pytorch_lightning as pl

    from uiseg.trainer import build_trainer, check_trainer_setup, finish_run, system_for_run

    out = Path(out)
    model_cfg = model_cfg or ModelConfig()
    check_image_size(cfg.image_size, model_cfg.depth)
    if cfg.crop_size is not None:
        check_image_size(cfg.crop_size, model_cfg.depth, "--crop-size")
    check_trainer_setup(cfg)
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
    fit(trainer, system, train_loader, val_loader, resume, out)
    seconds = time.perf_counter() - t0
    info = {"train": str(data), "val": None if val_data is None else str(val_data),
            "train_images": len(train_pairs), "val_images": len(val_pairs)}
    summary = finish_run(trainer, parts, system, cfg, model_cfg, out, seconds, info, log)
    return summary


__all__ = ["MODEL_RECIPES", "RECIPES", "RUN_OUTPUTS", "TrainConfig", "TrainingInterrupted", "check_image_size",
           "config_dict", "default_workers", "make_config", "make_model_config", "prepare_run_dir", "resolve_recipe",
           "run_training", "synthesize"]
