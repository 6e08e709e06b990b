"""Speed of `uiseg segment` against its two limits and against the tutorial loop, in one run, one folder:

  (a) end to end: `uiseg segment IN OUT` in a subprocess (steady rate from its report; wall incl. start-up)
  (b) the model alone: the same backend on device tensors (CUDA synchronised), batches of the run's size
  (c) decode + encode alone: read + resize each PNG and write a mask PNG, a process per core
  (d) the tutorial loop in a subprocess: one image at a time, PIL open, resize, ToTensor, eager fp32
      forward, threshold, PIL save (steady rate; wall incl. start-up)
Ratios: (a)/min(b, c) (goal >= 0.85) and (a)/(d) (goal >= 1.5 on a 2-core CPU, >= 15 on a GPU box).
The UNet has random weights (speed does not depend on them); its contract's image size is --model-size.

    python benchmarks/bench_segment.py --size 256x224 --count 300 --backend onnx
    python benchmarks/bench_segment.py --size 1280x720 --count 12      # the model runs at 1280x720
    python benchmarks/bench_segment.py --size 256x224,1280x720 --count 300,24   # both rows in one run
    python benchmarks/bench_segment.py --size 1280x720 --model-size 256x224 --device cuda --precision fp16
--size (and --count) may be repeated or comma-separated: one row per size (a single --count applies to every
size; otherwise one per size). Results are appended to benchmarks/results/<host>-<date>-segment.json and .md.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from multiprocessing import Pool
from pathlib import Path

import numpy as np
from PIL import Image

from uiseg.bench.results import describe_machine, header, write_results
from uiseg.bench.results import host as host_name
from uiseg.bench.results import stem as results_stem

CLI = "import sys; from uiseg.cli import main; sys.exit(main())"
SUFFIX = {"torch": "tiny.ckpt", "torchscript": "model.ts", "onnx": "model.onnx"}


def make_inputs(folder: Path, count: int, size: tuple[int, int], seed: int = 0) -> list[Path]:
    """Screenshot-like PNGs (smooth background, a few flat panels with borders), default PNG compression."""
    h, w = size
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w]
    paths = []
    for i in range(count):
        base = (np.sin(xx / rng.uniform(20, 90) + i) * 60 + np.cos(yy / rng.uniform(20, 90)) * 60 + 110)
        image = np.repeat(base[..., None], 3, axis=2) + rng.normal(0, 6, (h, w, 3))
        for _ in range(rng.integers(2, 6)):
            ph, pw = rng.integers(h // 10, h // 3), rng.integers(w // 10, w // 3)
            y, x = rng.integers(0, h - ph), rng.integers(0, w - pw)
            image[y:y + ph, x:x + pw] = rng.integers(0, 256, 3)
            image[y:y + 2, x:x + pw] = 255
        path = folder / f"{i // 100:03d}" / f"shot{i:05d}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(np.clip(image, 0, 255).astype(np.uint8)).save(path)
        paths.append(path)
    return paths


def make_model(folder: Path, args) -> Path:
    """A random default-size UNet checkpoint (head bias centred so masks are mixed), exported if needed."""
    import torch

    from uiseg.checkpoint import make_checkpoint
    from uiseg.config import Contract
    from uiseg.model import DeployModel, UNet, padded_size

    torch.manual_seed(0)
    unet = UNet(base=args.base, depth=args.depth).eval()
    multiple = 2 ** args.depth
    contract = Contract(image_size=padded_size(*args.model_size, multiple), resize_policy="stretch",
                        pad_multiple=multiple)
    with torch.no_grad():
        probe = torch.rand(1, 3, *padded_size(*args.model_size, multiple))
        unet.head.bias -= DeployModel(unet, contract)(probe).median()
    ckpt = folder / SUFFIX["torch"]
    folder.mkdir(parents=True, exist_ok=True)
    torch.save(make_checkpoint(unet, contract), ckpt)
    if args.backend == "torch":
        return ckpt
    from uiseg.export import export_checkpoint

    export_checkpoint(ckpt, folder, torchscript=args.backend == "torchscript", onnx=args.backend == "onnx",
                      fp16=args.precision == "fp16", verify=False)
    return folder / SUFFIX[args.backend]


def end_to_end(inputs: Path, out: Path, model: Path, args) -> dict:
    cmd = [sys.executable, "-c", CLI, "segment", str(inputs), str(out), "--model", str(model), "--backend",
           args.backend, "--device", args.device, "--precision", args.precision, "--json", "--quiet"]
    cmd += ["--batch-size", str(args.batch_size)] if args.batch_size else []
    cmd += ["--workers", str(args.workers)] if args.workers is not None else []
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"uiseg segment failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    report = json.loads(proc.stdout)
    totals = report["totals"]
    return {"img_s": totals["images_per_s"], "wall_img_s": totals["done"] / wall, "wall_s": wall,
            "ms_per_image": totals["ms_per_image"], "resolved": report["arguments"]["resolved"],
            "provider": report["model"]["provider"], "done": totals["done"]}


def model_alone(model: Path, args, batch: int, repeats: int) -> dict:
    """The backend's predict() on a device tensor, as the runner calls it (input already on the device)."""
    import torch
    from uiseg.infer.backends import load_predictor

    from uiseg.model import padded_size

    predictor = load_predictor(model, args.backend, args.device, args.precision)
    h, w = padded_size(*args.model_size, predictor.contract.pad_multiple)
    x = torch.rand(batch, 3, h, w, device=predictor.device)
    sync = torch.cuda.synchronize if predictor.device.type == "cuda" else (lambda: None)
    for _ in range(2):
        predictor.predict(x)
    sync()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        predictor.predict(x)
        sync()
        times.append(time.perf_counter() - start)
    return {"img_s": batch / statistics.median(times), "batch": batch, "provider": predictor.provider}


