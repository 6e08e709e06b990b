"""`uiseg benchmark`: every backend x precision x image size x batch size, timed and compared with eager fp32.

    from uiseg.bench import BenchOptions, run_benchmark
    report = run_benchmark("runs/demo/best.ckpt", options=BenchOptions(device="cpu", batch_sizes=(1, 4)))

A checkpoint is exported to a temporary folder first (uiseg.export, verification off: agreement is measured
here, row by row); an exported folder or file is used as it is. Each row loads the model through the same
backend modules `uiseg segment` uses (uiseg.infer.backends), so the table measures what users run. The reference
is eager PyTorch fp32 (TF32 off on CUDA) on the same device and the same inputs; it is always the first row.
Inputs are resolved in uiseg.bench.models, measuring lives in uiseg.bench.measure, tables/plot/gate in
uiseg.bench.report.
"""

from __future__ import annotations

import contextlib
import gc
import math
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from uiseg.bench.models import Models, resolve_models, short_reason
from uiseg.errors import UisegError

CPU_BATCHES = (1, 4)
GPU_BATCHES = (1, 8, 32, 128)
DEFAULT_SIZES = ((224, 256), (720, 1280))  # (H, W): the training size 256x224, and 720p screenshots
POOL_BYTES = {"cpu": 128 << 20, "cuda": 256 << 20}  # rotate through at least this much input per row
MAX_POOL, SCREENSHOTS = 16, 8  # batches in a pool; distinct synthetic screenshots per size (cycled)


@dataclass(frozen=True)
class Case:
    """One backend x precision: a group of rows, one per image size and batch size."""

    label: str
    backend: str  # torch | torchscript | onnx (the uiseg.infer.backends name)
    precision: str
    compile: bool = False


@dataclass
class BenchOptions:
    device: str = "auto"
    sizes: tuple = DEFAULT_SIZES  # (H, W) pairs
    batch_sizes: tuple | None = None  # None: CPU_BATCHES or GPU_BATCHES
    backends: tuple = ("torch", "torchscript", "onnx")
    precisions: tuple = ("fp32", "fp16")
    compile: bool = False  # add a torch.compile row
    warmup: int = 3  # at least 2: the first two warm-up passes are the parity batches
    repeats: int = 50
    min_repeats: int = 5
    budget_s: float = 5.0  # per row: stop timing after this long once min_repeats ran
    seed: int = 0
    cudnn_benchmark: bool = True


def plan(models: Models, cuda: bool, opts: BenchOptions) -> list[Case]:
    """The rows' backends, reference first. The reference (first fp32 source) is kept even when filtered out."""
    have = set(models.files) | set(models.failures)
    ort = "ORT CUDA" if cuda else "ORT CPU"
    cases = []
    if models.checkpoint:
        cases += [Case("torch eager", "torch", "fp32")] + ([Case("torch eager", "torch", "fp16")] if cuda else [])
        cases += [Case("torch.compile", "torch", "fp32", compile=True)] if opts.compile else []
    if "torchscript" in have:
        cases.append(Case("TorchScript", "torchscript", "fp32"))
    if "onnx" in have:
        cases.append(Case(ort, "onnx", "fp32"))
    if cuda and ("onnx-fp16" in have or "onnx" in have):
        cases.append(Case(ort, "onnx", "fp16"))  # without the fp16 file, the row says how to make it
    reference = next((c for c in cases if c.precision == "fp32" and not c.compile), None)
    if reference is None:
        raise UisegError(f"{models.source}: no fp32 model to compare against; pass the checkpoint, or the folder "
                         "`uiseg export` wrote (with model.onnx or model.ts)")
    chosen = [c for c in cases if c.backend in opts.backends and c.precision in opts.precisions]
    return [reference] + [c for c in chosen if c != reference]


