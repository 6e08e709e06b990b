"""The bad-input corpus: every odd file a real screenshot dump holds, made at test time (no blobs checked in).

Each `ImageKind` writes one or a few files into a folder and says what each consumer must do with them:

- `read`: what `uiseg.images.read_rgb` gives ("ok", or "error" with `msg` in the one-line UisegError);
- `segment`: "ok" (mask written at the size the user sees), "fail" (one line naming the file and the fix, exit
  code 1, every other file still processed) or "skip" (not an input at all, nothing reported);
- `data`: the same for `train`/`evaluate` data loading (`check_dataset`), where "fail" means a problem line
  naming the file (the whole set is checked before epoch 1, so a bad pair stops the run with one line per problem).

`SETUP_KINDS` (whole-run problems: empty folder, OUT inside INPUT), `corpus_models.MODEL_KINDS` (checkpoints
and ONNX/TorchScript files that must be refused, unusable contracts included) and `corpus_trust.NAME_TREES`
(inputs whose output names could meet, glob characters, long names) complete the table. Build everything by hand
for a look:

    .venv/bin/python tests/corpus.py tests/corpus      # /tests/corpus/ is git-ignored
"""

from __future__ import annotations

import io
import os
import re
import struct
import sys
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

# A failure line must name a fix, not just the problem.
FIX_WORDS = re.compile(r"\b(re-export|re-copy|delete|remove|rename|downscale|chmod|pass|choose|add|save|rotate|"
                       r"keep|use|install|retrain|upgrade|fix|segment them|make it)\b|only .+ (are|is) accepted",
                       re.IGNORECASE)
TRACEBACK = "Traceback (most recent call last)"


STATE_FILES = re.compile(r"^(identity\.json|state\.jsonl|[\w.-]+\.lock)$")  # what OUT/.uiseg/ keeps after a run


def out_leftovers(out: Path) -> list[Path]:
    """What a finished segment run must not leave in OUT: temporary files, hidden files, journals (OUT/.uiseg/
    keeps only the identity, the state and lock files)."""
    found = [p for p in out.rglob("*") if p.name.endswith(".tmp")
             or (p.name.startswith(".") and p.name != ".uiseg")]
    state = out / ".uiseg"
    return found + [p for p in state.iterdir() if not STATE_FILES.match(p.name)] if state.is_dir() else found


