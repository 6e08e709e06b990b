"""Evaluation: IoU, Dice, precision and recall of a model on a labelled folder, overall and per image.

How predictions meet masks (the choice, and why):
- Each image is resized to the contract's `image_size` with the contract's resize policy (the same resize
  training used), padded to `pad_multiple` if needed, and predicted.
- The probability map is upsampled *bilinearly* to the image's original size and thresholded there; the mask
  is never resized. Scoring at the original size is what a user of `uiseg segment` gets, and upsampling
  probabilities (not a thresholded mask) keeps box edges smooth instead of blocky.
- Overall scores come from TP/FP/FN summed over every pixel of every image (large images weigh more);
  per-image scores are also reported. A ratio whose denominator is 0 (nothing to find and nothing predicted)
  counts as 1.0: there was nothing to get wrong.

A predictor is anything with `predict(images) -> probabilities` (RGB [0, 1] N x 3 x H x W in, N x 1 x H x W
out) and a `contract`; `LOADERS` maps file suffixes to functions that open one, so exported models
(.ts, .onnx) plug in without touching the loop.
"""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from uiseg.config import Contract
from uiseg.errors import UisegError
from uiseg.images import atomic_write_bytes, read_mask, read_rgb
from uiseg.model import padded_size
from uiseg.resize import SizePolicy, hwc_to_chw, resize_image, size_policy

METRICS = ("iou", "dice", "precision", "recall")


@dataclass
class Predictor:
    """`predict`: float RGB [0, 1] N x 3 x H x W on `device` -> probabilities N x 1 x H x W (any device)."""

    predict: Callable[[torch.Tensor], torch.Tensor]
    contract: Contract
    device: torch.device
    source: dict = field(default_factory=dict)  # what was loaded: path, sha256, kind


