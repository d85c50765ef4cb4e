"""`grader check --watch`: changes under the task folders, noticed and settled."""

from __future__ import annotations

import threading
import time

from grader.watch import changes, snapshot


def test_snapshot_sees_files_and_skips_vendored_trees(tmp_path):
    (tmp_path / "task1").mkdir()
    (tmp_path / "task1" / "Dockerfile").write_text("FROM scratch\n")
    (tmp_path / "node_modules").mkdir()
    (tmp_path / "node_modules" / "big.js").write_text("x")
    seen = snapshot([tmp_path])
    assert str(tmp_path / "task1" / "Dockerfile") in seen
    assert not any("node_modules" in path for path in seen)


def test_changes_yields_at_once_then_after_each_saved_change(tmp_path):
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text("FROM scratch\n")
    events: list[float] = []
    watcher = changes([tmp_path], interval=0.05, settle=0.05)

    def consume() -> None:
        for _ in watcher:
            events.append(time.monotonic())
            if len(events) == 2:
                return

    thread = threading.Thread(target=consume, daemon=True)
    thread.start()
    time.sleep(0.2)
    assert len(events) == 1  # the first check, at once; nothing changed since
    dockerfile.write_text("FROM busybox\n")
    thread.join(timeout=5)
    assert len(events) == 2