def rgb(h: int, w: int, seed: int = 0) -> np.ndarray:
    """A screenshot-like picture: dark noise with one bright box (compresses poorly enough to be real)."""
    rng = np.random.default_rng(seed)
    image = (rng.random((h, w, 3)) * 90).astype(np.uint8)
    image[h // 4: h // 4 + max(1, h // 3), w // 5: w // 5 + max(1, w // 2)] = (230, 200, 40)
    return image


def encode(image: Image.Image | np.ndarray, fmt: str, **kw) -> bytes:
    im = image if isinstance(image, Image.Image) else Image.fromarray(image)
    buf = io.BytesIO()
    im.save(buf, format=fmt, **kw)
    return buf.getvalue()


def _write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def bomb_png(side: int = 20_000) -> bytes:
    """A *valid* 1-bit side x side PNG of zeros: 400 M pixels, ~50 KB on disk, made in well under a second.
    Pillow's decompression-bomb guard (> 2 x 89 M pixels) must refuse it before decoding a single row."""
    row = b"\x00" * (1 + (side + 7) // 8)  # filter byte + packed bits
    comp = zlib.compressobj(9)
    body = b"".join(comp.compress(row) for _ in range(side)) + comp.flush()
    ihdr = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)  # bit depth 1, grayscale
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", body) + _chunk(b"IEND", b"")


def _png(path: Path, image, **kw) -> list[Path]:
    return [_write(path, encode(image, "PNG", **kw))]


def _idat_crc_broken(data: bytes) -> bytes:
    at = data.index(b"IDAT")
    (length,) = struct.unpack(">I", data[at - 4: at])
    crc_at = at + 4 + length
    return data[:crc_at] + bytes([data[crc_at] ^ 0xFF]) + data[crc_at + 1:]


def exif_rotated_jpeg(path: Path) -> list[Path]:
    """Stored 40 wide x 24 tall with EXIF Orientation=6 (camera turned): a viewer shows it 24 wide x 40 tall,
    with the stored top-left white block at the displayed top-right."""
    stored = np.zeros((24, 40, 3), np.uint8)
    stored[:8, :8] = 255
    exif = Image.Exif()
    exif[0x0112] = 6
    return [_write(path, encode(stored, "JPEG", exif=exif, quality=95))]


def animated_gif(path: Path) -> list[Path]:
    frames = [Image.fromarray(np.full((20, 30, 3), c, np.uint8)) for c in (200, 30)]
    buf = io.BytesIO()
    frames[0].save(buf, format="GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    return [_write(path, buf.getvalue())]


def symlink_to_file(folder: Path) -> list[Path]:
    # The target lives in a hidden folder: inputs skip dot-folders, so only the link itself is an input.
    target = _png(folder / ".targets" / "real.png", rgb(30, 40, 3))[0]
    folder.mkdir(parents=True, exist_ok=True)
    link = folder / "linked.png"
    link.symlink_to(os.path.relpath(target, folder))
    return [link]


def symlink_loop(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    a, b = folder / "loop_a.png", folder / "loop_b.png"
    a.symlink_to(b.name)
    b.symlink_to(a.name)
    return [a, b]


def folder_loop(folder: Path) -> list[Path]:
    """A symlinked folder pointing at its parent: walking it must neither hang nor count files twice."""
    folder.mkdir(parents=True, exist_ok=True)
    link = folder / "loopdir"
    link.symlink_to(".")
    return [link]


def dangling_symlink(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    link = folder / "dangling.png"
    link.symlink_to("no-such-file.png")
    return [link]


def unreadable(path: Path) -> list[Path]:
    _png(path, rgb(20, 20, 4))
    path.chmod(0)
    return [path]


def permissions_enforced(folder: Path) -> bool:
    """chmod 000 stops reading only for non-root users (root bypasses file permissions)."""
    probe = folder / ".perm-probe"
    probe.write_bytes(b"x")
    probe.chmod(0)
    try:
        probe.read_bytes()
        return False
    except PermissionError:
        return True
    finally:
        probe.chmod(0o600)
        probe.unlink()


def _drop_permission_override() -> None:
    """preexec_fn: drop CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH from the bounding set. A root process gets its
    capabilities from the bounding set at exec, so the child (still uid 0, still owning every file it made)
    obeys file modes: chmod 000 really stops it reading."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (1, 2):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
        if libc.prctl(24, cap, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP) failed")


def permission_preexec(folder: Path):
    """How to run a subprocess that obeys file permissions: (ok, preexec_fn or None). As a normal user nothing is
    needed; as root the child drops the override capabilities, when the kernel lets us (needs CAP_SETPCAP)."""
    if permissions_enforced(folder):
        return True, None
    import subprocess

    try:
        subprocess.run([sys.executable, "-c", "pass"], preexec_fn=_drop_permission_override, check=True)
    except (subprocess.SubprocessError, OSError):
        return False, None
    return True, _drop_permission_override


def folder_named_png(folder: Path) -> list[Path]:
    """`dir.png/` is a folder: never read as an image; the screenshot inside it is a normal input."""
    inner = _png(folder / "dir.png" / "inside.png", rgb(16, 24, 5))[0]
    return [inner]


def duplicate_stems(folder: Path) -> list[Path]:
    return [_png(folder / "dup.png", rgb(20, 28, 6))[0], _write(folder / "dup.jpg", encode(rgb(20, 28, 7), "JPEG"))]


def hidden_appledouble(path: Path) -> list[Path]:
    # macOS "._name" resource-fork files carry an image extension but are not images.
    return [_write(path, b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X        " + b"\x00" * 64)]


@dataclass(frozen=True)
class ImageKind:
    """One kind of input file. `make(folder)` writes it and returns the paths it created (inputs first).
    `hw`: the (H, W) the user sees, i.e. the size every mask of it must have."""

    name: str
    make: Callable[[Path], list[Path]]
    read: str  # "ok" | "error"
    segment: str  # "ok" | "fail" | "skip"
    data: str  # "ok" | "fail" | "skip"
    hw: tuple[int, int] | None = None
    msg: str = ""  # substring of the read/segment failure line
    data_msg: str = ""  # substring of the data-check line, when it differs from msg
    note: str = ""
    needs: str = ""  # "perm": needs file permissions to be enforced (not root)
    outputs: tuple[str, ...] = field(default=())  # mask names under OUT when they differ from <stem>.png


def _k(name, make, read, segment, data, hw=None, msg="", **kw) -> ImageKind:
    return ImageKind(name, make, read, segment, data, hw, msg, **kw)


def _file(name: str, writer: Callable[[Path], list[Path]]) -> Callable[[Path], list[Path]]:
    return lambda folder: writer(folder / name)


_GOOD = rgb(48, 64, 1)
_PNG = encode(_GOOD, "PNG")
_JPEG = encode(_GOOD, "JPEG", quality=90)

IMAGE_KINDS: list[ImageKind] = [
    _k("truncated_png", _file("truncated_png.png", lambda p: [_write(p, _PNG[: len(_PNG) // 2])]),
       "error", "fail", "fail", msg="truncated"),
    _k("truncated_jpeg", _file("truncated_jpeg.jpg", lambda p: [_write(p, _JPEG[: len(_JPEG) * 6 // 10])]),
       "error", "fail", "fail", msg="truncated"),
    _k("zero_byte", _file("empty.png", lambda p: [_write(p, b"")]), "error", "fail", "fail", msg="0 bytes"),
    _k("text_named_png", _file("notes.png", lambda p: [_write(p, b"these are my notes, not a screenshot\n")]),
       "error", "fail", "fail", msg="unreadable"),
    _k("bad_crc_header_png", _file("badcrc.png", lambda p: [_write(p, _PNG[:29] + bytes([_PNG[29] ^ 0xFF]) + _PNG[30:])]),
       "error", "fail", "fail", msg="unreadable", note="IHDR checksum wrong: the size fields cannot be trusted"),
    _k("bad_crc_data_png", _file("badcrc_idat.png", lambda p: [_write(p, _idat_crc_broken(_PNG))]),
       "ok", "ok", "ok", (48, 64), note="only the IDAT checksum is wrong, the pixels decode intact: accepted"),
    _k("png_16bit", _file("deep16.png", lambda p: _png(p, Image.fromarray(
        np.arange(30 * 40, dtype=np.uint16).reshape(30, 40) * 50))), "ok", "ok", "ok", (30, 40)),
    _k("palette_png", _file("palette.png", lambda p: _png(p, Image.fromarray(rgb(30, 40, 2)).convert("P"))),
       "ok", "ok", "ok", (30, 40)),
    _k("rgba_transparent", _file("rgba.png", lambda p: _png(p, Image.fromarray(np.dstack(
        [rgb(30, 40, 3), np.tile(np.linspace(0, 255, 40, dtype=np.uint8), (30, 1))])))),
       "ok", "ok", "ok", (30, 40), note="composited on black"),
    _k("grayscale", _file("gray.png", lambda p: _png(p, Image.fromarray(rgb(30, 40, 4)[..., 0].copy()))),
       "ok", "ok", "ok", (30, 40)),
    _k("cmyk_jpeg", _file("cmyk.jpg", lambda p: [_write(p, encode(Image.new("CMYK", (40, 30), (0, 255, 0, 0)),
                                                                        "JPEG"))]), "ok", "ok", "ok", (30, 40)),
    _k("exif_rotated_jpeg", _file("rotated.jpg", exif_rotated_jpeg), "ok", "ok", "ok", (40, 24),
       note="EXIF orientation applied: mask is 24x40 as a viewer shows it, not 40x24 as stored"),
    _k("one_by_one", _file("dot.png", lambda p: _png(p, rgb(1, 1, 5))), "ok", "ok", "ok", (1, 1)),
    _k("smaller_than_multiple", _file("tiny.png", lambda p: _png(p, rgb(2, 3, 6))), "ok", "ok", "ok", (2, 3),
       note="padded up to the model's multiple and cropped back"),
    _k("odd_size", _file("odd.png", lambda p: _png(p, rgb(37, 53, 7))), "ok", "ok", "ok", (37, 53)),
    _k("decompression_bomb", _file("bomb.png", lambda p: [_write(p, bomb_png())]), "error", "fail", "fail",
       msg="too large", note="20000x20000 1-bit PNG, ~50 KB on disk"),
    _k("wide_strip", _file("strip.png", lambda p: _png(p, np.tile(
        np.linspace(0, 255, 10_000, dtype=np.uint8)[None, :, None], (64, 1, 3)))), "ok", "ok", "ok", (64, 10_000)),
    _k("animated_gif", _file("anim.gif", animated_gif), "ok", "ok", "ok", (20, 30), note="first frame"),
    _k("webp", _file("shot_webp.webp", lambda p: [_write(p, encode(rgb(30, 40, 8), "WEBP", lossless=True))]),
       "ok", "ok", "ok", (30, 40)),
    _k("bmp", _file("shot_bmp.bmp", lambda p: [_write(p, encode(rgb(30, 40, 9), "BMP"))]), "ok", "ok", "ok", (30, 40)),
    _k("jpeg_named_png", _file("really_jpeg.png", lambda p: [_write(p, encode(rgb(30, 40, 10), "JPEG"))]),
       "ok", "ok", "ok", (30, 40), note="content decides, not the extension"),
    _k("upper_case_ext", _file("SHOUT.PNG", lambda p: _png(p, rgb(30, 40, 11))), "ok", "ok", "ok", (30, 40)),
    _k("unicode_name", _file("écran – ü 日本.png", lambda p: _png(p, rgb(30, 40, 12))), "ok", "ok", "ok", (30, 40)),
    _k("space_name", _file("my screenshot 01.png", lambda p: _png(p, rgb(30, 40, 13))), "ok", "ok", "ok", (30, 40)),
    _k("symlink_to_file", symlink_to_file, "ok", "ok", "ok", (30, 40), note="the link is read"),
    _k("symlink_loop", symlink_loop, "error", "fail", "fail", msg="symlink loop"),
    _k("dangling_symlink", dangling_symlink, "error", "fail", "fail", msg="broken symlink"),
    _k("folder_symlink_loop", folder_loop, "error", "skip", "skip",
       note="symlinked folders are not followed: no hang, no duplicates"),
    _k("unreadable_chmod000", _file("locked.png", unreadable), "error", "fail", "fail", msg="permission",
       needs="perm"),
    _k("folder_named_png", folder_named_png, "ok", "ok", "ok", (16, 24),
       note="dir.png/ is walked as a folder; read_rgb(dir.png) says it is a folder"),
    _k("duplicate_stems", duplicate_stems, "ok", "ok", "fail", (20, 28), data_msg="different extensions",
       outputs=("dup.png.png", "dup.jpg.png"), note="segment keeps both (dup.png.png, dup.jpg.png)"),
    _k("hidden_appledouble", _file("._shot.png", hidden_appledouble), "error", "skip", "skip",
       note="dot-files are not inputs"),
]

SETUP_KINDS = {
    "empty_folder": "exit 2: no images found in INPUT",
    "out_equals_input": "exit 2: OUT inside INPUT",
    "out_inside_input": "exit 2: OUT inside INPUT",
    "missing_input": "exit 2: no such file or folder",
    "missing_model": "exit 2: model not found",
}


def build_images(folder: Path, kinds=None, skip_needs: set[str] = frozenset()) -> dict[str, list[Path]]:
    """Write every image kind (or `kinds`) into `folder`; returns kind name -> created paths."""
    folder.mkdir(parents=True, exist_ok=True)
    made = {}
    for kind in kinds or IMAGE_KINDS:
        if kind.needs not in skip_needs:
            made[kind.name] = kind.make(folder)
    return made


def write_good(folder: Path, count: int, seed: int = 100, size=(24, 32)) -> list[Path]:
    """`count` plain PNG screenshots good_000.png ... (the files that must always be processed)."""
    h, w = size
    return [_png(folder / f"good_{i:03d}.png", rgb(h, w, seed + i))[0] for i in range(count)]


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python tests/corpus.py OUT_FOLDER", file=sys.stderr)
        return 2
    root = Path(argv[1])
    made = build_images(root / "images", skip_needs=set() if os.geteuid() else {"perm"})
    write_good(root / "images", 3)
    from corpus_models import MODEL_KINDS, build_models, tiny_checkpoint

    build_models(root / "models")
    tiny_checkpoint(root / "models" / "tiny.ckpt")
    for kind in IMAGE_KINDS:
        paths = ", ".join(str(p.relative_to(root)) for p in made.get(kind.name, []))
        print(f"{kind.name:24s} read={kind.read:5s} segment={kind.segment:4s} data={kind.data:4s} {paths}")
    for mk in MODEL_KINDS:
        print(f"{mk.name:24s} refused ({mk.msg}) models/{mk.file}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
