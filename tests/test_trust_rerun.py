"""Reruns into an OUT that holds results, through the real CLI: a result is skipped only while
the run identity, the input's fingerprint and every output's fingerprint still match; otherwise it is redone, or
the run is refused before any image is read, naming each difference."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from corpus import TRACEBACK
from corpus_models import brightness_onnx, tiny_checkpoint
from trustkit import blocks, cli, oracle_mask, outputs, read_png, result_lines, write_image

COUNT = 6


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    root = tmp_path_factory.mktemp("rerun-models")
    return {"onnx": brightness_onnx(root / "bright.onnx"), "torch": tiny_checkpoint(root / "tiny.ckpt")}


@pytest.fixture
def shots(tmp_path) -> Path:
    for i in range(COUNT):
        write_image(tmp_path / "in" / f"s{i}.png", blocks(i, 10 + i, 12))
    return tmp_path / "in"


def segment(shots: Path, out: Path, model: Path, *extra):
    return cli("segment", shots, out, "-m", model, "--workers", 0, "--size", "native", *extra)


def refused(run, *words: str) -> str:
    """The run exited 2 with one Error line that holds `words` and names both fixes."""
    errors = [line for line in run.output.splitlines() if line.startswith("Error:")]
    assert run.code == 2 and len(errors) == 1 and TRACEBACK not in run.output, run.output
    for word in (*words, "--overwrite", "another OUT"):
        assert word in errors[0], errors[0]
    return errors[0]


def first_run(shots, out, models, *extra):
    run = segment(shots, out, models["onnx"], *extra)
    assert run.code == 0, run.output
    return {name: (out / name).read_bytes() for name in outputs(out)} | {"results.jsonl": (
        out / "results.jsonl").read_bytes(), ".uiseg/state.jsonl": (out / ".uiseg/state.jsonl").read_bytes()}


@pytest.mark.parametrize("case, first, then, words", [
    ("other_threshold", [], ["--threshold", "0.9"], ["threshold 0.5 → 0.9"]),
    ("boxes_after_no_boxes", ["--no-boxes"], ["--boxes"], ["boxes off → on"]),
    ("other_min_area", [], ["--min-area", "10"], ["min-area 64 → 10"]),
    ("other_size", [], ["--size", "32x32"], ["size native → fixed 32x32"]),
    ("overlay_now", [], ["--overlay"], ["overlay off → on"]),
])
def test_other_settings_are_refused_before_any_image(case, first, then, words, models, shots, tmp_path):
    out = tmp_path / "out"
    before = first_run(shots, out, models, *first)
    (shots / "s0.png").write_bytes(b"not an image any more")  # would fail if it were read
    run = cli("segment", shots, out, "-m", models["onnx"], "--workers", 0, *(["--size", "native"] if case !=
                                                                           "other_size" else []), *first, *then)
    refused(run, *words)
    assert {name: (out / name).read_bytes() for name in before} == before  # nothing written, nothing removed


def test_other_model_is_refused(models, shots, tmp_path):
    out = tmp_path / "out"
    first_run(shots, out, models)
    line = refused(segment(shots, out, models["torch"]), "model sha256", "backend onnx → torch")
    assert "→" in line.split("model sha256", 1)[1]


def test_model_swap_mid_run_is_refused(models, shots, tmp_path):
    """A run stopped half-way, resumed with another model: before, half the masks came from each model."""
    out = tmp_path / "out"
    first_run(shots, out, models)
    for name in sorted(outputs(out))[: COUNT // 2]:
        (out / name).unlink()  # as if the first run had stopped half-way
    refused(segment(shots, out, models["torch"]), "model sha256")
    assert len(outputs(out)) == COUNT - COUNT // 2


def test_overwrite_adopts_the_new_settings_like_a_clean_run(models, shots, tmp_path):
    out, clean = tmp_path / "out", tmp_path / "clean"
    first_run(shots, out, models)
    run = segment(shots, out, models["onnx"], "--threshold", "0.58", "--overwrite")
    assert run.code == 0 and f"{COUNT} done, 0 skipped" in run.output, run.output
    assert segment(shots, clean, models["onnx"], "--threshold", "0.58").code == 0
    assert outputs(out) == outputs(clean)
    assert (out / "results.jsonl").read_bytes() == (clean / "results.jsonl").read_bytes()
    assert "0 done, 6 skipped" in segment(shots, out, models["onnx"], "--threshold", "0.58").output


def test_a_replaced_input_is_redone_at_its_new_size(models, shots, tmp_path):
    out = tmp_path / "out"
    first_run(shots, out, models)
    image = blocks(99, 18, 32)  # another size under the same name
    write_image(shots / "s2.png", image)
    run = segment(shots, out, models["onnx"])
    assert run.code == 0 and "1 done, 5 skipped, 0 failed, 1 redone" in run.output, run.output
    np.testing.assert_array_equal(read_png(out / "s2.png") > 0, oracle_mask(image, 0.5))
    assert json.loads(result_lines(out)["s2.png"])["width"] == 32


def test_a_replaced_input_with_the_same_size_and_mtime_is_redone(models, shots, tmp_path):
    """`cp -p`-like: same byte count, same mtime; ctime and inode move, and the sha256 tells."""
    out = tmp_path / "out"
    first_run(shots, out, models)
    target = shots / "s3.png"
    old = target.stat()
    write_image(tmp_path / "new.bmp", blocks(7, 10 + 3, 12))
    write_image(tmp_path / "old.bmp", np.asarray(blocks(3, 13, 12)))
    data = (tmp_path / "new.bmp").read_bytes()  # BMP: the byte count depends on the size only
    assert len(data) == (tmp_path / "old.bmp").stat().st_size
    shutil.copy(tmp_path / "old.bmp", target)
    first = segment(shots, out, models["onnx"])  # s3 is a BMP now (another format): redone once
    assert first.code == 0 and "1 done" in first.output, first.output
    old = target.stat()
    target.write_bytes(data)
    os.utime(target, ns=(old.st_atime_ns, old.st_mtime_ns))
    assert target.stat().st_size == old.st_size and target.stat().st_mtime_ns == old.st_mtime_ns
    run = segment(shots, out, models["onnx"])
    assert run.code == 0 and "1 done, 5 skipped" in run.output, run.output
    np.testing.assert_array_equal(read_png(out / "s3.png") > 0, oracle_mask(blocks(7, 13, 12), 0.5))


def test_another_input_folder_with_the_same_names(models, shots, tmp_path):
    out = tmp_path / "out"
    first_run(shots, out, models)
    copy = tmp_path / "copy"
    shutil.copytree(shots, copy)  # the same bytes: nothing to redo (one hash each)
    assert "0 done, 6 skipped" in segment(copy, out, models["onnx"]).output
    other = tmp_path / "other"
    for i in range(COUNT):
        write_image(other / f"s{i}.png", blocks(50 + i, 10 + i, 12))
    run = segment(other, out, models["onnx"])
    assert run.code == 0 and "6 done, 0 skipped" in run.output, run.output
    for i in range(COUNT):
        np.testing.assert_array_equal(read_png(out / f"s{i}.png") > 0, oracle_mask(blocks(50 + i, 10 + i, 12), 0.5))


@pytest.mark.parametrize("damage", ["zero_bytes", "truncated", "deleted", "other_bytes"])
def test_a_damaged_output_is_rewritten(damage, models, shots, tmp_path):
    out = tmp_path / "out"
    before = first_run(shots, out, models, "--probs")
    victim = out / "probs" / "s1.png"
    if damage == "deleted":
        victim.unlink()
    else:
        data = victim.read_bytes()
        victim.write_bytes({"zero_bytes": b"", "truncated": data[: len(data) // 2],
                            "other_bytes": bytes(len(data))}[damage])
    run = segment(shots, out, models["onnx"], "--probs")
    assert run.code == 0 and "1 done, 5 skipped" in run.output, run.output
    assert {name: (out / name).read_bytes() for name in before if not name.startswith(".uiseg")} == {
        k: v for k, v in before.items() if not k.startswith(".uiseg")}


def test_outputs_of_a_deleted_input_are_kept_and_counted(models, shots, tmp_path):
    out = tmp_path / "out"
    before = first_run(shots, out, models)
    (shots / "s4.png").unlink()
    run = segment(shots, out, models["onnx"])
    assert run.code == 0 and "0 done, 5 skipped, 0 failed, 1 kept (input gone)" in run.output, run.output
    assert (out / "s4.png").read_bytes() == before["s4.png"]
    assert (out / "results.jsonl").read_bytes() == before["results.jsonl"]


def test_a_new_input_that_renames_an_output(models, shots, tmp_path):
    """s1.jpg appears beside s1.png: s1.png's mask moves to s1.png.png and the stale s1.png goes."""
    out, clean = tmp_path / "out", tmp_path / "clean"
    first_run(shots, out, models)
    write_image(shots / "s1.bmp", blocks(77, 8, 8))
    run = segment(shots, out, models["onnx"])
    assert run.code == 0 and "2 done, 5 skipped" in run.output, run.output
    assert segment(shots, clean, models["onnx"]).code == 0
    assert outputs(out) == outputs(clean) and "s1.png" not in outputs(out)
    assert (out / "results.jsonl").read_bytes() == (clean / "results.jsonl").read_bytes()
