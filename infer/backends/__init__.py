"""One small protocol in front of every runtime, and the factory that picks one.

A backend module (torch.py, torchscript.py, onnxruntime.py) is imported only when chosen, so `import uiseg`
and `import uiseg.infer` never import onnxruntime. Every backend takes the same input (float32 N x 3 x H x W
RGB in [0, 1], H and W multiples of the contract's `pad_multiple`) and returns float32 logits N x C x H x W
on its device: preprocessing is the contract's job, not the backend's.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from uiseg.infer import SetupError

from uiseg.config import Contract

if TYPE_CHECKING:
    import torch

# backend name -> module; file suffix -> backend name for --backend auto
BACKENDS = {"torch": "uiseg.infer.backends.torch", "torchscript": "uiseg.infer.backends.torchscript",
            "onnx": "uiseg.infer.backends.onnxruntime"}
SUFFIXES = {".ckpt": "torch", ".pt": "torch", ".pth": "torch", ".ts": "torchscript", ".onnx": "onnx"}
PRECISIONS = ("fp32", "fp16")


@runtime_checkable
class Predictor(Protocol):
    """What the pipeline needs from a runtime.

    name: "torch" | "torchscript" | "onnx"; provider: what really runs the graph (e.g. "CPUExecutionProvider",
    "cuda:0 (NVIDIA H100 80GB HBM3)"); device: where `predict` wants its input (a CPU tensor is accepted too);
    precision: "fp32" | "fp16" as actually run.
    """

    name: str
    path: Path
    contract: Contract
    device: torch.device
    provider: str
    precision: str
    sha256: str
    metadata: dict

    def predict(self, batch: torch.Tensor) -> torch.Tensor: ...


@dataclass
class PredictorInfo:
    """The attributes every backend shares; backends inherit it and add `predict`."""

    name: str
    path: Path
    contract: Contract
    device: Any
    provider: str
    precision: str
    sha256: str
    metadata: dict = field(default_factory=dict)
    torch_computes: bool = True  # False: the model runs on another runtime's threads (the loop then keeps
    # torch to one thread on a CPU, so torch's OpenMP team does not compete with them)

    def describe(self) -> dict:
        """JSON-ready facts for run.json: what was asked for is in the arguments, this is what ran."""
        return {"backend": self.name, "model": str(self.path), "sha256": self.sha256, "device": str(self.device),
                "provider": self.provider, "precision": self.precision, "metadata": self.metadata}


KINDS = {"torch": "a checkpoint", "torchscript": "a TorchScript file", "onnx": "an ONNX model"}


def sniff_format(path: str | Path) -> str | None:
    """The backend a file's first bytes call for, when they are unmistakable: a torch.save archive or legacy
    pickle (torch), a zip with TorchScript code (torchscript), an ONNX ModelProto (onnx); else None."""
    import zipfile

    try:
        with open(path, "rb") as fh:
            head = fh.read(4)
        if head.startswith(b"PK\x03\x04"):
            with zipfile.ZipFile(path) as archive:
                names = archive.namelist()
            if any("/code/" in n for n in names):
                return "torchscript"
            return "torch" if any(n.endswith("data.pkl") for n in names) else None
    except (OSError, zipfile.BadZipFile, EOFError):
        return None
    if head[:1] == b"\x80":  # pickle protocol >= 2: torch's legacy format
        return "torch"
    return "onnx" if head[:1] == b"\x08" else None  # ModelProto starts with field 1 (ir_version), a varint


def resolve_backend(model: str | Path, backend: str = "auto") -> str:
    """The backend name for --backend (auto: from the model file's suffix). A file whose bytes say it is
    another kind is refused by name (an .onnx given to the torch backend would otherwise read as a pickle)."""
    if backend != "auto":
        if backend not in BACKENDS:
            raise SetupError(f"unknown backend {backend!r}; choose one of auto, {', '.join(BACKENDS)}")
        name = backend
    else:
        suffix = Path(model).suffix.lower()
        if suffix not in SUFFIXES:
            raise SetupError(f"{model}: cannot tell the backend from the suffix {suffix!r}; pass a .ckpt, .ts "
                             "or .onnx file, or name one with --backend torch|torchscript|onnx")
        name = SUFFIXES[suffix]
    found = sniff_format(model)
    if found is not None and found != name:
        fix = "leave --backend auto" if backend != "auto" and SUFFIXES.get(Path(model).suffix.lower()) == found \
            else f"pass --backend {found}"
        raise SetupError(f"{model} is {KINDS[found]}, not {KINDS[name]} (what the {name} backend loads); {fix}")
    return name


def cuda_unavailable_reason() -> str | None:
    """None when torch sees a CUDA device, else what is missing, phrased as the fix."""
    import torch

    if torch.cuda.is_available():
        return None
    if torch.version.cuda is None:
        return f"this torch {torch.__version__} is a CPU-only build; install a CUDA build of torch"
    return (f"torch {torch.__version__} (CUDA {torch.version.cuda}) sees no GPU: no NVIDIA driver or device, "
            "or CUDA_VISIBLE_DEVICES hides it")


def resolve_device(spec: str = "auto", local_rank: int | None = None) -> torch.device:
    """'auto' | 'cpu' | 'cuda' | 'cuda:N' -> torch.device. CUDA asked for but unusable is a SetupError:
    never a silent fall-back to the CPU. Under torchrun, a bare 'cuda' means cuda:LOCAL_RANK."""
    import torch

    spec = spec.strip().lower()
    if spec == "cpu":
        return torch.device("cpu")
    if spec == "auto":
        spec = "cuda" if torch.cuda.is_available() else "cpu"
        if spec == "cpu":
            return torch.device("cpu")
    if not spec.startswith("cuda"):
        raise SetupError(f"unknown device {spec!r}; use auto, cpu, cuda or cuda:N")
    reason = cuda_unavailable_reason()
    if reason:
        raise SetupError(f"--device {spec} asked for CUDA, but {reason}; or run on the CPU with --device cpu")
    try:
        device = torch.device(spec)
    except RuntimeError:
        raise SetupError(f"unknown device {spec!r}; use auto, cpu, cuda or cuda:N") from None
    if device.index is None:
        device = torch.device("cuda", local_rank or 0)
    if device.index >= torch.cuda.device_count():
        raise SetupError(f"{device} does not exist: this machine has {torch.cuda.device_count()} CUDA device(s)")
    return device


def check_precision(precision: str, device: torch.device) -> None:
    if precision not in PRECISIONS:
        raise SetupError(f"unknown precision {precision!r}; use fp32 or fp16")
    if precision == "fp16" and device.type != "cuda":
        raise SetupError("--precision fp16 needs a CUDA device (on a CPU it is slower, not faster); "
                         "use --precision fp32 or --device cuda")


def device_label(device: torch.device) -> str:
    """'cpu' or 'cuda:0 (NVIDIA H100 80GB HBM3)': the provider string of the torch backends."""
    import torch

    if device.type == "cuda":
        return f"{device} ({torch.cuda.get_device_name(device)})"
    return f"cpu ({torch.get_num_threads()} threads)"


def load_predictor(model: str | Path, backend: str = "auto", device: str = "auto", precision: str = "fp32",
                   local_rank: int | None = None) -> Predictor:
    """Load MODEL through the chosen runtime on the chosen device. Raises SetupError for arguments that cannot
    work here (missing file, CUDA unusable, fp16 on CPU) and UisegError for a file that is not a valid model."""
    path = Path(model)
    if not path.is_file():
        raise SetupError(f"{path}: model not found; pass a checkpoint (.ckpt) or an artifact from "
                         "`uiseg export` (.ts, .onnx)")
    name = resolve_backend(path, backend)
    torch_device = resolve_device(device, local_rank)
    check_precision(precision, torch_device)
    if torch_device.type == "cuda":
        import torch

        torch.cuda.set_device(torch_device)  # pinned buffers, streams and events then belong to this GPU
    module = importlib.import_module(BACKENDS[name])
    return module.load(path, torch_device, precision)


__all__ = [
    "BACKENDS",
    "PRECISIONS",
    "SUFFIXES",
    "Predictor",
    "PredictorInfo",
    "check_precision",
    "cuda_unavailable_reason",
    "device_label",
    "load_predictor",
    "resolve_backend",
    "resolve_device",
]
