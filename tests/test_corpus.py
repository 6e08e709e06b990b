"""The bad-input corpus (tests/corpus.py) through `uiseg segment`: the segment side of the table.

One folder holds every kind of odd file plus a few good ones; `uiseg segment` runs over it once per backend
(a real subprocess, so what a user sees on stderr is what is checked):

- onnx, --size native, through a hand-made "brightness model" (UI = brighter than mid-grey): every mask must
  equal that rule applied to the image *as the user sees it*: EXIF orientation applied (a JPEG stored 40x24 with
  Orientation=6 gets a 24x40 mask whose bright block is top-right), padding cropped off, 16-bit/palette/CMYK/
  RGBA converted, first GIF frame;
- torch (a random tiny UNet checkpoint), --size auto (resized to its 32x32 training size and back).

Each kind must get exactly its `segment` behaviour: "ok" (mask at the size the user sees, status ok), "fail"
(one stderr line naming the file and the fix, status failed in results.jsonl and run.json, no mask) or "skip"
(not an input). The run exits 1 (some inputs failed), prints no traceback, and processes every good file.
As root, the run drops CAP_DAC_OVERRIDE so that chmod 000 really makes a file unreadable.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from click.testing import CliRunner
from corpus import (
    FIX_WORDS,
    IMAGE_KINDS,
    SETUP_KINDS,
    TRACEBACK,
    build_images,
    out_leftovers,
    permission_preexec,
    write_good,
)
from corpus_models import MARKER_NAME, MODEL_KINDS, brightness_mask, brightness_onnx, tiny_checkpoint
from PIL import Image

from uiseg.cli import main
from uiseg.images import read_rgb

CLI = "import sys; from uiseg.cli import main; sys.exit(main())"
GOOD = 3
RUNS = {"onnx-native": ("bright.onnx", "native"), "torch-auto": ("tiny.ckpt", "auto")}


def segment(args: list[str], preexec=None, timeout: int = 240) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", CLI, "segment", *args], capture_output=True, text=True,
                          timeout=timeout, preexec_fn=preexec, check=False)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("corpus")
    perm_ok, preexec = permission_preexec(root)
    inputs = root / "in"
    made = build_images(inputs, skip_needs=set() if perm_ok else {"perm"})
    write_good(inputs, GOOD)
    brightness_onnx(root / "bright.onnx")
    tiny_checkpoint(root / "tiny.ckpt")
    return SimpleNamespace(root=root, inputs=inputs, made=made, perm_ok=perm_ok, preexec=preexec, runs={})


def run_of(corpus, name: str):
    """Run segment over the corpus once per backend (cached for the module)."""
    if name not in corpus.runs:
        model, size = RUNS[name]
        out = corpus.root / f"out-{name}"
        done = segment([str(corpus.inputs), str(out), "--model", str(corpus.root / model), "--size", size,
                        "--workers", "1", "--batch-size", "4"], preexec=corpus.preexec)
        results = {}
        if (out / "results.jsonl").is_file():
            results = {r["path"]: r for r in map(json.loads, (out / "results.jsonl").read_text().splitlines())}
        run = json.loads((out / "run.json").read_text()) if (out / "run.json").is_file() else {}
        corpus.runs[name] = SimpleNamespace(proc=done, out=out, results=results, run=run)
    return corpus.runs[name]


def rel(corpus, path: Path) -> str:
    return path.relative_to(corpus.inputs).as_posix()


@pytest.mark.parametrize("backend", sorted(RUNS))
@pytest.mark.parametrize("kind", IMAGE_KINDS, ids=lambda k: k.name)
def test_segment_kind(kind, backend, corpus):
    if kind.name not in corpus.made:
        pytest.skip("running as root without CAP_SETPCAP: chmod 000 cannot make a file unreadable here")
    r = run_of(corpus, backend)
    stderr = r.proc.stderr
    paths = corpus.made[kind.name]
    if kind.segment == "skip":
        for path in paths:
            assert rel(corpus, path) not in r.results and path.name not in stderr, stderr
        return
    keys = [rel(corpus, p) for p in paths]
    if kind.segment == "fail":
        failures = {f["path"]: f["error"] for f in r.run["failures"]}
        for key, path in zip(keys, paths):
            assert r.results[key]["status"] == "failed" and r.results[key]["mask"] is None
            lines = [line for line in stderr.splitlines() if str(path) in line]
            assert len(lines) == 1 and kind.msg in lines[0] and FIX_WORDS.search(lines[0]), stderr
            assert str(path) in failures[key]
            assert not (r.out / Path(key).with_suffix(".png")).exists()
        return
    masks = []
    for key, path in zip(keys, paths):
        record = r.results[key]
        assert record["status"] == "ok" and (record["height"], record["width"]) == kind.hw, record
        mask = np.asarray(Image.open(r.out / record["mask"]))
        assert mask.shape == kind.hw and set(np.unique(mask)) <= {0, 255}
        if backend == "onnx-native":  # the mask lines up with the image as the user sees it
            np.testing.assert_array_equal(mask > 0, brightness_mask(read_rgb(path)))
        masks.append(record["mask"])
        assert str(path) not in stderr
    if kind.outputs:
        assert sorted(masks) == sorted(kind.outputs)


@pytest.mark.parametrize("backend", sorted(RUNS))
def test_segment_run_as_a_whole(backend, corpus):
    r = run_of(corpus, backend)
    assert r.proc.returncode == 1, r.proc.stderr
    assert TRACEBACK not in r.proc.stderr + r.proc.stdout
    fail = [p for k in IMAGE_KINDS if k.segment == "fail" for p in corpus.made.get(k.name, [])]
    ok = [p for k in IMAGE_KINDS if k.segment == "ok" for p in corpus.made.get(k.name, [])]
    assert r.run["totals"]["failed"] == len(fail) and r.run["totals"]["done"] == len(ok) + GOOD
    assert len(r.results) == len(fail) + len(ok) + GOOD
    for i in range(GOOD):
        assert r.results[f"good_{i:03d}.png"]["status"] == "ok"
    failed_lines = [line for line in r.proc.stderr.splitlines() if line.startswith("failed:")]
    assert len(failed_lines) == len(fail), r.proc.stderr
    assert not out_leftovers(r.out)


def test_masks_are_readable_by_other_accounts(corpus):
    """Outputs get the permissions a plain open() gives (umask), not mkstemp's private 0600."""
    r = run_of(corpus, "onnx-native")
    umask = os.umask(0o022)
    os.umask(umask)
    for name in ("good_000.png", "results.jsonl", "run.json"):
        assert (r.out / name).stat().st_mode & 0o777 == 0o666 & ~umask, name


