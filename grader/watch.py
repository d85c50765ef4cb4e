"""Watching a working copy for changes, for `grader check --watch`.

Polling, hand-written: the trees are small (a few task folders), a poll a second costs nothing,
and it works the same on every platform and file system, where inotify-style libraries do not.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

_SKIP = frozenset({".git", "node_modules", "__pycache__", ".venv"})
_MAX_FILES = 10_000

Snapshot = dict[str, tuple[int, int]]


def snapshot(folders: Iterable[Path]) -> Snapshot:
    """Modification time and size of every file under the folders (links not followed)."""
    seen: Snapshot = {}
    for folder in folders:
        for root, dirs, files in os.walk(folder):
            dirs[:] = [d for d in dirs if d not in _SKIP]
            for name in files:
                path = os.path.join(root, name)
                try:
                    info = os.lstat(path)
                except OSError:
                    continue
                seen[path] = (info.st_mtime_ns, info.st_size)
                if len(seen) >= _MAX_FILES:
                    return seen
    return seen


def changes(
    folders: Iterable[Path], *, interval: float = 1.0, settle: float = 0.3
) -> Iterator[None]:
    """Yield once at once, then each time something under the folders changed and settled."""
    watched = list(folders)
    current = snapshot(watched)
    yield
    while True:
        time.sleep(interval)
        latest = snapshot(watched)
        if latest == current:
            continue
        while True:  # an editor saves in several writes: wait until it is done
            time.sleep(settle)
            settled = snapshot(watched)
            if settled == latest:
                break
            latest = settled
        current = latest
        yield
