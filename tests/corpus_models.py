"""The model half of the bad-input corpus: checkpoints and exported files uiseg must refuse (see corpus.py).

Every kind is refused with one line that names the file; none may run code from the file (the pickle kinds
would create `PAYLOAD_RAN` beside themselves if they were unpickled unsafely).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from corpus import _write

MARKER_NAME = "PAYLOAD_RAN"


class _Payload:
    """Unpickling this calls open(marker, "w"): the file appears iff the loader ran code from the file."""

    def __init__(self, marker: Path):
        self.marker = str(marker)

    def __reduce__(self):
        return open, (self.marker, "w")


def tiny_checkpoint(path: Path, base: int = 4, depth: int = 2, image_size=(32, 32), seed: int = 0) -> Path:
    """A random tiny uiseg checkpoint (UNet base 4, depth 2: pad multiple 4), written with torch.save."""
    import torch

    from uiseg.checkpoint import make_checkpoint
    from uiseg.config import Contract
    from uiseg.model import UNet

    torch.manual_seed(seed)
    unet = UNet(base=base, depth=depth)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(make_checkpoint(unet, Contract(image_size=image_size, pad_multiple=2 ** depth)), path)
    return path


def _onnx_bytes(input_name: str, metadata: dict | None) -> bytes:
    """A hand-built "brightness model": logits = mean over RGB - 0.5, so a pixel is UI iff it is brighter than
    mid-grey. Valid ONNX in milliseconds, and its masks are predictable: they show whether a mask lines up
    with the image the user sees (EXIF rotation, padding and cropping, odd sizes)."""
    import json

    import onnx
    from onnx import TensorProto, helper

    x = helper.make_tensor_value_info(input_name, TensorProto.FLOAT, ["N", 3, "H", "W"])
    y = helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 1, "H", "W"])
    half = helper.make_tensor("half", TensorProto.FLOAT, [], [0.5])
    nodes = [helper.make_node("ReduceMean", [input_name], ["mean"], axes=[1], keepdims=1),
             helper.make_node("Sub", ["mean", "half"], ["logits"])]
    graph = helper.make_graph(nodes, "brightness", [x], [y], initializer=[half])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    if metadata is not None:
        helper.set_model_props(model, {"uiseg": json.dumps(metadata)})
    onnx.checker.check_model(model)
    return model.SerializeToString()


def brightness_mask(rgb) -> np.ndarray:
    """The mask the brightness model gives for an HxWx3 uint8 image (sum > 382.5 <=> mean/255 > 0.5)."""
    return rgb.astype(np.int32).sum(axis=2) > 382


def _metadata() -> dict:
    import torch

    from uiseg.config import Contract, ModelConfig

    return {"format_version": 1, "uiseg_version": "0.1.0", "format": "onnx", "precision": "fp32",
            "contract": Contract(image_size=(32, 32), pad_multiple=4).to_dict(),
            "model": {**ModelConfig(base=4, depth=2).__dict__}, "opset": 17, "torch_version": torch.__version__,
            "checkpoint_sha256": "0" * 64, "parity": {"status": "skipped", "passed": None}}


def _other_model(path: Path) -> Path:
    """A Lightning-style checkpoint of a different network (a small classifier)."""
    import torch
    from torch import nn

    net = nn.Sequential(nn.Conv2d(3, 8, 3), nn.ReLU(), nn.Flatten(), nn.LazyLinear(10))
    net(torch.zeros(1, 3, 8, 8))
    torch.save({"epoch": 3, "global_step": 120, "pytorch-lightning_version": "2.4.0",
                "state_dict": {f"net.{k}": v for k, v in net.state_dict().items()},
                "hyper_parameters": {"lr": 0.01, "num_classes": 10}}, path)
    return path


def _plain_state_dict(path: Path) -> Path:
    import torch
    from torch import nn

    torch.save(nn.Linear(4, 2).state_dict(), path)
    return path


def _mismatched(path: Path) -> Path:
    """uiseg-shaped, but the weights are a base-4 UNet while the config says base 8."""
    import torch

    from uiseg.checkpoint import make_checkpoint
    from uiseg.config import Contract
    from uiseg.model import UNet

    ckpt = make_checkpoint(UNet(base=4, depth=2), Contract(image_size=(32, 32), pad_multiple=4))
    ckpt["hyper_parameters"]["model"]["base"] = 8
    torch.save(ckpt, path)
    return path


def _truncated(path: Path) -> Path:
    tiny_checkpoint(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def _pickle(path: Path) -> Path:
    import torch

    torch.save({"state_dict": {}, "hyper_parameters": _Payload(path.parent / MARKER_NAME)}, path)
    return path


def _raw_pickle(path: Path) -> Path:
    import pickle

    path.write_bytes(pickle.dumps(_Payload(path.parent / MARKER_NAME), protocol=2))
    return path


def _onnx_contract(**changes) -> Callable[[Path], Path]:
    """The brightness model with contract fields set to values no consumer could use."""
    def make(path: Path) -> Path:
        meta = _metadata()
        meta["contract"] = {**meta["contract"], **changes}
        return _write(path, _onnx_bytes("image", meta))

    return make


def _ckpt_contract(**changes) -> Callable[[Path], Path]:
    """A tiny checkpoint whose contract hyper-parameters hold an unusable value."""
    def make(path: Path) -> Path:
        import torch

        tiny_checkpoint(path)
        ckpt = torch.load(path, weights_only=True)
        ckpt["hyper_parameters"]["contract"].update(changes)
        torch.save(ckpt, path)
        return path

    return make


@dataclass(frozen=True)
class ModelKind:
    """A model file uiseg must refuse with one line naming it (`msg` in that line), never running its code."""

    name: str
    file: str
    make: Callable[[Path], Path]
    msg: str
    checkpoint: bool = True  # a .ckpt (evaluate/export take those); False: an exported artifact


MODEL_KINDS: list[ModelKind] = [
    ModelKind("other_model_ckpt", "other.ckpt", _other_model, "not a uiseg checkpoint"),
    ModelKind("plain_state_dict", "weights.pth", _plain_state_dict, "not a uiseg checkpoint"),
    ModelKind("mismatched_weights", "mismatch.ckpt", _mismatched, "do not fit"),
    ModelKind("truncated_ckpt", "truncated.ckpt", _truncated, "truncated or corrupt"),
    ModelKind("pickle_payload_ckpt", "evil.ckpt", _pickle, "refused"),
    ModelKind("raw_pickle_ckpt", "evil_raw.ckpt", _raw_pickle, "refused"),
    ModelKind("text_named_ckpt", "notes.ckpt", lambda p: _write(p, b"not a checkpoint\n"), "notes.ckpt"),
    ModelKind("onnx_wrong_input_name", "wrong_input.onnx", lambda p: _write(p, _onnx_bytes("input", _metadata())),
              "expected 'image'", checkpoint=False),
    ModelKind("onnx_corrupted", "corrupt.onnx", lambda p: _write(
        p, _onnx_bytes("image", _metadata())[:-40]), "corrupt", checkpoint=False),
    ModelKind("onnx_no_metadata", "foreign.onnx", lambda p: _write(p, _onnx_bytes("image", None)),
              "not written by `uiseg export`", checkpoint=False),
    ModelKind("torchscript_truncated", "broken.ts", lambda p: _write(p, b"PK\x03\x04" + b"\x00" * 60),
              "corrupt", checkpoint=False),
    # contracts that used to fail mid-run (ZeroDivisionError, TypeError, IndexError, an ORT Concat error)
    *(ModelKind(f"onnx_{name}", f"{name}.onnx", _onnx_contract(**{field: value}), f"contract field {field}",
                checkpoint=False)
      for name, field, value in [
          ("pad_multiple_0", "pad_multiple", 0), ("pad_multiple_7", "pad_multiple", 7),
          ("image_size_zero", "image_size", [0, 0]), ("image_size_text", "image_size", ["a", "b"]),
          ("image_size_one_value", "image_size", [112]), ("image_size_not_multiple", "image_size", [30, 32]),
          ("threshold_text", "threshold", "0.5"), ("threshold_above_1", "threshold", 1.5),
          ("threshold_negative", "threshold", -1), ("threshold_nan", "threshold", float("nan")),
          ("std_zero", "std", [0.2, 0.0, 0.2]), ("mean_two_values", "mean", [0.5, 0.5]),
          ("no_classes", "classes", [])]),
    ModelKind("ckpt_pad_multiple_7", "pad7.ckpt", _ckpt_contract(pad_multiple=7), "contract field pad_multiple"),
    ModelKind("ckpt_threshold_above_1", "t15.ckpt", _ckpt_contract(threshold=1.5), "contract field threshold"),
]


def build_models(folder: Path) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    return {kind.name: kind.make(folder / kind.file) for kind in MODEL_KINDS}


def brightness_onnx(path: Path) -> Path:
    """A valid uiseg ONNX file (the brightness model with real metadata: pad multiple 4, trained at 32x32)."""
    return _write(path, _onnx_bytes("image", _metadata()))
