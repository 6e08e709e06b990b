"""Parity: every exported file against eager PyTorch fp32 on CPU (the reference), on fresh random inputs at
shapes other than the export shape and on one real synthetic screenshot preprocessed by the contract.

Criteria (from the issue): fp32 logits max|d| <= 1e-4 * max(1, max|ref|) and mask agreement >= 99.99 %;
fp16 mask agreement >= 99.9 %. Masks are `sigmoid(logits) > threshold`, computed as `logits > logit(threshold)`.
"""

from __future__ import annotations

import contextlib
import math
from pathlib import Path

import numpy as np
from uiseg.export.artifact import INPUT_NAME, OUTPUT_NAME

from uiseg.errors import UisegError

FP32_REL_TOL = 1e-4
FP32_MIN_AGREEMENT = 0.9999
FP16_MIN_AGREEMENT = 0.999
DEFAULT_SHAPES = ((1, 224, 320), (3, 384, 640))   # (batch, H, W), rounded up to the pad multiple
SCREENSHOT_SIZE = (360, 640)                       # rendered, then resized/padded as the contract says
CRITERIA = {"fp32": {"max_abs": "<= 1e-4 * max(1, max|ref|)", "mask_agreement": f">= {FP32_MIN_AGREEMENT}"},
            "fp16": {"mask_agreement": f">= {FP16_MIN_AGREEMENT}"}}


class ParityError(UisegError):
    """Verification failed; `.report` holds every row (the CLI prints it as a table)."""

    def __init__(self, report: dict, what: str = "the artifacts were not written"):
        self.report = report
        bad = [r for r in report["rows"] if not r["passed"]]
        worst = ", ".join(sorted({f"{r['file']} ({r['backend']} {r['device']})" for r in bad}))
        super().__init__(f"parity check failed in {len(bad)} of {len(report['rows'])} comparisons against eager "
                         f"PyTorch: {worst}; {what}")


def compare(reference: np.ndarray, candidate: np.ndarray, threshold: float) -> dict:
    """max|d|, mean|d|, max|ref|, mask agreement and IoU of the UI masks (1.0 when both are empty)."""
    ref = np.asarray(reference, dtype=np.float64)
    cand = np.asarray(candidate, dtype=np.float64)
    if ref.shape != cand.shape:
        raise UisegError(f"output shape {cand.shape} differs from the reference {ref.shape}")
    diff = np.abs(ref - cand)
    diff[~np.isfinite(diff)] = np.inf  # NaN or inf in the candidate must fail, never compare as "equal"
    cut = _logit(threshold)
    m_ref, m_cand = ref > cut, cand > cut
    union = int(np.count_nonzero(m_ref | m_cand))
    return {
        "max_abs": float(diff.max()),
        "mean_abs": float(diff.mean()),
        "ref_max_abs": float(np.abs(ref).max()),
        "mask_agreement": float(np.mean(m_ref == m_cand)),
        "iou": float(np.count_nonzero(m_ref & m_cand) / union) if union else 1.0,
    }


def judge(stats: dict, precision: str) -> tuple[float | None, bool]:
    """(tolerance on max|d| or None, passed) under the criteria for `precision`."""
    finite = math.isfinite(stats["max_abs"])
    if precision == "fp16":
        return None, finite and stats["mask_agreement"] >= FP16_MIN_AGREEMENT
    tol = FP32_REL_TOL * max(1.0, stats["ref_max_abs"])
    return tol, finite and stats["max_abs"] <= tol and stats["mask_agreement"] >= FP32_MIN_AGREEMENT


def _logit(p: float) -> float:
    return -math.inf if p <= 0 else math.inf if p >= 1 else math.log(p / (1 - p))


