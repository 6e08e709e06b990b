"""One writer per OUT: a second run on a busy OUT exits 2 at once naming the writer; `--shard i/n` runs share an
OUT and lose no record; the lock of a killed run never blocks (the OS releases `flock` locks with the process)."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal

import pytest
from corpus import TRACEBACK
from corpus_models import brightness_onnx, tiny_checkpoint
from trustkit import (
    blocks,
    cli,
    holds_lock,
    journal_lines,
    kill,
    outputs,
    result_lines,
    start,
    wait_for,
    write_image,
)
from uiseg.infer.lock import OutLock


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    root = tmp_path_factory.mktemp("lock")
    for i in range(12):  # big enough for the tiny UNet at native size to take a while: the first run is busy
        write_image(root / "a" / f"a{i:02d}.png", blocks(i, 120, 160))
    for i in range(18):
        write_image(root / "b" / f"b{i:02d}.png", blocks(100 + i, 20, 24))
    return root, tiny_checkpoint(root / "tiny.ckpt"), brightness_onnx(root / "bright.onnx")


def busy_line(run, *words) -> str:
    errors = [line for line in run.output.splitlines() if line.startswith("Error:")]
    assert run.code == 2 and len(errors) == 1 and TRACEBACK not in run.output, run.output
    assert "is being written by" in errors[0] and all(w in errors[0] for w in words), errors[0]
    return errors[0]


@pytest.mark.slow
def test_a_second_run_on_a_busy_out_exits_2_and_loses_nothing(setup, tmp_path):
    """12 + 18 images into one OUT at once: before, both exited 0 and results.jsonl kept 12 records. The first
    run is held mid-way, deterministically, by an input that is a FIFO: decoding it waits for a writer."""
    root, ckpt, _ = setup
    first_in, out = tmp_path / "first", tmp_path / "out"
    shutil.copytree(root / "a", first_in)
    os.mkfifo(first_in / "a05 waiting.png")
    first = start("segment", first_in, out, "-m", ckpt, "--size", "native", "--workers", 0, "--batch-size", 1,
                  log=tmp_path / "first.log")
    try:
        assert wait_for(lambda: holds_lock(out, first.pid) and journal_lines(out) >= 5, first)
        second = cli("segment", root / "b", out, "-m", ckpt, "--size", "native", "--workers", 0)
        busy_line(second, f"pid {first.pid} since ")
    finally:
        with contextlib.suppress(OSError):  # ENXIO: nobody is reading it (the run ended some other way)
            os.close(os.open(first_in / "a05 waiting.png", os.O_WRONLY | os.O_NONBLOCK))
        first.join(60)  # the reader saw an empty "image", which fails as an empty file does; the run goes on
    assert first.exitcode == 1, (tmp_path / "first.log").read_text()
    assert not (out / "results.jsonl").read_text().count('"path":"b')
    again = cli("segment", root / "b", out, "-m", ckpt, "--size", "native", "--workers", 0)
    assert again.code == 0 and "18 done" in again.output, again.output
    statuses = [json.loads(line)["status"] for line in result_lines(out).values()]
    assert len(statuses) == 31 and statuses.count("ok") == 30 and len(outputs(out)) == 30


@pytest.mark.slow
def test_shards_run_at_once_into_one_out_and_lose_no_record(setup, tmp_path):
    root, _, bright = setup
    out = tmp_path / "out"
    logs = [tmp_path / f"shard{i}.log" for i in range(3)]
    procs = [start("segment", root / "b", out, "-m", bright, "--shard", f"{i}/3", "--workers", 0, log=logs[i])
             for i in range(3)]
    for proc, log in zip(procs, logs):
        proc.join(60)
        assert proc.exitcode == 0, log.read_text()
    assert sorted(result_lines(out)) == [f"b{i:02d}.png" for i in range(18)]
    assert len(outputs(out)) == 18
    assert not list((out / ".uiseg").glob("journal-*"))


@pytest.mark.parametrize("held, argv, words", [
    ((0, 1), [], ["pid", "since"]),
    ((0, 2), [], ["--shard 0/2"]),
    ((0, 2), ["--shard", "0/2"], ["--shard 0/2"]),
    ((0, 2), ["--shard", "1/3"], ["--shard 0/2", "must share N (here 3)"]),
])
def test_which_runs_an_out_admits(setup, tmp_path, held, argv, words):
    """This test holds the lock a run would hold (the same flock calls, another open file: a conflict as
    between two processes), then starts a run through the CLI."""
    root, _, bright = setup
    out = tmp_path / "out"
    out.mkdir()
    (out / ".uiseg").mkdir()
    lock = OutLock(out, held).acquire()
    try:
        busy_line(cli("segment", root / "b", out, "-m", bright, "--workers", 0, *argv), *words)
        assert not (out / "results.jsonl").exists()
    finally:
        lock.release()


def test_a_shard_beside_another_shard_of_the_same_n(setup, tmp_path):
    root, _, bright = setup
    out = tmp_path / "out"
    (out / ".uiseg").mkdir(parents=True)
    lock = OutLock(out, (0, 2)).acquire()
    try:
        run = cli("segment", root / "b", out, "-m", bright, "--workers", 0, "--shard", "1/2")
        assert run.code == 0 and "9 done" in run.output, run.output
    finally:
        lock.release()


@pytest.mark.slow
def test_the_lock_of_a_killed_run_never_blocks(setup, tmp_path):
    """SIGKILL while the decode worker (forked while the lock is held) runs: the worker may outlive the run, an
    orphan, but it closed its copy of the lock at fork; the rerun starts at once."""
    root, ckpt, _ = setup
    out = tmp_path / "out"
    proc = start("segment", root / "a", out, "-m", ckpt, "--size", "native", "--workers", 1, "--batch-size", 1,
                 log=tmp_path / "killed.log")
    try:
        assert wait_for(lambda: journal_lines(out) >= 2, proc), (tmp_path / "killed.log").read_text()
        os.kill(proc.pid, signal.SIGKILL)  # the run only, not its worker
        proc.join(30)
        assert proc.exitcode == -signal.SIGKILL
        run = cli("segment", root / "a", out, "-m", ckpt, "--size", "native", "--workers", 1, "--json")
    finally:
        kill(proc)  # an orphaned worker, if any
    assert run.code == 0, run.output
    totals = json.loads(run.output[run.output.index("{"):])["totals"]
    assert totals["done"] + totals["skipped"] == 12 and totals["skipped"] >= 2
