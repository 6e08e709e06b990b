"""The one resize, and the size policies, that training, evaluation and inference share.

Images: Pillow's BILINEAR on uint8 RGB. When it shrinks, Pillow widens the filter to the scale (antialiased), so
a 1280x720 screenshot brought to 341x192 averages its pixels instead of skipping them. Masks and labels:
nearest-neighbour sampling pixel centres (source = floor((dst + 0.5) * in / out)), so a mask stays aligned with
its image. numpy and Pillow only, never torch: the ONNX Runtime path on a CPU runs without it.

Size policies (the contract's `resize_policy`; `uiseg segment --size` picks one or uses the model's own):
- "aspect": keep the aspect ratio, scale to the pixel count of the model's `image_size` (a 256x224-trained model
  sees 1280x720 at 341x192 and 160x144 at 253x228): UI keeps the size, in model pixels, that training showed it.
- "stretch": resize every image to `image_size`, whatever its shape ("resize" in older artifacts).
- "native": the image's own size (padded to the model's multiple by the caller).
- "fixed": a size the user gave (`--size WIDTHxHEIGHT`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PIL import Image

from uiseg.errors import UisegError

POLICIES = ("aspect", "stretch", "native")
LEGACY_POLICIES = {"resize": "stretch"}  # what artifacts made before the policies had names call "stretch"


def resize_image(rgb: np.ndarray, size: tuple[int, int], box: tuple[float, ...] | None = None) -> np.ndarray:
    """uint8 H x W x 3 -> uint8 size=(h, w) x 3, Pillow BILINEAR (antialiased when shrinking).

    box: the source region (x0, y0, x1, y1) to resample, in source pixels (a training crop); None = all of it.
    """
    h, w = size
    if box is None and tuple(rgb.shape[:2]) == (h, w):
        return rgb
    return np.asarray(Image.fromarray(rgb).resize((w, h), Image.BILINEAR, box=box))


def resize_nearest(array: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Nearest-neighbour resize of any H x W (x C) array to size=(H, W), sampling pixel centres.

    numpy, not torch: writer threads must not start OpenMP teams that compete with the model for the cores.
    """
    (h, w), (oh, ow) = array.shape[:2], size
    if (h, w) == (oh, ow):
        return array
    rows = np.minimum(((np.arange(oh) + 0.5) * (h / oh)).astype(np.int64), h - 1)
    cols = np.minimum(((np.arange(ow) + 0.5) * (w / ow)).astype(np.int64), w - 1)
    return np.take(np.take(array, rows, axis=0), cols, axis=1)  # rows first: whole-row copies


def aspect_size(h: int, w: int, reference: tuple[int, int], scale: float = 1.0) -> tuple[int, int]:
    """(H, W) with the image's aspect ratio and about `scale`^2 times the reference's pixel count."""
    s = scale * math.sqrt(reference[0] * reference[1] / (h * w))
    return max(1, round(h * s)), max(1, round(w * s))


@dataclass(frozen=True)
class SizePolicy:
    """How an image of any size becomes model input (before padding to the model's multiple)."""

    kind: str  # "aspect" | "stretch" | "native" | "fixed"
    size: tuple[int, int] | None = None  # (H, W): the training size (aspect, stretch) or the user's (fixed)

    def target(self, h: int, w: int) -> tuple[int, int]:
        """Model input (H, W) for an H x W image."""
        if self.kind == "native":
            return h, w
        if self.kind == "aspect":
            return aspect_size(h, w, self.size)
        return self.size

    @property
    def fixed_size(self) -> tuple[int, int] | None:
        """The one input size every image gets, or None when it depends on the image."""
        return self.size if self.kind in ("stretch", "fixed") else None

    def pixels(self, h: int = 720, w: int = 1280) -> int:
        """Model pixels per image (for an H x W image where it depends on it): sizes batches and chunks."""
        th, tw = self.target(h, w)
        return th * tw

    def __str__(self) -> str:
        if self.size is None:
            return self.kind
        return f"{self.kind} {self.size[1]}x{self.size[0]}"


def canonical_policy(name: str) -> str:
    """A contract's resize_policy, with legacy names mapped; unknown names are an error naming the fix."""
    name = LEGACY_POLICIES.get(name, name)
    if name not in POLICIES:
        raise UisegError(f"resize policy {name!r} is unknown to this uiseg (known: {', '.join(POLICIES)}); "
                         "upgrade uiseg, or pass --size native or --size WIDTHxHEIGHT")
    return name


def size_policy(spec: str, contract) -> SizePolicy:
    """--size SPEC -> SizePolicy. auto: the model's own policy; aspect/stretch at its training size; native;
    or WIDTHxHEIGHT."""
    from uiseg.config import parse_size

    spec = spec.strip().lower()
    train = tuple(contract.image_size)
    if spec == "auto":
        spec = canonical_policy(contract.resize_policy)
    if spec in ("aspect", "stretch"):
        return SizePolicy(spec, train)
    if spec == "native":
        return SizePolicy("native")
    try:
        return SizePolicy("fixed", parse_size(spec, "--size"))
    except UisegError as exc:
        raise UisegError(f"{exc}; or auto, aspect, stretch or native") from None


def hwc_to_chw(array: np.ndarray):
    """uint8 H x W x 3 numpy array -> uint8 3 x H x W torch tensor, sharing memory (no copy in the hot path).

    Pillow hands out read-only arrays and torch.from_numpy warns on those: every caller only reads the tensor
    (stacks it), so the warning is silenced here rather than paying for a copy. Never write into it.
    """
    import warnings

    import torch

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The given NumPy array is not writable")
        return torch.from_numpy(np.ascontiguousarray(array)).permute(2, 0, 1)


__all__ = ["LEGACY_POLICIES", "POLICIES", "SizePolicy", "aspect_size", "canonical_policy", "hwc_to_chw",
           "resize_image", "resize_nearest", "size_policy"]
