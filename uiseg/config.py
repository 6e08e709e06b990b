"""Typed configuration as frozen dataclasses (plain values only, so checkpoints load with weights_only=True)."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import Any

from uiseg.errors import UisegError

# ImageNet statistics: a neutral choice for screenshots; they live in the exported graph, not in user code.
DEFAULT_MEAN = (0.485, 0.456, 0.406)
DEFAULT_STD = (0.229, 0.224, 0.225)


@dataclass(frozen=True)
class ModelConfig:
    """UNet shape. base=16, depth=4 gives ~1.9 M parameters."""

    in_channels: int = 3
    num_classes: int = 1
    base: int = 16
    depth: int = 4
    max_features: int = 256

    @property
    def pad_multiple(self) -> int:
        return 2**self.depth


@dataclass(frozen=True)
class Contract:
    """Preprocessing contract that travels with every checkpoint and exported artifact.

    Input: RGB float in [0, 1], NCHW, H and W padded to a multiple of `pad_multiple`; normalisation
    (mean/std) happens inside the model. Output: logits N x C x H x W; `threshold` applies to sigmoid(logits).
    `resize_policy` is how training saw images, relative to `image_size` (H, W): "aspect" keeps each image's
    aspect ratio at the pixel count of image_size, "stretch" ("resize" in older files) resizes to image_size,
    "native" keeps the image's size (see uiseg.resize).
    """

    image_size: tuple[int, int] = (224, 256)
    resize_policy: str = "aspect"
    pad_multiple: int = 16
    threshold: float = 0.5
    classes: tuple[str, ...] = ("ui",)
    mean: tuple[float, ...] = DEFAULT_MEAN
    std: tuple[float, ...] = DEFAULT_STD

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Contract:
        return from_dict(cls, data)


def from_dict(cls, data: dict[str, Any]):
    """Build a frozen dataclass from a plain dict; unknown keys are an error, lists become tuples."""
    if not isinstance(data, dict):
        raise UisegError(f"expected a mapping for {cls.__name__}, got {type(data).__name__}")
    names = {f.name for f in fields(cls)}
    unknown = set(data) - names
    if unknown:
        raise UisegError(f"unknown {cls.__name__} keys: {', '.join(sorted(unknown))}")
    return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items()})


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _integer(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _contract_problem(c: Contract) -> tuple[str, str] | None:
    """(field, what is wrong with it) for the first field a consumer could not use, or None."""
    m = c.pad_multiple
    if not _integer(m) or m < 1 or m & (m - 1):
        return "pad_multiple", f"is {m!r}, not a power of two (1, 2, 4, 8, 16, ...)"
    size = c.image_size
    if not isinstance(size, tuple) or len(size) != 2 or not all(_integer(v) and v > 0 and v % m == 0 for v in size):
        shown = list(size) if isinstance(size, tuple) else size
        return "image_size", f"is {shown!r}, not [height, width]: two positive multiples of pad_multiple {m}"
    if not _number(c.threshold) or not 0 < c.threshold < 1:
        return "threshold", f"is {c.threshold!r}, not a number between 0 and 1 (exclusive)"
    for name in ("mean", "std"):
        value = getattr(c, name)
        if not isinstance(value, tuple) or len(value) != 3 or not all(_number(v) for v in value):
            return name, f"is {list(value) if isinstance(value, tuple) else value!r}, not three finite numbers (RGB)"
    if not all(v > 0 for v in c.std):
        return "std", f"is {list(c.std)!r}: every value must be > 0 (the model divides by it)"
    if not isinstance(c.classes, tuple) or not c.classes or not all(isinstance(v, str) and v for v in c.classes):
        return "classes", f"is {c.classes!r}, not a non-empty list of class names"
    if not isinstance(c.resize_policy, str) or not c.resize_policy:
        return "resize_policy", f"is {c.resize_policy!r}, not a policy name (aspect, stretch, native)"
    return None


def load_contract(data: Any, source) -> Contract:
    """The one place a contract read from a file (checkpoint hyper-parameters, exported metadata) is checked
    before anything uses it: every backend, evaluate and export come through here. A field no consumer could
    use is one UisegError naming the file and the field (not a ZeroDivisionError or an ONNX Runtime shape error
    half-way through a run)."""
    fix = "re-export the model with `uiseg export CKPT`, or retrain"
    try:
        contract = data if isinstance(data, Contract) else from_dict(Contract, data)
    except (UisegError, TypeError) as exc:
        raise UisegError(f"{source}: broken contract ({exc}); {fix}") from None
    problem = _contract_problem(contract)
    if problem:
        raise UisegError(f"{source}: contract field {problem[0]} {problem[1]}; {fix}")
    return contract


def parse_size(text: str, what: str = "size") -> tuple[int, int]:
    """Parse 'WxH' (as users write screen sizes) into (H, W)."""
    try:
        w, h = (int(p) for p in text.lower().split("x"))
    except ValueError:
        raise UisegError(f"{what} {text!r} is not WIDTHxHEIGHT, e.g. 256x224") from None
    if w <= 0 or h <= 0:
        raise UisegError(f"{what} {text!r} must have positive width and height")
    return h, w


__all__ = ["DEFAULT_MEAN", "DEFAULT_STD", "Contract", "ModelConfig", "from_dict", "load_contract", "parse_size"]
