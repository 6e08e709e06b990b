"""Numbers and resources through `uiseg segment`: NaN/Inf logits fail the image (never "ok"), thresholds must be
finite in (0, 1), a huge --batch-size is held to the images there are, a full disk stops the run with one line
naming the file and OUT (run.json still written, no torn journal line), a read-only OUT is named as OUT, and a
model file given to the wrong backend is named by what it is."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import uiseg.infer.io as infer_io
from corpus import TRACEBACK, permission_preexec, write_good
from corpus_models import brightness_onnx, tiny_checkpoint
from trustkit import cli, outputs
from uiseg.infer.state import Journal, replay

NON_FINITE = "the model produced NaN/Inf: diverged training or broken weights"


@pytest.fixture(scope="module")
def shots(tmp_path_factory):
    root = tmp_path_factory.mktemp("resources") / "shots"
    write_good(root, 4)
    return root


def broken_checkpoint(path: Path, value: float) -> Path:
    """A tiny checkpoint whose weights diverged: every float tensor holds `value` (NaN or Inf)."""
    tiny_checkpoint(path)
    ckpt = torch.load(path, weights_only=True)
    for tensor in ckpt["state_dict"].values():
        if tensor.is_floating_point():
            tensor.fill_(value)
    torch.save(ckpt, path)
    return path


@pytest.mark.parametrize("value", [float("nan"), float("inf")])
def test_non_finite_logits_fail_every_image(value, shots, tmp_path):
    model, out = broken_checkpoint(tmp_path / "diverged.ckpt", value), tmp_path / "out"
    run = cli("segment", shots, out, "-m", model, "--workers", 0)
    assert run.code == 1 and TRACEBACK not in run.output, run.output
    failed = [line for line in run.output.splitlines() if line.startswith("failed:")]
    assert len(failed) == 4 and all(NON_FINITE in line for line in failed), run.output
    records = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert [r["status"] for r in records] == ["failed"] * 4 and not outputs(out)


def test_export_refuses_non_finite_weights_before_tracing(tmp_path):
    model, out = broken_checkpoint(tmp_path / "diverged.ckpt", float("nan")), tmp_path / "exported"
    run = cli("export", model, "--out", out)
    assert run.code == 1 and TRACEBACK not in run.output, run.output
    assert run.output.startswith(f"Error: {model}: the weights hold NaN/Inf") and "retrain" in run.output
    assert "parity" not in run.output and not (out.exists() and any(out.iterdir()))


@pytest.mark.parametrize("value", ["nan", "inf", "0", "1", "-1", "1.5"])
def test_threshold_must_be_finite_between_0_and_1(value, shots, tmp_path):
    run = cli("segment", shots, tmp_path / "out", "-m", brightness_onnx(tmp_path / "b.onnx"), "--threshold", value)
    assert run.code == 2 and "--threshold" in run.output and "between 0 and 1" in run.output, run.output
    assert not (tmp_path / "out").exists()


def test_the_batch_never_exceeds_the_images(tmp_path):
    """--batch-size 100000 on one image: every pass runs at the batch size, so that used to allocate 100000
    images (OOM-killed at 22.6 GB); it runs at 1."""
    write_good(tmp_path / "one", 1, size=(40, 60))
    out = tmp_path / "out"
    run = cli("segment", tmp_path / "one", out, "-m", tiny_checkpoint(tmp_path / "t.ckpt"), "--batch-size",
              100000, "--workers", 0, "--size", "native")
    assert run.code == 0, run.output
    assert json.loads((out / "run.json").read_text())["arguments"]["resolved"]["batch_size"] == 1


def test_a_full_disk_stops_the_run_names_the_file_and_out_and_resumes(shots, tmp_path, monkeypatch):
    model, out = brightness_onnx(tmp_path / "b.onnx"), tmp_path / "out"
    real, written = infer_io.atomic_write_bytes, []

    def full_after_two(path, data):
        if len(written) >= 2:
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        real(path, data)
        written.append(path)

    monkeypatch.setattr(infer_io, "atomic_write_bytes", full_after_two)
    run = cli("segment", shots, out, "-m", model, "--workers", 0, "--batch-size", 1)
    errors = [line for line in run.output.splitlines() if line.startswith("Error:")]
    assert run.code == 1 and len(errors) == 1 and TRACEBACK not in run.output, run.output
    assert f"OUT {out}: No space left on device while writing {out}/good_002.png" in errors[0], errors[0]
    assert "free space" in errors[0]
    report = json.loads((out / "run.json").read_text())
    assert "No space left" in report["error"] and report["totals"]["done"] == 2
    assert len((out / "results.jsonl").read_text().splitlines()) == 2
    monkeypatch.setattr(infer_io, "atomic_write_bytes", real)  # space freed
    again = cli("segment", shots, out, "-m", model, "--workers", 0, "--batch-size", 1)
    assert again.code == 0 and "2 done, 2 skipped" in again.output, again.output
    clean = tmp_path / "clean"
    assert cli("segment", shots, clean, "-m", model, "--workers", 0, "--batch-size", 1).code == 0
    assert outputs(out) == outputs(clean)
    assert (out / "results.jsonl").read_bytes() == (clean / "results.jsonl").read_bytes()


def test_a_journal_write_cut_by_a_full_disk_leaves_no_torn_line(tmp_path, monkeypatch):
    path = tmp_path / "journal.jsonl"
    journal = Journal(path)
    journal.append({"path": "a.png", "entry": {"result": {"status": "ok"}}})
    real = os.write

    def half_then_full(fd, data):
        if fd != journal._fd:
            return real(fd, data)
        if len(data) > 8:
            return real(fd, bytes(data[:8]))  # the disk takes part of the line...
        raise OSError(errno.ENOSPC, "No space left on device")  # ...then no more

    monkeypatch.setattr(os, "write", half_then_full)
    with pytest.raises(OSError):
        journal.append({"path": "b.png", "entry": {"result": {"status": "ok"}}})
    monkeypatch.setattr(os, "write", real)
    journal.append({"path": "c.png", "entry": {"result": {"status": "ok"}}})
    journal.close()
    assert path.read_bytes().count(b"\n") == 2 and sorted(replay({}, path)) == ["a.png", "c.png"]


CLI = "import sys; from uiseg.cli import main; sys.exit(main())"


@pytest.mark.slow
def test_a_read_only_out_is_named_as_out(shots, tmp_path):
    ok, preexec = permission_preexec(tmp_path)
    if not ok:
        pytest.skip("running as root without CAP_SETPCAP: a read-only folder cannot stop this process")
    model, out = brightness_onnx(tmp_path / "b.onnx"), tmp_path / "out"
    out.mkdir()
    out.chmod(0o555)
    try:
        run = subprocess.run([sys.executable, "-c", CLI, "segment", str(shots), str(out), "-m", str(model)],
                             capture_output=True, text=True, preexec_fn=preexec, timeout=120, check=False)
    finally:
        out.chmod(0o755)
    assert run.returncode == 2 and TRACEBACK not in run.stderr, run.stderr
    assert f"Error: OUT {out} is not writable (Permission denied); choose another OUT" in run.stderr, run.stderr


@pytest.mark.parametrize("backend, words", [("torch", "is an ONNX model, not a checkpoint"),
                                            ("torchscript", "is an ONNX model, not a TorchScript file")])
def test_a_model_file_for_another_backend_is_named_by_what_it_is(backend, words, shots, tmp_path):
    run = cli("segment", shots, tmp_path / "out", "-m", brightness_onnx(tmp_path / "b.onnx"), "--backend", backend)
    assert run.code == 2 and words in run.output and "unpickling" not in run.output, run.output