def _codec_one(job) -> float:
    """Decode + resize as the runner does, then a mask (the green channel, thresholded) back at the original
    size, PNG-encoded and written atomically as the runner does."""
    from uiseg.infer.io import load_for_model

    from uiseg.images import atomic_write_bytes, encode_png
    from uiseg.resize import SizePolicy, resize_nearest

    path, out, size = job
    start = time.perf_counter()
    image, orig = load_for_model(path, SizePolicy("fixed", size) if size else SizePolicy("native"))
    mask = resize_nearest(image[1].numpy() > 128, orig)
    atomic_write_bytes(out, encode_png(mask.astype(np.uint8) * np.uint8(255)))
    return time.perf_counter() - start


def codecs_alone(paths: list[Path], out: Path, args) -> dict:
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    size = args.model_size if args.model_size != args.size else None
    jobs = [(str(p), out / f"{i}.png", size) for i, p in enumerate(paths)]
    with Pool(cores) as pool:
        pool.map(_codec_one, jobs[: cores])  # warm the workers (imports)
        start = time.perf_counter()
        pool.map(_codec_one, jobs, chunksize=max(1, len(jobs) // (4 * cores)))
        seconds = time.perf_counter() - start
    return {"img_s": len(jobs) / seconds, "processes": cores}


def tutorial_loop(args) -> None:
    """(d), run in its own process: what a first script looks like. Prints its steady rate as JSON."""
    import torch
    from torchvision.transforms.functional import to_tensor

    from uiseg.checkpoint import load_checkpoint
    from uiseg.model import DeployModel

    device = torch.device("cuda" if args.device in ("auto", "cuda") and torch.cuda.is_available() else "cpu")
    ckpt = load_checkpoint(args.tutorial_model)
    model = DeployModel(ckpt.unet, ckpt.contract).eval().to(device)
    h, w = ckpt.contract.image_size
    paths = sorted(Path(args.tutorial_inputs).rglob("*.png"))
    out = Path(args.tutorial_out)
    start = time.perf_counter()
    for i, path in enumerate(paths):
        image = Image.open(path).convert("RGB")
        x = to_tensor(image.resize((w, h), Image.BILINEAR)).unsqueeze(0).to(device)
        with torch.no_grad():
            mask = (torch.sigmoid(model(x))[0, 0] > 0.5).cpu().numpy()
        Image.fromarray(mask.astype(np.uint8) * 255).resize(image.size, Image.NEAREST).save(out / f"{i}.png")
    print(json.dumps({"img_s": len(paths) / (time.perf_counter() - start)}))


def tutorial(inputs: Path, out: Path, ckpt: Path, args) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, __file__, "--tutorial-model", str(ckpt), "--tutorial-inputs", str(inputs),
           "--tutorial-out", str(out), "--device", args.device]
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=True)
    wall = time.perf_counter() - start
    return {"img_s": json.loads(proc.stdout.splitlines()[-1])["img_s"], "wall_img_s": args.count / wall}


def markdown(runs: list[dict], host: str) -> str:
    lines = [f"# uiseg segment speed ({host}, {date.today()})", "",
             ("| size | model at | backend | device | precision | (a) img/s | (a) wall | (b) model | (c) codecs "
              "| (d) tutorial | (d) wall | (a)/min(b,c) | (a)/(d) | wall (a)/(d) |"),
             "|" + "---|" * 14]
    for r in runs:
        a, b, c, d = r["a"], r["b"], r["c"], r["d"]
        lines.append(f"| {r['size']} | {r['model_size']} | {r['backend']} | {r['device']} | {r['precision']} | "
                     f"{a['img_s']:.1f} | {a['wall_img_s']:.1f} | {b['img_s']:.1f} | {c['img_s']:.1f} | "
                     f"{d['img_s']:.1f} | {d['wall_img_s']:.1f} | {r['ratio_a_min_bc']:.2f} | "
                     f"{r['ratio_a_d']:.2f} | {r['ratio_wall_a_d']:.2f} |")
    lines += ["", ("(a) and (d) are steady rates from inside each process; 'wall' counts interpreter start-up "
                   "and model loading too. (b) runs on device tensors; (c) uses a process per core.")]
    return "\n".join(lines) + "\n"