def test_rerun_retries_only_the_failures(corpus):
    """Resume: finished images are skipped; the failed ones are tried again and fail again (exit 1)."""
    first = run_of(corpus, "torch-auto")
    before = {p: p.read_bytes() for p in first.out.rglob("*.png") if p.is_file()}
    again = segment([str(corpus.inputs), str(first.out), "--model", str(corpus.root / "tiny.ckpt"),
                     "--workers", "0", "--json"], preexec=corpus.preexec)
    assert again.returncode == 1 and TRACEBACK not in again.stderr
    totals = json.loads(again.stdout)["totals"]
    assert totals["skipped"] == first.run["totals"]["done"] and totals["done"] == 0
    assert totals["failed"] == first.run["totals"]["failed"]
    assert {p: p.read_bytes() for p in first.out.rglob("*.png") if p.is_file()} == before


# ---- whole-run problems: exit 2, one line, nothing written ----------------------------------------------------------

def _setup_case(name: str, tmp_path: Path, model: Path) -> tuple[list[str], str, Path]:
    """(argv after `segment`, text the error must name, OUT)."""
    shots = tmp_path / "shots"
    write_good(shots, 2)
    if name == "empty_folder":
        (tmp_path / "empty").mkdir()
        return [str(tmp_path / "empty"), str(tmp_path / "out"), "-m", str(model)], "empty", tmp_path / "out"
    if name == "out_equals_input":
        return [str(shots), str(shots), "-m", str(model)], str(shots), shots / "results.jsonl"
    if name == "out_inside_input":
        return [str(shots), str(shots / "masks"), "-m", str(model)], "inside", shots / "masks"
    if name == "missing_input":
        return [str(tmp_path / "nope"), str(tmp_path / "out"), "-m", str(model)], "nope", tmp_path / "out"
    assert name == "missing_model"
    return [str(shots), str(tmp_path / "out"), "-m", str(tmp_path / "gone.onnx")], "gone.onnx", tmp_path / "out"


@pytest.mark.parametrize("name", sorted(SETUP_KINDS))
def test_setup_problem(name, tmp_path):
    model = brightness_onnx(tmp_path / "bright.onnx")
    argv, named, out = _setup_case(name, tmp_path, model)
    result = CliRunner().invoke(main, ["segment", *argv, "-q"])
    assert result.exit_code == 2, result.output
    assert TRACEBACK not in result.output and result.exception is None or isinstance(result.exception, SystemExit)
    errors = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and named in errors[0], result.output
    assert not out.exists()


# ---- models that must be refused --------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", MODEL_KINDS, ids=lambda k: k.name)
def test_segment_refuses_the_model(kind, tmp_path):
    """A model file that is not a valid uiseg model: exit 1 (a bad file, like a bad image), one line naming it,
    nothing written, and no code from the file run."""
    shots = tmp_path / "shots"
    write_good(shots, 2)
    model = kind.make(tmp_path / kind.file)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["segment", str(shots), str(out), "-m", str(model), "-q", "--device", "cpu"])
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    errors = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and str(model) in errors[0] and kind.msg in errors[0], result.output
    assert FIX_WORDS.search(errors[0]), errors[0]
    assert not (tmp_path / MARKER_NAME).exists(), "the pickle payload ran"
    assert not out.exists()


def test_a_recursive_glob_does_not_follow_a_symlink_loop(tmp_path):
    shots = tmp_path / "shots"
    write_good(shots, 1)
    (shots / "loop").symlink_to(".")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["segment", f"{shots}/**/*.png", str(out), "-m",
                                       str(brightness_onnx(tmp_path / "bright.onnx")), "-q", "--workers", "0"])
    assert result.exit_code == 0, result.output
    assert [json.loads(line)["path"] for line in (out / "results.jsonl").read_text().splitlines()] == ["good_000.png"]
