"""One results format for every benchmark (backends, segment, train): host, date, machine, versions, and a
JSON + Markdown pair written as `<out>/<host>-<date>-<kind>.json/.md`.

Shared by `uiseg benchmark` and the scripts under `benchmarks/`, so the tables in benchmarks/README.md all carry
the same facts. Heavy packages are imported only when asked for their versions.
"""

from __future__ import annotations

import importlib.metadata as md
import json
import os
import platform
import socket
from datetime import date
from pathlib import Path

# distributions whose versions shape a benchmark's numbers
DISTS = ("torch", "torchvision", "pytorch-lightning", "torchmetrics", "onnx", "onnxruntime", "onnxruntime-gpu",
         "numpy", "pillow")
# environment variables that change thread counts or devices, recorded when set
ENV = ("OMP_NUM_THREADS", "OMP_WAIT_POLICY", "MKL_NUM_THREADS", "CUDA_VISIBLE_DEVICES", "PYTORCH_CUDA_ALLOC_CONF")


def host() -> str:
    return socket.gethostname().split(".")[0] or "unknown-host"


def today() -> str:
    return date.today().isoformat()


def cpu_name() -> str:
    """The CPU model from /proc/cpuinfo (Linux), else what platform knows."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def usable_cores() -> int:
    """Cores this process may run on (the affinity mask, not the machine's total)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def machine() -> dict:
    """Where the numbers were measured: host, OS, CPU, cores and, when torch sees one, the GPU."""
    facts = {"host": host(), "platform": platform.platform(), "cpu": cpu_name(), "cores": usable_cores()}
    if hasattr(os, "getloadavg"):  # other work on the machine while it ran: a shared box's numbers are noisy
        facts["load_average"] = [round(v, 2) for v in os.getloadavg()]
    facts["env"] = {k: os.environ[k] for k in ENV if k in os.environ}
    try:
        import torch
    except ImportError:
        return facts
    facts["torch_threads"] = torch.get_num_threads()
    if torch.cuda.is_available():
        props = torch.cuda.get_device_properties(0)
        facts.update(gpu=props.name, gpu_memory_gb=round(props.total_memory / 2**30, 1),
                     gpu_count=torch.cuda.device_count(), cuda=torch.version.cuda,
                     cudnn=torch.backends.cudnn.version())
    return facts


def versions() -> dict[str, str | None]:
    """Python, uiseg and the installed versions of DISTS (None when missing)."""
    from uiseg import __version__

    found: dict[str, str | None] = {"python": platform.python_version(), "uiseg": __version__}
    for dist in DISTS:
        try:
            found[dist] = md.version(dist)
        except md.PackageNotFoundError:
            found[dist] = None
    return found


def header(kind: str) -> dict:
    """The facts every results file starts with."""
    return {"kind": kind, "date": today(), "host": host(), "machine": machine(), "versions": versions()}


def describe_machine(report: dict) -> str:
    """One line for a Markdown table's caption: machine, cores, GPU, key versions."""
    m, v = report.get("machine", {}), report.get("versions", {})
    gpu = f", {m['gpu']} (CUDA {m.get('cuda')})" if m.get("gpu") else ""
    ort = v.get("onnxruntime-gpu") or v.get("onnxruntime")
    load = f", load average {m['load_average'][0]}" if m.get("load_average") else ""
    return (f"{report.get('host')} — {m.get('cpu')}, {m.get('cores')} cores{gpu}; torch {v.get('torch')}, "
            f"onnxruntime {ort}, Python {v.get('python')}; {report.get('date')}{load}")


def md_table(headers: list[str], rows: list[list], right: set[int] | frozenset = frozenset()) -> str:
    """A GitHub Markdown table; columns whose index is in `right` are right-aligned (numbers)."""
    def cell(v) -> str:
        return str(v).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(cell(h) for h in headers) + " |",
             "|" + "|".join("---:" if i in right else "---" for i in range(len(headers))) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def stem(out: str | Path, kind: str, report: dict | None = None) -> Path:
    """<out>/<host>-<date>-<kind>: the path of a results file pair, without its suffix."""
    report = report or {}
    return Path(out) / f"{report.get('host') or host()}-{report.get('date') or today()}-{kind}"


def write_results(report: dict, markdown: str, out: str | Path, kind: str) -> Path:
    """Write report as JSON and markdown beside it; returns the stem (add .json / .md / .png)."""
    path = stem(out, kind, report)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.with_suffix(".json").write_text(json.dumps(report, indent=2, default=str) + "\n")
    path.with_suffix(".md").write_text(markdown.rstrip("\n") + "\n")
    return path


__all__ = ["describe_machine", "header", "host", "machine", "md_table", "stem", "today", "versions",
           "write_results"]
