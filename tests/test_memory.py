"""`uiseg segment` memory stays flat as files go by (the light version of benchmarks/bench_memory.py, which runs
5,000 files and writes its numbers under benchmarks/results/)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_memory.py"
GROWTH_MB = 25  # a leak of ~20 KB per image (e.g. keeping each decoded image) would show over 1,200 images


def bench():
    spec = importlib.util.spec_from_file_location("bench_memory", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_rss_does_not_grow_with_the_number_of_files(tmp_path):
    result = bench().run(1500, tmp_path, workers=1, batch=16, interval=0.02)
    summary = result["summary"]
    assert summary["early_at_images"] == 300 and summary["late_at_images"] == 1200
    for key in ("main_rss_mb", "tree_rss_mb"):
        assert summary[key]["growth"] < GROWTH_MB, (key, summary)
    assert len(list((tmp_path / "out").rglob("*.png"))) == 1500
