"""OUT's memory of what it holds, in OUT/.uiseg/ (results.jsonl is derived from it):

- state.jsonl: one line per input ever segmented into OUT, sorted by path:
  {"path", "entry": {"result": the results.jsonl record, "input": fingerprint, "outputs": {kind: fingerprint}}}
- journal-I-of-N.jsonl: what the run of shard I/N (a plain run is 0/1) did so far, one line per event, appended
  with one `write` (whole or not at all under SIGKILL; a write that fails half-way, disk full, is cut back):
  {"path", "entry": {...}} when an image finished or was re-checked, {"path", "drop": true} when its old
  outputs were removed before redoing it.
- merge (under the merge lock, at start-up and at the end of a run): state.jsonl + the journals of runs that are
  not running any more (the run's own included) -> state.jsonl and results.jsonl, both written atomically,
  then those journals are removed. Shards merge one after another, so none loses another's records.

results.jsonl holds the record of every entry, sorted by path, and only values that depend on the pixels (never
timings or run order), so a run killed and resumed any number of times ends with the same bytes as a clean run.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
from pathlib import Path

from uiseg.images import atomic_write_bytes

RESULTS = "results.jsonl"
STATE = "state.jsonl"


def dumps(record: dict) -> str:
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"))


def journal_path(state_dir: Path, shard: tuple[int, int]) -> Path:
    return state_dir / f"journal-{shard[0]}-of-{shard[1]}.jsonl"


class Journal:
    """Append-only lines, one `os.write` per line; a torn tail (power cut) is cut off on open. Thread-safe."""

    def __init__(self, path: Path):
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        _drop_torn_tail(path)
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        self._lock = threading.Lock()

    def append(self, line: dict) -> None:
        """Write one whole line. If the write fails part-way (disk full), the part is cut off again, so the
        journal never holds a torn line that would glue itself to the next one."""
        data = memoryview((dumps(line) + "\n").encode("utf-8"))
        with self._lock:
            start = os.fstat(self._fd).st_size  # only this run writes this journal (its shard lock)
            try:
                while data:
                    data = data[os.write(self._fd, data):]
            except OSError:
                with contextlib.suppress(OSError):
                    os.ftruncate(self._fd, start)
                raise

    def close(self) -> None:
        with self._lock:
            if self._fd >= 0:
                os.close(self._fd)
                self._fd = -1


def _drop_torn_tail(path: Path) -> None:
    if not path.is_file() or path.stat().st_size == 0:
        return
    data = path.read_bytes()
    if not data.endswith(b"\n"):
        with open(path, "r+b") as fh:
            fh.truncate(data.rfind(b"\n") + 1)


def _lines(path: Path):
    """Parsed JSON lines with a "path"; unparsable lines (a torn tail) are skipped."""
    if not path.is_file():
        return
    with open(path, encoding="utf-8", errors="replace") as fh:
        for line in fh:
            with contextlib.suppress(ValueError, TypeError):
                data = json.loads(line)
                if isinstance(data, dict) and isinstance(data.get("path"), str):
                    yield data


def replay(entries: dict[str, dict], path: Path) -> dict[str, dict]:
    """Apply a journal (or read the state file) in order: the last line for a path wins."""
    for line in _lines(path):
        if line.get("drop"):
            entries.pop(line["path"], None)
        elif isinstance(line.get("entry"), dict) and isinstance(line["entry"].get("result"), dict):
            entries[line["path"]] = line["entry"]
    return entries


def read_state(state_dir: Path) -> dict[str, dict]:
    return replay({}, state_dir / STATE)


def merge(out_dir: Path, state_dir: Path, journals: list[Path]) -> dict[str, dict]:
    """Fold `journals` (oldest first) into state.jsonl, rewrite results.jsonl, remove the journals. Call it
    under the merge lock, with only journals of runs that are not running."""
    entries = read_state(state_dir)
    for journal in journals:
        replay(entries, journal)
    state = "".join(dumps({"path": k, "entry": entries[k]}) + "\n" for k in sorted(entries))
    results = "".join(dumps(entries[k]["result"]) + "\n" for k in sorted(entries))
    atomic_write_bytes(state_dir / STATE, state.encode("utf-8"))
    atomic_write_bytes(out_dir / RESULTS, results.encode("utf-8"))
    for journal in journals:
        journal.unlink(missing_ok=True)
    return entries


def idle_journals(state_dir: Path, live: list[tuple[int, int]], own: tuple[int, int] | None = None) -> list[Path]:
    """Journals of runs that are not running (given the live shard specs), oldest first; the run's own last."""
    found = []
    for path in state_dir.glob("journal-*-of-*.jsonl"):
        spec = path.name[len("journal-"):-len(".jsonl")].split("-of-")
        with contextlib.suppress(ValueError):
            key = (int(spec[0]), int(spec[1]))
            if key not in live and key != own:
                found.append((path.stat().st_mtime_ns, path))
    ordered = [p for _, p in sorted(found)]
    if own is not None and journal_path(state_dir, own).is_file():
        ordered.append(journal_path(state_dir, own))
    return ordered


__all__ = ["RESULTS", "STATE", "Journal", "dumps", "idle_journals", "journal_path", "merge", "read_state",
           "replay"]
