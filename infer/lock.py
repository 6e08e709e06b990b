"""One writer per OUT: `fcntl.flock` locks under OUT/.uiseg/, which the OS releases when a run dies (SIGKILL,
power cut), so a killed run never blocks the next one.

- OUT/.uiseg/out.lock: held exclusively by a plain run, shared by `--shard i/n` runs (they cooperate on one OUT).
- OUT/.uiseg/run-I-of-N.lock: held exclusively by the run of that shard (a plain run is 0-of-1); it holds the
  owner's pid and start time, for the message a second run gets, and guards that shard's journal.
- OUT/.uiseg/merge.lock: held for moments, around start-up checks and every read-modify-write of the state files.
  Start-ups are serialised by it, so probing another shard's lock (acquire, release) can never make a run that
  is starting at the same moment fail.

Decode workers are forked while the locks are held; a forked child closes its copies at once (os.register_at_fork),
so an orphaned worker of a killed run cannot keep OUT locked.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
from datetime import datetime, timezone
from pathlib import Path

from uiseg.infer import SetupError

STATE_DIR = ".uiseg"
SPEC_LOCK = re.compile(r"^run-(\d+)-of-(\d+)\.lock$")
_HELD: set[int] = set()  # descriptors holding locks in this process; closed in forked children


def _close_held_in_child() -> None:
    for fd in list(_HELD):
        with contextlib.suppress(OSError):
            os.close(fd)
    _HELD.clear()


os.register_at_fork(after_in_child=_close_held_in_child)


def _open(path: Path) -> int:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    _HELD.add(fd)
    return fd


def _close(fd: int) -> None:
    _HELD.discard(fd)
    os.close(fd)  # closing the last descriptor releases the lock


def _try_lock(path: Path, mode: int) -> int | None:
    """A descriptor holding `mode` on path, or None when another run holds a conflicting lock."""
    fd = _open(path)
    try:
        fcntl.flock(fd, mode | fcntl.LOCK_NB)
    except BlockingIOError:
        _close(fd)
        return None
    return fd


class OutLock:
    """The locks of one run on OUT. `acquire()` raises SetupError (exit 2) when OUT is busy."""

    def __init__(self, out_dir: Path, shard: tuple[int, int] = (0, 1)):
        self.out_dir, self.shard = Path(out_dir), shard
        self.dir = self.out_dir / STATE_DIR
        self._fds: list[int] = []

    @property
    def spec(self) -> str:
        return f"{self.shard[0]}-of-{self.shard[1]}"

    @contextlib.contextmanager
    def section(self):
        """The short critical section for start-up checks and state merges (blocking, moments long)."""
        fd = _open(self.dir / "merge.lock")
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            _close(fd)

    def acquire(self) -> OutLock:
        """Take the OUT lock (shared for shards) and this shard's lock, under the merge lock."""
        count = self.shard[1]
        with self.section():
            main = _try_lock(self.dir / "out.lock", fcntl.LOCK_EX if count == 1 else fcntl.LOCK_SH)
            if main is None:
                raise SetupError(self._busy_message(self.live_specs()))
            self._fds.append(main)
            own = _try_lock(self.dir / f"run-{self.spec}.lock", fcntl.LOCK_EX)
            if own is None:
                self.release()
                raise SetupError(self._busy_message([self.shard]))
            self._fds.append(own)
            others = [s for s in self.live_specs() if s[1] != count]
            if others:
                self.release()
                raise SetupError(self._busy_message(others) + f"; shards of one OUT must share N (here {count})")
            info = {"pid": os.getpid(), "since": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                    "shard": list(self.shard)}
            os.ftruncate(own, 0)
            os.pwrite(own, (json.dumps(info) + "\n").encode(), 0)
        return self

    def release(self) -> None:
        # OUT's lock first, the shard's last: a run starting in between finds the shard lock held and can name
        # its owner, instead of finding OUT busy with no owner to name.
        while self._fds:
            _close(self._fds.pop(0))

    def specs_on_disk(self) -> list[tuple[int, int]]:
        found = []
        for path in self.dir.glob("run-*-of-*.lock"):
            if match := SPEC_LOCK.match(path.name):
                found.append((int(match[1]), int(match[2])))
        return sorted(found)

    def live_specs(self) -> list[tuple[int, int]]:
        """Other runs' shard specs whose lock is held now. Call inside section(): probing takes the lock for a
        moment, which must not race with a run starting."""
        live = []
        for spec in self.specs_on_disk():
            if spec == self.shard and self._fds:
                continue
            fd = _try_lock(self.dir / f"run-{spec[0]}-of-{spec[1]}.lock", fcntl.LOCK_EX)
            if fd is None:
                live.append(spec)
            else:
                _close(fd)
        return live

    def _busy_message(self, specs: list[tuple[int, int]]) -> str:
        owners = [self._owner(spec) for spec in specs] or ["another uiseg segment run"]
        return (f"OUT {self.out_dir} is being written by {', '.join(owners)}; wait for it to finish, or choose "
                "another OUT")

    def _owner(self, spec: tuple[int, int]) -> str:
        path = self.dir / f"run-{spec[0]}-of-{spec[1]}.lock"
        try:
            info = json.loads(path.read_text())
            where = f" (--shard {spec[0]}/{spec[1]})" if spec[1] > 1 else ""
            return f"pid {info['pid']} since {info['since']}{where}"
        except (OSError, ValueError, KeyError, TypeError):
            return f"a run of --shard {spec[0]}/{spec[1]}" if spec[1] > 1 else "another uiseg segment run"
