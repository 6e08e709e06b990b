"""Artifact metadata (the contract every exported file carries) and the export manifest (export.json).

Metadata is one JSON document, stored
- in ONNX files as `metadata_props["uiseg"]`, plus one prop per contract key so tools like Netron show them;
- in TorchScript files as the extra file `uiseg.json` (`torch.jit.save(..., _extra_files=...)`).
It is always parsed with `json.loads` and validated, never evaluated. Reading it needs neither torch nor
onnxruntime: TorchScript files are zip archives, read here with `zipfile`, so no model code is loaded.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import zipfile
from dataclasses import asdict
from pathlib import Path
from typing import Any

from uiseg import __version__
from uiseg.config import Contract, ModelConfig, from_dict, load_contract
from uiseg.errors import UisegError

FORMAT_VERSION = 1
METADATA_KEY = "uiseg"          # ONNX metadata_props key holding the full JSON
TS_EXTRA_FILE = "uiseg.json"    # TorchScript _extra_files name
MANIFEST_NAME = "export.json"
INPUT_NAME, OUTPUT_NAME = "image", "logits"
REQUIRED_KEYS = ("format_version", "uiseg_version", "contract", "model", "opset", "torch_version",
                 "checkpoint_sha256", "parity")
_REEXPORT = "re-export it with `uiseg export CKPT`"


def build_metadata(*, contract: Contract, model: ModelConfig, fmt: str, precision: str, opset: int | None,
                   checkpoint_sha256: str, static_shape: tuple[int, int] | None, parity: dict) -> dict:
    """The metadata dict embedded in one artifact. `parity` is that file's own verification rows."""
    import torch

    height, width = static_shape if static_shape else ("height", "width")
    return {
        "format_version": FORMAT_VERSION,
        "uiseg_version": __version__,
        "format": fmt,
        "precision": precision,
        # Inputs and outputs stay float32 in every artifact (the fp16 ONNX casts inside the graph).
        "input": {"name": INPUT_NAME, "dtype": "float32", "layout": "NCHW", "range": [0.0, 1.0],
                  "shape": ["batch", model.in_channels, height, width]},
        "output": {"name": OUTPUT_NAME, "dtype": "float32", "kind": "logits",
                   "shape": ["batch", model.num_classes, height, width]},
        "static_shape": list(static_shape) if static_shape else None,
        "contract": contract.to_dict(),
        "model": asdict(model),
        "opset": opset,
        "torch_version": torch.__version__,
        "checkpoint_sha256": checkpoint_sha256,
        "parity": parity,
    }


def metadata_json(meta: dict) -> str:
    return json.dumps(meta, sort_keys=True, separators=(",", ":"))


def onnx_metadata_props(meta: dict) -> dict[str, str]:
    """metadata_props for ONNX: the full JSON under "uiseg" plus every contract key on its own."""
    props = {METADATA_KEY: metadata_json(meta), "uiseg.format_version": str(meta["format_version"])}
    for key, value in meta["contract"].items():
        props[key] = value if isinstance(value, str) else json.dumps(value)
    return props


def read_metadata(path: str | Path) -> dict:
    """Read and validate the uiseg metadata of a .ts or .onnx file; UisegError names the file and the fix."""
    path = Path(path)
    if not path.is_file():
        raise UisegError(f"{path}: model file not found")
    suffix = path.suffix.lower()
    if suffix == ".onnx":
        text = _onnx_metadata_text(path)
    elif suffix in (".ts", ".pt", ".pth", ".jit"):
        text = _torchscript_metadata_text(path)
    else:
        raise UisegError(f"{path}: unknown model type {suffix!r}; expected a .ts (TorchScript) or .onnx file")
    return validate_metadata(_parse_json(text, path), path)


def contract_of(path: str | Path) -> Contract:
    """The preprocessing contract an exported file carries."""
    return load_contract(read_metadata(path)["contract"], path)


def _parse_json(text: str | None, path: Path) -> Any:
    if text is None:
        raise UisegError(f"{path}: no uiseg metadata (not written by `uiseg export`); {_REEXPORT}")
    try:
        return json.loads(text)
    except ValueError as exc:
        raise UisegError(f"{path}: broken uiseg metadata (invalid JSON: {exc}); {_REEXPORT}") from None