def default_shapes(pad: int, export_hw: tuple[int, int], static: bool) -> list[tuple[int, int, int]]:
    """Batch 1 and 3 at two sizes that differ from the export size (static export: at its only size)."""
    if static:
        return [(1, *export_hw), (3, *export_hw)]
    shapes = []
    for b, h, w in DEFAULT_SHAPES:
        h, w = -(-h // pad) * pad, -(-w // pad) * pad
        shapes.append((b, h, w + pad if (h, w) == tuple(export_hw) else w))
    return shapes


def make_inputs(contract, shapes, seed: int, static_shape=None) -> tuple[list[tuple[str, np.ndarray]], str]:
    """Fresh uniform [0, 1] inputs at `shapes` plus one synthetic screenshot; returns (inputs, its source)."""
    rng = np.random.default_rng(seed)
    inputs = [(f"random {b}x3x{h}x{w}", rng.random((b, 3, h, w), dtype=np.float32)) for b, h, w in shapes]
    shot, source = screenshot_input(contract, seed, static_shape)
    inputs.append((f"screenshot 1x3x{shot.shape[2]}x{shot.shape[3]}", shot))
    return inputs, source


def screenshot_input(contract, seed: int, static_shape=None) -> tuple[np.ndarray, str]:
    """One synthetic screenshot through the contract's preprocessing (its size policy, or the static shape),
    then zero-pad bottom/right to the pad multiple; 1 x 3 x H x W float32 in [0, 1]."""
    import torch

    from uiseg.model import padded_size
    from uiseg.resize import hwc_to_chw, resize_image, size_policy

    render = _synth_render()
    if render is None:
        rgb, source = procedural_screenshot(seed, SCREENSHOT_SIZE), "procedural"
    else:
        rgb, source = np.array(render(seed, SCREENSHOT_SIZE)[0].convert("RGB")), "uiseg.synth"
    target = tuple(static_shape) if static_shape else size_policy("auto", contract).target(*rgb.shape[:2])
    chw = hwc_to_chw(resize_image(rgb, target))
    h, w = chw.shape[-2:]
    out = torch.zeros(1, 3, *padded_size(h, w, contract.pad_multiple))
    out[0, :, :h, :w] = chw.float() / 255.0
    return out.numpy(), source


def _synth_render():
    """uiseg.synth.render(seed, (H, W)) -> (PIL image, mask) when the generator is installed, else None."""
    try:
        from uiseg import synth

        render = getattr(synth, "render", None)
        if not callable(render):  # the package may not re-export the function from its module
            from uiseg.synth.render import render
    except ImportError:
        return None
    return render


def procedural_screenshot(seed: int, size: tuple[int, int]) -> np.ndarray:
    """A game-like frame: a noisy gradient scene with a dialog box, text lines, a HUD bar and a minimap."""
    rng = np.random.default_rng(seed)
    h, w = size
    y, x = np.mgrid[0:h, 0:w] / np.array([h, w]).reshape(2, 1, 1)
    scene = np.stack([0.2 + 0.5 * x, 0.3 + 0.4 * y, 0.5 + 0.3 * np.sin(6 * x + 3 * y)], axis=-1)
    img = np.clip(scene + rng.normal(0, 0.08, (h, w, 3)), 0, 1) * 255
    top, left = int(h * 0.62), int(w * 0.08)
    img[top:h - 8, left:w - left] = (20, 24, 60)                                   # dialog box
    img[top:top + 3, left:w - left] = img[h - 11:h - 8, left:w - left] = 230       # its border
    for row in range(top + 14, h - 20, 16):                                         # text lines
        img[row:row + 6, left + 12:left + 12 + int(rng.uniform(0.3, 0.8) * (w - 2 * left - 24))] = 240
    img[10:22, 10:int(w * 0.3)] = (200, 30, 30)                                      # HUD bar
    img[10:10 + h // 5, w - 10 - h // 5:w - 10] = (40, 120, 40)                      # minimap
    return img.astype(np.uint8)


@contextlib.contextmanager
def _fp32_math(device: str):
    """No TF32 on CUDA while verifying: fp32 parity is measured against true fp32 arithmetic."""
    import torch

    if not device.startswith("cuda"):
        yield
        return
    with torch.backends.cudnn.flags(enabled=True, allow_tf32=False):
        old, torch.backends.cuda.matmul.allow_tf32 = torch.backends.cuda.matmul.allow_tf32, False
        try:
            yield
        finally:
            torch.backends.cuda.matmul.allow_tf32 = old


def _torch_runner(module, device: str):
    import torch

    def run(x: np.ndarray) -> np.ndarray:
        with torch.no_grad(), _fp32_math(device):
            return module(torch.from_numpy(x).to(device)).float().cpu().numpy()
    return run


def _runners(entry: dict, device: str, notes: list[str]):
    """(backend, device, run) for one file: TorchScript on `device`; ONNX on CPU and also CUDA when asked."""
    from uiseg.export import onnx as onnx_export
    from uiseg.export import torchscript

    if entry["format"] == "torchscript":
        yield "torchscript", device, _torch_runner(torchscript.load(entry["path"], device), device)
        return
    for dev in ["cpu"] + ([device] if device.startswith("cuda") else []):
        sess, provider = onnx_export.session(entry["path"], dev)
        if sess is None:
            notes.append(provider)
            continue
        yield "onnxruntime", provider, (lambda x, s=sess: s.run([OUTPUT_NAME], {INPUT_NAME: x})[0])


def verify_files(deploy, contract, files: list[dict], *, shapes, seed: int = 0, device: str = "cpu",
                 static_shape=None) -> dict:
    """Run every file (dicts with file, path, format, precision) on every input; return the report."""
    import torch

    inputs, source = make_inputs(contract, shapes, seed, static_shape)
    reference = _torch_runner(deploy.to("cpu").eval(), "cpu")
    refs = [reference(x) for _, x in inputs]
    candidates, notes = [], []
    if device.startswith("cuda"):  # eager on the GPU too: tells exporter errors from device differences
        candidates.append(({"file": "-", "precision": "fp32"}, "eager", device,
                           _torch_runner(deploy.to(device), device)))
    for entry in files:
        candidates += [(entry, *r) for r in _runners(entry, device, notes)]
    rows = []
    for entry, backend, dev, run in candidates:
        for (name, x), ref in zip(inputs, refs):
            stats = compare(ref, run(x), contract.threshold)
            tol, passed = judge(stats, entry["precision"])
            rows.append({"file": entry["file"], "backend": backend, "device": dev, "precision": entry["precision"],
                         "input": name, **stats, "tolerance": tol, "passed": passed})
    deploy.to("cpu")
    return {"passed": all(r["passed"] for r in rows), "reference": "eager PyTorch fp32 on cpu",
            "device": device, "threshold": contract.threshold, "seed": seed, "criteria": CRITERIA,
            "inputs": [{"name": n, "shape": list(x.shape)} for n, x in inputs], "screenshot_source": source,
            "rows": rows, "notes": notes, "torch_version": torch.__version__}


def report_for(report: dict, file: str) -> dict:
    """The part of a report about one file: what goes into that file's metadata."""
    rows = [r for r in report["rows"] if r["file"] == file]
    return {**{k: v for k, v in report.items() if k != "rows"}, "rows": rows,
            "passed": all(r["passed"] for r in rows)}


def format_table(report: dict) -> str:
    """The report as a fixed-width table, one row per file, backend and input."""
    head = (f"{'file':<16} {'backend':<12} {'device':<6} {'input':<28} {'max|d|':>9} {'mean|d|':>9} "
            f"{'tol':>8} {'agree %':>9} {'IoU':>7}  ok")
    lines = [f"parity vs {report['reference']} (threshold {report['threshold']})", head, "-" * len(head)]
    for r in report["rows"]:
        tol = f"{r['tolerance']:.1e}" if r["tolerance"] is not None else "-"
        lines.append(f"{r['file']:<16} {r['backend']:<12} {r['device']:<6} {r['input']:<28} {r['max_abs']:>9.2e} "
                     f"{r['mean_abs']:>9.2e} {tol:>8} {100 * r['mask_agreement']:>9.4f} {r['iou']:>7.4f}  "
                     f"{'ok' if r['passed'] else 'FAIL'}")
    lines += [f"note: {n}" for n in report.get("notes", [])]
    lines.append(f"parity: {'PASSED' if report['passed'] else 'FAILED'}")
    return "\n".join(lines)


def verify_export(out_dir: str | Path, checkpoint: str | Path | None = None, *, device: str = "cpu") -> dict:
    """Re-verify the files an earlier export listed in out_dir/export.json against the checkpoint (the one the
    manifest names unless given). Raises ParityError when a file no longer matches eager PyTorch."""
    from uiseg.export.artifact import read_manifest, read_metadata

    from uiseg.checkpoint import load_checkpoint, sha256_file
    from uiseg.model import DeployModel

    out_dir = Path(out_dir)
    manifest = read_manifest(out_dir)
    loaded = load_checkpoint(checkpoint or manifest["checkpoint"]["path"])
    files, changed = [], []
    for name, info in sorted(manifest["files"].items()):
        path = out_dir / name
        read_metadata(path)
        if sha256_file(path) != info.get("sha256"):
            changed.append(name)
        files.append({"file": name, "path": path, "format": info["format"], "precision": info["precision"]})
    inputs = manifest.get("parity", {}).get("inputs") or []
    shapes = [tuple(i["shape"][:1] + i["shape"][2:]) for i in inputs if i["name"].startswith("random")]
    static = manifest.get("static_shape")
    export_hw = tuple(manifest["export_shape"][2:])
    report = verify_files(DeployModel(loaded.unet, loaded.contract), loaded.contract, files,
                          shapes=shapes or default_shapes(loaded.contract.pad_multiple, export_hw, bool(static)),
                          device=device, static_shape=static)
    report["notes"] += [f"{name}: sha256 differs from export.json (changed since export)" for name in changed]
    if loaded.sha256 != manifest["checkpoint"].get("sha256"):
        report["notes"].append("the checkpoint's sha256 differs from the one exported")
    if not report["passed"]:
        raise ParityError(report, "the files in export.json no longer match the checkpoint")
    return report
