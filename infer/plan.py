"""The plan of a segment run: which inputs are done, which are (re)done, and what OUT keeps.

Before any image is decoded, the outputs of every input about to be redone are removed (its planned names and
the names its earlier result used): a run killed at any moment leaves in OUT only outputs that are valid for
their input and this run's identity, never a stale mask beside fresh ones. Outputs of inputs that are gone are
never removed; the summary counts them. The one exception is a name a current input now claims: that input's
output goes there.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from uiseg.infer.identity import check_entry, stat_of
from uiseg.infer.io import InputFile, output_paths
from uiseg.infer.state import Journal


@dataclass
class Plan:
    todo: list[InputFile]
    skipped: int = 0
    changed: int = 0  # inputs to redo that had a result: input changed, an output damaged, or renamed
    kept: int = 0  # images whose input is gone; their outputs stay in OUT
    input_stats: dict[str, dict | None] = field(default_factory=dict)  # rel -> stat at plan time
    remove: list[str] = field(default_factory=list)  # outputs (relative to OUT) to remove before running
    drop: list[str] = field(default_factory=list)  # entries to forget
    refresh: dict[str, dict] = field(default_factory=dict)  # entries whose stat fields were re-taken


def wanted_outputs(item: InputFile, overlay: bool, probs: bool) -> dict[str, str]:
    """Output kind -> path relative to OUT, as this run names them."""
    paths = output_paths(Path(""), item)
    wanted = ["mask"] + ["overlay"] * overlay + ["probs"] * probs
    return {kind: paths[kind].as_posix() for kind in wanted}


def _recorded(entry: dict | None) -> set[str]:
    return {o["file"] for o in ((entry or {}).get("outputs") or {}).values() if isinstance(o.get("file"), str)}


def make_plan(all_items: list[InputFile], items: list[InputFile], entries: dict[str, dict], out_dir: Path,
              overlay: bool, probs: bool, redo_all: bool) -> Plan:
    """Decide every input of this shard (`items`, out of `all_items`) against OUT's recorded `entries`."""
    wanted = {i.rel: wanted_outputs(i, overlay, probs) for i in all_items}
    claimed = {path for paths in wanted.values() for path in paths.values()}
    plan = Plan(todo=[])
    for item in items:
        stat = plan.input_stats[item.rel] = stat_of(item.path)
        done, refreshed = (False, None) if redo_all else check_entry(
            entries.get(item.rel), item.path, stat, wanted[item.rel], out_dir)
        if done:
            plan.skipped += 1
            if refreshed is not None:
                plan.refresh[item.rel] = refreshed
            continue
        plan.todo.append(item)
        entry = entries.get(item.rel)
        if entry is not None:
            plan.changed += (entry.get("result") or {}).get("status") == "ok"
            plan.drop.append(item.rel)
        # Earlier names no current input claims go too (a rename); names others claim are theirs to decide.
        stale = set(wanted[item.rel].values()) | (_recorded(entry) - claimed)
        plan.remove.extend(sorted(p for p in stale if os.path.isfile(out_dir / p) or os.path.islink(out_dir / p)))
    for rel, entry in entries.items():
        if rel in wanted:
            continue
        if _recorded(entry) & claimed:
            plan.drop.append(rel)  # a current input's output now lives at this name
        elif (entry.get("result") or {}).get("status") == "ok" and stat_of(out_dir / entry["result"]["mask"]):
            plan.kept += 1
    return plan


def apply_plan(plan: Plan, out_dir: Path, journal: Journal) -> None:
    """Remove stale outputs, then forget their entries (in that order: a kill in between leaves an entry whose
    outputs are missing, which the next run redoes), and record refreshed fingerprints."""
    for rel in plan.remove:
        (out_dir / rel).unlink(missing_ok=True)
    for rel in plan.drop:
        journal.append({"path": rel, "drop": True})
    for rel, entry in plan.refresh.items():
        journal.append({"path": rel, "entry": entry})