def run_benchmark(model=None, *, random_model: bool = False, options: BenchOptions | None = None,
                  log=lambda line: None) -> dict:
    """Measure every planned row; returns the report (header facts, model, options, rows). Raises UisegError
    (SetupError for an unusable --device) for input that cannot be benchmarked at all."""
    import torch

    from uiseg.bench.results import header
    from uiseg.infer.backends import resolve_device

    opts = options or BenchOptions()
    device = resolve_device(opts.device)
    report = header(f"backends-{device.type}")  # machine facts (load average) before the run adds its own
    cuda = device.type == "cuda"
    batches = tuple(opts.batch_sizes or (GPU_BATCHES if cuda else CPU_BATCHES))
    with tempfile.TemporaryDirectory(prefix="uiseg-bench-") as tmp:
        models = resolve_models(model, random_model=random_model, workdir=Path(tmp), fp16=cuda, seed=opts.seed)
        cases = plan(models, cuda, opts)
        from uiseg.model import padded_size

        pad = models.contract.pad_multiple
        keys = [(*padded_size(h, w, pad), b) for h, w in opts.sizes for b in batches]
        inputs = _Inputs(device, opts.seed)
        refs: dict = {}
        rows = []
        with _cuda_math(device, opts.cudnn_benchmark):
            for i, case in enumerate(cases):
                rows += _run_case(case, models, device, keys, inputs, refs, opts, reference=i == 0, log=log)
        params = _parameters(models)  # while the temporary checkpoint of --random-model still exists
        del inputs, refs
        gc.collect()
        if cuda:
            torch.cuda.empty_cache()
    report.update(device=str(device), reference=f"{cases[0].label} {cases[0].precision} on {device}",
                  model={"source": models.source, "checkpoint": str(models.checkpoint or ""),
                         "contract": models.contract.to_dict(), "export_seconds": models.export_s,
                         "parameters": params},
                  options={**asdict(opts), "batch_sizes": list(batches)}, rows=rows)
    return report


def _parameters(models: Models) -> int | None:
    if not models.checkpoint:
        return None
    from uiseg.checkpoint import load_checkpoint
    from uiseg.model import count_parameters

    return count_parameters(load_checkpoint(models.checkpoint).unet)


@contextlib.contextmanager
def _cuda_math(device, cudnn_benchmark: bool):
    """CUDA: true fp32 convolutions (no TF32: "fp32" rows and the reference mean fp32), cuDNN autotuning on for
    fixed shapes. Restored afterwards; nothing is set at import."""
    import torch

    if device.type != "cuda":
        yield
        return
    with torch.backends.cudnn.flags(enabled=True, benchmark=cudnn_benchmark, allow_tf32=False):
        yield


class _Inputs:
    """Input pools per (H, W, batch), made once and shared by every row: [fresh uniform random, synthetic
    screenshots, more random...], on the device, float32 NCHW in [0, 1]."""

    def __init__(self, device, seed: int):
        self.device, self.seed, self.pools, self.shots = device, seed, {}, {}

    def get(self, h: int, w: int, b: int) -> list:
        import torch

        if (h, w, b) not in self.pools:
            gen = torch.Generator(self.device).manual_seed(self.seed * 7919 + h * 31 + w * 17 + b)
            rand = lambda: torch.rand(b, 3, h, w, device=self.device, generator=gen)
            shots = self.screenshots(h, w)
            shots = shots.repeat(math.ceil(b / len(shots)), 1, 1, 1)[:b].to(self.device)
            k = max(2, min(MAX_POOL, math.ceil(POOL_BYTES[self.device.type] / (b * 3 * h * w * 4))))
            first = rand()
            self.pools[h, w, b] = [first, shots] + [rand() for _ in range(k - 2)]
        return self.pools[h, w, b]

    def screenshots(self, h: int, w: int):
        """SCREENSHOTS renders of uiseg.synth at H x W (cropped from a 32 px render for tinier test sizes:
        the renderer's minimum), as a float batch in [0, 1]."""
        import numpy as np
        import torch

        from uiseg.synth import render

        if (h, w) not in self.shots:
            size = (max(h, 32), max(w, 32))
            imgs = [np.asarray(render(self.seed + i, size)[0].convert("RGB"))[:h, :w] for i in range(SCREENSHOTS)]
            self.shots[h, w] = torch.from_numpy(np.stack(imgs)).permute(0, 3, 1, 2).float().div(255.0)
        return self.shots[h, w]


def _load(case: Case, models: Models, device):
    """The predictor for a case through uiseg.infer.backends, and the file it loaded."""
    import torch

    from uiseg.infer.backends import load_predictor

    kind = {"torch": "torch", "torchscript": "torchscript", "onnx": "onnx"}[case.backend]
    if kind == "onnx" and case.precision == "fp16" and "onnx" not in models.failures and \
            ("onnx-fp16" in models.files or "onnx-fp16" in models.failures):
        kind = "onnx-fp16"  # else load model.onnx at fp16: the backend names the missing fp16 file
    path = models.checkpoint if kind == "torch" else models.files.get(kind)
    if path is None:
        raise UisegError(models.failures.get(kind, "no artifact for this backend"))
    pred = load_predictor(path, case.backend, str(device), case.precision)
    if case.compile:
        pred.model = torch.compile(pred.model)
        pred.provider += " + torch.compile"
    return pred, Path(path)


