"""`uiseg doctor`: what this machine can run, and how to fix what it cannot.

Each check imports its package lazily and never raises: a broken install is a finding, not a crash.
"""

from __future__ import annotations

import importlib
import importlib.metadata as md
import platform
import shutil
import sys
from pathlib import Path


def _version(dist: str) -> str | None:
    try:
        return md.version(dist)
    except md.PackageNotFoundError:
        return None


def _torch_facts() -> dict:
    try:
        import torch
    except Exception as exc:  # noqa: BLE001 - any import failure is reported, not raised
        return {"torch": None, "torch_error": str(exc)}
    facts = {"torch": torch.__version__, "torch_cuda_build": torch.version.cuda,
             "cuda_available": torch.cuda.is_available()}
    if facts["cuda_available"]:
        facts["cuda_devices"] = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
    return facts


def _tiny_onnx() -> bytes:
    """A one-node Identity model, used to prove a provider really creates a session."""
    from onnx import TensorProto, helper

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])
    graph = helper.make_graph([helper.make_node("Identity", ["x"], ["y"])], "probe", [x], [y])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    return model.SerializeToString()


def _ort_facts(cuda_available: bool) -> dict:
    dists = [d for d in ("onnxruntime", "onnxruntime-gpu") if _version(d)]
    facts: dict = {"onnxruntime_dists": {d: _version(d) for d in dists}}
    try:
        ort = importlib.import_module("onnxruntime")
    except Exception as exc:  # noqa: BLE001
        facts["onnxruntime_error"] = str(exc)
        return facts
    facts["onnxruntime"] = ort.__version__
    facts["ort_providers"] = ort.get_available_providers()
    if "CUDAExecutionProvider" in facts["ort_providers"]:
        facts["ort_cuda_loads"], facts["ort_cuda_error"] = _probe_ort_cuda(ort, cuda_available)
    return facts


def _probe_ort_cuda(ort, cuda_available: bool) -> tuple[bool, str | None]:
    if not cuda_available:
        return False, "no CUDA device visible to torch"
    try:
        import torch  # noqa: F401 - loads the CUDA libraries ORT links against

        opts = ort.SessionOptions()
        opts.add_session_config_entry("session.disable_cpu_ep_fallback", "1")
        sess = ort.InferenceSession(_tiny_onnx(), opts, providers=["CUDAExecutionProvider"])
        ok = "CUDAExecutionProvider" in sess.get_providers()
        return ok, None if ok else "session fell back to another provider"
    except Exception as exc:  # noqa: BLE001
        return False, str(exc).splitlines()[0][:200]


def _default_model_facts() -> dict:
    """The shipped model: where it is, its sha256 and the held-out IoU its card reports (or why it is missing)."""
    from uiseg.errors import UisegError
    from uiseg.models import default_card, default_model

    try:
        path = default_model()
    except UisegError as exc:
        return {"default_model": f"missing: {exc}"}
    card = default_card()
    mean = (card.get("scores_on_held_out") or {}).get("mean_iou")
    return {"default_model": str(path), "default_model_sha256": card.get("sha256"),
            "default_model_held_out_iou": mean}


def gather(out_dir: str | Path = ".") -> dict:
    """Collect machine facts as a JSON-ready dict."""
    facts = {"python": platform.python_version(), "platform": platform.platform(),
             "executable": sys.executable, "uiseg": _version("uiseg")}
    facts.update(_torch_facts())
    for dist in ("torchvision", "pytorch-lightning", "torchmetrics", "onnx", "onnxscript", "onnxslim"):
        facts[dist] = _version(dist)
    facts.update(_ort_facts(bool(facts.get("cuda_available"))))
    target = Path(out_dir)
    while not target.exists() and target != target.parent:
        target = target.parent
    facts.update(_default_model_facts())
    facts["disk_free_gb"] = round(shutil.disk_usage(target).free / 1e9, 1)
    facts["disk_checked_at"] = str(target.resolve())
    facts["verdicts"] = verdicts(facts)
    return facts


def verdicts(f: dict) -> dict[str, str]:
    """One line per backend: 'ready' or what is missing and how to fix it."""
    out: dict[str, str] = {}
    if not f.get("torch"):
        fix = "missing torch: pip install torch torchvision (see README)"
        return {k: fix for k in ("torch-cpu", "torch-cuda", "torchscript", "onnxruntime-cpu", "onnxruntime-cuda")}
    out["torch-cpu"] = "ready"
    out["torchscript"] = "ready"
    if f.get("cuda_available"):
        out["torch-cuda"] = "ready"
    elif f.get("torch_cuda_build"):
        out["torch-cuda"] = "no CUDA device visible (driver missing or CUDA_VISIBLE_DEVICES empty)"
    else:
        out["torch-cuda"] = "torch is a CPU-only build: install a CUDA build of torch"
    dists = f.get("onnxruntime_dists", {})
    if len(dists) > 1:
        both = ("onnxruntime and onnxruntime-gpu are both installed: uninstall both, "
                "then install uiseg[gpu] (or uiseg[cpu] without a GPU)")
        out["onnxruntime-cpu"] = out["onnxruntime-cuda"] = both
        return out
    if not f.get("onnxruntime"):
        err = f.get("onnxruntime_error", "not installed")
        msg = f"onnxruntime unusable ({err}): pip install 'uiseg[cpu]' or 'uiseg[gpu]'"
        out["onnxruntime-cpu"] = out["onnxruntime-cuda"] = msg
        return out
    out["onnxruntime-cpu"] = "ready"
    if "CUDAExecutionProvider" not in f.get("ort_providers", []):
        out["onnxruntime-cuda"] = "onnxruntime has no CUDA provider: pip uninstall onnxruntime; pip install 'uiseg[gpu]'"
    elif f.get("ort_cuda_loads"):
        out["onnxruntime-cuda"] = "ready"
    else:
        out["onnxruntime-cuda"] = (f"CUDA provider present but does not load ({f.get('ort_cuda_error')}): "
                                   "match onnxruntime-gpu's CUDA/cuDNN major version to torch's")
    return out


def format_text(f: dict) -> str:
    keys = ["python", "platform", "uiseg", "torch", "torch_cuda_build", "cuda_available", "cuda_devices",
            "torchvision", "pytorch-lightning", "torchmetrics", "onnx", "onnxscript", "onnxslim",
            "onnxruntime", "onnxruntime_dists", "ort_providers", "default_model", "default_model_sha256",
            "default_model_held_out_iou", "disk_free_gb", "disk_checked_at"]
    lines = [f"{k:18} {f[k]}" for k in keys if k in f]
    lines.append("")
    lines += [f"{name:18} {verdict}" for name, verdict in f["verdicts"].items()]
    return "\n".join(lines)
