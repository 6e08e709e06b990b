"""Leave-one-out generalisation benchmark: per held-out style family and world kind, IoU of a model that
never saw it in training (see uiseg/bench/generalise.py for the method).

    python benchmarks/bench_generalise.py                         # every fold at the CPU recipe (~4 min each)
    python benchmarks/bench_generalise.py --only space,handheld   # some folds
    python benchmarks/bench_generalise.py --set base=16 --set augment=0.5 --label base16-aug
    python benchmarks/bench_generalise.py --size native           # score at another inference size policy

Writes benchmarks/results/<host>-<date>-generalise-<label>.json/.md; work files under --work.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from uiseg.bench.generalise import AXES, markdown, run_benchmark
from uiseg.bench.results import write_results


def _pair(text: str) -> tuple[str, object]:
    key, sep, value = text.partition("=")
    if not sep:
        raise argparse.ArgumentTypeError(f"{text!r} is not KEY=VALUE, e.g. base=16")
    try:
        return key.strip(), json.loads(value)
    except ValueError:
        return key.strip(), value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--recipe", default="cpu", choices=("cpu", "gpu"))
    parser.add_argument("--set", dest="overrides", type=_pair, action="append", default=[], metavar="KEY=VALUE",
                        help="override a recipe value (TrainConfig field, or base/depth), JSON literal")
    parser.add_argument("--axes", default=",".join(AXES), help="families,worlds")
    parser.add_argument("--only", default=None, help="comma-separated families/world kinds to hold out")
    parser.add_argument("--test-count", type=int, default=96, help="test screenshots per fold")
    parser.add_argument("--size", default="auto", help="inference size policy for scoring (as segment --size)")
    parser.add_argument("--label", default=None, help="results name suffix [recipe name]")
    parser.add_argument("--jobs", type=int, default=1, help="folds trained at once, each in its own process")
    parser.add_argument("--work", type=Path, default=Path("runs/generalise"), help="data and runs")
    parser.add_argument("--results", type=Path, default=Path(__file__).parent / "results")
    args = parser.parse_args(argv)
    logging.getLogger("pytorch_lightning").setLevel(logging.WARNING)  # one line per fold, not Lightning's tables
    label = args.label or args.recipe
    only = tuple(x.strip() for x in args.only.split(",")) if args.only else None
    report = run_benchmark(args.work, args.recipe, dict(args.overrides), tuple(args.axes.split(",")), only,
                           args.test_count, args.size, label, args.jobs, log=lambda m: print(m, flush=True))
    text = markdown(report)
    print(text)
    path = write_results(report, text, args.results, f"generalise-{label}")
    print(f"→ {path}.json, {path}.md", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
