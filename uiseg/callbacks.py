"""Training callbacks: validation image grids, the timeline GIF, and a per-epoch record of val metrics."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytorch_lightning as pl
import torch

from uiseg.images import atomic_write_bytes, encode_png

METRIC_KEYS = ("val_iou", "val_dice", "val_precision", "val_recall", "val_loss")
# Grids narrower than this are scaled up (nearest) so 64x64 test runs still give a readable picture.
MIN_TILE_WIDTH = 160


def _to_rgb_uint8(t: torch.Tensor) -> np.ndarray:
    """C x H x W float [0, 1] (C = 1 or 3) -> H x W x 3 uint8."""
    t = t.detach().float().clamp(0, 1).cpu()
    if t.shape[0] == 1:
        t = t.expand(3, -1, -1)
    return (t.permute(1, 2, 0).numpy() * 255 + 0.5).astype(np.uint8)


def grid_image(images: torch.Tensor, probs: torch.Tensor, masks: torch.Tensor, gap: int = 4) -> np.ndarray:
    """One row per sample: input | probability | target, separated by white gaps. Returns H x W x 3 uint8."""
    rows = []
    for image, prob, mask in zip(images, probs, masks):
        tiles = [_to_rgb_uint8(image), _to_rgb_uint8(prob[:1]), _to_rgb_uint8(mask[:1])]
        h = tiles[0].shape[0]
        spacer = np.full((h, gap, 3), 255, np.uint8)
        rows.append(np.concatenate([tiles[0], spacer, tiles[1], spacer, tiles[2]], axis=1))
        rows.append(np.full((gap, rows[-1].shape[1], 3), 255, np.uint8))
    grid = np.concatenate(rows[:-1], axis=0)
    scale = max(1, math.ceil(MIN_TILE_WIDTH / images.shape[-1]))
    return grid.repeat(scale, axis=0).repeat(scale, axis=1) if scale > 1 else grid


def save_prediction_grid(predict: Callable[[torch.Tensor], torch.Tensor], samples, path: str | Path,
                         device: torch.device | str = "cpu") -> Path:
    """Run `predict` (RGB [0, 1] NCHW -> probabilities) on (images, masks) and write the grid PNG."""
    images, masks = samples
    with torch.no_grad():
        probs = predict(images.to(device)).float().cpu()
    path = Path(path)
    atomic_write_bytes(path, encode_png(grid_image(images, probs, masks)))
    return path


def fixed_samples(dataset, count: int, multiple: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
    """The first `count` items of a dataset, zero-padded to one size (a multiple of `multiple`, so the model
    takes them) and stacked: the same images every epoch, so the grids compare."""
    from uiseg.data import pad_collate
    from uiseg.model import padded_size

    images, masks, _ = pad_collate([dataset[i] for i in range(min(count, len(dataset)))])
    h, w = images.shape[-2:]
    ph, pw = padded_size(h, w, multiple)
    pad = (0, pw - w, 0, ph - h)
    return torch.nn.functional.pad(images, pad), torch.nn.functional.pad(masks, pad)


class ValidationGrid(pl.Callback):
    """Every validation epoch: RUN/val_images/epoch_NNN.png. At the end: RUN/val_timeline.gif.

    The final grid (RUN/final_prediction.png, from the best checkpoint) is written by uiseg.train.
    """

    def __init__(self, run_dir: str | Path, samples: tuple[torch.Tensor, torch.Tensor], fps: float = 2.0):
        self.run_dir = Path(run_dir)
        self.samples = samples
        self.fps = fps

    @property
    def image_dir(self) -> Path:
        return self.run_dir / "val_images"

    def on_validation_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if trainer.sanity_checking or not trainer.is_global_zero:
            return
        path = self.image_dir / f"epoch_{trainer.current_epoch:03d}.png"
        save_prediction_grid(pl_module.predict_probs, self.samples, path, pl_module.device)

    def on_fit_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if trainer.is_global_zero:
            write_timeline(sorted(self.image_dir.glob("epoch_*.png")), self.run_dir / "val_timeline.gif", self.fps)


def write_timeline(frames: list[Path], out: Path, fps: float = 2.0) -> Path | None:
    """An animated GIF of the epoch grids (loops forever; the last frame holds three times longer)."""
    import imageio.v3 as iio

    if not frames:
        return None
    images = np.stack([iio.imread(f) for f in frames])
    durations = [1000.0 / fps] * len(images)  # milliseconds per frame (pillow plugin)
    durations[-1] *= 3
    out.parent.mkdir(parents=True, exist_ok=True)
    # Pillow's GIF writer takes a list only for several frames; a run stopped inside epoch 0 has one.
    duration = durations if len(durations) > 1 else durations[0]
    iio.imwrite(out, images, extension=".gif", duration=duration, loop=0)
    return out


class MetricHistory(pl.Callback):
    """Records val metrics after each validation run (on_validation_end, when they are final).

    Its state is a list of plain dicts, saved in checkpoints so a resumed run's summary covers every epoch.
    """

    def __init__(self, log: Callable[[str], None] | None = None):
        self.history: list[dict[str, float]] = []
        self.echo = log  # one line per validation, for runs without a progress bar (CI, piped output)

    def on_validation_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if trainer.sanity_checking:
            return
        metrics = trainer.callback_metrics
        row = {"epoch": int(trainer.current_epoch), "step": int(trainer.global_step)}
        row.update({k: float(metrics[k]) for k in METRIC_KEYS if k in metrics})
        self.history.append(row)
        if self.echo is not None and trainer.is_global_zero:
            self.echo(f"epoch {row['epoch']:>3}  step {row['step']:>6}  " + "  ".join(
                f"{k[4:]} {row[k]:.3f}" for k in METRIC_KEYS if k in row))

    def best(self, key: str = "val_iou") -> dict[str, float] | None:
        rows = [r for r in self.history if key in r and not math.isnan(r[key])]
        return max(rows, key=lambda r: r[key]) if rows else None

    def state_dict(self) -> dict:
        return {"history": [dict(r) for r in self.history]}

    def load_state_dict(self, state_dict: dict) -> None:
        self.history = [dict(r) for r in state_dict.get("history", [])]


class StopOnNonFinite(pl.Callback):
    """Stop training the moment the loss is NaN/Inf (diverged: a too-high learning rate, fp16 overflow, bad data),
    with an error naming the step and the fix, instead of training on to "best val IoU 0.000". Checked after
    every training batch and before every checkpoint (Lightning runs checkpoint callbacks last), so no diverged
    weights are saved. Like EarlyStopping(check_finite=True), but the run fails (exit 1) instead of ending well.
    """

    def on_train_batch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule, outputs, batch,
                           batch_idx: int) -> None:
        loss = outputs["loss"] if isinstance(outputs, dict) else outputs
        if isinstance(loss, torch.Tensor) and not bool(torch.isfinite(loss.detach()).all()):
            self._stop(trainer, pl_module, "training loss", float(loss.detach().float().mean()))

    def on_validation_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        loss = trainer.callback_metrics.get("val_loss")
        if not trainer.sanity_checking and loss is not None and not math.isfinite(float(loss)):
            self._stop(trainer, pl_module, "validation loss", float(loss))

    @staticmethod
    def _stop(trainer: pl.Trainer, pl_module: pl.LightningModule, what: str, value: float) -> None:
        from uiseg.errors import UisegError

        lr = getattr(pl_module, "recipe", {}).get("learning_rate")
        hint = f"lower --learning-rate (it is {lr:g}, e.g. {lr / 10:g})" if isinstance(lr, (int, float)) else \
            "lower --learning-rate"
        raise UisegError(f"training diverged: the {what} is {value} at step {trainer.global_step} (epoch "
                         f"{trainer.current_epoch}); {hint}, or use --precision 32-true; no checkpoint was "
                         "written from the diverged weights")


class SaveOnInterrupt(pl.Callback):
    """On Ctrl-C or SIGTERM (and only then: a failed run's weights are not worth resuming), save
    RUN/checkpoints/last.ckpt with the loops' state, so `--resume` continues where the run stopped. (Lightning's
    OnExceptionCheckpoint would also make every later fit() resume from "last" on its own.)"""

    def __init__(self, dirpath: str | Path):
        self.path = Path(dirpath) / "last.ckpt"

    def on_exception(self, trainer: pl.Trainer, pl_module: pl.LightningModule, exception: BaseException) -> None:
        from pytorch_lightning.utilities.exceptions import SIGTERMException

        if isinstance(exception, (KeyboardInterrupt, SIGTERMException)):
            trainer.save_checkpoint(self.path, weights_only=False)  # the full state: loops, optimizer


__all__ = ["MetricHistory", "SaveOnInterrupt", "StopOnNonFinite", "ValidationGrid", "fixed_samples", "grid_image",
           "save_prediction_grid", "write_timeline"]
