"""`uiseg benchmark` (benchmarks/bench_backends.py): the CI smoke run and the gate.

A tiny UNet (base 4, depth 2) at a tiny size, batch 1, a few passes: these tests check the table's structure and
that every CPU backend agrees with eager fp32 (✅), not speed. Speed claims live in benchmarks/results/.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner
from segdata import one_thread  # noqa: F401 - autouse fixture: one compute thread on a shared box

from uiseg.bench import BenchOptions, judge_row, plan
from uiseg.bench.models import Models
from uiseg.bench.report import COLUMNS, gate
from uiseg.checkpoint import make_checkpoint
from uiseg.cli import main
from uiseg.config import Contract
from uiseg.model import UNet

pytestmark = pytest.mark.parity
ROOT = Path(__file__).resolve().parents[1]
CPU_ROWS = {("torch eager", "fp32"), ("TorchScript", "fp32"), ("ORT CPU", "fp32")}
FAST = ["--device", "cpu", "--sizes", "40x24", "--batch-sizes", "1", "--warmup", "2", "--repeats", "3",
        "--min-repeats", "1", "--budget", "0", "--quiet"]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> tuple[Path, Path]:
    """(checkpoint, exported folder) of a random tiny UNet."""
    from uiseg.export import export_checkpoint

    root = tmp_path_factory.mktemp("bench")
    torch.manual_seed(0)
    ckpt = root / "tiny.ckpt"
    torch.save(make_checkpoint(UNet(base=4, depth=2), Contract(image_size=(32, 32), pad_multiple=4)), ckpt)
    export_checkpoint(ckpt, root / "export", verify=False)
    return ckpt, root / "export"


def bench(*args, code: int = 0):
    result = CliRunner().invoke(main, ["benchmark", *map(str, args)], catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result


def parse_table(text: str) -> tuple[list[str], list[dict]]:
    """The Markdown table on stdout: header cells and one dict per row."""
    lines = [line for line in text.splitlines() if line.startswith("|")]
    split = lambda line: [c.strip().replace("\\|", "|") for c in line.strip("|").split(" | ")]
    headers = split(lines[0])
    return headers, [dict(zip(headers, split(line))) for line in lines[2:]]


def test_smoke_every_cpu_backend_runs_and_matches(tiny, tmp_path):
    """The CI smoke run: from a checkpoint (exported on the fly) to the table, the files, and a passing gate."""
    ckpt, _ = tiny
    result = bench(ckpt, *FAST, "--min-iou", "0.999", "--max-delta", "1e-4", "--out", tmp_path)
    headers, rows = parse_table(result.stdout)
    assert headers == COLUMNS
    assert len(rows) == len(CPU_ROWS) and {(r["backend"], r["precision"]) for r in rows} == CPU_ROWS
    assert all(r["status"] == "✅" for r in rows), result.stdout
    assert all(r["size"] == "40x24" and r["batch"] == "1" and float(r["img/s"]) > 0 for r in rows)
    assert {p.suffix for p in tmp_path.iterdir()} == {".json", ".md", ".png"}
    report = json.loads(next(tmp_path.glob("*-backends-cpu.json")).read_text())
    assert report["kind"] == "backends-cpu" and report["versions"]["torch"] and report["machine"]["cores"] >= 1
    assert report["rows"][0]["reference"] and report["rows"][0]["ratio"] == 1.0
    assert {r["provider"] for r in report["rows"] if r["engine"] == "onnx"} == {"CPUExecutionProvider"}
    assert all(r["n"] >= 1 and r["ms_p99"] >= r["ms_median"] > 0 and r["peak_kind"] == "RSS"
               for r in report["rows"])
    assert report["headline"] and "fastest" in report["headline"][0]


def test_gate_fails_when_the_threshold_is_impossible(tiny, tmp_path):
    _, folder = tiny
    result = bench(folder, *FAST, "--min-iou", "1.01", "--out", tmp_path, code=1)
    assert "GATE FAILED" in result.stderr and "--min-iou 1.01" in result.stderr
    assert all(r["status"] == "✅" for r in parse_table(result.stdout)[1])  # the rows ran; the gate said no


def test_perturbed_artifact_differs_and_fails_the_gate(tiny, tmp_path):
    """Weights changed after export: the ORT row is ❎ with the reason, and --max-delta 0 exits 1."""
    import onnx
    from onnx import numpy_helper

    _, folder = tiny
    broken = tmp_path / "broken"
    shutil.copytree(folder, broken)
    model = onnx.load(broken / "model.onnx")
    for init in model.graph.initializer:
        weights = numpy_helper.to_array(init)
        if weights.ndim == 4:
            init.CopyFrom(numpy_helper.from_array(weights * 1.5, init.name))
    onnx.save(model, broken / "model.onnx")
    result = bench(broken / "model.onnx", *FAST, "--backends", "onnx", "--max-delta", "0", "--out", tmp_path,
                   code=1)
    rows = {r["backend"]: r for r in parse_table(result.stdout)[1]}
    assert set(rows) == {"torch eager", "ORT CPU"}  # the eager reference row is always there
    assert rows["torch eager"]["status"] == "✅"
    assert rows["ORT CPU"]["status"].startswith("❎") and "max|Δ|" in rows["ORT CPU"]["status"]
    assert "ORT CPU fp32 40x24 batch 1: max|Δ|" in result.stderr


def test_cuda_on_a_cpu_machine_is_a_usage_error(tiny):
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    result = bench(tiny[1], "--device", "cuda", code=2)
    assert "CUDA" in result.output


def test_model_or_random_model_is_required():
    assert "--random-model" in bench(code=2).output


def test_plan_on_cuda_adds_fp16_rows_and_keeps_the_reference_first():
    models = Models(checkpoint=Path("m.ckpt"), files={"torchscript": Path("model.ts"), "onnx": Path("model.onnx")},
                    contract=Contract(), source="test")
    names = [(c.label, c.precision) for c in plan(models, True, BenchOptions())]
    assert names == [("torch eager", "fp32"), ("torch eager", "fp16"), ("TorchScript", "fp32"),
                     ("ORT CUDA", "fp32"), ("ORT CUDA", "fp16")]
    only = plan(models, False, BenchOptions(backends=("onnx",), compile=True))
    assert [(c.label, c.precision) for c in only] == [("torch eager", "fp32"), ("ORT CPU", "fp32")]


def test_judge_and_gate_use_the_export_criteria():
    row = {"precision": "fp16", "max_abs": 0.05, "ref_max_abs": 3.0, "mask_agreement": 0.9995, "iou": 0.998,
           "status": "ok", "reason": "", "backend": "ORT CUDA", "size": "256x224", "batch": 8}
    assert judge_row(dict(row))["status"] == "ok"  # fp16: mask agreement >= 99.9 % is the criterion
    fp32 = judge_row({**row, "precision": "fp32"})
    assert fp32["status"] == "differs" and "max|Δ|" in fp32["reason"] and "99.99%" in fp32["reason"]
    report = {"rows": [row, {**row, "status": "failed", "iou": None}]}  # failed rows are not gated
    assert gate(report) == [] and gate(report, min_iou=0.99) == []
    assert len(gate(report, min_iou=0.999)) == 1 and len(gate(report, max_delta=0.01)) == 1


def test_script_is_a_thin_wrapper():
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bench_backends.py"), "--help"],
                         capture_output=True, text=True, check=True).stdout
    assert "Usage: bench_backends.py" in out and "--min-iou" in out


@pytest.mark.slow
def test_random_model_runs_end_to_end(tmp_path):
    """--random-model: the default-size UNet, made and exported in a temporary folder that outlives the rows."""
    result = bench("--random-model", *FAST, "--sizes", "64x64", "--out", tmp_path)
    rows = parse_table(result.stdout)[1]
    assert {(r["backend"], r["precision"]) for r in rows} == CPU_ROWS and all(r["status"] == "✅" for r in rows)
    report = json.loads(next(tmp_path.glob("*.json")).read_text())
    assert report["model"]["parameters"] > 1_000_000 and report["model"]["source"].startswith("random")


@pytest.mark.gpu
def test_cuda_rows_run_on_device_tensors(tiny, tmp_path):
    """On a CUDA box: eager fp32/fp16, TorchScript and ORT CUDA fp32/fp16 rows (ORT CUDA may be missing: then its
    rows fail with the reason). fp32 rows must match; fp16 rows must run (a random model's logits sit near the
    threshold, so a few flipped pixels are expected there)."""
    ckpt, _ = tiny
    result = bench(ckpt, "--device", "cuda", "--sizes", "64x48", "--batch-sizes", "1,2", "--warmup", "2",
                   "--repeats", "5", "--min-repeats", "2", "--budget", "0", "--quiet", "--out", tmp_path)
    rows = parse_table(result.stdout)[1]
    kinds = {(r["backend"], r["precision"]) for r in rows}
    assert kinds == {("torch eager", "fp32"), ("torch eager", "fp16"), ("TorchScript", "fp32"),
                     ("ORT CUDA", "fp32"), ("ORT CUDA", "fp16")}
    for r in rows:
        if r["backend"] == "ORT CUDA" and r["status"].startswith("❌"):
            assert "CUDA" in r["status"] or "onnxruntime" in r["status"], r
        elif r["precision"] == "fp32":
            assert r["status"] == "✅" and r["peak MB"].endswith("GPU"), r
        else:
            assert r["status"][0] in "✅❎", r
