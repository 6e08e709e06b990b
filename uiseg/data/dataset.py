"""Train/val split and the torch Dataset over checked pairs."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence

import torch
from torch.utils.data import Dataset

from uiseg.data.discover import Pair
from uiseg.data.transforms import to_tensors
from uiseg.data.validate import size_problem
from uiseg.errors import UisegError
from uiseg.images import read_mask, read_rgb


def split_pairs(pairs: Sequence[Pair], val_fraction: float = 0.1, seed: int = 0,
                overfit_num: int | None = None) -> tuple[list[Pair], list[Pair]]:
    """Seeded train/val split; returns (train, val), each sorted by key.

    The shuffle starts from the pairs sorted by key, so the split depends only on the file names and `seed`,
    never on discovery order. Validation gets round(n * val_fraction) pairs, at least 1, and training keeps at
    least 1. `overfit_num=N` is the tutorial's overfit mode: train and val are both the first N pairs of the
    seeded order (a quick check that model and loss can fit anything at all).
    """
    ordered = sorted(pairs, key=lambda p: p.key)
    random.Random(seed).shuffle(ordered)
    n = len(ordered)
    if n == 0:
        raise UisegError("no image/mask pairs to split; point uiseg at a folder with images/ + masks/")
    if overfit_num is not None:
        if isinstance(overfit_num, bool) or not isinstance(overfit_num, int) or not 1 <= overfit_num <= n:
            raise UisegError(f"--overfit-num {overfit_num!r} must be a whole number from 1 to {n} "
                             f"(the dataset has {n} pairs)")
        chosen = sorted(ordered[:overfit_num], key=lambda p: p.key)
        return chosen, list(chosen)
    if not (isinstance(val_fraction, (int, float)) and 0.0 <= val_fraction < 1.0):
        raise UisegError(f"validation fraction {val_fraction!r} must be at least 0 and below 1, e.g. 0.1")
    if n < 2:
        raise UisegError(f"only {n} image/mask pair: cannot keep one for validation and one for training; "
                         f"add more pairs, or use --overfit-num 1 to train and validate on it")
    n_val = min(n - 1, max(1, round(n * val_fraction)))
    by_key = lambda ps: sorted(ps, key=lambda p: p.key)
    return by_key(ordered[n_val:]), by_key(ordered[:n_val])


class SegDataset(Dataset):
    """Decodes pair i with read_rgb/read_mask and applies the joint `transform`.

    Items are (image float32 3xHxW in [0, 1], mask float32 1xHxW in {0, 1}). With `transform=None` the images
    keep their own size (only useful with batch size 1, e.g. full-resolution evaluation). Holds only paths and
    a picklable transform, so DataLoader worker processes can receive it.
    """

    def __init__(self, pairs: Sequence[Pair], transform: Callable | None) -> None:
        self.pairs = list(pairs)
        self.transform = transform

    def __len__(self) -> int:
        return len(self.pairs)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        pair = self.pairs[index]
        image, mask = read_rgb(pair.image), read_mask(pair.mask)
        if image.shape[:2] != mask.shape:
            # Only reachable when check_dataset was skipped; name both files rather than fail inside torch.
            raise UisegError(size_problem(pair, image.shape[:2], mask.shape))
        return (self.transform or to_tensors)(image, mask)

    def __repr__(self) -> str:
        return f"SegDataset({len(self.pairs)} pairs, transform={self.transform!r})"


__all__ = ["SegDataset", "split_pairs"]
