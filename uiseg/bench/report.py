"""The reading half of `uiseg benchmark`: the Markdown table, the headline, the plot, and the gate."""

from __future__ import annotations

from pathlib import Path

from uiseg.bench.results import describe_machine, md_table, write_results

ICONS = {"ok": "✅", "differs": "❎", "failed": "❌"}
COLUMNS = ["backend", "precision", "size", "batch", "status", "MB", "provider", "max|Δ|", "IoU", "ms/batch",
           "p90", "p99", "ms/img", "img/s", "× eager", "peak MB", "n"]
NUMERIC = frozenset({3, 5, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16})


def ran(row: dict) -> bool:
    return row["status"] in ("ok", "differs")


def add_ratios(report: dict) -> None:
    """Each row's img/s divided by the reference row's (eager fp32) at the same size and batch."""
    ref = {(r["size"], r["batch"]): r.get("img_s") for r in report["rows"] if r["reference"] and ran(r)}
    for r in report["rows"]:
        base = ref.get((r["size"], r["batch"]))
        r["ratio"] = r["img_s"] / base if ran(r) and base else None


def _f(value, spec: str) -> str:
    return "—" if value is None else format(value, spec)


def table(report: dict) -> str:
    rows = []
    for r in report["rows"]:
        status = ICONS[r["status"]] + (f" {r['reason']}" if r.get("reason") else "")
        peak = f"{r['peak_mb']:.0f} {r['peak_kind']}" if r.get("peak_mb") is not None else "—"
        rows.append([r["backend"], r["precision"], r["size"], r["batch"], status, _f(r.get("artifact_mb"), ".2f"),
                     r.get("provider", "—"), _f(r.get("max_abs"), ".1e"), _f(r.get("iou"), ".5f"),
                     _f(r.get("ms_median"), ".2f"), _f(r.get("ms_p90"), ".2f"), _f(r.get("ms_p99"), ".2f"),
                     _f(r.get("ms_img"), ".3f"), _f(r.get("img_s"), ".1f"), _f(r.get("ratio"), ".2f"), peak,
                     r.get("n", "—")])
    return md_table(COLUMNS, rows, right=NUMERIC)


def headline(report: dict) -> list[str]:
    """Fastest path per size, each backend's ratio to eager fp32 at the largest batch, worst max|Δ|."""
    lines, rows = [], [r for r in report["rows"] if ran(r)]
    for size in dict.fromkeys(r["size"] for r in report["rows"]):
        here = [r for r in rows if r["size"] == size]
        good = [r for r in here if r["status"] == "ok"] or here
        if not good:
            lines.append(f"{size}: no backend ran")
            continue
        best = max(good, key=lambda r: r["img_s"])
        lines.append(f"{size}: fastest is {best['backend']} {best['precision']} at batch {best['batch']}: "
                     f"{best['img_s']:.1f} img/s, {best['ms_img']:.3f} ms/img ({_f(best['ratio'], '.2f')}× eager fp32)")
        top = max(r["batch"] for r in here)
        ratios = [f"{r['backend']} {r['precision']} {_f(r['ratio'], '.2f')}×" for r in here
                  if r["batch"] == top and not r["reference"]]
        if ratios:
            lines.append(f"{size}, batch {top}, img/s vs eager fp32: " + ", ".join(ratios))
    for precision in ("fp32", "fp16"):
        deltas = [r for r in rows if r["precision"] == precision and r.get("max_abs") is not None]
        if deltas:
            w = max(deltas, key=lambda r: r["max_abs"])
            lines.append(f"worst max|Δ| {precision}: {w['max_abs']:.2e} ({w['backend']}, {w['size']}, batch "
                         f"{w['batch']}; IoU {w['iou']:.5f})")
    return lines


def markdown(report: dict) -> str:
    o, m = report["options"], report["model"]
    params = f", {m['parameters']:,} parameters" if m.get("parameters") else ""
    method = (f"Model: {m['source']}{params}. Reference: {report['reference']}. Warm-up {o['warmup']} passes, "
              f"then up to {o['repeats']} timed passes per row (at least {o['min_repeats']}, stop after "
              f"{o['budget_s']} s); inputs rotate through a pool of batches already on the device.")
    lines = [f"# Backends on {report['device']}", "", describe_machine(report), "", method, "", table(report), ""]
    lines += [f"- {h}" for h in headline(report)]
    return "\n".join(lines) + "\n"


def gate(report: dict, min_iou: float | None = None, max_delta: float | None = None) -> list[str]:
    """One line per row that ran and falls below a threshold; an empty list passes."""
    failures = []
    if min_iou is None and max_delta is None:
        return failures
    if not any(ran(r) for r in report["rows"]):
        return ["no row ran, so nothing passed the gate"]
    for r in report["rows"]:
        if not ran(r):
            continue
        name = f"{r['backend']} {r['precision']} {r['size']} batch {r['batch']}"
        if r.get("iou") is None:
            failures.append(f"{name}: no agreement measured ({r['reason']})")
            continue
        if min_iou is not None and not r["iou"] >= min_iou:
            failures.append(f"{name}: mask IoU {r['iou']:.5f} < --min-iou {min_iou}")
        if max_delta is not None and not r["max_abs"] <= max_delta:
            failures.append(f"{name}: max|Δ| {r['max_abs']:.2e} > --max-delta {max_delta}")
    return failures


def plot(report: dict, path: Path) -> Path | None:
    """img/s vs batch size, one line per backend x precision, one panel per image size (log-log). None when
    matplotlib is missing. Uses the Agg canvas directly: no pyplot, no global backend switch."""
    try:
        from matplotlib.figure import Figure
    except ImportError:
        return None
    sizes = list(dict.fromkeys(r["size"] for r in report["rows"]))
    fig = Figure(figsize=(5.5 * len(sizes), 4.2), layout="constrained")
    axes = fig.subplots(1, len(sizes), squeeze=False)[0]
    for ax, size in zip(axes, sizes):
        series: dict[str, list] = {}
        for r in report["rows"]:
            if r["size"] == size and ran(r):
                series.setdefault(f"{r['backend']} {r['precision']}", []).append((r["batch"], r["img_s"]))
        for name, points in series.items():
            xs, ys = zip(*sorted(points))
            ax.plot(xs, ys, marker="o", label=name)
        batches = sorted({r["batch"] for r in report["rows"] if r["size"] == size})
        ax.set(yscale="log", xlabel="batch size", ylabel="images / s", title=size)
        ax.set_xscale("log", base=2)
        ax.set_xticks(batches, labels=[str(b) for b in batches], minor=False)
        ax.set_xticks([], minor=True)
        ax.grid(True, which="both", alpha=0.3)
        if series:
            ax.legend(fontsize=8)
    fig.suptitle(describe_machine(report), fontsize=8)
    fig.savefig(path, dpi=110)
    return path


def write(report: dict, out: str | Path) -> dict[str, Path]:
    """<out>/<host>-<date>-backends-<device>.json, .md and .png; returns the paths written."""
    text = markdown(report)
    report["headline"] = headline(report)
    stem = write_results(report, text, out, report["kind"])
    paths = {"json": stem.with_suffix(".json"), "md": stem.with_suffix(".md")}
    png = plot(report, stem.with_suffix(".png"))
    if png:
        paths["png"] = png
    return paths


__all__ = ["COLUMNS", "ICONS", "add_ratios", "gate", "headline", "markdown", "plot", "table", "write"]
