"""What a segment run reports: UI boxes, the per-image records of results.jsonl (written by uiseg.infer.state),
run.json and the one-line summary. Timings are in run.json, never in results.jsonl."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from uiseg.images import atomic_write_bytes


def components(mask: np.ndarray, min_area: int = 1) -> list[dict]:
    """4-connected components of a bool H x W mask with area >= min_area, largest first:
    [{"box": [x0, y0, x1, y1] (x1, y1 exclusive), "area": pixels}]. Works on horizontal runs, so its cost
    follows the number of runs, not pixels (UI masks are a few rectangles): ~1 ms at 1280x720."""
    h, w = mask.shape
    edges = np.diff(np.pad(mask.astype(np.int8), ((0, 0), (1, 1))), axis=1)
    rows, starts = np.nonzero(edges == 1)
    ends = np.nonzero(edges == -1)[1]  # same row-major order as the starts: one end per start
    if rows.size == 0:
        return []
    labels = _label_runs(rows, starts, ends, w + 2)
    comp = np.unique(labels, return_inverse=True)[1].reshape(-1)
    n = int(comp.max()) + 1
    area = np.bincount(comp, weights=ends - starts, minlength=n).astype(np.int64)
    box = np.stack([_reduce(np.minimum, comp, starts, n, w), _reduce(np.minimum, comp, rows, n, h),
                    _reduce(np.maximum, comp, ends, n, 0), _reduce(np.maximum, comp, rows + 1, n, 0)], axis=1)
    keep = np.nonzero(area >= min_area)[0]
    order = keep[np.lexsort((box[keep, 0], box[keep, 1], -area[keep]))]
    return [{"box": [int(v) for v in box[i]], "area": int(area[i])} for i in order]


def _reduce(ufunc, index: np.ndarray, values: np.ndarray, n: int, fill: int) -> np.ndarray:
    out = np.full(n, fill, dtype=np.int64)
    ufunc.at(out, index, values)
    return out


def _label_runs(rows: np.ndarray, starts: np.ndarray, ends: np.ndarray, stride: int) -> np.ndarray:
    """Root label per run, runs overlapping in consecutive rows joined: a vectorised union-find (hook the
    larger root under the smaller, then compress paths fully), a few numpy passes instead of a Python loop."""
    kstart, kend = rows * stride + starts, rows * stride + ends
    lo = np.searchsorted(kend, (rows + 1) * stride + starts, side="right")  # first run below ending after start
    hi = np.searchsorted(kstart, (rows + 1) * stride + ends, side="left")  # first run below starting at/after end
    counts = np.maximum(hi - lo, 0)
    src = np.repeat(np.arange(rows.size), counts)
    dst = np.repeat(lo, counts) + np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    parent = np.arange(rows.size)
    while src.size:
        a, b = parent[src], parent[dst]
        keep = a != b
        if not keep.any():
            break
        src, dst, a, b = src[keep], dst[keep], a[keep], b[keep]
        np.minimum.at(parent, np.maximum(a, b), np.minimum(a, b))
        while not np.array_equal(jumped := parent[parent], parent):
            parent = jumped
    return parent


def ok_record(rel: str, out: str, mask: np.ndarray, boxes: list[dict] | None) -> dict:
    h, w = mask.shape
    record = {"path": rel, "mask": out, "status": "ok", "width": w, "height": h,
              "ui_fraction": round(float(np.count_nonzero(mask)) / max(mask.size, 1), 6)}
    if boxes is not None:
        record["boxes"] = boxes
    return record


def failed_record(rel: str, error: str) -> dict:
    return {"path": rel, "mask": None, "status": "failed", "error": error}


def write_run_json(out_dir: Path, name: str, data: dict) -> Path:
    path = out_dir / name
    atomic_write_bytes(path, (json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n").encode())
    return path


def summary_line(totals: dict, out_dir: Path) -> str:
    """'segment: 118 done, 2 skipped, 1 failed in 4.1 s: 28.7 img/s; ms/img decode 3.0, inference 30.1,
    encode 2.2 -> OUT' (decode and encode are worker time per image; inference is device time). Redone images
    (input changed, output damaged) and outputs kept from inputs that are gone are named when there are any."""
    ms = totals["ms_per_image"]
    head = "segment interrupted" if totals.get("interrupted") else "segment"
    extra = "".join(f", {totals[key]} {what}" for key, what in (("changed", "redone (input or output changed)"),
                                                                 ("kept", "kept (input gone)")) if totals.get(key))
    return (f"{head}: {totals['done']} done, {totals['skipped']} skipped, {totals['failed']} failed{extra} in "
            f"{totals['seconds']:.1f} s: {totals['images_per_s']:.1f} img/s; ms/img decode {ms['decode']:.1f}, "
            f"inference {ms['inference']:.1f}, encode {ms['encode']:.1f} -> {out_dir}")
