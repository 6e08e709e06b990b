"""ONNX Runtime backend: CPU provider, or CUDA provider with IO binding on torch device tensors.

CUDA is never a silent fall-back: the session is created with only the CUDA provider and
`session.disable_cpu_ep_fallback=1`, and `get_providers()` is checked afterwards (onnxruntime lists the CUDA
provider as available even when its libraries fail to load, then quietly runs on the CPU).
"""

from __future__ import annotations

import importlib.metadata as md
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from uiseg.infer import SetupError
from uiseg.infer.backends import PredictorInfo
from uiseg.infer.backends.torchscript import read_contract

from uiseg.checkpoint import sha256_file
from uiseg.errors import UisegError

INPUT_NAME, OUTPUT_NAME = "image", "logits"
ORT_TYPES = {"tensor(float)": np.float32, "tensor(float16)": np.float16}
TORCH_TYPES = {np.float32: torch.float32, np.float16: torch.float16}
CUDA_EP, CPU_EP = "CUDAExecutionProvider", "CPUExecutionProvider"


@dataclass
class OrtPredictor(PredictorInfo):
    session: Any = None
    in_type: Any = np.float32
    out_type: Any = np.float32
    num_classes: int = 1
    stream: Any = None  # the torch.cuda.Stream the CUDA provider computes on (user_compute_stream)
    torch_computes: bool = False

    def predict(self, batch: torch.Tensor) -> torch.Tensor:
        if self.device.type == "cuda":
            return self._predict_cuda(batch)
        x = np.ascontiguousarray(batch.detach().cpu().numpy(), dtype=self.in_type)
        (logits,) = self.session.run([OUTPUT_NAME], {INPUT_NAME: x})
        return torch.from_numpy(logits).float()

    def _predict_cuda(self, batch: torch.Tensor) -> torch.Tensor:
        """IO binding on device tensors: no host round trip. ORT computes on its own stream, ordered after the
        stream that produced the input and before the stream that consumes the output."""
        dev, current = self.device, torch.cuda.current_stream(self.device)
        x = batch.to(dev, non_blocking=True).to(TORCH_TYPES[self.in_type]).contiguous()
        out = torch.empty((x.shape[0], self.num_classes, x.shape[2], x.shape[3]),
                          dtype=TORCH_TYPES[self.out_type], device=dev)
        self.stream.wait_stream(current)
        binding = self.session.io_binding()
        binding.bind_input(INPUT_NAME, "cuda", dev.index, self.in_type, tuple(x.shape), x.data_ptr())
        binding.bind_output(OUTPUT_NAME, "cuda", dev.index, self.out_type, tuple(out.shape), out.data_ptr())
        self.session.run_with_iobinding(binding)
        x.record_stream(self.stream)  # the caching allocator must not reuse these before ORT is done
        out.record_stream(self.stream)
        current.wait_stream(self.stream)
        return out.float()


def pick_file(path: Path, precision: str) -> Path:
    """fp16 runs the fp16 artifact written beside the fp32 one (model.onnx -> model.fp16.onnx)."""
    if precision == "fp16" and not path.name.endswith(".fp16.onnx"):
        twin = path.with_name(path.name[: -len(".onnx")] + ".fp16.onnx")
        if not twin.is_file():
            raise SetupError(f"{path}: --precision fp16 needs the fp16 artifact {twin.name} beside it; export "
                             "it with `uiseg export --fp16`, or use --precision fp32")
        return twin
    return path


def check_precision(path: Path, metadata: dict, precision: str) -> None:
    """The graph's own precision (from its metadata) must be the one asked for: no silent switch."""
    actual = metadata.get("precision", "fp32")
    if actual != precision:
        raise SetupError(f"{path} is an {actual} graph but --precision is {precision}: pass --precision {actual}"
                         f"{' (CUDA only)' if actual == 'fp16' else ''}, or the {precision} artifact")


def ort_cuda_fix() -> str:
    """How to get a working CUDA provider, given which onnxruntime packages are installed."""
    dists = [d for d in ("onnxruntime", "onnxruntime-gpu") if _installed(d)]
    if len(dists) == 2:
        return "onnxruntime and onnxruntime-gpu are both installed: uninstall both, then install uiseg[gpu]"
    if dists == ["onnxruntime"]:
        return "the CPU-only onnxruntime package is installed: uninstall it, then install uiseg[gpu]"
    return "install uiseg[gpu] (onnxruntime-gpu) built for this CUDA version; `uiseg doctor` shows the details"


