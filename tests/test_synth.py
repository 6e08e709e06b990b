"""uiseg synth: determinism, layouts, mask sanity, size range, and friendly errors."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from uiseg.cli.synth import command
from uiseg.errors import UisegError
from uiseg.images import read_mask
from uiseg.synth import FAMILIES, META, TRAIN_FAMILIES, VAL_FAMILIES, WORLDS, generate, render
from uiseg.synth.generate import encode_mask_jpeg

SMALL = [(64, 80)]


def _files(root) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_families_public_shape():
    assert len(FAMILIES) >= 6 and len(set(FAMILIES)) == len(FAMILIES)
    assert len(VAL_FAMILIES) == 2 and set(VAL_FAMILIES) <= set(FAMILIES)
    assert set(TRAIN_FAMILIES) == set(FAMILIES) - set(VAL_FAMILIES)


def test_render_is_deterministic_and_seed_sensitive():
    a_img, a_mask = render(3, (72, 96))
    b_img, b_mask = render(3, (72, 96))
    c_img, _ = render(4, (72, 96))
    assert a_img.tobytes() == b_img.tobytes() and np.array_equal(a_mask, b_mask)
    assert a_img.tobytes() != c_img.tobytes()
    assert a_img.mode == "RGB" and a_img.size == (96, 72)
    assert a_mask.dtype == bool and a_mask.shape == (72, 96)


@pytest.mark.parametrize("family", FAMILIES)
def test_every_family_renders_some_ui(family):
    _, mask = render(11, (112, 128), family)
    assert 0 < mask.mean() < 0.9


def test_mask_fraction_is_sane_over_a_sample():
    fractions = [render(seed, (112, 128))[1].mean() for seed in range(30)]
    assert min(fractions) > 0  # every screenshot has some UI
    assert 0.05 < float(np.mean(fractions)) < 0.5


def test_renders_without_matplotlib_fonts(monkeypatch):
    from uiseg.synth import fonts

    def clear():
        fonts.available.cache_clear()
        fonts.get_font.cache_clear()
        fonts._pil_font.cache_clear()

    clear()
    monkeypatch.setattr(fonts, "_mpl_font_dir", lambda: None)  # as if matplotlib were not installed
    try:
        assert fonts.available("serif") == ("default",)
        for family in ("rpg_dialog", "modern_flat"):
            assert render(2, (96, 128), family)[1].any()
    finally:
        clear()


@pytest.mark.parametrize("size", [(144, 160), (1080, 1920)])
def test_extreme_sizes(size):
    img, mask = render(5, size)
    assert img.size == (size[1], size[0]) and mask.shape == size and mask.any()


def test_generate_folders_identical_across_workers(tmp_path):
    n1 = generate(tmp_path / "w1", 6, SMALL + [(48, 64)], seed=9, workers=1)
    n2 = generate(tmp_path / "w2", 6, SMALL + [(48, 64)], seed=9, workers=2)
    assert n1 == n2 == 6
    one, two = _files(tmp_path / "w1"), _files(tmp_path / "w2")
    assert one == two
    assert sorted(one)[:2] == ["images/0001.png", "images/0002.png"] and "masks/0006.png" in one
    mask = Image.open(io.BytesIO(one["masks/0001.png"]))
    values = np.unique(np.asarray(mask))
    assert mask.mode == "L" and set(values.tolist()) <= {0, 255} and 255 in values


def test_generate_seed_changes_bytes_and_rerun_is_identical(tmp_path):
    generate(tmp_path / "a", 3, SMALL, seed=1, workers=1)
    generate(tmp_path / "a", 3, SMALL, seed=1, workers=1)  # same folder again: allowed, same bytes
    generate(tmp_path / "b", 3, SMALL, seed=1, workers=1)
    generate(tmp_path / "c", 3, SMALL, seed=2, workers=1)
    assert _files(tmp_path / "a") == _files(tmp_path / "b")
    assert _files(tmp_path / "a")["images/0001.png"] != _files(tmp_path / "c")["images/0001.png"]


def test_generate_seed_layout_and_exact_jpeg_masks(tmp_path):
    generate(tmp_path / "s", 3, SMALL, seed=4, layout="seed", workers=1, families=VAL_FAMILIES)
    generate(tmp_path / "f", 3, SMALL, seed=4, layout="folders", workers=1, families=VAL_FAMILIES)
    assert sorted(p.name for p in (tmp_path / "s").iterdir()) == [
        "1_input.png", "1_target.jpg", "2_input.png", "2_target.jpg", "3_input.png", "3_target.jpg", META]
    for i in (1, 2, 3):
        jpeg = read_mask(tmp_path / "s" / f"{i}_target.jpg")
        assert jpeg.any() and np.array_equal(jpeg, read_mask(tmp_path / "f" / "masks" / f"{i:04d}.png"))
        image = (tmp_path / "f" / "images" / f"{i:04d}.png").read_bytes()
        assert (tmp_path / "s" / f"{i}_input.png").read_bytes() == image


def test_jpeg_mask_round_trip_is_exact_at_quality_95():
    rng = np.random.default_rng(0)
    mask = np.zeros((120, 160), bool)
    mask[10:40, 5:90] = True
    mask[rng.random((120, 160)) < 0.01] = True  # isolated pixels: the worst case for JPEG ringing
    for seed in range(5):
        mask |= render(seed, (120, 160))[1]
    back = np.asarray(Image.open(io.BytesIO(encode_mask_jpeg(mask))).convert("L")) >= 128
    assert np.array_equal(back, mask)
    q95 = io.BytesIO()
    Image.fromarray(render(0, (120, 160))[1].astype(np.uint8) * 255).save(q95, format="JPEG", quality=95)
    assert np.array_equal(np.asarray(Image.open(q95)) >= 128, render(0, (120, 160))[1])


def test_worlds_restriction_and_meta(tmp_path):
    kept = WORLDS[1:3]
    generate(tmp_path / "a", 12, SMALL + [(48, 64)], seed=5, workers=2, worlds=kept)
    meta = [json.loads(line) for line in (tmp_path / "a" / META).read_text().splitlines()]
    assert [m["image"] for m in meta] == [f"images/{i:04d}.png" for i in range(1, 13)]
    assert {m["world"] for m in meta} <= set(kept) and {m["family"] for m in meta} <= set(FAMILIES)
    # info names what render drew; asking for it changes nothing in the image.
    image, _, info = render(3, (64, 80), "arcade_hud", worlds=kept, info=True)
    assert info == {"family": "arcade_hud", "world": info["world"]} and info["world"] in kept
    assert np.array_equal(np.asarray(image), np.asarray(render(3, (64, 80), "arcade_hud", worlds=kept)[0]))
    for m in meta:
        assert m["size"] in ([80, 64], [64, 48])
        assert np.array_equal(read_mask(tmp_path / "a" / m["mask"]).shape, m["size"][::-1])
    with pytest.raises(UisegError, match="unknown or empty world"):
        render(1, (64, 80), worlds=("nowhere",))


def test_stale_samples_in_out_are_refused(tmp_path):
    generate(tmp_path, 3, SMALL, seed=0, workers=1)
    with pytest.raises(UisegError, match="already holds"):
        generate(tmp_path, 2, SMALL, seed=0, workers=1)


@pytest.mark.parametrize("kwargs, message", [
    ({"count": 0}, "count"), ({"sizes": [(0, 0)]}, "out of range"), ({"sizes": []}, "at least one size"),
    ({"families": ("nope",)}, "unknown style"), ({"families": ()}, "families is empty"),
    ({"layout": "zip"}, "unknown layout"), ({"seed": -1}, "seed"), ({"workers": 0}, "workers"),
    ({"worlds": ()}, "empty world")])
def test_generate_rejects_bad_input(tmp_path, kwargs, message):
    args = {"out": tmp_path, "count": 1, "sizes": SMALL, "seed": 0} | kwargs
    with pytest.raises(UisegError, match=message):
        generate(**args)


def test_cli_writes_and_summarises(tmp_path):
    result = CliRunner().invoke(command, [str(tmp_path / "o"), "--count", "3", "--size", "80x64", "--size",
                                          "64x48", "--seed", "2", "--workers", "1", "--val-families"])
    assert result.exit_code == 0, result.output
    assert result.output.count("\n") == 1 and "wrote 3 samples" in result.output and "img/s" in result.output
    assert len(list((tmp_path / "o" / "masks").iterdir())) == 3


@pytest.mark.parametrize("args, code, text", [
    (["--count", "0"], 2, "count"),
    (["--size", "0x0"], 2, "size"),
    (["--size", "abc"], 2, "WIDTHxHEIGHT"),
    (["--families", "rpg_dialog,nope"], 1, "unknown style family 'nope'"),
    (["--families", "rpg_dialog", "--val-families"], 2, "only one of"),
])
def test_cli_bad_input(tmp_path, args, code, text):
    result = CliRunner().invoke(command, [str(tmp_path / "o"), "--count", "1", "--workers", "1", *args])
    assert result.exit_code == code, result.output
    assert text in result.output and "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_cli_out_is_a_file(tmp_path):
    target = tmp_path / "file.txt"
    target.write_text("x")
    result = CliRunner().invoke(command, [str(target), "--count", "1"])
    assert result.exit_code == 2 and "file" in result.output and "Traceback" not in result.output
