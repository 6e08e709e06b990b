"""Pieces of the segment runner on their own: UI boxes, resizing back, naming, batching, the journal."""

from __future__ import annotations

from collections import deque

import numpy as np
import pytest
import torch
from uiseg.infer.io import name_outputs
from uiseg.infer.pipeline import Batcher, Group
from uiseg.infer.report import components
from uiseg.infer.state import Journal, replay

from uiseg.data.transforms import _resample
from uiseg.resize import resize_nearest


def bfs_components(mask: np.ndarray) -> list[tuple]:
    """Reference: (area, x0, y0, x1, y1) of every 4-connected component, by breadth-first search."""
    h, w = mask.shape
    seen, found = np.zeros_like(mask), []
    for y, x in zip(*np.nonzero(mask)):
        if seen[y, x]:
            continue
        seen[y, x], queue, ys, xs = True, deque([(y, x)]), [], []
        while queue:
            a, b = queue.popleft()
            ys.append(a)
            xs.append(b)
            for c, d in ((a + 1, b), (a - 1, b), (a, b + 1), (a, b - 1)):
                if 0 <= c < h and 0 <= d < w and mask[c, d] and not seen[c, d]:
                    seen[c, d] = True
                    queue.append((c, d))
        found.append((len(ys), min(xs), min(ys), max(xs) + 1, max(ys) + 1))
    return sorted(found)


def test_components_match_a_breadth_first_search():
    rng = np.random.default_rng(0)
    for _ in range(150):
        mask = rng.random((rng.integers(1, 25), rng.integers(1, 25))) < rng.random()
        got = sorted((c["area"], *c["box"]) for c in components(mask))
        assert got == bfs_components(mask)
    u = np.zeros((6, 7), bool)
    u[:5, 0] = u[:5, 6] = u[4, :] = True  # a U: joined only through its bottom row
    assert components(u) == [{"box": [0, 0, 7, 5], "area": 15}]
    assert components(u, min_area=16) == [] and components(np.zeros((3, 3), bool)) == []


@pytest.mark.parametrize("size", [(720, 1280), (37, 50), (1000, 333), (64, 64)])
def test_nearest_resize_samples_pixel_centres(size):
    mask = np.random.default_rng(1).random((64, 64)) > 0.5
    out = resize_nearest(mask, size)
    for y, x in [(0, 0), (size[0] - 1, size[1] - 1), (size[0] // 3, size[1] // 2)]:
        assert out[y, x] == mask[int((y + 0.5) * 64 / size[0]), int((x + 0.5) * 64 / size[1])]
    # training's mask resampling (a crop box) follows the same rule for the whole image
    crop = _resample(np.zeros((64, 64, 3), np.uint8), mask, (0, 0, 64, 64), size)[1]
    assert np.array_equal(out, crop)


def test_outputs_are_named_without_collisions():
    found = {"a.png": "x/a.png", "a.jpg": "x/a.jpg", "sub/b.webp": "x/sub/b.webp", "overlays/c.png": "x/o/c.png"}
    outs = {f.rel: f.out for f in name_outputs(found)}
    assert outs == {"a.jpg": "a.jpg.png", "a.png": "a.png.png", "sub/b.webp": "sub/b.png",
                    "overlays/c.png": "masks/overlays/c.png"}


def test_batcher_regroups_sizes_and_bounds_leftovers():
    def group(ids, h):
        return Group(list(ids), torch.zeros(len(ids), 3, h, 8, dtype=torch.uint8), [(h, 8)] * len(ids))

    batcher = Batcher(batch_size=4, pin=False)
    out = [b for g in (group([0, 1], 8), group([2], 16), group([3, 4, 5], 8)) for b in batcher.add(g)]
    assert [b.indices for b in out] == [[0, 1, 3, 4]]
    out = [b for g in (group([6, 7], 16), group([8, 9, 10], 12), group([11, 12, 13], 20)) for b in batcher.add(g)]
    assert [b.indices for b in out] == [[2, 6, 7]]  # more than two batches pending: the largest goes
    assert [b.indices for b in batcher.flush()] == [[5], [8, 9, 10], [11, 12, 13]]
    assert not batcher.buckets


def test_journal_drops_a_torn_tail(tmp_path):
    path = tmp_path / "j.jsonl"
    journal = Journal(path)
    journal.append({"path": "a.png", "entry": {"result": {"status": "ok"}}})
    journal.close()
    with open(path, "ab") as fh:
        fh.write(b'{"path": "b.png", "ent')  # a kill in the middle of a line (power cut)
    journal = Journal(path)
    journal.append({"path": "c.png", "entry": {"result": {"status": "ok"}}})
    journal.close()
    assert sorted(replay({}, path)) == ["a.png", "c.png"]
