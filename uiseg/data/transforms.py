"""Training and validation transforms: image + mask geometry through uiseg.resize, colour through torchvision.

Both take what uiseg.images gives (H x W x 3 uint8 RGB, H x W bool mask) and return (image float32 3 x h x w in
[0, 1], mask float32 1 x h x w in {0, 1}).

Geometry follows the contract's size policy, so training sees what inference will feed the model:
- "aspect": the image is scaled, aspect ratio kept, to about the pixel count of `image_size` (the inference
  size), times a random zoom; a random `crop_size` window of it is taken (zero-padded right/bottom when the
  image is smaller, as inference pads). Games draw UI at many scales; the zoom teaches all of them.
- "stretch": a random crop box (area and aspect jitter) of the image, stretched to `image_size`.
Every random number comes from a numpy Generator seeded per sample and per epoch (see SeededSampler), so the
augmentation never depends on the number of DataLoader workers or on the machine.

No flips: game UI is not mirror-symmetric (HP bars sit top-left, minimaps top-right, text reads left to right,
dialog boxes sit at the bottom), so a flipped screenshot teaches layouts the model will never see.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from uiseg.errors import UisegError
from uiseg.resize import aspect_size, canonical_policy, hwc_to_chw, resize_image, resize_nearest


def to_unit_float(image: torch.Tensor) -> torch.Tensor:
    """uint8 [0, 255] -> float32 [0, 1] as `x.float() / 255`, bit for bit what evaluation and export do."""
    return image.to(torch.float32).div_(255.0)


def _check_size(image_size, what: str = "image_size") -> tuple[int, int]:
    try:
        h, w = (int(v) for v in image_size)
    except (TypeError, ValueError):
        raise UisegError(f"{what} {image_size!r} must be (height, width)") from None
    if h < 1 or w < 1:
        raise UisegError(f"{what} {image_size!r} must be positive (height, width)")
    return h, w


def _check_pair(image, mask) -> tuple[np.ndarray, np.ndarray]:
    image, mask = np.asarray(image), np.asarray(mask)
    if image.ndim != 3 or image.shape[-1] != 3 or image.dtype != np.uint8:
        raise UisegError(f"expected an HxWx3 uint8 image, got {image.shape} {image.dtype}")
    if mask.shape != image.shape[:2]:
        raise UisegError(f"mask is {mask.shape} but image is {image.shape[:2]}; they must match")
    return image, (mask > 0).astype(np.uint8)


def _tensors(image: np.ndarray, mask: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    img = to_unit_float(hwc_to_chw(image))  # a new float tensor: sharing the uint8 buffer is safe
    return img, torch.from_numpy(np.ascontiguousarray(mask, dtype=np.float32))[None]


def to_tensors(image, mask) -> tuple[torch.Tensor, torch.Tensor]:
    """No resize: H x W x 3 uint8 + H x W bool -> (float32 3 x H x W in [0, 1], float32 1 x H x W in {0, 1})."""
    return _tensors(*_check_pair(image, mask))


def _resample(image: np.ndarray, mask: np.ndarray, box: tuple[float, float, float, float],
              size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Source region box=(x0, y0, x1, y1) of image and mask resampled to size=(h, w) (masks nearest)."""
    x0, y0, x1, y1 = box
    out = resize_image(image, size, box=box)
    h, w = size
    rows = np.minimum(np.floor(y0 + (np.arange(h) + 0.5) * ((y1 - y0) / h)).astype(np.int64), mask.shape[0] - 1)
    cols = np.minimum(np.floor(x0 + (np.arange(w) + 0.5) * ((x1 - x0) / w)).astype(np.int64), mask.shape[1] - 1)
    return out, mask[rows][:, cols]


