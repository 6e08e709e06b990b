"""`uiseg benchmark`: parse options, call uiseg.bench.run_benchmark, print and write the table."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from uiseg.cli._common import friendly_errors

BACKENDS, PRECISIONS = ("torch", "torchscript", "onnx"), ("fp32", "fp16")


def _sizes(ctx, param, value):
    """'256x224,1280x720' (WIDTHxHEIGHT, as screens are named) -> ((224, 256), (720, 1280))."""
    from uiseg.config import parse_size
    from uiseg.errors import UisegError

    try:
        return tuple(parse_size(part.strip(), "--sizes") for part in value.split(",") if part.strip())
    except UisegError as exc:
        raise click.BadParameter(str(exc)) from None


def _ints(ctx, param, value):
    if value is None:
        return None
    try:
        found = tuple(int(v) for v in value.split(",") if v.strip())
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a comma-separated list of integers, e.g. 1,8,32") from None
    if not found or min(found) < 1:
        raise click.BadParameter(f"{value!r}: batch sizes must be positive integers")
    return found


def _choices(allowed):
    def parse(ctx, param, value):
        found = tuple(v.strip() for v in value.split(",") if v.strip())
        bad = [v for v in found if v not in allowed]
        if bad or not found:
            raise click.BadParameter(f"{value!r}: choose from {','.join(allowed)}")
        return found
    return parse


@click.command("benchmark")
@click.argument("model", required=False, type=click.Path(exists=True, path_type=Path))
@click.option("--random-model", is_flag=True, help="Benchmark a default-size UNet with random weights.")
@click.option("--device", default="auto", show_default=True, help="auto, cpu, cuda or cuda:N.")
@click.option("--sizes", default="256x224,1280x720", show_default=True, callback=_sizes,
              help="Image sizes, WIDTHxHEIGHT, comma-separated (padded up to the model's multiple).")
@click.option("--batch-sizes", callback=_ints, help="Comma-separated [default: 1,4 on CPU; 1,8,32,128 on CUDA].")
@click.option("--backends", default=",".join(BACKENDS), show_default=True, callback=_choices(BACKENDS),
              help="Which backends get rows (the eager fp32 reference row is always measured).")
@click.option("--precisions", default=",".join(PRECISIONS), show_default=True, callback=_choices(PRECISIONS),
              help="fp16 rows exist on CUDA only.")
@click.option("--compile", "use_compile", is_flag=True, help="Add a torch.compile fp32 row (slow to warm up).")
@click.option("--warmup", type=click.IntRange(min=2), default=3, show_default=True,
              help="Untimed passes first; the first two are the parity batches.")
@click.option("--repeats", type=click.IntRange(min=1), default=50, show_default=True, help="Most timed passes per row.")
@click.option("--min-repeats", type=click.IntRange(min=1), default=5, show_default=True,
              help="Fewest timed passes per row, whatever the budget.")
@click.option("--budget", "budget_s", type=click.FloatRange(min=0), default=5.0, show_default=True,
              help="Seconds of timed passes per row, once --min-repeats ran.")
@click.option("--seed", type=int, default=0, show_default=True, help="Inputs (and --random-model weights).")
@click.option("--cudnn-benchmark/--no-cudnn-benchmark", default=True, show_default=True,
              help="Let cuDNN pick the fastest convolutions for each shape (CUDA).")
@click.option("--min-iou", type=float, help="Gate: exit 1 if a row that ran has mask IoU below this.")
@click.option("--max-delta", type=float, help="Gate: exit 1 if a row that ran has max|Δ| above this.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("benchmarks/results"),
              show_default=True, help="Where <host>-<date>-backends-<device>.json/.md/.png go.")
@click.option("--quiet", is_flag=True, help="No progress lines on stderr.")
@friendly_errors
def command(model, random_model, device, sizes, batch_sizes, backends, precisions, use_compile, warmup, repeats,
            min_repeats, budget_s, seed, cudnn_benchmark, min_iou, max_delta, out, quiet):
    """Time every backend on MODEL (a checkpoint, an exported folder, or a .ts/.onnx file) and compare its
    output with eager PyTorch fp32 on the same inputs.

    One row per backend x precision x size x batch size: status (✅ matched, ❎ differs, ❌ failed and why),
    artifact size, provider that really ran, max|Δ| and mask IoU against eager fp32, latency median/p90/p99,
    ms/img, img/s, ratio to eager, peak memory. The Markdown table goes to stdout; JSON, Markdown and a PNG
    plot go to --out. With --min-iou/--max-delta it is a gate: exit 1 when a row that ran falls short.
    """
    from uiseg.bench import BenchOptions, run_benchmark
    from uiseg.bench import report as bench_report
    from uiseg.infer import SetupError

    if model is None and not random_model:
        raise click.UsageError("pass MODEL (checkpoint, exported folder, .ts or .onnx) or --random-model")
    options = BenchOptions(device=device, sizes=sizes, batch_sizes=batch_sizes, backends=backends,
                           precisions=precisions, compile=use_compile, warmup=warmup, repeats=repeats,
                           min_repeats=min(min_repeats, repeats), budget_s=budget_s, seed=seed,
                           cudnn_benchmark=cudnn_benchmark)
    log = (lambda line: None) if quiet else (lambda line: click.echo(line, err=True))
    try:
        report = run_benchmark(model, random_model=random_model, options=options, log=log)
    except SetupError as exc:
        raise click.UsageError(str(exc)) from None
    bench_report.add_ratios(report)
    paths = bench_report.write(report, out)
    click.echo(bench_report.markdown(report))
    click.echo("wrote " + ", ".join(str(p) for p in paths.values()), err=True)
    failures = bench_report.gate(report, min_iou=min_iou, max_delta=max_delta)
    for line in failures:
        click.echo(f"GATE FAILED: {line}", err=True)
    if failures:
        sys.exit(1)
