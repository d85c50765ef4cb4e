"""buildah behind Podman's Docker-compatible /build: the classic stream, with Podman's gaps closed.

Podman's compat /build differs from Docker's where the sandbox depends on it (measured on Podman
4.3.1, docs/engines.md):

* ``networkmode=none`` is ignored and RUN steps share the *host's* network namespace; only
  ``networkmode=NetworkDisabled`` gives a step a namespace of its own with ``lo`` alone. With the
  build network on there is no private namespace to ask for (bridge, private, slirp4netns all
  gave the host's), which docs/engines.md says plainly.
* Dropping the connection (a timeout, a cancel) does not stop a running RUN step: it runs to its
  end and the build stops at the next step. Only killing the step's processes stops it.
* There is no pids limit for builds, and ``nproc`` does nothing for root in the container.

``cgroupparent`` closes the last two. Podman uses it as each RUN step's cgroup path, so every
build gets a folder of its own (``/grader-buildah/<run>.<n>``) whose steps run in a leaf below it:
caps written into the folder (pids, memory) hold for every step, and the processes in it are
exactly the build's, to kill when it ends, times out or is cancelled. That needs this process to
be root on the engine's host with Podman's cgroupfs manager; otherwise the build still runs, and
``info().enforced`` says what was not held.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import signal
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from grader.engines.base import BuildRequest, Built
from grader.engines.cgroups import write_caps
from grader.engines.classic import ApiBuilder
from grader.models.results import BuilderInfo, BuildLimit
from grader.models.rubric import Limits

if TYPE_CHECKING:
    from grader.engines.docker import Engine

log = logging.getLogger(__name__)

_BASE = Path("/sys/fs/cgroup")
_PARENT = "grader-buildah"
_LEAF = "step"  # runc makes (and removes) this one for each RUN step
_KILL_FOR = 5.0  # seconds to keep killing: a step may fork while it is being killed
_REMOVE_FOR = 5.0  # seconds to retry removing: runc lets go of the leaf just after its exit


class _BuildCgroup:
    """One build's cgroup folder: its caps, the processes of its RUN steps, its removal."""

    def __init__(self, version: int, name: str, base: Path = _BASE) -> None:
        self._version = version
        self._base = base
        self.name = name

    @property
    def parent(self) -> str:
        """The ``cgroupparent`` to send: a leaf below the build's folder, never the folder.

        runc deletes the path it was given when a step ends, so caps written there would hold for
        the first RUN only; the folder above it outlives every step.
        """
        return f"/{_PARENT}/{self.name}/{_LEAF}"

    def _folders(self) -> list[Path]:
        """The build's folder in each hierarchy (one on cgroup v2)."""
        if self._version == 2:
            return [self._base / _PARENT / self.name]
        found: dict[Path, Path] = {}
        with contextlib.suppress(OSError):
            for hierarchy in sorted(self._base.iterdir()):
                if hierarchy.is_dir() and (hierarchy / "cgroup.procs").exists():
                    found.setdefault(hierarchy.resolve(), hierarchy / _PARENT / self.name)
        return list(found.values())

    def create(self, limits: Limits) -> None:
        """Make the folder with the build's pids and memory caps; OSError when it cannot."""
        if self._version == 2:
            top = self._base / _PARENT
            top.mkdir(exist_ok=True)
            (self._base / "cgroup.subtree_control").write_text("+pids +memory")
            (top / "cgroup.subtree_control").write_text("+pids +memory")
            (top / self.name).mkdir()
        else:
            for controller in ("pids", "memory"):
                (self._base / controller / _PARENT / self.name).mkdir(parents=True)
        relative = f"{_PARENT}/{self.name}"
        capped = write_caps(
            self._base,
            self._version,
            relative,
            memory=int(limits.memory),
            pids=limits.pids,
            cpus=None,
        )
        if not capped:
            raise OSError(f"could not cap the build's cgroup {relative}")

    def _pids(self) -> set[int]:
        pids: set[int] = set()
        for folder in self._folders():
            for where, _, _ in os.walk(folder):
                with contextlib.suppress(OSError, ValueError):
                    text = (Path(where) / "cgroup.procs").read_text()
                    pids.update(int(p) for p in text.split())
        return pids

    def kill(self) -> int:
        """SIGKILL every process of the build's steps until none is left; how many were killed."""
        killed: set[int] = set()
        deadline = time.monotonic() + _KILL_FOR
        while (pids := self._pids()) and time.monotonic() < deadline:
            for pid in pids:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            killed |= pids
            time.sleep(0.02)
        return len(killed)

    def remove(self) -> None:
        """Remove the folder (and any leaf left in it) from every hierarchy, deepest first."""
        deadline = time.monotonic() + _REMOVE_FOR
        for folder in self._folders():
            for where, _, _ in sorted(os.walk(folder), key=lambda w: -len(w[0])):
                while True:
                    try:
                        os.rmdir(where)
                        break
                    except FileNotFoundError:
                        break
                    except OSError as exc:
                        if exc.errno != errno.EBUSY or time.monotonic() > deadline:
                            log.warning("could not remove cgroup %s: %s", where, exc)
                            break
                        self.kill()
                        time.sleep(0.05)


