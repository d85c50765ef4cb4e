"""Per-step limits for BuildKit builds inside a Docker Engine, set from the engine's host.

BuildKit in the engine takes no memory, CPU or process limits for a build (the classic /build
parameters are ignored, and the 20.10 engine ignores ``--cgroup-parent`` for BuildKit: its
steps ran under ``/docker/buildkit/<id>`` whatever was asked). Each RUN step gets a cgroup of
its own there, made before the step's first process starts. When grader runs as root on the
engine's host with the cgroupfs driver, it watches that folder while its builds run and writes
the rubric's limits into each new step cgroup: memory with no swap, a pids cap, a CPU quota.
Written by hand because no library does this; the numbers and the evidence that it holds are in
docs/engines.md.

It applies to every BuildKit step on that engine while grader builds, including other users'
builds; with builds of different limits in flight, each field takes the strictest of them.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from grader.models.rubric import Limits

_POLL = 0.005  # seconds between looks: a step's cgroup exists well before its process does
_PERIOD = 100_000  # CFS period, microseconds
_BASE = Path("/sys/fs/cgroup")


@dataclass(frozen=True)
class _Caps:
    memory: int
    pids: int
    cpus: float


class StepLimiter:
    """Caps every new BuildKit step cgroup while at least one build is in flight."""

    def __init__(self, version: int, parent: str = "docker", base: Path = _BASE) -> None:
        self._version = version
        self._parent = parent.strip("/") or "docker"
        self._base = base
        self._lock = threading.Lock()
        self._active: dict[int, _Caps] = {}
        self._counter = 0
        self._seen: set[str] = set()
        self._wake = threading.Condition(self._lock)
        self._thread: threading.Thread | None = None
        self._closed = False
        self.limited = 0  # step cgroups capped so far (the tests read it)

    @classmethod
    def for_engine(cls, driver: str, version: str) -> StepLimiter | None:
        """A limiter when this process can write the engine's BuildKit cgroups; else None."""
        if driver != "cgroupfs" or not hasattr(os, "geteuid") or os.geteuid() != 0:
            return None
        limiter = cls(2 if version == "2" else 1)
        try:
            for folder in limiter._step_parents():
                folder.mkdir(parents=True, exist_ok=True)  # as the engine would at its first step
        except OSError:
            return None
        return limiter

    def _step_parents(self) -> list[Path]:
        """Where step cgroups appear: one folder, or one per controller on cgroup v1."""
        if self._version == 2:
            return [self._base / self._parent / "buildkit"]
        return [self._base / c / self._parent / "buildkit" for c in ("pids", "memory", "cpu")]

    @contextlib.contextmanager
    def building(self, limits: Limits) -> Iterator[None]:
        """Cap steps while this build runs."""
        caps = _Caps(int(limits.memory), limits.pids, limits.cpus)
        with self._lock:
            self._counter += 1
            token = self._counter
            if not self._active:
                self._seen = set(self._names())  # steps that ran before are not ours
            self._active[token] = caps
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._watch, name="grader-cgroups", daemon=True
                )
                self._thread.start()
            self._wake.notify_all()
        try:
            yield
        finally:
            with self._lock:
                del self._active[token]

    def close(self) -> None:
        """Stop watching."""
        with self._lock:
            self._closed = True
            thread, self._thread = self._thread, None
            self._wake.notify_all()
        if thread is not None:
            thread.join(timeout=2)

    def _names(self) -> list[str]:
        with contextlib.suppress(OSError):
            folder = self._step_parents()[0]
            return [e.name for e in os.scandir(folder) if e.is_dir(follow_symlinks=False)]
        return []

    def _strictest(self) -> _Caps | None:
        if not self._active:
            return None
        caps = list(self._active.values())
        return _Caps(
            memory=min(c.memory for c in caps),
            pids=min(c.pids for c in caps),
            cpus=min(c.cpus for c in caps),
        )

    def _watch(self) -> None:
        while True:
            with self._lock:
                while not self._active and not self._closed:
                    self._wake.wait()
                if self._closed:
                    return
                caps = self._strictest()
            if caps is not None:
                for name in self._names():
                    if name not in self._seen:
                        self._seen.add(name)
                        if self._cap(name, caps):
                            self.limited += 1
            with self._lock:
                self._wake.wait(timeout=_POLL)

    def _cap(self, name: str, caps: _Caps) -> bool:
        """Write the caps into one step's cgroup; False when it was already gone."""
        return write_caps(
            self._base,
            self._version,
            f"{self._parent}/buildkit/{name}",
            memory=caps.memory,
            pids=caps.pids,
            cpus=caps.cpus,
        )


_SWAP_FILES = ("memory.memsw.limit_in_bytes", "memory.swap.max")


def write_caps(
    base: Path, version: int, relative: str, *, memory: int, pids: int, cpus: float | None
) -> bool:
    """Cap one cgroup: memory with no swap, pids, a CPU quota unless ``cpus`` is None.

    ``relative`` is its path below each controller (cgroup v1) or below the root (v2). Returns
    False when the cgroup is gone.
    """
    if version == 2:
        folder = base / relative
        writes = [
            (folder / "memory.max", str(memory)),
            (folder / "memory.swap.max", "0"),
            (folder / "pids.max", str(pids)),
        ]
        if cpus is not None:
            writes.append((folder / "cpu.max", f"{max(int(cpus * _PERIOD), 1000)} {_PERIOD}"))
    else:
        writes = [
            (base / "pids" / relative / "pids.max", str(pids)),
            (base / "memory" / relative / "memory.limit_in_bytes", str(memory)),
            (base / "memory" / relative / "memory.memsw.limit_in_bytes", str(memory)),
        ]
        if cpus is not None:
            writes += [
                (base / "cpu" / relative / "cpu.cfs_period_us", str(_PERIOD)),
                (base / "cpu" / relative / "cpu.cfs_quota_us", str(max(int(cpus * _PERIOD), 1000))),
            ]
    wrote = False
    for path, value in writes:
        try:
            path.write_text(value)
            wrote = True
        except FileNotFoundError:
            if path.name in _SWAP_FILES:
                continue  # no swap accounting: there is no swap to cap
            return wrote
        except OSError:
            continue
    return wrote
