"""Check a whole labelled dataset before training, and stop with one line per problem.

A bad file found at epoch 7 of a long run costs the run; a bad file found before epoch 1 costs a rerun of this
check. So every pair is decoded once, up front, with a thread pool (Pillow releases the GIL while it decodes, and
threads need no pickling or process start-up), and every problem is reported at once rather than the first only.
"""

from __future__ import annotations

import os
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from uiseg.data.discover import Pair, empty_message, find_pairs
from uiseg.errors import UisegError
from uiseg.images import MASK_THRESHOLD, read_mask, read_rgb

MAX_LINES = 50
# Grey levels in this band are "far from black and white". JPEG masks ring around edges (values drift a few
# tens of levels, and the edge pixel itself lands mid-grey), so grey pixels within EDGE_RADIUS of a
# thresholded edge are accepted; more than GREY_LIMIT of the mask being grey elsewhere means it is a picture.
GREY_RANGE = (32, 223)
EDGE_RADIUS = 3
GREY_LIMIT = 0.01
GREY_SHARE_MAX = 0.25


def _dilate(mask: np.ndarray, radius: int) -> np.ndarray:
    """Binary dilation with a (2r+1)^2 square, separable, numpy only (scipy is not a dependency)."""
    out = mask.copy()
    for axis in (0, 1):
        src = out.copy()
        for shift in range(1, radius + 1):
            lead = [slice(None)] * 2
            lag = [slice(None)] * 2
            lead[axis], lag[axis] = slice(shift, None), slice(None, -shift)
            out[tuple(lag)] |= src[tuple(lead)]
            out[tuple(lead)] |= src[tuple(lag)]
    return out


def _near_edges(binary: np.ndarray, radius: int = EDGE_RADIUS) -> np.ndarray:
    """Pixels within `radius` of a change between UI and background."""
    edge = np.zeros_like(binary)
    rows = binary[1:] != binary[:-1]
    cols = binary[:, 1:] != binary[:, :-1]
    edge[1:] |= rows
    edge[:-1] |= rows
    edge[:, 1:] |= cols
    edge[:, :-1] |= cols
    return _dilate(edge, radius)


def mask_problem(gray: np.ndarray) -> str | None:
    """Why an 8-bit grey mask is not a usable binary mask, or None. The caller prefixes the file name."""
    lo, hi = GREY_RANGE
    grey = (gray >= lo) & (gray <= hi)
    if grey.any():
        # Noise or a busy photo has an "edge" next to every pixel, so a large grey share overall counts too.
        off_edge = grey & ~_near_edges(gray >= MASK_THRESHOLD)
        if off_edge.mean() > GREY_LIMIT or grey.mean() > GREY_SHARE_MAX:
            return (f"not a binary mask ({grey.mean():.0%} of pixels are grey; is it a photo?); "
                    f"save UI as white (255) and background as black (0)")
    top = int(gray.max(initial=0))
    # Label-index masks (0 = background, 1 = UI) are common in segmentation datasets; thresholded at 128 they
    # would silently become "no UI anywhere", so say so instead of training on empty masks.
    if 0 < top < lo and float((gray > 0).mean()) > 0.001:
        return f"mask values only reach {top}, so no pixel counts as UI; save UI pixels as 255 (e.g. multiply by 255)"
    return None


def size_problem(pair: Pair, image_hw: tuple[int, int], mask_hw: tuple[int, int]) -> str:
    """The line for an image and mask of different sizes ((H, W) each)."""
    (ih, iw), (mh, mw) = image_hw, mask_hw
    line = (f"{pair.mask}: image is {iw}x{ih} but mask is {mw}x{mh}; re-export the mask at the image's size "
            f"(image: {pair.image})")
    if (ih, iw) == (mw, mh):
        line += "; the sizes are swapped: the image's EXIF orientation rotates it on read, rotate the mask to match"
    return line


def check_pair(pair: Pair) -> list[str]:
    """Decode one pair and return its problem lines (empty when it is fine)."""
    problems = []
    image_hw = mask_hw = None
    try:
        image_hw = read_rgb(pair.image).shape[:2]
    except UisegError as exc:
        problems.append(str(exc))
    try:
        # read_rgb(...).max(axis=2) is exactly the grey level read_mask thresholds, before thresholding.
        gray = read_rgb(pair.mask).max(axis=2)
        mask_hw = gray.shape
        reason = mask_problem(gray)
        if reason:
            problems.append(f"{pair.mask}: {reason}")
    except UisegError as exc:
        problems.append(str(exc))
    if image_hw is not None and mask_hw is not None and image_hw != mask_hw:
        problems.append(size_problem(pair, image_hw, mask_hw))
    return problems


def _cap(lines: list[str], limit: int = MAX_LINES) -> str:
    if len(lines) <= limit:
        return "\n".join(lines)
    return "\n".join(lines[:limit] + [f"... and {len(lines) - limit} more"])


def check_dataset(root: str | os.PathLike, workers: int | None = None) -> list[Pair]:
    """Find every pair under `root`, decode all of them, and return the pairs when nothing is wrong.

    Otherwise raise UisegError whose message holds one line per problem (first 50, then "... and N more"):
    unmatched files, duplicate stems, unreadable/truncated/empty files, image/mask size mismatch, and masks
    that are not binary. `workers`: decoding threads (None: the executor's default; 0 or 1: no pool).
    """
    pairs, problems = find_pairs(root)
    if not pairs:
        raise UisegError(_cap(problems or [empty_message(Path(root))]))
    if workers is not None and workers <= 1:
        results = [check_pair(p) for p in pairs]
    else:
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="uiseg-check") as pool:
            results = list(pool.map(check_pair, pairs))
    problems += [line for lines in results for line in lines]
    if problems:
        raise UisegError(_cap(problems))
    return pairs


def describe(pairs: list[Pair], sample: int = 16) -> str:
    """One log line: pair count, sizes seen and mean UI fraction, from up to `sample` evenly spaced masks."""
    if not pairs:
        return "0 pairs"
    step = max(1, len(pairs) // sample)
    masks = [read_mask(p.mask) for p in pairs[::step][:sample]]
    sizes = Counter(f"{m.shape[1]}x{m.shape[0]}" for m in masks)
    seen = ", ".join(f"{size} ({n})" for size, n in sizes.most_common(4))
    ui = float(np.mean([m.mean() for m in masks]))
    return f"{len(pairs)} pairs; sizes {seen} in {len(masks)} sampled; mean UI fraction {ui:.3f}"


__all__ = ["MAX_LINES", "check_dataset", "check_pair", "describe", "mask_problem", "size_problem"]
