"""`uiseg segment INPUT... OUT`: parse, call uiseg.infer.run_segment, print the summary."""

from __future__ import annotations

import importlib
import json
import signal
import sys

import click

from uiseg.cli._common import friendly_errors, sigterm_as_interrupt
from uiseg.errors import UisegError

SIZE_HELP = (
    "Model input size. auto (default): the model's own policy, from its metadata. aspect: keep each image's "
    "aspect ratio at the pixel count the model was trained at (a 256x224 model sees 1280x720 as 341x192: about "
    "as cheap as 256x224). stretch: resize every image to the training size. native: full resolution, padded "
    "to the model's multiple and cropped back (a 1280x720 image is 16x the pixels of 256x224, ~16-50x the "
    "time). WIDTHxHEIGHT, e.g. 512x448: resize to that size (cost grows with the pixel count). Masks are "
    "always written at each image's own size."
)


def _checked(module: str, name: str):
    """A click callback running uiseg's own check `module.name` (imported when used, so --help stays light);
    its one-line UisegError becomes a usage error."""

    def callback(ctx, param, value):
        if value is None:
            return None
        check = getattr(importlib.import_module(module), name)
        try:
            return check(value)
        except UisegError as exc:
            raise click.BadParameter(str(exc)) from None

    return callback


_shard = _checked("uiseg.infer.runner", "parse_shard")
_threshold = _checked("uiseg.infer.identity", "check_threshold")


def _size(ctx, param, value):
    if value not in ("auto", "native", "aspect", "stretch"):
        from uiseg.config import parse_size

        try:
            parse_size(value, "--size")
        except UisegError as exc:
            raise click.BadParameter(f"{exc}; or auto, aspect, stretch or native") from None
    return value


@click.command("segment", context_settings={"max_content_width": 110})
@click.argument("paths", nargs=-1, required=True, metavar="INPUT... OUT")
@click.option("--model", "-m", type=click.Path(exists=True, dir_okay=False),
              help="A checkpoint (.ckpt), or a .ts / .onnx from `uiseg export`; it defines the preprocessing "
                   "[default: the model shipped with uiseg, see `uiseg doctor`].")
@click.option("--backend", type=click.Choice(["auto", "torch", "torchscript", "onnx"]), default="auto",
              show_default=True, help="Runtime; auto picks it from the model file's suffix.")
@click.option("--device", default="auto", show_default=True,
              help="auto (CUDA when a GPU is visible), cpu, cuda or cuda:N. CUDA asked for but unusable is an "
                   "error, never a silent CPU run.")
@click.option("--precision", type=click.Choice(["fp32", "fp16"]), default="fp32", show_default=True,
              help="fp16 needs CUDA (ONNX: uses model.fp16.onnx beside model.onnx).")
@click.option("--batch-size", type=click.IntRange(min=1), default=None,
              help="Images per forward pass [default: from the device and image size, e.g. 128 on a GPU and "
                   "4 on a CPU at 256x224].")
@click.option("--workers", type=click.IntRange(min=0), default=None,
              help="Decode processes (0: decode in this process) [default: from the cores].")
@click.option("--writers", type=click.IntRange(min=1), default=None, help="Encode/write threads.")
@click.option("--size", default="auto", show_default=True, callback=_size, help=SIZE_HELP)
@click.option("--threshold", type=float, callback=_threshold, default=None,
              help="UI probability threshold, between 0 and 1 [default: the model's].")
@click.option("--overlay", is_flag=True, help="Also write OUT/overlays/<name>.png: the UI tinted over the image.")
@click.option("--probs", is_flag=True, help="Also write OUT/probs/<name>.png: 16-bit UI probability.")
@click.option("--boxes/--no-boxes", default=True, show_default=True,
              help="Boxes of connected UI regions in results.jsonl.")
@click.option("--min-area", type=click.IntRange(min=1), default=64, show_default=True,
              help="Smallest UI region (pixels) listed as a box.")
