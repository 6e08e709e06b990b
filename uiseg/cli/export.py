"""`uiseg export`: parse options, call uiseg.export.export_checkpoint, print the parity table."""

from __future__ import annotations

from pathlib import Path

import click

from uiseg.cli._common import friendly_errors


def _static_shape(ctx, param, value):
    """HEIGHTxWIDTH (NCHW order, like the tensor) -> (H, W)."""
    if value is None:
        return None
    try:
        h, w = (int(part) for part in value.lower().split("x"))
    except ValueError:
        raise click.BadParameter(f"{value!r} is not HEIGHTxWIDTH, e.g. 224x256") from None
    if h <= 0 or w <= 0:
        raise click.BadParameter(f"{value!r} must have a positive height and width")
    return h, w


@click.command("export")
@click.argument("checkpoint", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Output folder (default: the checkpoint's folder).")
@click.option("--torchscript/--no-torchscript", default=True, show_default=True, help="Write model.ts.")
@click.option("--onnx/--no-onnx", default=True, show_default=True, help="Write model.onnx.")
@click.option("--fp16", is_flag=True, help="Also write model.fp16.onnx (fp16 inside, float32 input/output).")
@click.option("--opset", type=click.IntRange(min=17), default=18, show_default=True, help="ONNX opset.")
@click.option("--static-shape", callback=_static_shape, metavar="HxW",
              help="Fix ONNX height and width (e.g. 224x256, multiples of the pad multiple); batch stays dynamic.")
@click.option("--simplify/--no-simplify", default=False, show_default=True, help="Simplify the ONNX graph (onnxslim).")
@click.option("--verify/--no-verify", default=True, show_default=True,
              help="Check every file against eager PyTorch; a failure writes nothing and exits 1.")
@click.option("--device", type=click.Choice(["cpu", "cuda"]), default="cpu", show_default=True,
              help="Where verification runs the files (export itself always runs on CPU).")
@friendly_errors
def command(checkpoint, out_dir, torchscript, onnx, fp16, opset, static_shape, simplify, verify, device):
    """Export CHECKPOINT to TorchScript and ONNX files that carry their preprocessing contract.

    Writes model.ts, model.onnx (and model.fp16.onnx with --fp16) plus export.json, the manifest with each file's
    sha256 and the parity report. Verification compares every file with eager PyTorch on random inputs at two
    shapes other than the export shape and on a synthetic screenshot.
    """
    from uiseg.export import ParityError, export_checkpoint
    from uiseg.export.verify import format_table

    if not (torchscript or onnx):
        raise click.UsageError("--no-torchscript and --no-onnx together leave nothing to export")
    if (fp16 or simplify) and not onnx:
        raise click.UsageError(f"{'--fp16' if fp16 else '--simplify'} applies to the ONNX file; drop --no-onnx")
    try:
        manifest = export_checkpoint(checkpoint, out_dir, torchscript=torchscript, onnx=onnx, fp16=fp16,
                                     opset=opset, static_shape=static_shape, simplify=simplify, verify=verify,
                                     device=device)
    except ParityError as exc:
        click.echo(format_table(exc.report), err=True)
        raise
    if verify:
        click.echo(format_table(manifest["parity"]))
    out = Path(out_dir) if out_dir else checkpoint.parent
    for name, info in manifest["files"].items():
        click.echo(f"wrote {out / name} ({info['size'] / 1e6:.2f} MB, sha256 {info['sha256'][:12]})")
    click.echo(f"wrote {out / 'export.json'}")
    click.echo(f"export {manifest['export_seconds']:.1f} s, verify {manifest['verify_seconds']:.1f} s, "
               f"total {manifest['total_seconds']:.1f} s")