def validate_metadata(meta: Any, path: Path | str) -> dict:
    """Check the keys and types a consumer relies on; return the metadata unchanged."""
    if not isinstance(meta, dict):
        raise UisegError(f"{path}: broken uiseg metadata (not a JSON object); {_REEXPORT}")
    missing = [k for k in REQUIRED_KEYS if k not in meta]
    if missing:
        raise UisegError(f"{path}: broken uiseg metadata (missing {', '.join(missing)}); {_REEXPORT}")
    version = meta["format_version"]
    if not isinstance(version, int) or version < 1:
        raise UisegError(f"{path}: broken uiseg metadata (format_version={version!r}); {_REEXPORT}")
    if version > FORMAT_VERSION:
        raise UisegError(f"{path}: written by a newer uiseg (metadata format {version}, this uiseg reads "
                         f"up to {FORMAT_VERSION}); upgrade uiseg")
    load_contract(meta["contract"], path)
    try:
        from_dict(ModelConfig, meta["model"])
    except (UisegError, TypeError) as exc:
        raise UisegError(f"{path}: broken uiseg metadata ({exc}); {_REEXPORT}") from None
    return meta


def _onnx_metadata_text(path: Path) -> str | None:
    import onnx
    from google.protobuf.message import DecodeError

    try:
        model = onnx.load(str(path), load_external_data=False)
    except (DecodeError, ValueError, RuntimeError, OSError, UnicodeDecodeError) as exc:
        raise UisegError(f"{path}: not a readable ONNX model, truncated or corrupt "
                         f"({type(exc).__name__}); re-copy it or {_REEXPORT}") from None
    graph = model.graph
    initializers = {t.name for t in graph.initializer}
    inputs = [i.name for i in graph.input if i.name not in initializers]
    if not graph.node or not inputs or not graph.output:
        raise UisegError(f"{path}: not a usable ONNX model (empty graph), truncated or corrupt; "
                         f"re-copy it or {_REEXPORT}")
    if inputs != [INPUT_NAME]:
        raise UisegError(f"{path}: ONNX input is {', '.join(map(repr, inputs))}, expected '{INPUT_NAME}'; "
                         f"{_REEXPORT}")
    if [o.name for o in graph.output] != [OUTPUT_NAME]:
        raise UisegError(f"{path}: ONNX output is {graph.output[0].name!r}, expected '{OUTPUT_NAME}'; "
                         f"{_REEXPORT}")
    props = {p.key: p.value for p in model.metadata_props}
    return props.get(METADATA_KEY)


def _torchscript_metadata_text(path: Path) -> str | None:
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            if not any("/code/" in n for n in names):
                raise UisegError(f"{path}: not a TorchScript file (a torch.save checkpoint or other archive); "
                                 f"{_REEXPORT}")
            extra = [n for n in names if n.endswith(f"/extra/{TS_EXTRA_FILE}")]
            return archive.read(extra[0]).decode("utf-8") if extra else None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, UnicodeDecodeError, OSError, EOFError) as exc:
        raise UisegError(f"{path}: not a readable TorchScript file, truncated or corrupt ({exc}); "
                         f"re-copy it or {_REEXPORT}") from None


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def versions() -> dict[str, str | None]:
    """Versions of everything that shaped the artifacts (None when a package is not installed)."""
    from importlib import metadata

    found: dict[str, str | None] = {"python": platform.python_version(), "uiseg": __version__}
    for dist in ("torch", "onnx", "onnxscript", "onnxruntime", "onnxruntime-gpu", "onnxslim", "numpy"):
        try:
            found[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            found[dist] = None
    return found


def write_file(path: Path, data: bytes) -> None:
    """Atomic write (temp name + rename), then the permissions a plain open() would have given: mkstemp makes
    0600 files, and exported models are meant to be read by other accounts (a server, a colleague)."""
    from uiseg.images import atomic_write_bytes

    atomic_write_bytes(path, data)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(path, 0o666 & ~umask)


def write_manifest(out_dir: Path, manifest: dict) -> Path:
    path = Path(out_dir) / MANIFEST_NAME
    write_file(path, (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode("utf-8"))
    return path


def read_manifest(out_dir: str | Path) -> dict:
    path = Path(out_dir)
    path = path / MANIFEST_NAME if path.is_dir() else path
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UisegError(f"{path}: no export manifest; run `uiseg export CKPT --out {path.parent}`") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise UisegError(f"{path}: broken export manifest ({exc}); run `uiseg export` again") from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), dict):
        raise UisegError(f"{path}: broken export manifest (no files); run `uiseg export` again")
    return manifest


__all__ = ["FORMAT_VERSION", "MANIFEST_NAME", "build_metadata", "contract_of", "onnx_metadata_props",
           "read_manifest", "read_metadata", "validate_metadata", "versions", "write_manifest"]
