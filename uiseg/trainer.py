"""Lightning plumbing for uiseg.train: the Trainer with its callbacks/loggers/profiler, and the run summary."""

from __future__ import annotations

import importlib.util
import inspect
import json
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pytorch_lightning as pl
import torch
from pytorch_lightning.callbacks import EarlyStopping, LearningRateMonitor, ModelCheckpoint
from pytorch_lightning.loggers import CSVLogger

from uiseg.callbacks import (
    MetricHistory,
    SaveOnInterrupt,
    StopOnNonFinite,
    ValidationGrid,
    fixed_samples,
    save_prediction_grid,
)
from uiseg.config import ModelConfig
from uiseg.errors import UisegError
from uiseg.images import atomic_write_bytes
from uiseg.recipes import config_dict, uses_cuda
from uiseg.system import UisegSystem

TRAINER_DOCS = "https://lightning.ai/docs/pytorch/stable/common/trainer.html#trainer-flags"
PROFILERS = ("simple", "advanced")


@dataclass
class RunParts:
    checkpoint: ModelCheckpoint
    history: MetricHistory
    grid: ValidationGrid
    profiler: Any


def trainer_arguments() -> set[str]:
    """Names Trainer.__init__ accepts (what --trainer KEY=VALUE is checked against)."""
    return {n for n in inspect.signature(pl.Trainer.__init__).parameters if n != "self"}


def check_trainer_kwargs(kwargs: dict[str, Any]) -> None:
    known = trainer_arguments()
    for key in kwargs:
        if key not in known:
            raise UisegError(f"unknown Trainer argument {key!r}; see `python -c \"import pytorch_lightning as pl; "
                             f"help(pl.Trainer)\"` or {TRAINER_DOCS}")


def resume_settings(path: str | Path) -> tuple[ModelConfig, tuple[int, int]]:
    """The UNet shape and training image size recorded in a checkpoint (loaded with weights_only=True)."""
    from uiseg.checkpoint import read_checkpoint
    from uiseg.config import from_dict

    hp = read_checkpoint(path).get("hyper_parameters") or {}
    if "model" not in hp or "contract" not in hp:
        raise UisegError(f"{path}: not a uiseg checkpoint (no model/contract hyper-parameters); "
                         "resume from RUN/checkpoints/last.ckpt")
    return from_dict(ModelConfig, hp["model"]), tuple(hp["contract"]["image_size"])


def system_for_run(cfg, model_cfg: ModelConfig, resume: str | Path | None) -> tuple[UisegSystem, ModelConfig]:
    """A fresh UisegSystem; with --resume the checkpoint's UNet shape and image size must match the run's."""
    if resume is not None:
        ckpt_model, ckpt_size = resume_settings(resume)
        if ckpt_model != model_cfg or tuple(ckpt_size) != tuple(cfg.image_size):
            raise UisegError(
                f"{resume}: trained with {asdict(ckpt_model)} at {ckpt_size[1]}x{ckpt_size[0]}, but this run asks "
                f"for {asdict(model_cfg)} at {cfg.image_size[1]}x{cfg.image_size[0]}; drop --base/--depth/"
                "--image-size to resume with the checkpoint's settings")
    parts = config_dict(cfg, model_cfg)
    train = {k: v for k, v in parts["train"].items() if k != "trainer"}
    train["trainer"] = {k: repr(v) for k, v in cfg.trainer.items()}  # plain strings: weights_only-safe
    return UisegSystem(parts["model"], parts["contract"], train), model_cfg


