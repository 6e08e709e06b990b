"""The one LightningModule that training, evaluation and export share.

Hyper-parameters are three plain dicts (`model`, `contract`, `train`) so that `save_hyperparameters()` stores
plain values and every checkpoint loads with `torch.load(weights_only=True)` (see uiseg.checkpoint).
The UNet lives at `self.model`, so state_dict keys are `model.<unet key>`; mean/std are non-persistent
buffers, so the checkpoint holds nothing but the UNet's weights and the contract describes normalisation.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, is_dataclass
from typing import Any

import pytorch_lightning as pl
import torch
import torch.nn.functional as F
from torchmetrics import MetricCollection
from torchmetrics.classification import BinaryF1Score, BinaryJaccardIndex, BinaryPrecision, BinaryRecall

from uiseg.config import Contract, ModelConfig, from_dict
from uiseg.errors import UisegError
from uiseg.model import UNet, padded_size
from uiseg.recipes import TrainConfig

LOSSES = ("bce", "bce+dice")
OPTIMIZERS = ("adam", "adamw")
SCHEDULES = ("cosine", "onecycle", "none")

# Recipe keys the module reads from `train`; a missing key takes TrainConfig's default (uiseg.recipes).
TRAIN_KEYS = ("learning_rate", "weight_decay", "optimizer", "schedule", "loss", "pos_weight", "time_budget")
TRAIN_DEFAULTS: dict[str, Any] = {k: getattr(TrainConfig(), k) for k in TRAIN_KEYS}


def plain(value: Any) -> dict[str, Any]:
    """A dataclass or mapping as a plain dict (lists and tuples kept as they are)."""
    if is_dataclass(value) and not isinstance(value, type):
        return asdict(value)
    if isinstance(value, dict):
        return dict(value)
    raise UisegError(f"expected a dataclass or a mapping, got {type(value).__name__}")


def lr_factor(schedule: str, progress: float) -> float:
    """Learning-rate multiplier at `progress` (0 = start of training, 1 = end; clamped).

    A LambdaLR over this function (rather than OneCycleLR/CosineAnnealingLR) stores only the step count in
    checkpoints, so `--resume` with a larger --max-steps/--max-epochs stretches the schedule instead of
    failing; the total always comes from the current Trainer.
    "cosine": lr -> lr/100. "onecycle": 15 % warm-up from lr/25 to lr, then cosine down to lr/2500.
    """
    t = min(max(progress, 0.0), 1.0)
    if schedule == "cosine":
        return 0.01 + 0.99 * 0.5 * (1.0 + math.cos(math.pi * t))
    warm = 0.15
    if t < warm:
        return 0.04 + 0.96 * 0.5 * (1.0 - math.cos(math.pi * t / warm))
    return 0.0004 + 0.9996 * 0.5 * (1.0 + math.cos(math.pi * (t - warm) / (1.0 - warm)))


def _check_choice(name: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise UisegError(f"unknown {name} {value!r}; choose one of: {', '.join(choices)}")


class UisegSystem(pl.LightningModule):
    """UNet + loss + optimiser + validation metrics. Input to `forward`: RGB in [0, 1], NCHW; output: logits."""

    def __init__(self, model: dict | ModelConfig, contract: dict | Contract, train: dict | None = None):
        super().__init__()
        model_cfg = from_dict(ModelConfig, plain(model))
        contract_cfg = from_dict(Contract, plain(contract))
        recipe = {**TRAIN_DEFAULTS, **plain(train or {})}
        _check_choice("loss", recipe["loss"], LOSSES)
        _check_choice("optimizer", recipe["optimizer"], OPTIMIZERS)
        _check_choice("schedule", recipe["schedule"], SCHEDULES)
        self.save_hyperparameters({"model": asdict(model_cfg), "contract": contract_cfg.to_dict(), "train": recipe})
        self.model_config, self.contract, self.recipe = model_cfg, contract_cfg, recipe
        self.model = UNet.from_config(model_cfg)
        self._train_start: float | None = None  # set when training starts; the time budget counts from it
        # Normalisation matches DeployModel exactly; non-persistent, so state_dict stays "model.*" only.
        self.register_buffer("mean", torch.tensor(contract_cfg.mean).view(1, -1, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(contract_cfg.std).view(1, -1, 1, 1), persistent=False)
        pos_weight = recipe["pos_weight"]
        self.register_buffer("pos_weight", None if pos_weight is None else torch.tensor([float(pos_weight)]),
                             persistent=False)
        threshold = contract_cfg.threshold
        self.val_metrics = MetricCollection({
            "iou": BinaryJaccardIndex(threshold=threshold),
            "dice": BinaryF1Score(threshold=threshold),
            "precision": BinaryPrecision(threshold=threshold),
            "recall": BinaryRecall(threshold=threshold),
        }, prefix="val_")

    # -- forward and loss -------------------------------------------------------------------------------
    def forward(self, image: torch.Tensor) -> torch.Tensor:
        x = (image - self.mean) / self.std
        if x.is_cuda:
            x = x.contiguous(memory_format=torch.channels_last)
        return self.model(x)

    @torch.no_grad()
    def predict_probs(self, image: torch.Tensor) -> torch.Tensor:
        """Probabilities (float32, N x C x H x W) for RGB in [0, 1]; the hook evaluation and the grids use."""
        return torch.sigmoid(self(image).float())

    def loss(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """BCE-with-logits (optional pos_weight), plus soft Dice over the batch when the recipe says so.

        Computed in float32 even under bf16 autocast: the Dice sums are over ~10^6 pixels.
        """
        logits = logits.float()
        loss = F.binary_cross_entropy_with_logits(logits, target, pos_weight=self.pos_weight)
        if self.recipe["loss"] == "bce+dice":
            prob = torch.sigmoid(logits)
            inter = (prob * target).sum()
            loss = loss + 1.0 - (2.0 * inter + 1.0) / (prob.sum() + target.sum() + 1.0)
        return loss

    # -- Lightning hooks --------------------------------------------------------------------------------
    def on_train_start(self) -> None:
        self._train_start = time.monotonic()

    def on_fit_start(self) -> None:
        if self.device.type == "cuda":
            # NHWC lets cuDNN use tensor-core kernels under bf16; forward() converts inputs to match.
            self.model.to(memory_format=torch.channels_last)

    def training_step(self, batch, batch_idx: int) -> torch.Tensor:
        image, mask = batch
        loss = self.loss(self(image), mask)
        self.log("train_loss", loss, prog_bar=True, on_step=True, on_epoch=True, batch_size=image.shape[0])
        return loss

    def validation_step(self, batch, batch_idx: int) -> None:
        """Batches of mixed sizes come zero-padded with a valid-pixel map (uiseg.data.pad_collate); the model
        sees them padded to its multiple, as at inference, and only real pixels are scored."""
        image, mask, valid = batch
        h, w = image.shape[-2:]
        ph, pw = padded_size(h, w, self.model_config.pad_multiple)
        logits = self(F.pad(image, (0, pw - w, 0, ph - h)))[..., :h, :w]
        logits, mask = logits[valid], mask[valid]
        self.log("val_loss", self.loss(logits, mask), on_epoch=True, batch_size=image.shape[0], sync_dist=True)
        self.val_metrics.update(torch.sigmoid(logits.float()), mask.to(torch.int64))
        self.log_dict(self.val_metrics, on_epoch=True, prog_bar=True, batch_size=image.shape[0])

    def configure_optimizers(self):
        lr, wd = float(self.recipe["learning_rate"]), float(self.recipe["weight_decay"])
        if self.recipe["optimizer"] == "adamw":
            opt = torch.optim.AdamW(self.parameters(), lr=lr, weight_decay=wd)
        else:
            opt = torch.optim.Adam(self.parameters(), lr=lr, weight_decay=wd)
        schedule = self.recipe["schedule"]
        if schedule == "none":
            return opt
        total = self._total_steps()
        sched = torch.optim.lr_scheduler.LambdaLR(
            opt, lambda step: lr_factor(schedule, self._progress(step, total)))
        return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "step"}}

    def _progress(self, step: int, total: int) -> float:
        """Fraction of the run done: by steps, or by wall time when the recipe has a time budget
        (whichever is further), so a budgeted run anneals fully however fast the machine is."""
        progress = step / total
        budget = self.recipe.get("time_budget")
        if budget and self._train_start is not None:
            progress = max(progress, (time.monotonic() - self._train_start) / float(budget))
        return progress

    def _total_steps(self) -> int:
        """Optimizer steps the schedule spans (Lightning's estimate honours max_steps/max_epochs/accumulation)."""
        total = self.trainer.estimated_stepping_batches
        if not math.isfinite(total) or total <= 0:
            if self.recipe.get("time_budget"):
                return 1 << 40  # time-bounded run: progress comes from the clock
            raise UisegError("the cosine/one-cycle schedule needs a finite run: pass --max-epochs, --max-steps "
                             "or --time-budget, or use --schedule none")
        return max(1, int(total))


__all__ = ["LOSSES", "OPTIMIZERS", "SCHEDULES", "TRAIN_DEFAULTS", "UisegSystem", "lr_factor", "plain"]
