"""World kinds, families and faces of the synthetic generator: every kind renders at any size, restrictions
hold, output is the same whatever the worker count or the process, and text is measured as drawn."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from uiseg.synth import FAMILIES, META, WORLDS, fonts, generate, render
from uiseg.synth.common import Rng
from uiseg.synth.worlds import render_world


def _files(root) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_world_kinds_are_distinct_and_within_the_benchmark_budget():
    assert len(set(WORLDS)) == len(WORLDS) and 12 <= len(WORLDS) <= 15
    assert len(FAMILIES) <= 12


@pytest.mark.parametrize("kind", WORLDS)
def test_every_world_kind_renders_small_and_large(kind):
    for size in ((32, 32), (37, 61), (1080, 1920)):
        img, mask, info = render(7, size, worlds=(kind,), info=True)
        assert info["world"] == kind and img.size == size[::-1] and mask.shape == size and mask.any()
    world = render_world(Rng(1), kind, 90, 120, 3, "default")  # pixel art: drawn at 1/3, scaled up
    assert world.shape == (90, 120, 3) and world.dtype == np.uint8
    assert np.array_equal(world[::3, ::3].repeat(3, 0).repeat(3, 1)[:90, :120], world)
    assert len(np.unique(world.reshape(-1, 3), axis=0)) > 3  # a picture, not a flat fill


@pytest.mark.parametrize("kind", WORLDS)
def test_worlds_restriction_holds_for_every_kind(kind):
    kinds = {render(seed, (48, 64), worlds=(kind,), info=True)[2]["world"] for seed in range(6)}
    assert kinds == {kind}


def test_every_family_yields_ui_over_many_seeds():
    for family in FAMILIES:
        fractions = [render(seed, (96, 128), family)[1].mean() for seed in range(8)]
        assert min(fractions) > 0 and np.mean(fractions) < 0.6, family


def test_new_kinds_identical_across_workers(tmp_path):
    kinds = WORLDS[6:]
    sizes = [(64, 80), (48, 64), (72, 56)]
    generate(tmp_path / "w1", 16, sizes, seed=3, workers=1, worlds=kinds)
    generate(tmp_path / "w2", 16, sizes, seed=3, workers=2, worlds=kinds)
    one, two = _files(tmp_path / "w1"), _files(tmp_path / "w2")
    assert one == two
    meta = [json.loads(line) for line in one[META].decode().splitlines()]
    assert {m["world"] for m in meta} <= set(kinds) and len({m["world"] for m in meta}) > 3


def test_output_does_not_depend_on_the_process_hash_seed():
    # Procedural glyphs must not come from str hashes, which differ per process.
    code = ("import hashlib, numpy as np; from uiseg.synth import render;"
            "print(hashlib.sha256(b''.join(np.asarray(render(s, (64, 96), 'arcade_hud')[0]).tobytes()"
            " for s in range(6))).hexdigest())")
    outs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           env=os.environ | {"PYTHONHASHSEED": seed}).stdout for seed in ("1", "2")}
    assert len(outs) == 1


# 'default' stands in for each of these without matplotlib
_SANS, _SERIF, _MONO = (fonts.available(g)[0] for g in ("sans", "serif", "mono"))


@pytest.mark.parametrize("spec", ["default", "bitmap", f"{_SANS}~c0.60", f"{_SERIF}~i0.25~b1", f"{_MONO}~p",
                                  "grid:5", "grid:31", "stroke:3", "default~c1.40"])
def test_faces_draw_exactly_what_they_measure(spec):
    for size in (7, 12, 30):
        face = fonts.get_font(spec, size)
        for s in ("SCORE 001200", "Hello, world!", "x"):
            for aa in (True, False):
                cov = face.mask(s, aa)
                assert cov.size == fonts.text_size(face, s) and cov.getbbox() is not None
                if not aa:
                    assert set(np.unique(np.asarray(cov)).tolist()) <= {0, 255}
    face = fonts.get_font(spec, 12)
    assert face.mask("AB", True).tobytes() != face.mask("CD", True).tobytes()