def model_predictor(path: str | Path, device: str | None = None) -> Predictor:
    """A Predictor from a .ckpt, .ts or .onnx file, through uiseg.infer's backend for its suffix (the same
    loading, weights_only checks and device rules as `uiseg segment`)."""
    from uiseg.infer.backends import load_predictor

    backend = load_predictor(path, device=str(device) if device else "auto")

    def predict(images: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(backend.predict(images).float())

    return Predictor(predict, backend.contract, torch.device(backend.device),
                     {"kind": backend.name, "path": str(path), "sha256": backend.sha256,
                      "provider": backend.provider})


# suffix -> loader(path, device) -> Predictor: the one place a new model format plugs in.
LOADERS: dict[str, Callable[..., Predictor]] = {".ckpt": model_predictor, ".ts": model_predictor,
                                                 ".onnx": model_predictor}


def open_predictor(path: str | Path, device: str | None = None) -> Predictor:
    suffix = Path(path).suffix.lower()
    if suffix not in LOADERS:
        raise UisegError(f"{path}: cannot evaluate a {suffix or 'suffix-less'} file; pass a model ending in "
                         f"{', '.join(sorted(LOADERS))}")
    return LOADERS[suffix](path, device)


# -- metrics -------------------------------------------------------------------------------------------
def _ratio(num: int, den: int) -> float:
    return 1.0 if den == 0 else num / den


def scores(tp: int, fp: int, fn: int) -> dict[str, float]:
    """IoU, Dice, precision, recall from pixel counts (empty denominators score 1.0)."""
    return {"iou": _ratio(tp, tp + fp + fn), "dice": _ratio(2 * tp, 2 * tp + fp + fn),
            "precision": _ratio(tp, tp + fp), "recall": _ratio(tp, tp + fn)}


def pixel_counts(prob: torch.Tensor, mask: torch.Tensor, threshold: float) -> dict[str, int]:
    """TP/FP/FN/TN of a 1 x h x w probability map upsampled (bilinear) to the H x W bool mask's size."""
    if tuple(prob.shape[-2:]) != tuple(mask.shape):
        prob = F.interpolate(prob[None].float(), size=tuple(mask.shape), mode="bilinear", align_corners=False)[0]
    pred = prob[0] > threshold  # strict, as torchmetrics' binary metrics threshold during training
    mask = mask.to(pred.device, torch.bool)
    tp = int((pred & mask).sum())
    fp = int((pred & ~mask).sum())
    fn = int((~pred & mask).sum())
    return {"tp": tp, "fp": fp, "fn": fn, "tn": int(mask.numel()) - tp - fp - fn}


# -- data ----------------------------------------------------------------------------------------------
class EvalDataset(torch.utils.data.Dataset):
    """(image at the policy's size, uint8 3 x h x w; mask at original size, bool; index)."""

    def __init__(self, pairs, policy: SizePolicy):
        self.pairs, self.policy = list(pairs), policy

    def __len__(self) -> int:
        return len(self.pairs)

    def __getitem__(self, i: int):
        pair = self.pairs[i]
        rgb = read_rgb(pair.image)
        image = hwc_to_chw(resize_image(rgb, self.policy.target(*rgb.shape[:2])))
        return image, torch.from_numpy(read_mask(pair.mask)), i


def _collate(batch, multiple: int):
    """Zero-pad the batch right/bottom to one size, a multiple of the model's; keep each image's (h, w)."""
    sizes = [tuple(b[0].shape[-2:]) for b in batch]
    ph, pw = padded_size(max(s[0] for s in sizes), max(s[1] for s in sizes), multiple)
    images = torch.zeros((len(batch), 3, ph, pw))
    for k, (image, _, _) in enumerate(batch):
        images[k, :, :image.shape[1], :image.shape[2]] = image.float() / 255.0
    return images, sizes, [b[1] for b in batch], [b[2] for b in batch]


def evaluate_pairs(pairs, predictor: Predictor, batch_size: int = 8, workers: int = 0,
                   size: str = "auto") -> list[dict]:
    """Per-image rows (key, paths, size, counts, scores) in input order; `size` as `uiseg segment --size`."""
    from functools import partial

    from torch.utils.data import DataLoader

    contract = predictor.contract
    policy = size_policy(size, contract)
    loader = DataLoader(EvalDataset(pairs, policy), batch_size=batch_size, num_workers=workers,
                        collate_fn=partial(_collate, multiple=contract.pad_multiple),
                        pin_memory=predictor.device.type == "cuda")
    rows = []
    for images, sizes, masks, indices in loader:
        probs = predictor.predict(images.to(predictor.device, non_blocking=True))
        for prob, (h, w), mask, i in zip(probs, sizes, masks, indices):
            counts = pixel_counts(prob[..., :h, :w], mask, contract.threshold)
            pair = pairs[i]
            rows.append({"key": pair.key, "image": str(pair.image), "mask": str(pair.mask),
                         "width": int(mask.shape[1]), "height": int(mask.shape[0]),
                         **scores(counts["tp"], counts["fp"], counts["fn"]), **counts,
                         "ui_fraction": (counts["tp"] + counts["fn"]) / mask.numel(),
                         "predicted_fraction": (counts["tp"] + counts["fp"]) / mask.numel()})
    return rows


def summarize(rows: list[dict]) -> dict:
    """Overall scores from summed counts, plus the mean of per-image scores."""
    totals = {k: sum(r[k] for r in rows) for k in ("tp", "fp", "fn", "tn")}
    return {"images": len(rows), "overall": scores(totals["tp"], totals["fp"], totals["fn"]),
            "mean_per_image": {m: float(np.mean([r[m] for r in rows])) if rows else None for m in METRICS},
            "counts": totals}


# -- the command's work --------------------------------------------------------------------------------
CSV_FIELDS = ("rank", "key", "iou", "dice", "precision", "recall", "tp", "fp", "fn", "tn", "ui_fraction",
              "predicted_fraction", "width", "height", "image", "mask")


def default_out(model: str | Path, data: str | Path) -> Path:
    """RUN/eval-<data name> for RUN/checkpoints/x.ckpt; else <model folder>/eval-<data name>."""
    model = Path(model)
    run = model.parent.parent if model.parent.name == "checkpoints" else model.parent
    return run / f"eval-{Path(data).resolve().name}"


def write_reports(rows: list[dict], summary: dict, out: Path) -> None:
    """OUT/per_image.csv (worst IoU first) and OUT/summary.json, each written atomically."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=CSV_FIELDS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for rank, row in enumerate(sorted(rows, key=lambda r: (r["iou"], r["key"])), start=1):
        writer.writerow({**row, "rank": rank, **{m: f"{row[m]:.6f}" for m in METRICS}})
    atomic_write_bytes(out / "per_image.csv", buf.getvalue().encode())
    atomic_write_bytes(out / "summary.json", (json.dumps(summary, indent=2) + "\n").encode())


def format_table(summary: dict, rows: list[dict], worst: int = 5) -> str:
    """A short text table: overall and mean per-image scores, then the worst images."""
    lines = [f"{'':<16}{'IoU':>8}{'Dice':>8}{'Prec':>8}{'Recall':>8}"]
    for name, key in (("overall", "overall"), ("mean per image", "mean_per_image")):
        s = summary[key]
        lines.append(f"{name:<16}" + "".join(f"{s[m]:>8.3f}" for m in METRICS))
    lines.append(f"worst {min(worst, len(rows))} of {len(rows)} images by IoU:")
    for r in sorted(rows, key=lambda r: (r["iou"], r["key"]))[:worst]:
        lines.append(f"  {r['key']:<30.30}{r['iou']:>8.3f}{r['dice']:>8.3f}{r['precision']:>8.3f}{r['recall']:>8.3f}")
    return "\n".join(lines)


def run_evaluation(data: str | Path, model: str | Path, out: str | Path | None = None, batch_size: int = 8,
                   workers: int | None = None, device: str | None = None, size: str = "auto",
                   log: Callable[[str], None] = print) -> dict:
    """Check DATA (both layouts), evaluate the model on it, write OUT/per_image.csv + OUT/summary.json."""
    from uiseg.data import check_dataset
    from uiseg.train import default_workers

    out = Path(out) if out is not None else default_out(model, data)
    pairs = check_dataset(data, workers=workers)
    predictor = open_predictor(model, device)
    t0 = time.perf_counter()
    rows = evaluate_pairs(pairs, predictor, batch_size=batch_size, workers=default_workers(workers), size=size)
    seconds = time.perf_counter() - t0
    summary = summarize(rows)
    summary.update({
        "data": str(data), "model": predictor.source, "device": str(predictor.device),
        "contract": predictor.contract.to_dict(), "seconds": round(seconds, 3),
        "images_per_second": round(len(rows) / seconds, 2) if seconds > 0 else None,
        "size": str(size_policy(size, predictor.contract)),
        "method": "predict at the size policy's input size, upsample probabilities bilinearly to "
                  "the original size, threshold; overall = summed TP/FP/FN over all pixels",
        "per_image_csv": str(out / "per_image.csv"),
    })
    write_reports(rows, summary, out)
    log(format_table(summary, rows))
    log(f"{len(rows)} images in {seconds:.1f} s → {out}/summary.json, {out}/per_image.csv")
    return summary


__all__ = [
    "LOADERS",
    "METRICS",
    "Predictor",
    "evaluate_pairs",
    "format_table",
    "model_predictor",
    "open_predictor",
    "pixel_counts",
    "run_evaluation",
    "scores",
    "summarize",
    "write_reports",
]
