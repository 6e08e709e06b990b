"""Which inference size is right: IoU of models under each size policy, on screenshots of one size per set.

    python benchmarks/bench_sizes.py --model stretch=runs/a/checkpoints/last.ckpt --model aspect=runs/b/... \
        --families visual_novel --sizes 256x224,1280x720 --count 64

For every model and every screen size: a synthetic set of that size (families/worlds as given; pass ones the
models never trained on), scored by `uiseg evaluate` at --size native, aspect and stretch, plus the seconds each
took. `--size auto` is set from these numbers: the policy a recipe records in its models is the best one here.
Writes benchmarks/results/<host>-<date>-sizes.json/.md.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

POLICIES = ("native", "aspect", "stretch")


def main(argv: list[str] | None = None) -> int:
    from uiseg.bench.generalise import cached_generate
    from uiseg.bench.results import describe_machine, header, md_table, write_results
    from uiseg.evaluate import run_evaluation

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", action="append", required=True, metavar="NAME=PATH")
    parser.add_argument("--sizes", default="256x224,1280x720")
    parser.add_argument("--families", default=None, help="comma-separated style families of the sets")
    parser.add_argument("--worlds", default=None, help="comma-separated world kinds of the sets")
    parser.add_argument("--count", type=int, default=64)
    parser.add_argument("--seed", type=int, default=9_000_000)
    parser.add_argument("--work", type=Path, default=Path("runs/sizes"))
    parser.add_argument("--results", type=Path, default=Path(__file__).parent / "results")
    args = parser.parse_args(argv)
    models = dict(m.split("=", 1) for m in args.model)
    restrict = {k: tuple(getattr(args, k).split(",")) for k in ("families", "worlds") if getattr(args, k)}
    report = {**header("sizes"), "restrict": {k: list(v) for k, v in restrict.items()}, "rows": []}
    for size in args.sizes.split(","):
        data = cached_generate(args.work / f"set-{size}", args.count, [size], args.seed, **restrict)
        for name, path in models.items():
            for policy in POLICIES:
                t0 = time.perf_counter()
                ev = run_evaluation(data, path, out=args.work / f"eval-{name}-{size}-{policy}", size=policy,
                                    device="cpu", log=lambda m: None)
                row = {"model": name, "screen": size, "policy": policy, "seconds": round(time.perf_counter() - t0, 1),
                       **{k: round(v, 4) for k, v in ev["overall"].items()}}
                report["rows"].append(row)
                print(f"{name:12} {size:>9} {policy:8} IoU {row['iou']:.3f}  ({row['seconds']:.0f} s)", flush=True)
    rows = [[r["model"], r["screen"], r["policy"], f"{r['iou']:.3f}", f"{r['dice']:.3f}", f"{r['precision']:.3f}",
             f"{r['recall']:.3f}", r["seconds"]] for r in report["rows"]]
    text = "\n".join([f"# IoU by inference size policy ({args.count} screenshots per set, {restrict or 'all'})",
                      "", describe_machine(report), "",
                      md_table(["model", "screen", "--size", "IoU", "Dice", "precision", "recall", "seconds"], rows,
                               right={3, 4, 5, 6, 7})])
    print(text)
    path = write_results(report, text, args.results, "sizes")
    print(f"→ {path}.json, {path}.md", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