def check_trainer_setup(cfg) -> None:
    """Check accelerator, devices, strategy, precision, max_steps and --trainer extras by building a bare Trainer
    from them (cheap: nothing is launched), before any data is made or read. UsageError: one line, exit 2."""
    import logging
    import warnings

    from uiseg.errors import UsageError

    if cfg.max_steps == 0 or cfg.max_steps < -1:
        raise UsageError(f"--max-steps {cfg.max_steps} trains nothing; pass a positive number, or -1 for no limit")
    kwargs = {"accelerator": cfg.accelerator, "devices": cfg.devices, "num_nodes": cfg.num_nodes,
              "strategy": cfg.strategy, "precision": _precision(cfg), "max_epochs": cfg.max_epochs,
              "max_steps": cfg.max_steps, "accumulate_grad_batches": cfg.accumulate_grad_batches,
              "logger": False, "enable_checkpointing": False, "enable_progress_bar": False,
              "enable_model_summary": False, **cfg.trainer}
    loggers = [logging.getLogger(name) for name in ("pytorch_lightning", "lightning_fabric", "lightning")]
    levels = [lg.level for lg in loggers]
    try:
        for lg in loggers:
            lg.setLevel(logging.WARNING)  # the probe must not print "GPU available: ..." a second time
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pl.Trainer(**kwargs)
    except Exception as exc:  # noqa: BLE001 - Lightning raises ValueError, TypeError, Misconfiguration, ImportError
        given = {k: getattr(cfg, k) for k in ("accelerator", "devices", "strategy", "precision")
                 if getattr(cfg, k) not in ("auto", None)}  # what the user chose, not the defaults
        shown = " ".join(f"--{k} {v}" for k, v in given.items()) or "the Trainer settings"
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:240]
        raise UsageError(f"{shown}{' and --trainer ' + ' '.join(cfg.trainer) if cfg.trainer else ''} cannot "
                         f"train here: {first}; fix the flag, or leave it out (auto picks what this machine "
                         "has)") from None
    finally:
        for lg, level in zip(loggers, levels):
            lg.setLevel(level)


def _loggers(out: Path) -> list:
    loggers = [CSVLogger(out, name="logs", version="")]
    if importlib.util.find_spec("tensorboard") or importlib.util.find_spec("tensorboardX"):
        from pytorch_lightning.loggers import TensorBoardLogger

        loggers.append(TensorBoardLogger(out, name="logs", version="tensorboard"))
    return loggers


def _profiler(name: str | None, out: Path):
    if name is None:
        return None
    if name not in PROFILERS:
        raise UisegError(f"unknown profiler {name!r}; choose one of: {', '.join(PROFILERS)}")
    from pytorch_lightning.profilers import AdvancedProfiler, SimpleProfiler

    cls = SimpleProfiler if name == "simple" else AdvancedProfiler
    return cls(dirpath=out, filename="profile")  # Lightning writes OUT/fit-profile.txt; renamed at the end


def _precision(cfg) -> str:
    if cfg.precision is not None:
        return cfg.precision
    if uses_cuda(cfg.accelerator) and torch.cuda.is_bf16_supported():
        return "bf16-mixed"
    return "32-true"


def build_trainer(cfg, out: Path, val_dataset, steps_per_epoch: int, model_depth: int = 4,
                  log: Callable[[str], None] = print) -> tuple[pl.Trainer, RunParts]:
    """The Trainer with uiseg's callbacks, loggers and profiler; cfg.trainer extras override everything.

    The progress bar shows only on a terminal; otherwise each validation prints one line.
    """
    check_trainer_kwargs(cfg.trainer)
    progress = bool(cfg.trainer.get("enable_progress_bar", sys.stderr.isatty()))
    checkpoint = ModelCheckpoint(dirpath=out / "checkpoints", filename="best", monitor="val_iou", mode="max",
                                 save_top_k=1, save_last=True, auto_insert_metric_name=False,
                                 enable_version_counter=False)
    history = MetricHistory(log=None if progress else log)
    grid = ValidationGrid(out, fixed_samples(val_dataset, cfg.grid_images, 2**model_depth))
    callbacks = [StopOnNonFinite(), checkpoint, history, grid, LearningRateMonitor(logging_interval="step"),
                 SaveOnInterrupt(out / "checkpoints")]
    if cfg.early_stop_patience:
        callbacks.append(EarlyStopping(monitor="val_iou", mode="max", patience=cfg.early_stop_patience))
    profiler = _profiler(cfg.profiler, out)
    cuda = torch.cuda.is_available() and cfg.accelerator in ("auto", "gpu", "cuda")
    kwargs = {
        "default_root_dir": out, "max_epochs": cfg.max_epochs, "max_steps": cfg.max_steps,
        "accelerator": cfg.accelerator, "devices": cfg.devices, "num_nodes": cfg.num_nodes,
        "strategy": cfg.strategy, "precision": _precision(cfg), "accumulate_grad_batches": cfg.accumulate_grad_batches,
        "callbacks": callbacks, "logger": _loggers(out), "profiler": profiler, "enable_progress_bar": progress,
        "log_every_n_steps": max(1, min(50, steps_per_epoch)),
        "benchmark": cuda,  # cuDNN autotuning: fixed training size, so it pays off; set here, never at import
    }
    if cfg.time_budget:
        kwargs["max_time"] = {"seconds": float(cfg.time_budget)}  # Lightning's Timer: validates, then stops
    kwargs.update(cfg.trainer)
    if cuda:
        torch.set_float32_matmul_precision("high")
    return pl.Trainer(**kwargs), RunParts(checkpoint, history, grid, profiler)