@click.option("--overwrite", is_flag=True,
              help="Redo every image, also with other settings than OUT was made with (default: resume).")
@click.option("--shard", callback=_shard, default=None, metavar="I/N",
              help="Process every N-th image of the sorted list from I (I counts from 0); N runs cover all "
                   "images exactly once. Under torchrun, ranks split the work (and use cuda:LOCAL_RANK).")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar and no summary line.")
@click.option("--json", "as_json", is_flag=True, help="Print the run report (as in OUT/run.json) as JSON.")
@friendly_errors
def command(paths, model, backend, device, precision, batch_size, workers, writers, size, threshold, overlay,
            probs, boxes, min_area, overwrite, shard, quiet, as_json):
    """Segment the UI in every image of INPUT (folders, recursively; files; globs) into OUT.

    \b
    OUT mirrors the input tree:
      OUT/<name>.png           mask, 0 = background, 255 = UI, at the image's size
      OUT/overlays/<name>.png  with --overlay;   OUT/probs/<name>.png with --probs
      OUT/results.jsonl        one line per image, sorted: path, size, ui_fraction, boxes, status
                               (no timings, so a resumed run ends with the same bytes as a clean one)
      OUT/run.json             arguments, model sha256 and metadata, versions, backend, timings, failures
      OUT/.uiseg/              what made OUT (model, settings) and each input's and output's fingerprint
    \b
    <name> is the input's path below its INPUT with the extension replaced: a/b.jpg -> OUT/a/b.png. It keeps
    the extension (a/b.jpg.png) when another input is a/b.<other> or a/b.jpg.png, and goes under OUT/masks/
    when its top folder is overlays/ or probs/; inputs that would still share a name are refused, listed.
    An INPUT that exists is taken as it is (brackets and stars included); only others are globs.

    Rerunning resumes: an image is skipped only while its input (size, time, sha256) and every output are
    the ones recorded; a changed input or a damaged output is redone. OUT remembers the model and settings
    that decide its pixels: a rerun with others stops and names them (use --overwrite, or another OUT).
    One run writes an OUT at a time (--shard runs share it). Exit code: 0 all done, 1 if any image failed,
    2 for usage errors, 130 when interrupted.
    """
    if len(paths) < 2:
        raise click.UsageError("give at least one INPUT and the OUT folder, e.g. uiseg segment shots/ out/")
    from uiseg.infer import SetupError
    from uiseg.infer.runner import SegmentOptions, run_segment

    if model is None:
        from uiseg.models import default_model

        model = str(default_model())

    options = SegmentOptions(list(paths[:-1]), paths[-1], model, backend, device, precision, batch_size,
                             workers, writers, size, threshold, overlay, probs, boxes, min_area, overwrite,
                             shard, progress=not quiet, extra={"argv": sys.argv[1:]})
    previous = sigterm_as_interrupt()
    try:
        report = run_segment(options, log=lambda msg: click.echo(msg, err=True))
    except SetupError as exc:
        raise click.UsageError(str(exc)) from None
    except KeyboardInterrupt:  # before the loop started or while results were being saved
        click.echo("interrupted; run the same command again to resume", err=True)
        click.get_current_context().exit(130)
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    _finish(report, paths[-1], quiet, as_json)


def _finish(report: dict, out_dir: str, quiet: bool, as_json: bool) -> None:
    from uiseg.infer.report import summary_line

    totals = report["totals"]
    if as_json:
        click.echo(json.dumps(report, indent=2, ensure_ascii=False, default=str))
    elif not quiet:
        click.echo(summary_line(totals, out_dir))
    if totals["interrupted"]:
        left = totals["todo"] - totals["done"] - totals["failed"]
        click.echo(f"interrupted: {totals['done'] + totals['skipped']} of {totals['inputs']} images done, {left} "
                   "left; run the same command again to resume", err=True)
        click.get_current_context().exit(130)
    if totals["failed"]:
        click.echo(f"{totals['failed']} image(s) failed; see OUT/run.json (\"failures\")", err=True)
        click.get_current_context().exit(1)
