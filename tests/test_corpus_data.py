"""The bad-input corpus (tests/corpus.py) through reading, train/evaluate data loading, and checkpoint/export.

What each kind gets is the table in corpus.py (`read`, `data`) plus MASK_KINDS below; the test ids are the kinds.

EXIF orientation: uiseg applies it on read (uiseg.images), everywhere: training, evaluation and segment see a
photo the way a viewer shows it. So a mask must be drawn on the image *as displayed*: for a JPEG stored 40x24 with
Orientation=6, the mask is 24x40. A mask saved in the stored orientation has swapped sizes and is reported with
that hint ("rotate the mask to match"), never silently paired with pixels it does not line up with.
"""

from __future__ import annotations

import csv
import subprocess
import sys

import numpy as np
import pytest
from click.testing import CliRunner
from corpus import (
    FIX_WORDS,
    IMAGE_KINDS,
    TRACEBACK,
    encode,
    exif_rotated_jpeg,
    permission_preexec,
    permissions_enforced,
    rgb,
)
from corpus_models import MARKER_NAME, MODEL_KINDS, tiny_checkpoint
from PIL import Image

from uiseg.checkpoint import load_checkpoint
from uiseg.cli import main
from uiseg.data import SegDataset, check_dataset, eval_transform, train_transform
from uiseg.errors import UisegError
from uiseg.images import IMAGE_EXTENSIONS, read_rgb

GOOD = 2  # good pairs beside every bad one: they must never be named in a problem line


def assert_one_clean_line(text: str, *names: str, msg: str = "") -> None:
    """No traceback; one line per name, naming the file, saying `msg`, and naming a fix."""
    assert TRACEBACK not in text, text
    for name in names:
        lines = [line for line in text.splitlines() if name in line]
        assert lines, f"{name} not named in:\n{text}"
        assert any(msg in line and FIX_WORDS.search(line) for line in lines), f"no fix for {name}:\n{text}"


PERM_CHILD = """
import sys
from uiseg.errors import UisegError
from uiseg.images import read_rgb
from uiseg.data import check_dataset
try:
    read_rgb(sys.argv[1]) if sys.argv[2] == "read" else check_dataset(sys.argv[1], workers=1)
except UisegError as exc:
    print(exc)
"""


