"""`uiseg segment` end to end through CliRunner, on every backend this machine has."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image
from segdata import (
    export_models,
    make_checkpoint,
    one_thread,  # noqa: F401 - autouse fixture
    read_masks,
    write_shots,
)

from uiseg.cli import main


@pytest.fixture(scope="session")
def models(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("segment-model")
    return export_models(make_checkpoint(root / "tiny.ckpt"), root / "export")


@pytest.fixture(scope="session")
def shots(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("segment-shots") / "shots"
    write_shots(root, count=10)
    return root


def segment(*args, code: int | None = 0):
    result = CliRunner().invoke(main, ["segment", *map(str, args)], catch_exceptions=False)
    if code is not None:
        assert result.exit_code == code, result.output
    return result


def results(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]


def test_every_backend_and_batch_size_gives_the_same_masks(models, shots, tmp_path):
    runs = {}
    for name, model in models.items():
        for batch in (1, 3):
            out = tmp_path / f"{name}-{batch}"
            segment(shots, out, "--model", model, "--batch-size", batch, "--workers", 0, "--device", "cpu")
            runs[name, batch] = read_masks(out)
    reference = runs["torch", 1]
    assert len(reference) == 10
    for key, masks in runs.items():
        assert masks.keys() == reference.keys(), key
        same = sum(int((masks[k] == reference[k]).sum()) for k in masks)
        total = sum(m.size for m in reference.values())
        assert same / total >= 0.999, (key, same / total)
    fractions = [float((m > 0).mean()) for m in reference.values()]
    assert 0.05 < np.mean(fractions) < 0.95  # real masks, not all-UI or all-background


def test_outputs_mirror_the_tree_at_original_size(models, shots, tmp_path):
    out = tmp_path / "out"
    result = segment(shots, out, "-m", models["onnx"], "--overlay", "--probs", "--workers", 1)
    for src in shots.rglob("*.*"):
        rel = src.relative_to(shots).with_suffix(".png")
        with Image.open(src) as im:
            size = im.size
        for folder, mode in (("", "L"), ("overlays", "RGB"), ("probs", "I;16")):
            with Image.open(out / folder / rel) as written:
                assert written.size == size and written.mode == mode, (rel, folder)
        assert set(np.unique(np.asarray(Image.open(out / rel)))) <= {0, 255}
    lines = results(out)
    assert [r["path"] for r in lines] == sorted(p.relative_to(shots).as_posix() for p in shots.rglob("*.*"))
    for r in lines:
        assert r["status"] == "ok" and 0 <= r["ui_fraction"] <= 1 and isinstance(r["boxes"], list)
        for box in r["boxes"]:
            x0, y0, x1, y1 = box["box"]
            assert 0 <= x0 < x1 <= r["width"] and 0 <= y0 < y1 <= r["height"] and box["area"] >= 64
    run = json.loads((out / "run.json").read_text())
    assert run["model"]["backend"] == "onnx" and run["model"]["provider"] == "CPUExecutionProvider"
    assert len(run["model"]["sha256"]) == 64 and run["model"]["metadata"]["contract"]["pad_multiple"] == 4
    assert run["totals"]["done"] == 10 and run["totals"]["failed"] == 0 and run["failures"] == []
    assert {"torch", "onnxruntime", "numpy", "pillow"} <= run["versions"].keys()
    assert "10 done, 0 skipped, 0 failed" in result.output and "img/s" in result.output


@pytest.mark.parametrize("size", ["native", "40x24"])
def test_other_sizes_write_masks_at_original_size(models, shots, tmp_path, size):
    out = tmp_path / "out"
    segment(shots, out, "-m", models["torch"], "--size", size, "--workers", 0)
    for src in shots.rglob("*.*"):
        with Image.open(src) as im, Image.open(out / src.relative_to(shots).with_suffix(".png")) as mask:
            assert mask.size == im.size
    assert json.loads((out / "run.json").read_text())["arguments"]["resolved"]["size"] == (
        "native" if size == "native" else "fixed 40x24")


def test_resume_skips_finished_images(models, shots, tmp_path):
    out = tmp_path / "out"
    segment(shots, out, "-m", models["onnx"], "--workers", 0)
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*.png")}
    jsonl = (out / "results.jsonl").read_bytes()
    result = segment(shots, out, "-m", models["onnx"], "--workers", 0)
    assert "0 done, 10 skipped" in result.output
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*.png")} == before
    assert (out / "results.jsonl").read_bytes() == jsonl
    victim = next(iter(sorted(before)))
    victim.unlink()
    assert "1 done, 9 skipped" in segment(shots, out, "-m", models["onnx"], "--workers", 0).output
    assert (out / "results.jsonl").read_bytes() == jsonl
    assert "10 done, 0 skipped" in segment(shots, out, "-m", models["onnx"], "--overwrite").output
    assert (out / "results.jsonl").read_bytes() == jsonl


def test_bad_files_are_reported_and_good_ones_written(models, tmp_path):
    shots = tmp_path / "shots"
    write_shots(shots, count=4)
    (shots / "empty.png").write_bytes(b"")
    (shots / "text.png").write_text("not an image")
    good = (shots / "shot 000.png").read_bytes()
    (shots / "truncated.png").write_bytes(good[: len(good) // 2])
    out = tmp_path / "out"
    result = segment(shots, out, "-m", models["torch"], "--workers", 1, code=1)
    for name in ("empty.png", "text.png", "truncated.png"):
        assert sum(name in line and "failed:" in line for line in result.output.splitlines()) == 1
        assert not (out / name).exists()
    assert len(read_masks(out)) == 4
    run = json.loads((out / "run.json").read_text())
    assert sorted(f["path"] for f in run["failures"]) == ["empty.png", "text.png", "truncated.png"]
    statuses = {r["path"]: r["status"] for r in results(out)}
    assert list(statuses.values()).count("failed") == 3 and len(statuses) == 7
    assert not list(out.rglob("*.tmp"))


def test_shards_cover_every_file_exactly_once(models, shots, tmp_path):
    out = tmp_path / "out"
    done = []
    for i in range(3):
        segment(shots, out, "-m", models["onnx"], "--shard", f"{i}/3", "--workers", 0, "--json")
        run = json.loads((out / f"run.shard-{i}-of-3.json").read_text())
        done.append(run["totals"]["done"])
    assert sum(done) == 10 and max(done) - min(done) <= 1
    paths = [r["path"] for r in results(out)]
    assert len(paths) == len(set(paths)) == 10 and len(read_masks(out)) == 10


def test_shard_split_is_a_partition_and_follows_torchrun():
    from uiseg.infer.runner import resolve_shard, shard_items

    items = list(range(23))
    parts = [shard_items(items, i, 4) for i in range(4)]
    assert sorted(x for p in parts for x in p) == items
    assert resolve_shard((1, 2), {"WORLD_SIZE": "4", "RANK": "3", "LOCAL_RANK": "3"}) == (7, 8, 3)
    assert resolve_shard(None, {}) == (0, 1, None)


@pytest.mark.parametrize("args, words", [
    (["--device", "cuda"], "CUDA"),
    (["--precision", "fp16", "--device", "cpu"], "fp16"),
    (["--shard", "3/3"], "I counts from 0"),
    (["--size", "wide"], "WIDTHxHEIGHT"),
])
def test_usage_errors_exit_2(models, shots, tmp_path, args, words):
    import torch

    if args[:2] == ["--device", "cuda"] and torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    result = segment(shots, tmp_path / "out", "-m", models["onnx"], *args, code=2)
    assert words in result.output and "Traceback" not in result.output


def test_setup_problems_exit_2(models, shots, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    assert "no images found" in segment(empty, tmp_path / "o", "-m", models["torch"], code=2).output
    assert "inside INPUT" in segment(shots, shots / "out", "-m", models["torch"], code=2).output
    assert "does not exist" in segment(shots, tmp_path / "o", "-m", tmp_path / "nope.onnx", code=2).output
    assert not (shots / "out").exists()


def test_duplicate_stems_keep_their_extension(models, tmp_path):
    shots = tmp_path / "shots"
    write_shots(shots, count=1)
    Image.open(shots / "shot 000.png").save(shots / "shot 000.jpg")
    out = tmp_path / "out"
    segment(shots, out, "-m", models["torch"], "--workers", 0)
    assert sorted(read_masks(out)) == ["shot 000.jpg.png", "shot 000.png.png"]


def test_import_stays_light():
    code = "import sys, uiseg, uiseg.infer, uiseg.infer.backends; print('onnxruntime' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True).stdout.strip() == "False"


def needs_ort_cuda(backend: str) -> None:
    if backend == "onnx":
        import onnxruntime

        if "CUDAExecutionProvider" not in onnxruntime.get_available_providers():
            pytest.skip("onnxruntime here has no CUDA provider (install uiseg[gpu])")


def agreement(a: dict, b: dict) -> float:
    assert a.keys() == b.keys()
    return sum(int((a[k] == b[k]).sum()) for k in a) / sum(m.size for m in a.values())


@pytest.mark.gpu
@pytest.mark.parametrize("backend", ["torch", "torchscript", "onnx"])
def test_cuda_matches_cpu(models, shots, tmp_path, backend):
    needs_ort_cuda(backend)
    cpu, gpu = tmp_path / "cpu", tmp_path / "gpu"
    segment(shots, cpu, "-m", models[backend], "--device", "cpu", "--workers", 0)
    segment(shots, gpu, "-m", models[backend], "--device", "cuda", "--batch-size", 4, "--workers", 2, "--probs")
    assert agreement(read_masks(cpu), read_masks(gpu)) >= 0.999
    run = json.loads((gpu / "run.json").read_text())
    assert "cuda" in run["model"]["device"] and "CPUExecutionProvider" not in run["model"]["provider"]


@pytest.mark.gpu
@pytest.mark.parametrize("backend", ["torch", "torchscript", "onnx"])
def test_cuda_fp16_matches_fp32(models, shots, tmp_path, backend):
    needs_ort_cuda(backend)
    from uiseg.export import export_checkpoint

    model = models[backend]
    if backend == "onnx":
        export_checkpoint(models["torch"], tmp_path / "fp16", torchscript=False, fp16=True, verify=False)
        model = tmp_path / "fp16" / "model.onnx"
    full, half = tmp_path / "fp32", tmp_path / "fp16-out"
    segment(shots, full, "-m", model, "--device", "cuda", "--workers", 1)
    segment(shots, half, "-m", model, "--device", "cuda", "--precision", "fp16", "--workers", 1)
    assert agreement(read_masks(full), read_masks(half)) >= 0.99
    assert json.loads((half / "run.json").read_text())["model"]["precision"] == "fp16"
