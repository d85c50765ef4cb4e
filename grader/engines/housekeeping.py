"""What a grading run made on the engine, who made it, and when it may be deleted.

Containers carry the label ``grader.run`` and images a tag under ``grader-run/``, both naming the
host and process that made them, so `grader clean` spares runs still going.
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

LABEL = "grader.run"
REPOSITORY = "grader-run"


class BuildsOrDeletions:
    """Image deletions wait until no build runs, and builds wait while images are deleted.

    The classic builder looks for cache among the children of each step's image; deleting one
    of those while another build looks fails that build ("unable to find image"). Builds share
    the engine freely; a deletion takes it alone, in a gap between builds.
    """

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._builds = 0
        self._deleting = False

    @contextlib.contextmanager
    def building(self) -> Iterator[None]:
        """Hold off deletions while a build runs."""
        with self._changed:
            self._changed.wait_for(lambda: not self._deleting)
            self._builds += 1
        try:
            yield
        finally:
            with self._changed:
                self._builds -= 1
                self._changed.notify_all()

    @contextlib.contextmanager
    def deleting(self, timeout: float | None) -> Iterator[None]:
        """Delete alone; after ``timeout``, if one is given, go ahead anyway."""
        with self._changed:
            self._changed.wait_for(lambda: not self._builds and not self._deleting, timeout)
            self._deleting = True
        try:
            yield
        finally:
            with self._changed:
                self._deleting = False
                self._changed.notify_all()


class Once:
    """A result computed once, by the first thread to ask; the others wait for it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._done = False
        self._value: str | None = None

    def run(self, compute: Callable[[], str | None]) -> str | None:
        with self._lock:
            if not self._done:
                self._value = compute()
                self._done = True
            return self._value


class Made:
    """What a run (or one scope of it) made on the engine and must remove."""

    def __init__(self) -> None:
        self.containers: set[str] = set()
        self.images: set[str] = set()
        self.intermediates: list[str] = []

    def add(
        self, *, container: str | None, image: str | None, intermediates: Iterable[str]
    ) -> None:
        if container is not None:
            self.containers.add(container)
        if image is not None:
            self.images.add(image)
        self.intermediates.extend(intermediates)

    def discard(self, other: Made) -> None:
        self.containers -= other.containers
        self.images -= other.images
        gone = set(other.intermediates)
        self.intermediates = [i for i in self.intermediates if i not in gone]

    def clear(self) -> None:
        self.containers.clear()
        self.images.clear()
        self.intermediates.clear()


def host_name() -> str:
    """The host name as it can stand in a label and in an image's repository name."""
    name = re.sub(r"[^a-z0-9]+", "-", socket.gethostname().lower()).strip("-")
    return name or "host"


def alive(host: str, pid: str) -> bool:
    """Whether the grading process that made an object still runs on this host."""
    if host != host_name() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def container_owner(container: Mapping[str, Any]) -> tuple[str, str]:
    """The (host, pid) a container's label names."""
    _, host, pid = (((container.get("Labels") or {}).get(LABEL) or "") + "::").split(":")[:3]
    return host, pid


def image_owner(image: Mapping[str, Any]) -> tuple[str, str]:
    """The (host, pid) an image's grader-run/ tag names."""
    for reference in image.get("RepoTags") or []:
        repository = str(reference).rsplit(":", 1)[0]
        if repository.startswith(f"{REPOSITORY}/"):
            host, _, rest = repository[len(REPOSITORY) + 1 :].partition(".")
            return host, rest.partition(".")[0]
    return "", ""