class BuildahBuilder(ApiBuilder):
    """Builds through Podman's /build, each build in a cgroup of its own where that is allowed."""

    name: ClassVar[str] = "buildah"

    def __init__(self, engine: Engine, *, base: Path = _BASE) -> None:
        super().__init__(engine)
        self._base = base
        self._version = 2 if engine.cgroup_version == "2" else 1
        self._cgroups = (
            engine.local
            and engine.cgroup_driver == "cgroupfs"
            and hasattr(os, "geteuid")
            and os.geteuid() == 0
        )
        self._lock = threading.Lock()
        self._counter = 0
        self._in_flight: dict[str, _BuildCgroup] = {}
        self._current = threading.local()  # the build this thread is making, for _params
        self.killed = 0  # step processes killed at a timeout or cancel (the tests read it)

    def info(self) -> BuilderInfo:
        """Podman's buildah, with the limits it holds: the cgroup ones only when grader makes it."""
        enforced: list[BuildLimit] = ["network", "memory", "cpus"]
        if self._cgroups:
            enforced = ["timeout", *enforced, "pids"]
        return super().info().model_copy(update={"enforced": enforced})

    def build(self, request: BuildRequest, limits: Limits, tag: str) -> Built:
        """Build in a fresh cgroup; whatever still runs in it when the build returns is killed.

        A timeout or a cancel only drops the connection, which Podman lets the running step
        outlive; the build returns then, so killing what is left here is the step's real end.
        """
        cgroup = self._make_cgroup(limits)
        self._current.cgroup = cgroup
        try:
            return super().build(request, limits, tag)
        finally:
            self._current.cgroup = None
            if cgroup is not None:
                try:
                    self._stop(cgroup)
                    cgroup.remove()
                finally:
                    with self._lock:
                        self._in_flight.pop(cgroup.name, None)

    def cancel(self) -> None:
        """Kill every step still running; Engine.cancel has already dropped the connections."""
        with self._lock:
            cgroups = list(self._in_flight.values())
        for cgroup in cgroups:
            self._stop(cgroup)

    def _stop(self, cgroup: _BuildCgroup) -> None:
        killed = cgroup.kill()
        with self._lock:
            self.killed += killed

    def _make_cgroup(self, limits: Limits) -> _BuildCgroup | None:
        if not self._cgroups:
            return None
        with self._lock:
            self._counter += 1
            cgroup = _BuildCgroup(
                self._version, f"{self._engine.run_id}.{os.getpid()}.{self._counter}", self._base
            )
        try:
            cgroup.create(limits)
        except OSError as exc:
            log.warning("no cgroup for the build (%s): its pids are not capped", exc)
            cgroup.remove()
            return None
        with self._lock:
            self._in_flight[cgroup.name] = cgroup
        return cgroup

    def _params(
        self, request: BuildRequest, limits: Limits, dockerfile: str, tag: str
    ) -> dict[str, Any]:
        """The classic parameters, with the network switch Podman honours and the build's cgroup.

        ``networkmode=none`` would leave the steps on the host's network; ``NetworkDisabled``
        gives them a namespace with ``lo`` only.
        """
        params = super()._params(request, limits, dockerfile, tag)
        if not limits.build_network:
            params["networkmode"] = "NetworkDisabled"
        cgroup: _BuildCgroup | None = getattr(self._current, "cgroup", None)
        if cgroup is not None:
            params["cgroupparent"] = cgroup.parent
        return params