def _final_prediction(system: UisegSystem, parts: RunParts, out: Path) -> Path:
    """RUN/final_prediction.png from the best checkpoint, loaded the way evaluate/export load it."""
    from uiseg.checkpoint import load_checkpoint
    from uiseg.model import DeployModel

    best = parts.checkpoint.best_model_path
    if best and Path(best).is_file():
        loaded = load_checkpoint(best)
        deploy = DeployModel(loaded.unet, loaded.contract).eval()
        predict = lambda x: torch.sigmoid(deploy(x))
        return save_prediction_grid(predict, parts.grid.samples, out / "final_prediction.png")
    was_training = system.training
    system.cpu().eval()
    path = save_prediction_grid(system.predict_probs, parts.grid.samples, out / "final_prediction.png")
    system.train(was_training)
    return path


def _profile_report(parts: RunParts, out: Path, log: Callable[[str], None]) -> str | None:
    written = out / "fit-profile.txt"
    if parts.profiler is None or not written.is_file():
        return None
    target = out / "profile.txt"
    written.replace(target)
    log(target.read_text())
    log(f"profiler report saved to {target}")
    return str(target)


def finish_run(trainer: pl.Trainer, parts: RunParts, system: UisegSystem, cfg, model_cfg: ModelConfig,
               out: Path, seconds: float, data_info: dict, log: Callable[[str], None] = print) -> dict:
    """Write RUN/final_prediction.png, RUN/profile.txt and RUN/summary.json; print the closing line."""
    if not trainer.is_global_zero:
        return {}
    best = parts.history.best() or {}
    ckpt = parts.checkpoint
    summary = {
        "best": {k: best.get(k) for k in ("val_iou", "val_dice", "val_precision", "val_recall", "epoch", "step")},
        "epochs": int(trainer.current_epoch), "steps": int(trainer.global_step), "seconds": round(seconds, 2),
        "checkpoints": {"best": ckpt.best_model_path or None, "last": ckpt.last_model_path or None},
        "final_prediction": str(_final_prediction(system, parts, out)),
        "timeline": str(out / "val_timeline.gif") if (out / "val_timeline.gif").is_file() else None,
        "profile": _profile_report(parts, out, log), "data": data_info,
        "precision": str(trainer.precision), "device": str(trainer.strategy.root_device),
        "config": config_dict(cfg, model_cfg), "history": parts.history.history,
    }
    summary["config"]["train"]["trainer"] = {k: repr(v) for k, v in cfg.trainer.items()}
    atomic_write_bytes(out / "summary.json", (json.dumps(summary, indent=2) + "\n").encode())
    log(closing_line(summary))
    return summary


def closing_line(summary: dict) -> str:
    best = summary["best"]
    if best.get("val_iou") is None:
        return f"no validation ran after {summary['epochs']} epochs, {summary['seconds']:.0f} s " \
               f"→ {summary['checkpoints']['last']}"
    return (f"best val IoU {best['val_iou']:.3f} (Dice {best['val_dice']:.3f}) after {summary['epochs']} epochs, "
            f"{summary['seconds']:.0f} s → {summary['checkpoints']['best']}")


__all__ = ["PROFILERS", "RunParts", "build_trainer", "check_trainer_kwargs", "check_trainer_setup", "closing_line",
           "finish_run",
           "resume_settings", "system_for_run", "trainer_arguments"]
