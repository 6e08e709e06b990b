"""Typed configuration as frozen dataclasses (plain values only, so checkpoints load with weights_only=True)."""

from __future__ import annotations

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


def parse_size(text: str, what: str = "size") -> tuple[int, int]:
    """Parse 'WxH' (as users write screen sizes) into (H, W)."""
    try:
        w, h = (int(p) for p in text.lower().split("x"))
    except ValueError:
        raise UisegError(f"{what} {text!r} is not WIDTHxHEIGHT, e.g. 256x224") from None
    if w <= 0 or h <= 0:
        raise UisegError(f"{what} {text!r} must have positive width and height")
    return h, w


__all__ = ["DEFAULT_MEAN", "DEFAULT_STD", "Contract", "ModelConfig", "from_dict", "parse_size"]
