"""Memory of `uiseg segment` over many files: resident memory must not grow with the number of files processed.

Writes COUNT tiny PNG screenshots (16-40 px, several sizes, 500 per folder), runs `uiseg segment` on them in a
subprocess with a random tiny UNet, and samples every INTERVAL seconds: images processed (lines in the run's
journal) and memory of the whole process tree (the main process plus its decode workers): RSS, and PSS, which
splits pages shared between the forked workers and the main process instead of counting them once per process.
The verdict compares the tree's memory after about 1,000 images with its memory near the end, and fits a slope
(MB per 1,000 images) over everything after the first 1,000.

    python benchmarks/bench_memory.py                 # 5,000 files -> benchmarks/results/<host>-<date>-memory.*
    python benchmarks/bench_memory.py --count 1500 --out /tmp/mem
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np
from PIL import Image

CLI = "import sys; from uiseg.cli import main; sys.exit(main())"
SIZES = [(16, 16), (24, 32), (40, 40), (32, 24)]  # (H, W)


def make_images(folder: Path, count: int, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    for i in range(count):
        h, w = SIZES[i % len(SIZES)]
        sub = folder / f"part{i // 500:02d}"
        sub.mkdir(parents=True, exist_ok=True)
        Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8)).save(sub / f"{i:05d}.png", compress_level=1)


def make_model(path: Path) -> Path:
    import torch

    from uiseg.checkpoint import make_checkpoint
    from uiseg.config import Contract
    from uiseg.model import UNet

    torch.manual_seed(0)
    torch.save(make_checkpoint(UNet(base=4, depth=2), Contract(image_size=(32, 32), pad_multiple=4)), path)
    return path


def process_tree(pid: int) -> list[int]:
    """pid and all its descendants, from /proc/<p>/task/<t>/children."""
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        for task in Path(f"/proc/{p}/task").glob("*"):
            try:
                todo += [int(c) for c in (task / "children").read_text().split()]
            except OSError:
                pass
    return found


def memory_kb(pid: int) -> tuple[int, int]:
    """(RSS, PSS) in kB of one process; (0, 0) once it is gone."""
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return 0, 0
    values = {line.split(":")[0]: int(line.split()[1]) for line in text.splitlines()[1:] if line.endswith("kB")}
    return values.get("Rss", 0), values.get("Pss", 0)


def journal_lines(out: Path) -> int:
    journal = out / ".uiseg" / "journal-0-of-1.jsonl"  # a plain run's journal (uiseg.infer.state)
    try:
        return journal.read_bytes().count(b"\n")
    except OSError:
        return sum(1 for _ in (out / "results.jsonl").open()) if (out / "results.jsonl").is_file() else 0


def run(count: int, work: Path, workers: int, batch: int, interval: float) -> dict:
    """Segment `count` files once while sampling memory; returns the samples and the summary."""
    shots, out = work / "shots", work / "out"
    t0 = time.perf_counter()
    make_images(shots, count)
    model = make_model(work / "tiny.ckpt")
    made_s = time.perf_counter() - t0
    argv = [sys.executable, "-c", CLI, "segment", str(shots), str(out), "-m", str(model), "-q", "--device", "cpu",
            "--workers", str(workers), "--batch-size", str(batch)]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
    samples, start = [], time.perf_counter()
    while proc.poll() is None:
        tree = process_tree(proc.pid)
        mem = [memory_kb(p) for p in tree]
        samples.append({"t": round(time.perf_counter() - start, 2), "processed": journal_lines(out),
                        "processes": len(tree), "main_rss_mb": round(mem[0][0] / 1024, 1),
                        "tree_rss_mb": round(sum(m[0] for m in mem) / 1024, 1),
                        "tree_pss_mb": round(sum(m[1] for m in mem) / 1024, 1)})
        time.sleep(interval)
    stderr = proc.stderr.read()
    if proc.returncode != 0:
        raise SystemExit(f"segment failed ({proc.returncode}):\n{stderr}")
    return {"count": count, "workers": workers, "batch_size": batch, "make_seconds": round(made_s, 1),
            "segment_seconds": round(time.perf_counter() - start, 1), "samples": samples,
            "summary": summarize(samples, count)}


def summarize(samples: list[dict], count: int) -> dict:
    """Memory after ~1,000 images vs near the end, and the slope after the first 1,000."""
    # Only samples taken mid-run with every decode worker alive: before the first image the process is still
    # importing, and after the last one the workers have exited (the tree's memory drops by theirs).
    width = max(s["processes"] for s in samples)
    live = [s for s in samples if 0 < s["processed"] < count and s["processes"] == width]
    if not live:
        raise SystemExit("no sample caught the run mid-way; lower --interval or raise --count")
    early_at = min(1000, count // 5)
    early = [s for s in live if early_at <= s["processed"] <= early_at + max(200, count // 10)] or live[:3]
    late = [s for s in live if s["processed"] >= 0.8 * count] or live[-3:]
    after = [s for s in live if s["processed"] >= early_at]
    summary = {"early_at_images": early_at, "late_at_images": int(0.8 * count)}
    for key in ("main_rss_mb", "tree_rss_mb", "tree_pss_mb"):
        e, lt = statistics.median(s[key] for s in early), statistics.median(s[key] for s in late)
        summary[key] = {"early": e, "late": lt, "growth": round(lt - e, 1)}
        if len(after) >= 3 and len({s["processed"] for s in after}) > 1:
            x = np.array([s["processed"] for s in after], float)
            y = np.array([s[key] for s in after], float)
            summary[key]["mb_per_1000_images"] = round(float(np.polyfit(x, y, 1)[0]) * 1000, 2)
    summary["peak_tree_pss_mb"] = max(s["tree_pss_mb"] for s in live)
    return summary


def markdown(result: dict, host: str) -> str:
    s = result["summary"]
    lines = [f"# segment memory over {result['count']:,} files ({host}, {date.today()})", "",
             (f"tiny UNet (base 4, depth 2) checkpoint, CPU, --workers {result['workers']}, --batch-size "
             f"{result['batch_size']}, OMP_NUM_THREADS=1; {result['segment_seconds']} s for the run, "
             f"{len(result['samples'])} samples."), "",
             (f"| memory (MB) | after {s['early_at_images']:,} images | after {s['late_at_images']:,} | growth | "
             "slope (MB per 1,000 images) |"), "|---|---:|---:|---:|---:|"]
    for key, label in (("main_rss_mb", "main process RSS"), ("tree_rss_mb", "process tree RSS"),
                       ("tree_pss_mb", "process tree PSS")):
        m = s[key]
        lines.append(f"| {label} | {m['early']} | {m['late']} | {m['growth']:+} | {m.get('mb_per_1000_images', '-')} |")
    lines += ["", (f"Peak PSS of the tree: {s['peak_tree_pss_mb']} MB. RSS counts pages shared by the forked decode "
              "workers once per process; PSS splits them.")]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=5000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--interval", type=float, default=0.05)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="uiseg-mem-") as work:
        result = run(args.count, Path(work), args.workers, args.batch_size, args.interval)
    host = socket.gethostname().split(".")[0]
    args.out.mkdir(parents=True, exist_ok=True)
    stem = args.out / f"{host}-{date.today()}-memory"
    stem.with_suffix(".json").write_text(json.dumps(result, indent=1) + "\n")
    stem.with_suffix(".md").write_text(markdown(result, host))
    print(markdown(result, host))
    print(f"wrote {stem}.json and {stem}.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