def _pad(image: np.ndarray, mask: np.ndarray, size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Zero-pad right/bottom to size=(h, w): the padding inference adds, which is never UI."""
    h, w = size
    dh, dw = h - image.shape[0], w - image.shape[1]
    if dh <= 0 and dw <= 0:
        return image, mask
    return (np.pad(image, ((0, max(0, dh)), (0, max(0, dw)), (0, 0))),
            np.pad(mask, ((0, max(0, dh)), (0, max(0, dw)))))


class Geometry:
    """The random geometry of one training sample under a size policy (see the module docstring)."""

    def __init__(self, policy: str, image_size, crop_size=None, zoom=(0.6, 1.6), area=(0.35, 1.0),
                 aspect=(3 / 4, 4 / 3), full_p: float = 0.25):
        self.policy = canonical_policy(policy)
        if self.policy == "native":
            raise UisegError("training needs a size: use the aspect or stretch policy")
        self.size = _check_size(image_size)
        self.crop = _check_size(crop_size or image_size, "crop_size")
        self.zoom, self.area, self.aspect, self.full_p = tuple(zoom), tuple(area), tuple(aspect), float(full_p)

    def __call__(self, image: np.ndarray, mask: np.ndarray, rng: np.random.Generator):
        h, w = mask.shape
        if self.policy == "stretch":
            if rng.random() < self.full_p:
                return _resample(image, mask, (0, 0, w, h), self.size)
            area = rng.uniform(*self.area)
            ratio = math.exp(rng.uniform(math.log(self.aspect[0]), math.log(self.aspect[1])))
            ch = min(h, max(1, round(h * math.sqrt(area / ratio))))
            cw = min(w, max(1, round(w * math.sqrt(area * ratio))))
            top, left = int(rng.integers(0, h - ch + 1)), int(rng.integers(0, w - cw + 1))
            return _resample(image, mask, (left, top, left + cw, top + ch), self.size)
        zoom = math.exp(rng.uniform(math.log(self.zoom[0]), math.log(self.zoom[1])))
        sh, sw = aspect_size(h, w, self.size, zoom)  # the whole image at this zoom
        ch, cw = min(self.crop[0], sh), min(self.crop[1], sw)
        top, left = int(rng.integers(0, sh - ch + 1)), int(rng.integers(0, sw - cw + 1))
        fy, fx = h / sh, w / sw
        box = (left * fx, top * fy, (left + cw) * fx, (top + ch) * fy)
        return _pad(*_resample(image, mask, box, (ch, cw)), self.crop)


def _photometric(strength: float, size: tuple[int, int]):
    """Colour, compression and sensor-like noise on the image only; magnitudes and odds scale with strength."""
    from torchvision.transforms import v2

    s = strength

    def p(base: float) -> float:
        return min(1.0, base * s)

    steps = [
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
        steps.append(v2.RandomApply([v2.GaussianBlur(3, sigma=(0.1, 0.2 + 1.0 * s))], p=p(0.15)))
    steps.append(v2.RandomApply([v2.GaussianNoise(sigma=0.03 * s)], p=p(0.2)))
    return v2.Compose(steps)


class TrainTransform:
    """(image, mask, seed) -> tensors: the policy's random geometry, then photometric augmentation.

    `strength` scales the photometric part (0 = none; up to 4). Picklable, for DataLoader workers.
    """

    random = True  # SegDataset passes a per-sample seed

    def __init__(self, image_size, strength: float = 0.0, policy: str = "aspect", crop_size=None):
        if isinstance(strength, bool) or not (isinstance(strength, (int, float)) and 0.0 <= strength <= 4.0):
            raise UisegError(f"augmentation strength {strength!r} must be a number from 0 (none) to 4")
        self.geometry = Geometry(policy, image_size, crop_size)
        self.strength = float(strength)
        self.colour = _photometric(self.strength, self.geometry.crop) if strength > 0 else None

    def __call__(self, image, mask, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
        rng = np.random.default_rng(seed)
        img, msk = self.geometry(*_check_pair(image, mask), rng)
        if self.colour is None:
            return _tensors(img, msk)
        with torch.random.fork_rng(devices=[]):  # torchvision draws from torch's global generator
            torch.manual_seed(int(rng.integers(0, 2**62)))
            out = self.colour(hwc_to_chw(img))  # every colour step returns a new tensor
        return out.clamp_(0.0, 1.0), torch.from_numpy(msk.astype(np.float32))[None]

    def __repr__(self) -> str:
        g = self.geometry
        return f"TrainTransform({g.policy}, size={g.size}, crop={g.crop}, strength={self.strength})"


class EvalTransform:
    """Exactly the inference preprocessing of a policy: the image at its target size, the mask beside it
    (nearest). Under "aspect" sizes differ per image: collate with `pad_collate`."""

    random = False

    def __init__(self, image_size, policy: str = "aspect") -> None:
        from uiseg.resize import SizePolicy

        self.size = _check_size(image_size)
        self.policy = SizePolicy(canonical_policy(policy), self.size)

    def __call__(self, image, mask) -> tuple[torch.Tensor, torch.Tensor]:
        image, mask = _check_pair(image, mask)
        size = self.policy.target(*mask.shape)
        return _tensors(resize_image(image, size), resize_nearest(mask, size))

    def __repr__(self) -> str:
        return f"EvalTransform({self.policy})"


def pad_collate(items):
    """Stack (image, mask) items of different sizes: zero-pad to the largest, and return a valid-pixel map
    (1 x H x W bool) so metrics count only real pixels."""
    h = max(im.shape[-2] for im, _ in items)
    w = max(im.shape[-1] for im, _ in items)
    images = torch.zeros((len(items), 3, h, w))
    masks = torch.zeros((len(items), 1, h, w))
    valid = torch.zeros((len(items), 1, h, w), dtype=torch.bool)
    for i, (im, m) in enumerate(items):
        ih, iw = im.shape[-2:]
        images[i, :, :ih, :iw], masks[i, :, :ih, :iw], valid[i, :, :ih, :iw] = im, m, True
    return images, masks, valid


def train_transform(image_size, strength: float = 0.0, policy: str = "aspect", crop_size=None) -> TrainTransform:
    """Training augmentation (see TrainTransform)."""
    return TrainTransform(image_size, strength, policy, crop_size)


def eval_transform(image_size, policy: str = "aspect") -> EvalTransform:
    """Validation/evaluation transform: the inference resize of `policy`, nothing random."""
    return EvalTransform(image_size, policy)


__all__ = ["EvalTransform", "Geometry", "TrainTransform", "eval_transform", "pad_collate", "to_tensors",
           "to_unit_float", "train_transform"]
