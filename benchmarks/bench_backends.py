"""Every backend x precision x image size x batch size: speed and agreement with eager PyTorch fp32.

A thin script over `uiseg benchmark` (uiseg/bench/__init__.py does the work); the only difference is that results go
to benchmarks/results/ beside this file by default. Examples:

    python benchmarks/bench_backends.py --random-model --device cpu            # 256x224 and 1280x720, batch 1, 4
    python benchmarks/bench_backends.py runs/demo/best.ckpt --device cuda      # batch 1, 8, 32, 128
    python benchmarks/bench_backends.py runs/demo/ --min-iou 0.999 --max-delta 1e-3   # a gate: exit 1 below it

See benchmarks/README.md for what each column means.
"""

from __future__ import annotations

import sys
from pathlib import Path

from uiseg.cli.benchmark import command

RESULTS = Path(__file__).resolve().parent / "results"

if __name__ == "__main__":
    sys.exit(command.main(prog_name="bench_backends.py", default_map={"out": str(RESULTS)}))
