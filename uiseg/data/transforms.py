"""Joint image + mask transforms (torchvision.transforms.v2 with tv_tensors.Image / tv_tensors.Mask).

Both transforms take what uiseg.images gives (HxWx3 uint8 RGB, HxW bool mask; numpy or torch) and return
(image float32 3xHxW in [0, 1], mask float32 1xHxW in {0, 1}).

Geometry goes through uiseg.resize for both: images bilinear with antialiasing, masks nearest-neighbour
(NEAREST_EXACT, which samples pixel centres like bilinear does, so mask and image stay aligned). The eval transform
is therefore exactly the inference resize, and a full-image "crop" in training is exactly the eval transform.
Photometric steps run after the resize, at training size, where they are cheapest; v2 applies them to the
Image only and passes the Mask through.

No flips: game UI is not mirror-symmetric (HP bars sit top-left, minimaps top-right, text reads left to right,
dialog boxes sit at the bottom), so a flipped screenshot teaches layouts the model will never see; synth already
places elements anywhere sometimes, which is the variety flips would add.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torchvision import tv_tensors
from torchvision.transforms import v2

from uiseg.errors import UisegError
from uiseg.resize import resize_image, resize_mask


def to_unit_float(image: torch.Tensor) -> torch.Tensor:
    """uint8 [0, 255] -> float32 [0, 1] as `x.float() / 255`, bit for bit what evaluation and export do.

    (v2.ToDtype multiplies by 1/255 instead, which can differ in the last bit; eval must not.)
    """
    return image.to(torch.float32).div_(255.0)


def _check_size(image_size) -> tuple[int, int]:
    try:
        h, w = (int(v) for v in image_size)
    except (TypeError, ValueError):
        raise UisegError(f"image_size {image_size!r} must be (height, width)") from None
    if h < 1 or w < 1:
        raise UisegError(f"image_size {image_size!r} must be positive (height, width)")
    return h, w


def _tensor(array) -> torch.Tensor:
    if not isinstance(array, np.ndarray):
        return array
    # Pillow hands out read-only arrays; torch warns on those, so copy them (cheap next to the decode).
    return torch.from_numpy(np.ascontiguousarray(array) if array.flags.writeable else array.copy(order="C"))


def _wrap(image, mask) -> tuple[tv_tensors.Image, tv_tensors.Mask]:
    """numpy/torch HxWx3 uint8 + HxW bool -> tv_tensors (3xHxW uint8, 1xHxW uint8)."""
    img = _tensor(image)
    msk = _tensor(mask)
    if img.dim() != 3 or img.shape[-1] != 3 or img.dtype != torch.uint8:
        raise UisegError(f"expected an HxWx3 uint8 image, got {tuple(img.shape)} {img.dtype}")
    if tuple(msk.shape) != tuple(img.shape[:2]):
        raise UisegError(f"mask is {tuple(msk.shape)} but image is {tuple(img.shape[:2])}; they must match")
    return tv_tensors.Image(img.permute(2, 0, 1)), tv_tensors.Mask((msk > 0).to(torch.uint8)[None])


def _finish(image: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Plain float32 tensors out: DataLoader collation and the model do not need tv_tensor subclasses."""
    image = image.as_subclass(torch.Tensor)
    image = to_unit_float(image) if image.dtype == torch.uint8 else image.clamp(0.0, 1.0)
    return image, mask.as_subclass(torch.Tensor).to(torch.float32)


def to_tensors(image, mask) -> tuple[torch.Tensor, torch.Tensor]:
    """No resize: HxWx3 uint8 + HxW bool -> (float32 3xHxW in [0, 1], float32 1xHxW in {0, 1})."""
    return _finish(*_wrap(image, mask))


class ScaleCrop(v2.Transform):
    """Random crop (area `scale` of the image, aspect `aspect` relative to the image's own), resized to `size`.

    Unlike v2.RandomResizedCrop, the aspect range is relative to each input: a 1920x1080 shot and a 160x144 shot
    are both stretched to `size` at inference (the "resize" policy), so a crop keeps each one's own proportions
    and training sees the same distortion that inference will. With probability `full_p` the whole image is used,
    so UI that sits on the very edges (HUD bars, corner counters) is seen where it really is.
    """

    def __init__(self, size, scale=(0.35, 1.0), aspect=(3 / 4, 4 / 3), full_p: float = 0.25) -> None:
        super().__init__()
        self.size = _check_size(size)
        self.scale, self.aspect, self.full_p = tuple(scale), tuple(aspect), float(full_p)

    def make_params(self, flat_inputs: list) -> dict:
        h, w = flat_inputs[0].shape[-2:]
        if torch.rand(()) < self.full_p:
            return {"box": (0, 0, h, w)}
        area = torch.empty(()).uniform_(*self.scale).item()
        log_lo, log_hi = math.log(self.aspect[0]), math.log(self.aspect[1])
        ratio = math.exp(torch.empty(()).uniform_(log_lo, log_hi).item())
        ch = min(h, max(1, round(h * math.sqrt(area / ratio))))
        cw = min(w, max(1, round(w * math.sqrt(area * ratio))))
        top = int(torch.randint(0, h - ch + 1, ()).item())
        left = int(torch.randint(0, w - cw + 1, ()).item())
        return {"box": (top, left, ch, cw)}

    def transform(self, inpt, params: dict):
        top, left, h, w = params["box"]
        plain = inpt.as_subclass(torch.Tensor)[..., top:top + h, left:left + w]
        # Plain tensors on purpose: handed a tv_tensors.Mask, F.resize would pick its own (legacy NEAREST) kernel.
        if isinstance(inpt, tv_tensors.Mask):
            return tv_tensors.wrap(resize_mask(plain, self.size), like=inpt)
        if isinstance(inpt, tv_tensors.Image):
            return tv_tensors.wrap(resize_image(plain, self.size), like=inpt)
        return inpt


