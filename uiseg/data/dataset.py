"""Train/val split and the torch Dataset over checked pairs."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence

import numpy as np
import torch
from torch.utils.data import Dataset, Sampler

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


class SeededSampler(Sampler):
    """A seeded permutation per epoch that yields (index, sample seed) keys for SegDataset.

    The augmentation of every sample then depends only on (seed, epoch, position), never on which DataLoader
    worker draws it or how many there are: the same seed gives the same batches on any machine. Lightning
    calls set_epoch() before each epoch (also after --resume), so a resumed run continues the same sequence.
    """

    def __init__(self, n: int, seed: int) -> None:
        self.n, self.seed, self.epoch = n, int(seed), 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)

    def __iter__(self):
        rng = np.random.default_rng([self.seed, self.epoch, 0x5A4D])
        order, seeds = rng.permutation(self.n), rng.integers(0, 2**62, self.n)
        return iter([(int(i), int(s)) for i, s in zip(order, seeds)])

    def __len__(self) -> int:
        return self.n


class SegDataset(Dataset):
    """Decodes pair i with read_rgb/read_mask and applies the joint `transform`.

    Items are (image float32 3xHxW in [0, 1], mask float32 1xHxW in {0, 1}). With `transform=None` the images
    keep their own size. A random transform (TrainTransform) needs a seed: keys are (index, seed) pairs from
    SeededSampler; a plain index uses the index as the seed. Holds only paths and a picklable transform, so
    DataLoader worker processes can receive it.
    """

    def __init__(self, pairs: Sequence[Pair], transform: Callable | None) -> None:
        self.pairs = list(pairs)
        self.transform = transform

    def __len__(self) -> int:
        return len(self.pairs)

    def __getitem__(self, key) -> tuple[torch.Tensor, torch.Tensor]:
        index, seed = key if isinstance(key, tuple) else (key, key)
        pair = self.pairs[index]
        image, mask = read_rgb(pair.image), read_mask(pair.mask)
        if image.shape[:2] != mask.shape:
            # Only reachable when check_dataset was skipped; name both files rather than fail inside torch.
            raise UisegError(size_problem(pair, image.shape[:2], mask.shape))
        if self.transform is None:
            return to_tensors(image, mask)
        if getattr(self.transform, "random", False):
            return self.transform(image, mask, seed)
        return self.transform(image, mask)

    def __repr__(self) -> str:
        return f"SegDataset({len(self.pairs)} pairs, transform={self.transform!r})"


__all__ = ["SeededSampler", "SegDataset", "split_pairs"]
