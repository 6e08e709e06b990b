"""Reading and writing images the same way everywhere (training, evaluation, segmentation).

EXIF orientation is applied on read, so pixels (and masks) line up with what the user sees in a viewer.
Grayscale, RGBA (composited on black), palette and 16-bit inputs are converted to 8-bit RGB, never rejected.
"""

from __future__ import annotations

import errno
import functools
import os
import tempfile
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from uiseg.errors import UisegError

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".webp")
MASK_THRESHOLD = 128


def _open(path: Path) -> Image.Image:
    """Open and fully decode an image; any failure becomes a UisegError naming the file and the fix."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as im:
                im.seek(0)  # first frame of animated files
                im.load()
                return ImageOps.exif_transpose(im) or im.copy()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise UisegError(f"{path}: image too large (decompression-bomb guard); downscale it first") from None
    except FileNotFoundError:
        if path.is_symlink():
            raise UisegError(f"{path}: broken symlink (its target {os.readlink(path)} does not exist); "
                             "fix the link or remove it") from None
        raise UisegError(f"{path}: file not found (moved or deleted?); pass an existing file") from None
    except PermissionError:
        raise UisegError(f"{path}: permission denied; make it readable (chmod +r)") from None
    except IsADirectoryError:
        raise UisegError(f"{path}: is a folder, not an image; rename it or remove it from the input") from None
    except (OSError, ValueError, SyntaxError, Image.UnidentifiedImageError) as exc:
        if getattr(exc, "errno", None) == errno.ELOOP:
            raise UisegError(f"{path}: symlink loop (the link points back at itself); fix the link or remove it") from None
        if path.is_file() and path.stat().st_size == 0:
            raise UisegError(f"{path}: empty file (0 bytes); re-export or delete it") from None
        raise UisegError(f"{path}: unreadable or truncated image ({exc}); re-export or delete it") from None


def to_rgb(im: Image.Image) -> np.ndarray:
    """Convert any PIL mode to an HxWx3 uint8 array."""
    if im.mode in ("I;16", "I;16B", "I;16L", "I"):
        arr = np.asarray(im, dtype=np.float64)
        top = 65535.0 if arr.max(initial=0) > 255 else 255.0
        im = Image.fromarray(np.clip(arr * (255.0 / top), 0, 255).astype(np.uint8), "L")
    if im.mode == "P":
        im = im.convert("RGBA")
    if im.mode in ("RGBA", "LA", "PA"):
        background = Image.new("RGBA", im.size, (0, 0, 0, 255))
        im = Image.alpha_composite(background, im.convert("RGBA"))
    return np.asarray(im.convert("RGB"), dtype=np.uint8)


def read_rgb(path: str | os.PathLike) -> np.ndarray:
    """Read an image as HxWx3 uint8 RGB (EXIF orientation applied)."""
    return to_rgb(_open(Path(path)))


def read_mask(path: str | os.PathLike) -> np.ndarray:
    """Read a mask as HxW bool: pixels >= 128 (after conversion to 8-bit gray) are UI."""
    im = _open(Path(path))
    gray = to_rgb(im).max(axis=2) if im.mode not in ("L", "1") else np.asarray(im.convert("L"))
    return gray >= MASK_THRESHOLD


@functools.cache
def _file_mode() -> int:
    """The mode a plain open() would give a new file (0o666 minus the umask), read once: os.umask can only be
    read by setting it, which must not happen while writer threads create files."""
    umask = os.umask(0o022)
    os.umask(umask)
    return 0o666 & ~umask


def _temp_stem(name: str, limit: int = 255 - len("..") - 8 - len(".tmp")) -> str:
    """The target's name, cut to leave room for mkstemp's '.<name>.<8 chars>.tmp' within the 255-byte name
    limit: a legal 250-byte name must not fail because of its temporary twin. Cut at a character boundary."""
    return name.encode("utf-8")[:limit].decode("utf-8", errors="ignore")


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write to a temporary file in the same folder, then rename: a crash never leaves a partial file.
    The file gets the permissions open() would give it (mkstemp makes 0600 files other accounts cannot read)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{_temp_stem(path.name)}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, _file_mode())
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def encode_png(array: np.ndarray, compress_level: int = 1) -> bytes:
    """Encode an HxW or HxWx3 uint8 (or HxW uint16) array as PNG bytes (fast compression)."""
    import io

    buf = io.BytesIO()
    Image.fromarray(array).save(buf, format="PNG", compress_level=compress_level)
    return buf.getvalue()


def is_image_file(path: Path) -> bool:
    return path.suffix.lower() in IMAGE_EXTENSIONS


__all__ = ["IMAGE_EXTENSIONS", "UisegError", "atomic_write_bytes", "encode_png", "is_image_file",
           "read_mask", "read_rgb", "to_rgb"]
