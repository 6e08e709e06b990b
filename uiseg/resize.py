"""The one resize that training, evaluation and inference share (the contract's "resize" policy).

Images: bilinear with antialiasing on uint8 CHW tensors (torchvision). Masks: nearest-neighbour.
Keeping a single function here is what makes every backend see the same pixels.
"""

from __future__ import annotations

import warnings

import numpy as np
import torch


def _tv():
    """torchvision's v2 functional API and InterpolationMode, imported on first use: the import costs ~1 s
    (it pulls in torch._dynamo), and a decode worker at native resolution never resizes."""
    from torchvision.transforms.v2 import InterpolationMode, functional

    return functional, InterpolationMode


def resize_image(image: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Resize a uint8 (or float) C x H x W (or N x C x H x W) image tensor to size=(H, W)."""
    if tuple(image.shape[-2:]) == tuple(size):
        return image
    F, InterpolationMode = _tv()
    return F.resize(image, list(size), interpolation=InterpolationMode.BILINEAR, antialias=True)


def resize_mask(mask: torch.Tensor | np.ndarray, size: tuple[int, int]):
    """Nearest-neighbour resize of an H x W (or ... x H x W) mask; returns the same kind it was given."""
    as_numpy = isinstance(mask, np.ndarray)
    t = torch.from_numpy(mask) if as_numpy else mask
    if tuple(t.shape[-2:]) != tuple(size):
        squeeze = t.dim() == 2
        t = t[None] if squeeze else t
        dtype = t.dtype
        F, InterpolationMode = _tv()
        t = F.resize(t.to(torch.uint8), list(size), interpolation=InterpolationMode.NEAREST_EXACT).to(dtype)
        t = t[0] if squeeze else t
    return t.numpy() if as_numpy else t


def hwc_to_chw(array: np.ndarray) -> torch.Tensor:
    """uint8 H x W x 3 numpy array -> uint8 3 x H x W tensor, sharing memory (no copy in the hot path).

    Pillow hands out read-only arrays and torch.from_numpy warns on those: every caller only reads the tensor
    (resizes or stacks it), so the warning is silenced here rather than paying for a copy. Never write into it.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The given NumPy array is not writable")
        return torch.from_numpy(np.ascontiguousarray(array)).permute(2, 0, 1)