def save(new: list[dict], results: Path) -> Path:
    """Add the `new` runs to today's <host>-<date>-segment.json/.md (a rerun of the same settings replaces its row), in the
    format every benchmark shares (uiseg.bench.results: host, machine, versions)."""
    path = results_stem(results, "segment").with_suffix(".json")
    old = json.loads(path.read_text())["runs"] if path.is_file() else []
    key = ("size", "model_size", "backend", "device", "precision", "count")
    replaced = {tuple(run[k] for k in key) for run in new}
    runs = [r for r in old if tuple(r.get(k) for k in key) not in replaced] + new
    report = {**header("segment"), "runs": runs}
    title, rest = markdown(runs, report["host"]).split("\n", 1)
    return write_results(report, f"{title}\n\n{describe_machine(report)}\n{rest}", results, "segment")


def parse_args(argv=None):
    from uiseg.config import parse_size

    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--size", action="append", default=None,
                   help="screenshot size WIDTHxHEIGHT (default 256x224); repeat or comma-separate for several")
    p.add_argument("--model-size", default=None, help="the model's image size (default: --size, i.e. native)")
    p.add_argument("--count", action="append", default=None,
                   help="images per size (default 300); one for all sizes, or one per --size")
    p.add_argument("--backend", choices=["torch", "torchscript", "onnx"], default="onnx")
    p.add_argument("--device", default="auto")
    p.add_argument("--precision", choices=["fp32", "fp16"], default="fp32")
    p.add_argument("--batch-size", type=int, default=None)
    p.add_argument("--workers", type=int, default=None)
    p.add_argument("--base", type=int, default=16)
    p.add_argument("--depth", type=int, default=4)
    p.add_argument("--repeats", type=int, default=10, help="timed model-alone batches")
    p.add_argument("--results", type=Path, default=Path(__file__).parent / "results")
    for hidden in ("--tutorial-model", "--tutorial-inputs", "--tutorial-out"):
        p.add_argument(hidden, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if not args.tutorial_model:
        split = (lambda values, default: [v for text in (values or [default]) for v in text.split(",") if v])
        args.sizes = [parse_size(s) for s in split(args.size, "256x224")]
        counts = [int(c) for c in split(args.count, "300")]
        if len(counts) not in (1, len(args.sizes)):
            p.error(f"--count: give one value or one per --size ({len(args.sizes)})")
        args.counts = counts * len(args.sizes) if len(counts) == 1 else counts
        args.fixed_model_size = parse_size(args.model_size) if args.model_size else None
    return args


def measure(args) -> dict:
    """One size (args.size, args.count, args.model_size): the four measurements and their ratios."""
    with tempfile.TemporaryDirectory(prefix="uiseg-bench-") as tmp:
        tmp = Path(tmp)
        paths = make_inputs(tmp / "in", args.count, args.size)
        model = make_model(tmp / "model", args)
        a = end_to_end(tmp / "in", tmp / "out-a", model, args)
        b = model_alone(model, args, a["resolved"]["batch_size"], args.repeats)
        (tmp / "out-c").mkdir()
        c = codecs_alone(paths, tmp / "out-c", args)
        d = tutorial(tmp / "in", tmp / "out-d", tmp / "model" / SUFFIX["torch"], args)

    def fmt(hw):
        return f"{hw[1]}x{hw[0]}"

    return {"size": fmt(args.size), "model_size": fmt(args.model_size), "backend": args.backend,
            "device": args.device, "precision": args.precision, "count": args.count, "a": a, "b": b, "c": c,
            "d": d, "ratio_a_min_bc": a["img_s"] / min(b["img_s"], c["img_s"]), "ratio_a_d": a["img_s"] / d["img_s"],
            "ratio_wall_a_d": a["wall_img_s"] / d["wall_img_s"], "cpus": os.cpu_count()}


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.tutorial_model:
        tutorial_loop(args)
        return 0
    runs = []
    for size, count in zip(args.sizes, args.counts):
        args.size, args.count, args.model_size = size, count, args.fixed_model_size or size
        runs.append(measure(args))
        print(markdown([runs[-1]], host_name()), flush=True)
    stem = save(runs, args.results)
    if len(runs) > 1:
        print(markdown(runs, host_name()))
    print(f"-> {stem}.json / .md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