def in_process_or_child(kind, tmp_path, target, what: str) -> str | None:
    """None: run the check here. Otherwise the error text of the check run in a child that obeys file modes
    (as root, chmod 000 does not stop reading in this process, so the child drops the override capabilities)."""
    if kind.needs != "perm" or permissions_enforced(tmp_path):
        return None
    ok, preexec = permission_preexec(tmp_path)
    if not ok:
        pytest.skip("running as root without CAP_SETPCAP: chmod 000 cannot stop this process from reading")
    done = subprocess.run([sys.executable, "-c", PERM_CHILD, str(target), what], preexec_fn=preexec, check=False,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and TRACEBACK not in done.stderr, done.stderr
    return done.stdout


def save_mask(path, hw, value=255):
    path.parent.mkdir(parents=True, exist_ok=True)
    mask = np.zeros(hw, np.uint8)
    mask[: max(1, hw[0] // 2)] = value
    Image.fromarray(mask).save(path)


def good_pairs(root, count=GOOD):
    for i in range(count):
        (root / "images").mkdir(parents=True, exist_ok=True)
        Image.fromarray(rgb(24, 32, 50 + i)).save(root / "images" / f"good_{i}.png")
        save_mask(root / "masks" / f"good_{i}.png", (24, 32))


def kind_dataset(root, kind):
    """images/ holds the kind's files; masks/<same stem>.png, at the size the user sees, for each image-typed one."""
    made = kind.make(root / "images")
    inputs = [p for p in made if p.suffix.lower() in IMAGE_EXTENSIONS and not p.name.startswith(".")]
    for path in inputs:
        rel = path.relative_to(root / "images").with_suffix(".png")
        if not (root / "masks" / rel).exists():
            save_mask(root / "masks" / rel, kind.hw or (48, 64))
    good_pairs(root)
    return inputs


# ---- reading ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", IMAGE_KINDS, ids=lambda k: k.name)
def test_read_rgb(kind, tmp_path):
    for path in kind.make(tmp_path):
        child = in_process_or_child(kind, tmp_path, path, "read")
        if child is not None:
            assert path.name in child and kind.msg in child and FIX_WORDS.search(child), child
        elif kind.read == "ok":
            image = read_rgb(path)
            assert image.shape == (*kind.hw, 3) and image.dtype == np.uint8
        else:
            with pytest.raises(UisegError) as err:
                read_rgb(path)
            text = str(err.value)
            assert "\n" not in text and path.name in text, text
            if kind.segment != "skip":
                assert kind.msg in text and FIX_WORDS.search(text), text


def test_exif_orientation_is_applied_on_read(tmp_path):
    """Stored top-left white block; Orientation=6 means a viewer shows it at the top-right."""
    (path,) = exif_rotated_jpeg(tmp_path / "r.jpg")
    image = read_rgb(path)
    assert image.shape == (40, 24, 3)
    assert image[:8, -8:].mean() > 200 and image[:8, :8].mean() < 50 and image[-8:].mean() < 50


def test_animated_gif_gives_its_first_frame_and_rgba_is_composited_on_black(tmp_path):
    gif = next(k for k in IMAGE_KINDS if k.name == "animated_gif").make(tmp_path)[0]
    assert abs(int(read_rgb(gif).mean()) - 200) <= 2
    Image.fromarray(np.full((4, 4, 4), (255, 255, 255, 0), np.uint8)).save(tmp_path / "clear.png")
    assert read_rgb(tmp_path / "clear.png").max() == 0


def test_a_folder_named_like_an_image_is_reported_as_a_folder(tmp_path):
    (tmp_path / "dir.png").mkdir()
    with pytest.raises(UisegError, match="is a folder"):
        read_rgb(tmp_path / "dir.png")


# ---- train / evaluate data loading -------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", IMAGE_KINDS, ids=lambda k: k.name)
def test_check_dataset(kind, tmp_path):
    inputs = kind_dataset(tmp_path, kind)
    child = in_process_or_child(kind, tmp_path, tmp_path, "data")
    if child is not None:
        assert_one_clean_line(child, *(str(p) for p in inputs), msg=kind.msg)
        assert "good_" not in child, child
        return
    if kind.data == "fail":
        with pytest.raises(UisegError) as err:
            check_dataset(tmp_path, workers=1)
        text = str(err.value)
        assert_one_clean_line(text, *(str(p) for p in inputs), msg=kind.data_msg or kind.msg)
        assert "good_" not in text, text
        return
    pairs = check_dataset(tmp_path, workers=1)
    keys = {p.key for p in pairs}
    assert {f"good_{i}" for i in range(GOOD)} <= keys
    mine = keys - {f"good_{i}" for i in range(GOOD)}
    if kind.data == "skip":
        assert not mine, mine
        return
    assert len(mine) == len(inputs), (mine, inputs)
    # Training and evaluation transforms load every accepted pair at the training size (or, "aspect" eval,
    # at the image's aspect ratio with image and mask the same size).
    for transform in (train_transform((32, 32)), eval_transform((32, 32), "stretch")):
        for image, mask in SegDataset(pairs, transform):
            assert image.shape == (3, 32, 32) and mask.shape == (1, 32, 32)
    for image, mask in SegDataset(pairs, eval_transform((32, 32), "aspect")):
        assert image.shape[0] == 3 and image.shape[1:] == mask.shape[1:] and mask.shape[0] == 1


def _mask_kinds():
    """name -> (builder(root) -> files that must be named, expected substring); builders write into root."""

    def wrong_size(root):
        Image.fromarray(rgb(30, 40)).save(_mk(root / "images" / "a.png"))
        save_mask(root / "masks" / "a.png", (20, 20))
        return [root / "masks" / "a.png"]

    def missing(root):
        Image.fromarray(rgb(30, 40)).save(_mk(root / "images" / "lonely.png"))
        return [root / "images" / "lonely.png"]

    def orphan(root):
        save_mask(root / "masks" / "orphan.png", (30, 40))
        return [root / "masks" / "orphan.png"]

    def photo_jpeg(root):
        Image.fromarray(rgb(30, 40)).save(_mk(root / "images" / "p.png"))
        _mk(root / "masks" / "p.jpg").write_bytes(encode(rgb(30, 40, 9), "JPEG"))
        return [root / "masks" / "p.jpg"]

    def label_index(root):
        Image.fromarray(rgb(30, 40)).save(_mk(root / "images" / "l.png"))
        save_mask(root / "masks" / "l.png", (30, 40), value=1)
        return [root / "masks" / "l.png"]

    def exif_unrotated(root):
        exif_rotated_jpeg(_mk(root / "images" / "r.jpg"))
        save_mask(root / "masks" / "r.png", (24, 40))  # stored orientation: wrong
        return [root / "masks" / "r.png"]

    def truncated_mask(root):
        Image.fromarray(rgb(30, 40)).save(_mk(root / "images" / "t.png"))
        data = encode(np.zeros((30, 40), np.uint8), "PNG")
        _mk(root / "masks" / "t.png").write_bytes(data[: len(data) // 2])
        return [root / "masks" / "t.png"]

    def broken_seed(root):
        Image.fromarray(rgb(30, 40)).save(_mk(root / "seed" / "7_input.png"))
        return [root / "seed" / "7_input.png"]

    def ok_jpeg_mask(root):
        Image.fromarray(rgb(30, 40)).save(_mk(root / "images" / "j.png"))
        m = np.zeros((30, 40), np.uint8)
        m[5:20, 8:30] = 255
        _mk(root / "masks" / "j.jpg").write_bytes(encode(m, "JPEG", quality=75))
        return []

    def ok_rotated(root):
        exif_rotated_jpeg(_mk(root / "images" / "r.jpg"))
        save_mask(root / "masks" / "r.png", (40, 24))  # as displayed: right
        return []

    def ok_mask_16bit_rgb(root):
        Image.fromarray(rgb(30, 40)).save(_mk(root / "images" / "s.png"))
        Image.fromarray(np.full((30, 40), 65535, np.uint16)).save(_mk(root / "masks" / "s.png"))
        Image.fromarray(rgb(30, 40)).save(root / "images" / "c.png")
        Image.fromarray(np.dstack([np.full((30, 40), 255, np.uint8)] * 3)).save(root / "masks" / "c.png")
        return []

    return {"mask_wrong_size": (wrong_size, "re-export the mask"), "mask_missing": (missing, "no mask; add"),
            "mask_without_image": (orphan, "no image; add"), "mask_nonbinary_jpeg": (photo_jpeg, "not a binary"),
            "mask_label_index_0_1": (label_index, "only reach 1"),
            "mask_in_stored_exif_orientation": (exif_unrotated, "swapped"),
            "mask_truncated": (truncated_mask, "truncated"), "seed_input_without_target": (broken_seed, "no mask"),
            "mask_binary_jpeg_ok": (ok_jpeg_mask, None), "mask_matches_exif_display_ok": (ok_rotated, None),
            "mask_16bit_and_rgb_ok": (ok_mask_16bit_rgb, None)}


def _mk(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


MASK_KINDS = _mask_kinds()


@pytest.mark.parametrize("name", sorted(MASK_KINDS))
def test_mask_kinds(name, tmp_path):
    build, msg = MASK_KINDS[name]
    named = build(tmp_path)
    good_pairs(tmp_path)
    if msg is None:
        assert len(check_dataset(tmp_path, workers=1)) > GOOD
        return
    with pytest.raises(UisegError) as err:
        check_dataset(tmp_path, workers=1)
    assert_one_clean_line(str(err.value), *(str(p) for p in named), msg=msg)
    assert "good_" not in str(err.value)


def test_empty_folder_and_lone_images_folder(tmp_path):
    with pytest.raises(UisegError, match="no image/mask pairs found"):
        check_dataset(tmp_path)
    Image.fromarray(rgb(8, 8)).save(_mk(tmp_path / "images" / "x.png"))
    with pytest.raises(UisegError, match="no masks folder beside it"):
        check_dataset(tmp_path)


def _bad_kinds_dataset(root):
    """Every kind whose data behaviour is "fail", side by side (names are unique across kinds)."""
    named = []
    for kind in IMAGE_KINDS:
        if kind.data == "fail" and not (kind.needs == "perm" and not permissions_enforced(root.parent)):
            named += kind_dataset(root, kind)
    return named


def test_train_cli_stops_before_epoch_one_with_a_line_per_bad_file(tmp_path):
    data = tmp_path / "data"
    named = _bad_kinds_dataset(data)
    run = tmp_path / "run"
    result = CliRunner().invoke(main, ["train", str(data), "--out", str(run), "--recipe", "cpu", "--workers", "0",
                                       "--base", "4", "--depth", "2", "--image-size", "32x32", "--max-epochs", "1"])
    assert result.exit_code == 1, result.output
    assert_one_clean_line(result.output, *(str(p) for p in named))
    assert "good_" not in result.output
    assert not (run / "checkpoints").exists()


@pytest.fixture(scope="module")
def ckpt(tmp_path_factory):
    return tiny_checkpoint(tmp_path_factory.mktemp("model") / "tiny.ckpt")


def test_evaluate_cli_scores_every_readable_kind(tmp_path, ckpt):
    """Every "ok" kind, in one dataset, evaluated end to end at its original (displayed) size."""
    data = tmp_path / "data"
    expected = {f"good_{i}": (24, 32) for i in range(GOOD)}
    for kind in IMAGE_KINDS:
        if kind.data == "ok":
            for path in kind_dataset(data, kind):
                expected[path.relative_to(data / "images").with_suffix("").as_posix()] = kind.hw
    out = tmp_path / "report"
    result = CliRunner().invoke(main, ["evaluate", str(data), "-c", str(ckpt), "--out", str(out), "--workers", "0",
                                       "--batch-size", "4", "--device", "cpu"])
    assert result.exit_code == 0, result.output
    with open(out / "per_image.csv") as fh:
        rows = {r["key"]: (int(r["height"]), int(r["width"])) for r in csv.DictReader(fh)}
    assert rows == expected


def test_evaluate_cli_reports_bad_data_before_loading_the_model(tmp_path, ckpt):
    data = tmp_path / "data"
    named = _bad_kinds_dataset(data)
    result = CliRunner().invoke(main, ["evaluate", str(data), "-c", str(ckpt), "--workers", "0"])
    assert result.exit_code == 1, result.output
    assert_one_clean_line(result.output, *(str(p) for p in named))


# ---- checkpoints and export ----------------------------------------------------------------------------------------

CKPT_KINDS = [k for k in MODEL_KINDS if k.checkpoint]


@pytest.mark.parametrize("kind", MODEL_KINDS, ids=lambda k: k.name)
def test_model_file_refused_on_load(kind, tmp_path):
    """Checkpoints through load_checkpoint (evaluate, export, the torch backend); exported files through
    read_metadata (JSON parsed and validated, never evaluated)."""
    from uiseg.export.artifact import read_metadata

    path = kind.make(tmp_path / kind.file)
    with pytest.raises(UisegError) as err:
        (load_checkpoint if kind.checkpoint else read_metadata)(path)
    text = str(err.value)
    assert "\n" not in text and str(path) in text and kind.msg in text and FIX_WORDS.search(text), text
    assert not (tmp_path / MARKER_NAME).exists(), "the pickle payload ran"


@pytest.mark.parametrize("kind", CKPT_KINDS, ids=lambda k: k.name)
def test_export_cli_refuses(kind, tmp_path):
    path = kind.make(tmp_path / kind.file)
    out = tmp_path / "exported"
    result = CliRunner().invoke(main, ["export", str(path), "--out", str(out), "--no-verify"])
    assert result.exit_code == 1, result.output
    assert result.output.strip().count("\n") == 0, result.output
    assert_one_clean_line(result.output, str(path), msg=kind.msg)
    assert not (tmp_path / MARKER_NAME).exists(), "the pickle payload ran"
    assert not out.exists() or not any(out.iterdir())


@pytest.mark.parametrize("kind", CKPT_KINDS, ids=lambda k: k.name)
def test_evaluate_cli_refuses_the_checkpoint(kind, tmp_path):
    data = tmp_path / "data"
    good_pairs(data)
    path = kind.make(tmp_path / kind.file)
    result = CliRunner().invoke(main, ["evaluate", str(data), "-c", str(path), "--workers", "0"])
    assert result.exit_code == 1, result.output
    assert result.output.strip().count("\n") == 0, result.output
    assert_one_clean_line(result.output, str(path))
    assert not (tmp_path / MARKER_NAME).exists(), "the pickle payload ran"