def _installed(dist: str) -> bool:
    try:
        md.version(dist)
        return True
    except md.PackageNotFoundError:
        return False


def _session(ort, path: Path, providers: list, strict: bool):
    options = ort.SessionOptions()
    if CUDA_EP not in str(providers):
        # The CPU provider's threads share the cores with our decode workers and writer threads: spinning
        # between ops steals the time they need (measured faster end to end on a shared 2-core box).
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    if strict:
        options.add_session_config_entry("session.disable_cpu_ep_fallback", "1")
    return ort.InferenceSession(str(path), options, providers=providers)


def cuda_session(ort, path: Path, device: torch.device, stream) -> tuple[Any, str]:
    """A CUDA-provider session, or a SetupError naming what is missing. Returns (session, provider label)."""
    if CUDA_EP not in ort.get_available_providers():
        raise SetupError(f"onnxruntime {ort.__version__} has no CUDA provider ({ort_cuda_fix()}); "
                         "or run on the CPU with --device cpu")
    options = {"device_id": str(device.index), "user_compute_stream": str(stream.cuda_stream),
               "prefer_nhwc": "1"}  # NHWC convolutions: the fast path for fp16 on tensor cores
    label, session = CUDA_EP, None
    for attempt in range(3):
        try:
            session = _session(ort, path, [(CUDA_EP, options)], strict=label == CUDA_EP)
            break
        except Exception as exc:  # noqa: BLE001 - onnxruntime raises several unrelated types here
            text = str(exc)
            if "prefer_nhwc" in text and "prefer_nhwc" in options:
                options.pop("prefer_nhwc")  # a build without NHWC kernels: plain NCHW is still CUDA
            elif "assigned to the default CPU EP" in text and label == CUDA_EP:
                label = f"{CUDA_EP} (shape nodes on CPU)"  # tiny shape ops on the CPU are by design
            else:
                raise SetupError(f"{path}: the onnxruntime CUDA provider failed to start "
                                 f"({text.strip().splitlines()[0][:200]}); {ort_cuda_fix()}") from None
    if session is None or session.get_providers()[0] != CUDA_EP:
        raise SetupError(f"{path}: onnxruntime fell back to {session and session.get_providers()} instead of "
                         f"CUDA; {ort_cuda_fix()}")
    return session, f"{label} on {device}"


def check_io(session, path: Path) -> tuple[Any, Any, int]:
    """The graph must take `image` (N x 3 x H x W float) and give `logits`: anything else is refused."""
    inputs, outputs = session.get_inputs(), session.get_outputs()
    names = [i.name for i in inputs], [o.name for o in outputs]
    if names[0] != [INPUT_NAME] or OUTPUT_NAME not in names[1] or len(inputs[0].shape) != 4:
        raise UisegError(f"{path}: expected one input '{INPUT_NAME}' (N x 3 x H x W) and an output "
                         f"'{OUTPUT_NAME}'; this graph has inputs {names[0]} and outputs {names[1]}; "
                         "re-export it with `uiseg export`")
    out = outputs[names[1].index(OUTPUT_NAME)]
    if inputs[0].type not in ORT_TYPES or out.type not in ORT_TYPES:
        raise UisegError(f"{path}: input type {inputs[0].type} / output type {out.type} are not float; "
                         "re-export it with `uiseg export`")
    classes = out.shape[1] if len(out.shape) == 4 and isinstance(out.shape[1], int) else 1
    return ORT_TYPES[inputs[0].type], ORT_TYPES[out.type], classes


def load(path: Path, device: torch.device, precision: str) -> OrtPredictor:
    import onnxruntime as ort

    path = pick_file(path, precision)
    contract, metadata = read_contract(path)
    check_precision(path, metadata, precision)
    stream = torch.cuda.Stream(device) if device.type == "cuda" else None
    try:
        if device.type == "cuda":
            session, provider = cuda_session(ort, path, device, stream)
        else:
            session, provider = _session(ort, path, [CPU_EP], strict=False), CPU_EP
    except SetupError:
        raise
    except Exception as exc:  # noqa: BLE001 - InvalidProtobuf, Fail, InvalidGraph...
        first = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
        raise UisegError(f"{path}: not a loadable ONNX model ({first}); re-export it with `uiseg export`") from None
    in_type, out_type, classes = check_io(session, path)
    return OrtPredictor(name="onnx", path=path, contract=contract, device=device, provider=provider,
                        precision=precision, sha256=sha256_file(path), metadata=metadata, session=session,
                        in_type=in_type, out_type=out_type, num_classes=classes, stream=stream)
