"""Random byte corruption of valid PNG and JPEG files never crashes uiseg: `read_rgb` returns an HxWx3 uint8 image
or raises a one-line UisegError naming the file, and a segment run over corrupted files ends with exit code 0 or 1,
one result per file (a mask at the image's size, or a failure line), and no traceback."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from corpus import rgb
from corpus_models import brightness_onnx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from uiseg.errors import UisegError
from uiseg.images import read_rgb


def _encode(image: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format=fmt, **kw)
    return buf.getvalue()


_RGB = Image.fromarray(rgb(24, 32, 3))
SOURCES = {
    "png": _encode(_RGB, "PNG"),
    "png_palette": _encode(_RGB.convert("P"), "PNG"),
    "png_gray16": _encode(Image.fromarray(np.arange(24 * 32, dtype=np.uint16).reshape(24, 32) * 80), "PNG"),
    "jpeg": _encode(_RGB, "JPEG", quality=80),
    "jpeg_progressive": _encode(_RGB, "JPEG", quality=80, progressive=True),
}


@st.composite
def corrupted(draw) -> tuple[str, bytes]:
    """A valid file with 1-3 corruptions: flipped bytes, a cut, an inserted run, an overwritten span."""
    name = draw(st.sampled_from(sorted(SOURCES)))
    data = bytearray(SOURCES[name])
    for _ in range(draw(st.integers(1, 3))):
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        how = draw(st.sampled_from(["flip", "cut", "insert", "span"]))
        if how == "flip":
            data[at] = draw(st.integers(0, 255))
        elif how == "cut":
            del data[at:]
        elif how == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=16))
        else:
            size = draw(st.integers(1, 64))
            data[at:at + size] = bytes([draw(st.sampled_from([0x00, 0xFF]))]) * min(size, len(data) - at)
    return name, bytes(data)


def check_read(path: Path) -> np.ndarray | None:
    """The image, or None after checking the error is one line naming the file."""
    try:
        image = read_rgb(path)
    except UisegError as exc:
        text = str(exc)
        assert "\n" not in text and str(path) in text, text
        return None
    assert image.ndim == 3 and image.shape[2] == 3 and image.dtype == np.uint8 and min(image.shape) > 0
    return image


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=corrupted())
def test_read_rgb_survives_corruption(case, tmp_path):
    name, data = case
    path = tmp_path / f"{name}.{'jpg' if name.startswith('jpeg') else 'png'}"
    path.write_bytes(data)
    check_read(path)


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    return brightness_onnx(tmp_path_factory.mktemp("fuzz-model") / "bright.onnx")


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cases=st.lists(corrupted(), min_size=6, max_size=10))
def test_segment_survives_corrupted_inputs(cases, model, tmp_path_factory):
    from uiseg.cli import main

    root = tmp_path_factory.mktemp("fuzz")
    shots, out = root / "shots", root / "out"
    shots.mkdir()
    Image.fromarray(rgb(24, 32, 9)).save(shots / "good.png")
    expected = {"good.png": (24, 32)}
    for i, (name, data) in enumerate(cases):
        path = shots / f"{i:02d}_{name}.{'jpg' if name.startswith('jpeg') else 'png'}"
        path.write_bytes(data)
        image = check_read(path)
        expected[path.name] = None if image is None else image.shape[:2]
    result = CliRunner().invoke(main, ["segment", str(shots), str(out), "-m", str(model), "--size", "native",
                                       "--workers", "0", "-q", "--device", "cpu"])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    assert result.exit_code == (1 if None in expected.values() else 0), result.output
    records = {r["path"]: r for r in map(json.loads, (out / "results.jsonl").read_text().splitlines())}
    assert set(records) == set(expected)
    for key, hw in expected.items():
        if hw is None:
            assert records[key]["status"] == "failed" and key in result.output
        else:
            assert records[key]["status"] == "ok"
            assert np.asarray(Image.open(out / records[key]["mask"])).shape == hw
