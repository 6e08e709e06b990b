"""Write a synthetic dataset to disk with worker processes; the bytes never depend on the worker count."""

from __future__ import annotations

import io
import json
import multiprocessing as mp
import os
import sys
from pathlib import Path

import numpy as np
from PIL import Image

from uiseg.errors import UisegError
from uiseg.images import MASK_THRESHOLD, atomic_write_bytes, encode_png
from uiseg.synth.common import Rng
from uiseg.synth.render import check_family, check_seed, check_size, check_worlds, render

LAYOUTS = ("folders", "seed")
_JPEG_QUALITIES = (95, 100)  # 95 keeps 0/255 masks exact after thresholding; 100 is the fallback


def sample_key(seed: int, index: int) -> int:
    """The render seed of sample `index` (0-based): a hash of (seed, index), so neighbours are unrelated."""
    return int(np.random.SeedSequence([seed, index, 0x5A3]).generate_state(1, np.uint64)[0] >> 1)


def sample_names(count: int, layout: str) -> list[tuple[str, str]]:
    """(image, mask) relative paths for samples 1..count in a layout."""
    if layout == "folders":
        digits = max(4, len(str(count)))
        return [(f"images/{i:0{digits}d}.png", f"masks/{i:0{digits}d}.png") for i in range(1, count + 1)]
    return [(f"{i}_input.png", f"{i}_target.jpg") for i in range(1, count + 1)]


def encode_mask_jpeg(mask: np.ndarray) -> bytes:
    """JPEG-encode a bool mask so that decoding and thresholding at 128 gives the mask back exactly."""
    gray = mask.astype(np.uint8) * 255
    for quality in _JPEG_QUALITIES:
        buf = io.BytesIO()
        Image.fromarray(gray, "L").save(buf, format="JPEG", quality=quality)
        data = buf.getvalue()
        # Verify rather than trust: ringing around one-pixel details could cross the threshold.
        if np.array_equal(np.asarray(Image.open(io.BytesIO(data)).convert("L")) >= MASK_THRESHOLD, mask):
            return data
    raise UisegError("could not encode an exact JPEG mask; use --layout folders (PNG masks)")


META = "meta.jsonl"  # one line per sample: image, mask, family, world, size (what a benchmark holds out)


def _make_sample(job: tuple) -> dict:
    out, index, seed, sizes, families, worlds, layout, names = job
    key = sample_key(seed, index)
    pick = Rng(key, 0x51)
    size = sizes[pick.py.randrange(len(sizes))]
    family = families[pick.py.randrange(len(families))] if families else None
    image, mask, info = render(key, size, family, worlds, info=True)
    image_name, mask_name = names
    atomic_write_bytes(out / image_name, encode_png(np.asarray(image)))
    if layout == "folders":
        atomic_write_bytes(out / mask_name, encode_png(mask.astype(np.uint8) * 255))
    else:
        atomic_write_bytes(out / mask_name, encode_mask_jpeg(mask))
    return {"image": image_name, "mask": mask_name, **info, "size": [size[1], size[0]]}


def _run_chunk(jobs: list[tuple]) -> list[dict]:
    return [_make_sample(job) for job in jobs]


def _check_out(out: Path, names: list[tuple[str, str]], layout: str) -> None:
    """Refuse a folder that is a file, or that holds samples this run would not overwrite (stale extras)."""
    if out.exists() and not out.is_dir():
        raise UisegError(f"{out}: is a file; give a folder for the synthetic dataset")
    if not out.is_dir():
        return
    planned = {p for pair in names for p in pair}
    if layout == "folders":
        folders = [out / d for d in ("images", "masks") if (out / d).is_dir()]
        existing = [f"{d.name}/{p.name}" for d in folders for p in d.iterdir()]
    else:
        existing = [p.name for p in out.iterdir() if p.name.endswith(("_input.png", "_target.jpg"))]
    stale = sorted(set(existing) - planned)
    if stale:
        raise UisegError(f"{out}: already holds {len(stale)} other sample file(s) (e.g. {stale[0]}); "
                         "choose an empty folder or delete it first")


def _context() -> mp.context.BaseContext:
    # fork is fastest, but forking a process that has started torch's thread pools can deadlock:
    # use spawn once torch is loaded (e.g. when `uiseg train` synthesises its default data).
    if sys.platform == "linux" and "torch" not in sys.modules:
        return mp.get_context("fork")
    return mp.get_context("spawn")


def generate(out: Path, count: int, sizes: list[tuple[int, int]], seed: int, layout: str = "folders",
             workers: int | None = None, families: tuple[str, ...] | None = None,
             worlds: tuple[str, ...] | None = None) -> int:
    """Write `count` synthetic screenshots and masks under `out`; returns the number written.

    sizes: (H, W) pairs; each sample picks one from its own seed. layout "folders" writes
    images/0001.png + masks/0001.png (mask PNG, mode L, 0/255); "seed" writes 1_input.png + 1_target.jpg
    (JPEG mask, exact once thresholded at 128). families / worlds: restrict to these style families / world
    kinds (None = all). OUT/meta.jsonl records each sample's family, world kind and size (WxH).
    Sample i depends only on (seed, i), so the files are byte-identical whatever `workers` is.
    """
    out = Path(out)
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise UisegError(f"count must be a positive integer, got {count!r}")
    if layout not in LAYOUTS:
        raise UisegError(f"unknown layout {layout!r}; choose one of: {', '.join(LAYOUTS)}")
    if not sizes:
        raise UisegError("give at least one size")
    sizes = [check_size(s) for s in sizes]
    seed = check_seed(seed)
    if families is not None:
        families = tuple(check_family(f) for f in families)
        if not families:
            raise UisegError("families is empty; give at least one family or None for all")
    worlds = check_worlds(worlds)
    workers = (os.cpu_count() or 1) if workers is None else workers
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise UisegError(f"workers must be a positive integer, got {workers!r}")
    names = sample_names(count, layout)
    _check_out(out, names, layout)
    (out / "images" if layout == "folders" else out).mkdir(parents=True, exist_ok=True)
    jobs = [(out, i, seed, sizes, families, worlds, layout, names[i]) for i in range(count)]
    workers = min(workers, count)
    if workers == 1:
        meta = _run_chunk(jobs)
    else:
        # Small chunks balance uneven samples (1080p next to 160x144) while keeping IPC overhead low.
        size = max(1, min(32, count // (workers * 4)))
        chunks = [jobs[i:i + size] for i in range(0, count, size)]
        with _context().Pool(workers) as pool:
            meta = [m for part in pool.imap(_run_chunk, chunks) for m in part]  # imap: in sample order
    lines = "".join(json.dumps(m, sort_keys=True) + "\n" for m in meta)
    atomic_write_bytes(out / META, lines.encode())
    return len(meta)