def _prepare(pred, pool: list) -> list:
    """The pool in the layout and dtype `pred` feeds its runtime, so timed passes copy nothing."""
    import torch

    if pred.name == "onnx":
        from uiseg.infer.backends.onnxruntime import TORCH_TYPES

        dtype = TORCH_TYPES[pred.in_type] if pred.device.type == "cuda" else torch.float32
        return [x.to(dtype).contiguous() for x in pool]
    half = pred.precision == "fp16" and getattr(pred, "fp16_mode", "half") == "half"
    return [x.to(dtype=torch.half if half else torch.float32, memory_format=torch.channels_last) for x in pool]


def _run_case(case, models, device, keys, inputs, refs, opts, *, reference: bool, log) -> list[dict]:
    import torch

    from uiseg.bench.measure import outside_torch_mb

    cuda = device.type == "cuda"
    base = {"backend": case.label, "engine": case.backend, "precision": case.precision, "reference": reference}
    try:
        outside = outside_torch_mb(device) if cuda else 0.0
        t0 = time.perf_counter()
        pred, path = _load(case, models, device)
        base.update(load_s=round(time.perf_counter() - t0, 3), provider=pred.provider, file=path.name,
                    artifact_mb=round(path.stat().st_size / 1e6, 3))
    except Exception as exc:  # noqa: BLE001 - the reason goes into every row of this backend
        reason = short_reason(exc)
        log(f"{case.label} {case.precision}: ❌ {reason}")
        return [_row(base, key, status="failed", reason=reason) for key in keys]
    rows = []
    for key in keys:
        try:
            row = _measure(pred, base, key, inputs, refs, opts, reference, outside)
        except Exception as exc:  # noqa: BLE001 - e.g. out of memory at the largest batch
            row = _row(base, key, status="failed", reason=short_reason(exc))
            gc.collect()
            if cuda:
                torch.cuda.empty_cache()
        rows.append(row)
        speed = f"{row['ms_img']:.2f} ms/img, {row['img_s']:.1f} img/s" if "img_s" in row else row["reason"]
        log(f"{case.label} {case.precision} {key[1]}x{key[0]} batch {key[2]}: {speed} [{row['status']}]")
    del pred
    gc.collect()
    if cuda:
        torch.cuda.empty_cache()
    return rows


def _row(base: dict, key: tuple, **fields) -> dict:
    h, w, b = key
    return {**base, "size": f"{w}x{h}", "height": h, "width": w, "batch": b, "status": "ok", "reason": "",
            **fields}


def _measure(pred, base, key, inputs, refs, opts, reference: bool, outside: float) -> dict:
    from uiseg.bench.measure import GpuPeak, PeakRSS, agreement, latency_stats, time_loop

    pool = _prepare(pred, inputs.get(*key))
    cuda = pred.device.type == "cuda"
    with GpuPeak(pred.device, outside) if cuda else PeakRSS() as memory:
        times, parity, first_s = time_loop(pred.predict, pool, warmup=opts.warmup, repeats=opts.repeats,
                                           min_repeats=opts.min_repeats, budget_s=opts.budget_s,
                                           device=pred.device)
    del pool
    row = _row(base, key, **latency_stats(times, key[2]), first_pass_s=round(first_s, 3),
               peak_mb=round(memory.peak_mb, 1), peak_kind="GPU" if cuda else "RSS")
    if reference:
        refs[key] = [p.float() for p in parity]
    if key not in refs:
        return {**row, "status": "differs", "reason": "no reference output to compare with (its row failed)"}
    row.update(agreement(refs[key], parity, pred.contract.threshold))
    return judge_row(row)


def judge_row(row: dict) -> dict:
    """Status from the export parity criteria: ok, or differs with the criterion that failed."""
    from uiseg.export.verify import FP16_MIN_AGREEMENT, FP32_MIN_AGREEMENT, judge

    tol, passed = judge(row, row["precision"])
    row["tolerance"] = tol
    if passed:
        return row
    minimum = FP16_MIN_AGREEMENT if row["precision"] == "fp16" else FP32_MIN_AGREEMENT
    why = []
    if tol is not None and not row["max_abs"] <= tol:
        why.append(f"max|Δ| {row['max_abs']:.2e} > {tol:.1e}")
    if not row["mask_agreement"] >= minimum:
        why.append(f"mask agreement {100 * row['mask_agreement']:.3f}% < {100 * minimum:g}%")
    return {**row, "status": "differs", "reason": "; ".join(why) or "non-finite output"}


__all__ = [
    "CPU_BATCHES",
    "DEFAULT_SIZES",
    "GPU_BATCHES",
    "BenchOptions",
    "Case",
    "judge_row",
    "plan",
    "resolve_models",
    "run_benchmark",
]
