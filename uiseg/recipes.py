"""Training recipes: TrainConfig (every setting of a run but the UNet's shape), the built-in recipes, and the
one place their defaults live (TrainConfig, RECIPES, MODEL_RECIPES); `uiseg train --help` is generated from them.

Every recipe is bounded by steps, epochs and images, never by the clock: the same seed and versions give the
same weights on any machine, and a slower machine takes longer rather than training less.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import asdict, dataclass, field
from typing import Any

from uiseg.config import Contract, ModelConfig
from uiseg.errors import UisegError


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


# Overrides of the defaults above (TrainConfig) and of ModelConfig's. "cpu" is sized for `make demo` on a 2-core
# box and bounded by steps (1000 batches of 8 windows), so every machine trains the same weights; a busy machine
# takes longer instead of training less. Earlier measurements (val IoU on unseen styles, 2-core box): base 16 +
# augment 1.0 -> 0.55; augment 0 -> 0.72; 480 -> 1500 unique images: 0.72 -> 0.81; base 8 at 2.5x the steps of
# base 16 -> 0.84; batch 16 instead of 8 -> no change. Leave-one-out scores: benchmarks/results/*generalise*.
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
# "default": the model that ships inside uiseg (uiseg/models/build.py, `make default-model`): the CPU recipe,
# trained 4x longer on 4000 unique images (unique images matter more than epochs; about an hour on 2 cores).
RECIPES["default"] = {**RECIPES["cpu"], "synth_count": 4000, "max_steps": 4000}
MODEL_RECIPES: dict[str, dict[str, Any]] = {"gpu": {}, "cpu": {"base": 8}, "default": {"base": 8}}


def resolve_recipe(name: str = "auto", accelerator: str = "auto") -> str:
    """'auto' means 'gpu' when training will run on CUDA, else 'cpu'."""
    if name != "auto":
        if name not in RECIPES:
            raise UisegError(f"unknown recipe {name!r}; choose one of: auto, {', '.join(RECIPES)}")
        return name
    return "gpu" if uses_cuda(accelerator) else "cpu"


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


def uses_cuda(accelerator: str) -> bool:
    import torch

    return accelerator in ("auto", "gpu", "cuda") and torch.cuda.is_available()


def check_image_size(image_size: tuple[int, int], depth: int, flag: str = "--image-size") -> None:
    """Training size must be a multiple of 2^depth; the error names the size to use instead."""
    from uiseg.model import padded_size

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


def config_dict(cfg: TrainConfig, model_cfg: ModelConfig) -> dict:
    """Plain-value view of a run's configuration (what summary.json and the checkpoint record)."""
    contract = Contract(image_size=tuple(cfg.image_size), resize_policy=cfg.resize_policy,
                        pad_multiple=model_cfg.pad_multiple)
    return {"train": asdict(cfg), "model": asdict(model_cfg), "contract": contract.to_dict()}



def recipe_default(key: str) -> str:
    """'[gpu A, cpu B]' or '[A]': a setting's value in each recipe, for --help (sizes as WIDTHxHEIGHT)."""
    def show(value) -> str:
        if isinstance(value, tuple) and len(value) == 2 and all(isinstance(v, int) for v in value):
            return f"{value[1]}x{value[0]}"
        return "none" if value is None else str(value)

    model_keys = {f.name for f in dataclasses.fields(ModelConfig)}
    base, tables = (ModelConfig(), MODEL_RECIPES) if key in model_keys else (TrainConfig(), RECIPES)
    values = {name: tables[name].get(key, getattr(base, key)) for name in ("gpu", "cpu")}  # what --recipe takes
    if len(set(map(show, values.values()))) == 1:
        return f"[{show(next(iter(values.values())))}]"
    return "[" + ", ".join(f"{name} {show(v)}" for name, v in values.items()) + "]"


__all__ = ["MODEL_RECIPES", "RECIPES", "TrainConfig", "check_image_size", "config_dict", "default_workers",
           "make_config", "make_model_config", "recipe_default", "resolve_recipe", "uses_cuda"]
