"""A segment run stopped at any moment loses nothing: SIGKILL mid-run, then a rerun, ends byte-identical to
a clean run; SIGTERM/SIGINT stop cleanly, say how far they got, and leave no temporary file."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image
from segdata import (
    make_checkpoint,
    one_thread,  # noqa: F401 - autouse fixture
    tree_bytes,
    write_shots,
)

from uiseg.cli import main

COUNT = 60
CLI = "import sys; from uiseg.cli import main; sys.exit(main())"


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    root = tmp_path_factory.mktemp("resume")
    shots = root / "shots"
    write_shots(shots, count=COUNT, sizes=[(64, 48), (40, 40)])
    return shots, make_checkpoint(root / "tiny.ckpt")


def command(shots: Path, ckpt: Path, out: Path, *extra) -> list[str]:
    # batch 2 and --probs/--overlay: many small writes, so a kill lands between and inside them
    return [sys.executable, "-c", CLI, "segment", str(shots), str(out), "-m", str(ckpt), "--batch-size", "2",
            "--workers", "1", "--probs", "--overlay", "-q", *extra]


# One compute thread in the child processes too (see segdata.one_thread).
ENV = {**os.environ, "OMP_NUM_THREADS": "1"}


def run(cmd: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, check=False, capture_output=True, text=True, timeout=120, env=ENV)


def run_here(cmd: list[str]):
    """The same command in this process (no interpreter start-up): for clean runs and reruns."""
    return CliRunner().invoke(main, cmd[3:], catch_exceptions=False)


def start_and_stop(cmd: list[str], out: Path, sig: int, after_lines: int) -> subprocess.Popen:
    """Start a run and send `sig` once its journal holds `after_lines` records (or it ends by itself)."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV,
                            start_new_session=True)  # the decode worker gets no signal of ours
    deadline = time.monotonic() + 60
    journal = out / ".uiseg" / "journal-0-of-1.jsonl"
    while proc.poll() is None and time.monotonic() < deadline:
        if journal.is_file() and journal.read_bytes().count(b"\n") >= after_lines:
            os.kill(proc.pid, sig)
            break
        time.sleep(0.005)
    proc.wait(timeout=60)
    return proc


def assert_no_partial_outputs(out: Path) -> None:
    """Files at final names are whole: every PNG decodes completely."""
    for png in out.rglob("*.png"):
        with Image.open(png) as im:
            im.load()


def test_sigkill_at_several_moments_then_resume_is_byte_identical(setup, tmp_path):
    shots, ckpt = setup
    clean = tmp_path / "clean"
    assert run_here(command(shots, ckpt, clean)).exit_code == 0
    expected = tree_bytes(clean)
    out = tmp_path / "killed"
    codes = []
    for after in (4, 29):
        codes.append(start_and_stop(command(shots, ckpt, out), out, signal.SIGKILL, after).returncode)
        assert_no_partial_outputs(out)
    assert -signal.SIGKILL in codes and set(codes) <= {-signal.SIGKILL, 0}
    final = run(command(shots, ckpt, out))
    assert final.returncode == 0, final.stderr
    assert not list(out.rglob("*.tmp")) and not list(out.glob(".uiseg/journal*"))
    assert tree_bytes(out) == expected


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_interrupt_exits_cleanly_and_resumes(setup, tmp_path, sig):
    shots, ckpt = setup
    out = tmp_path / "out"
    proc = start_and_stop(command(shots, ckpt, out), out, sig, 5)
    stderr = proc.stderr.read()
    if proc.returncode == 0:
        pytest.skip("the run finished before the signal")
    assert proc.returncode == 130, stderr
    assert "interrupted:" in stderr and "run the same command again to resume" in stderr
    assert "Traceback" not in stderr
    assert not list(out.rglob("*.tmp")) and not list(out.glob(".uiseg/journal*"))
    report = json.loads((out / "run.json").read_text())
    assert report["totals"]["interrupted"] and 0 < report["totals"]["done"] < COUNT
    done = len((out / "results.jsonl").read_text().splitlines())
    assert done == report["totals"]["done"]
    final = run_here(command(shots, ckpt, out, "--json"))
    assert final.exit_code == 0, final.output
    totals = json.loads(final.stdout)["totals"]
    assert totals["skipped"] == done and totals["done"] == COUNT - done
