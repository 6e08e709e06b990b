"""TorchScript export: trace, freeze, save with the metadata JSON in `_extra_files`.

Choices:
- trace, not script: the UNet's forward has no data-dependent control flow, and no op takes a size argument
  (conv, max-pool, transposed conv, cat), so the traced graph is shape-generic; verification runs it at shapes
  other than the trace shape to prove it. Scripting would have to compile the eager-only size check.
- `torch.jit.freeze`: weights become constants and BatchNorm folds into the convolutions (aten ops only).
- no `torch.jit.optimize_for_inference`: on a CPU build it rewrites convolutions into MKLDNN/prepacked ops, which
  bakes CPU-specific kernels into the file; the same `model.ts` must run on CUDA too. Freezing keeps it portable.
- always traced on CPU in fp32; `torch.jit.load(path, map_location="cuda")` moves the constants.
TorchScript is deprecated in torch >= 2.10 (FutureWarning on every call); the issue still asks for it, so those
warnings are silenced here, and only here.
"""

from __future__ import annotations

import contextlib
import copy
import io
import warnings
import zipfile
from pathlib import Path

from uiseg.export.artifact import TS_EXTRA_FILE, metadata_json


@contextlib.contextmanager
def quiet_jit():
    """Silence torch.jit's deprecation FutureWarnings (and nothing else)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=FutureWarning, message=r".*torch\.jit.*deprecated")
        yield


def to_torchscript(deploy, example):
    """Trace and freeze the DeployModel (eval mode, CPU) on `example` (N x 3 x H x W float32)."""
    import torch

    # A private copy: frozen constants can alias the module's tensors (e.g. a conv without BN to fold), so a
    # later in-place change to the caller's weights would otherwise leak into the exported graph.
    deploy = copy.deepcopy(deploy).to("cpu").eval()
    with torch.no_grad(), quiet_jit():
        traced = torch.jit.trace(deploy, (example,), check_trace=False)
        return torch.jit.freeze(traced.eval())


def serialize(module, meta: dict) -> bytes:
    """The .ts file's bytes, metadata included."""
    import torch

    buf = io.BytesIO()
    with quiet_jit():
        torch.jit.save(module, buf, _extra_files={TS_EXTRA_FILE: metadata_json(meta)})
    return buf.getvalue()


def payload_signature(data: bytes) -> dict[str, int]:
    """CRC of every archive member except the metadata and the per-save random id: two files with the same
    signature hold the same graph and weights, whatever metadata they carry."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {info.filename.split("/", 1)[-1]: info.CRC for info in archive.infolist()
                if "/extra/" not in info.filename and not info.filename.endswith("serialization_id")}


def load(path: str | Path, device: str = "cpu"):
    """torch.jit.load alone (no uiseg classes are needed to run the file)."""
    import torch

    with quiet_jit():
        return torch.jit.load(str(path), map_location=device).eval()
