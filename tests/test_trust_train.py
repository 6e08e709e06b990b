"""`uiseg train` refuses what cannot work before it makes or reads any data, never overwrites a run by accident,
stops on a diverged (NaN/Inf) loss with exit 1, and on Ctrl-C or SIGTERM saves last.ckpt, exits 130 and prints
the command that resumes."""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner
from corpus import TRACEBACK
from corpus_models import tiny_checkpoint
from easydata import write_easy_dataset

from uiseg.cli import main

TINY = ["--base", "4", "--depth", "2", "--image-size", "64x64", "--batch-size", "8", "--workers", "0",
        "--max-epochs", "1000", "--seed", "0"]
CLI = "import sys; from uiseg.cli import main; sys.exit(main())"


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def one_error_line(result, *words):
    errors = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and TRACEBACK not in result.output, result.output
    assert all(w in errors[0] for w in words), errors[0]
    return errors[0]


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return write_easy_dataset(tmp_path_factory.mktemp("trust-train"), 20)


@pytest.mark.parametrize("args, words", [
    (["--accelerator", "tpu"], ["--accelerator tpu cannot train here"]),
    (["--devices", "abc"], ["--devices abc cannot train here"]),
    (["--precision", "bogus"], ["--precision bogus cannot train here", "invalid"]),
    (["--strategy", "bogus"], ["--strategy bogus cannot train here"]),
    (["--trainer", "gradient_clip_val=\"x\""], ["--trainer gradient_clip_val cannot train here"]),
    (["--max-steps", "0"], ["--max-steps", "trains nothing"]),
])
def test_trainer_settings_are_checked_before_any_data_is_made(args, words, tmp_path):
    """No DATA: a run would synthesise 1,500 images first (before, --accelerator tpu did, then showed a
    traceback)."""
    out = tmp_path / "run"
    result = invoke("train", "--out", out, *args)
    assert result.exit_code == 2, result.output
    one_error_line(result, *words)
    assert not (out / "data").exists()


def test_an_out_holding_a_run_is_refused_then_overwritten(data, tmp_path):
    out = tmp_path / "run"
    tiny_checkpoint(out / "checkpoints" / "last.ckpt")
    (out / "summary.json").write_text("{}")
    (out / "data").mkdir()
    (out / "data" / "keep.txt").write_text("synthetic data is reused, never removed")
    before = (out / "checkpoints" / "last.ckpt").read_bytes()
    refused = invoke("train", data, "--out", out, "--max-steps", 2, *TINY)
    assert refused.exit_code == 2, refused.output
    one_error_line(refused, f"--out {out} holds a run (checkpoints, summary.json)",
                   f"--resume {out}/checkpoints/last.ckpt", "--overwrite", "another --out")
    assert (out / "checkpoints" / "last.ckpt").read_bytes() == before
    again = invoke("train", data, "--out", out, "--max-steps", 2, "--overwrite", *TINY)
    assert again.exit_code == 0, again.output
    assert (out / "checkpoints" / "last.ckpt").read_bytes() != before
    assert (out / "data" / "keep.txt").is_file()


def test_a_diverged_loss_stops_training_with_exit_1(data, tmp_path):
    """--lr 1e12: the weights turn NaN within a few steps. Before, training went on and ended with exit 0 and
    "best val IoU 0.000"; now it stops at once and writes no checkpoint of the diverged weights."""
    out = tmp_path / "run"
    result = invoke("train", data, "--out", out, "--learning-rate", "1e12", "--max-steps", 40, *TINY)
    assert result.exit_code == 1, result.output
    line = one_error_line(result, "training diverged: the", "loss is nan at step", "lower --learning-rate (it is 1e+12")
    assert "best val IoU" not in result.output, line
    assert not list(out.glob("checkpoints/*.ckpt"))


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_an_interrupt_saves_last_ckpt_exits_130_and_prints_the_resume_command(sig, data, tmp_path):
    out = tmp_path / "run"
    log = tmp_path / "log"
    with open(log, "w") as fh:
        proc = subprocess.Popen([sys.executable, "-c", CLI, "train", str(data), "--out", str(out),
                                 "--max-steps", "5000", *TINY], stdout=fh, stderr=subprocess.STDOUT,
                                env={**os.environ, "OMP_NUM_THREADS": "1"})
        deadline = time.monotonic() + 180
        while proc.poll() is None and "epoch   1 " not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.05)
        proc.send_signal(sig)
        code = proc.wait(120)
    text = log.read_text()
    assert code == 130 and TRACEBACK not in text, text
    said = [line for line in text.splitlines() if line.startswith("interrupted at step ")]
    assert len(said) == 1 and f"saved {out}/checkpoints/last.ckpt; resume with: uiseg train " in said[0], text
    command = shlex.split(said[0].split("resume with: ", 1)[1])
    assert command[-2:] == ["--resume", str(out / "checkpoints" / "last.ckpt")] and command[1] == "train"
    step = int(said[0].split()[3].rstrip(":"))
    resumed = invoke(*command[1:], "--max-steps", step + 2)  # the printed command, two steps further
    assert resumed.exit_code == 0, resumed.output
    import json

    assert json.loads((out / "summary.json").read_text())["steps"] == step + 2