class JointTransform:
    """Callable (image, mask) -> (image, mask) around a v2 pipeline; picklable for DataLoader workers."""

    def __init__(self, pipeline: v2.Transform) -> None:
        self.pipeline = pipeline

    def __call__(self, image, mask) -> tuple[torch.Tensor, torch.Tensor]:
        return _finish(*self.pipeline(*_wrap(image, mask)))

    def __repr__(self) -> str:
        return f"JointTransform({self.pipeline})"


def _photometric(strength: float, size: tuple[int, int]) -> list[v2.Transform]:
    """Colour, compression and sensor-like noise; magnitudes and probabilities scale with `strength`."""
    s = strength

    def p(base: float) -> float:  # probabilities scale with strength too, capped at 1
        return min(1.0, base * s)

    steps: list[v2.Transform] = [
        # Games range from washed-out handheld palettes to saturated neon: wide brightness/saturation jitter.
        v2.RandomApply([v2.ColorJitter(brightness=0.4 * s, contrast=0.4 * s, saturation=0.5 * s,
                                       hue=min(0.5, 0.08 * s))], p=p(0.8)),
        # Monochrome handheld games (and sepia menus) exist; UI must be found from shape, not colour alone.
        v2.RandomGrayscale(p=p(0.1)),
        # Screenshots shared online are often JPEGs; blocks and ringing must not look like UI borders.
        v2.RandomApply([v2.JPEG(quality=(max(5, round(95 - 70 * min(s, 1.0))), 95))], p=p(0.3)),
        v2.ToDtype(torch.float32, scale=True),
    ]
    if min(size) >= 3:  # a 3x3 kernel needs at least 3 pixels to reflect-pad
        # Bilinear upscaling by emulators and video capture soften edges.
        steps.append(v2.RandomApply([v2.GaussianBlur(3, sigma=(0.1, 0.2 + 1.0 * s))], p=p(0.15)))
    steps.append(v2.RandomApply([v2.GaussianNoise(sigma=0.03 * s)], p=p(0.2)))
    return steps


def train_transform(image_size: tuple[int, int], strength: float = 1.0) -> JointTransform:
    """Training augmentation at `image_size` (H, W): random scale/crop, colour jitter, grayscale, JPEG, blur, noise.

    `strength` scales every magnitude and probability: 0 is no augmentation (the eval resize, exactly), 1 the
    default recipe (crops down to 35 % of the area), above 1 stronger photometric noise (geometry stays at its
    strength-1 range, since smaller crops would hide too much of the layout). Masks are only ever resized
    nearest-neighbour.
    """
    size = _check_size(image_size)
    if isinstance(strength, bool) or not (isinstance(strength, (int, float)) and 0.0 <= strength <= 4.0):
        raise UisegError(f"augmentation strength {strength!r} must be a number from 0 (none) to 4")
    g = min(float(strength), 1.0)
    crop = ScaleCrop(size, scale=(1.0 - 0.65 * g, 1.0), aspect=((3 / 4) ** g, (4 / 3) ** g),
                     full_p=1.0 if g == 0 else 0.25)
    steps: list[v2.Transform] = [crop]
    if strength > 0:
        steps += _photometric(float(strength), size)
    return JointTransform(v2.Compose(steps))


class EvalTransform:
    """Exactly the inference preprocessing: uiseg.resize.resize_image / resize_mask, then uint8 -> [0, 1]."""

    def __init__(self, image_size: tuple[int, int]) -> None:
        self.size = _check_size(image_size)

    def __call__(self, image, mask) -> tuple[torch.Tensor, torch.Tensor]:
        img, msk = _wrap(image, mask)
        img = resize_image(img.as_subclass(torch.Tensor), self.size)
        return _finish(img, resize_mask(msk.as_subclass(torch.Tensor), self.size))

    def __repr__(self) -> str:
        return f"EvalTransform(image_size={self.size})"


def eval_transform(image_size: tuple[int, int]) -> EvalTransform:
    """Validation/evaluation transform: the shared inference resize to `image_size` (H, W), nothing random."""
    return EvalTransform(image_size)


__all__ = ["EvalTransform", "JointTransform", "ScaleCrop", "eval_transform", "to_tensors", "to_unit_float",
           "train_transform"]
