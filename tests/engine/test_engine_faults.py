"""Engine faults: an engine that is not there, and one that drops in the middle of a class."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

from tests.engine.test_batch import engine_objects, finish, grader, rows, slow_class
from tests.gitrepos import commit, make_repo


class EngineProxy:
    """A unix-socket relay to the real engine that can be cut and restored, like a daemon that
    restarts under a running batch."""

    def __init__(self, upstream: str = "/var/run/docker.sock") -> None:
        self.upstream = upstream
        self.path = Path(tempfile.mkdtemp(prefix="gp", dir="/tmp")) / "docker.sock"
        self._listener: socket.socket | None = None
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        self.connections = 0

    @property
    def url(self) -> str:
        return f"unix://{self.path}"

    def start(self) -> None:
        listener = socket.socket(socket.AF_UNIX)
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        listener.bind(str(self.path))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.close()
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        with self._lock:
            for sock in self._open:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
            self._open.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            upstream = socket.socket(socket.AF_UNIX)
            upstream.connect(self.upstream)
            with self._lock:
                self._open |= {client, upstream}
                self.connections += 1
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)


def test_no_engine_stops_before_any_work(tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("student,repo\nalice,https://example.org/alice.git\n")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "grader",
            "grade",
            "--rubric",
            "lesson-2.4",
            "--roster",
            str(roster),
            "--out",
            str(tmp_path / "out"),
            "--submissions",
            str(tmp_path / "subs"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "DOCKER_HOST": "unix:///nonexistent/docker.sock"},
    )
    assert done.returncode == 2
    assert done.stderr.startswith("grader: no Docker Engine answers at")
    assert len(done.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "subs").exists()  # nothing was cloned
    assert not (tmp_path / "out").exists()


@pytest.mark.keeps_objects
def test_engine_drop_mid_batch_marks_rows_and_the_rerun_regrades_only_them(
    tmp_path, busybox_image, docker_client
):
    roster, rubric = slow_class(tmp_path, busybox_image, 3)
    proxy = EngineProxy()
    proxy.start()
    out = tmp_path / "out"
    args = (
        "grade",
        "--rubric",
        rubric,
        "--roster",
        roster,
        "--jobs",
        "1",
        "--out",
        out,
        "--submissions",
        tmp_path / "subs",
    )
    env = {**os.environ, "DOCKER_HOST": proxy.url, "COLUMNS": "200"}
    process = subprocess.Popen(
        [sys.executable, "-m", "grader", *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    deadline = time.monotonic() + 300
    while not (out / "results.json").exists() or not rows(out):
        assert time.monotonic() < deadline
        assert process.poll() is None
        time.sleep(0.2)
    first = rows(out)
    time.sleep(1)  # the next student's build is under way
    proxy.cut()
    _, err = process.communicate(timeout=600)
    assert process.returncode == 1, err  # some rows are errors
    found = rows(out)
    assert sorted(found) == ["s0", "s1", "s2"]
    errors = {s for s, row in found.items() if row["status"] == "error"}
    assert errors, "the cut should have hit a submission"
    assert set(first).isdisjoint(errors)
    for student in errors:
        assert "Docker Engine" in found[student]["error"]

    proxy.start()
    status, _, err = finish(grader(*args))
    assert status == 0, err
    again = rows(out)
    assert all(row["status"] == "graded" for row in again.values())
    for student, row in first.items():
        assert again[student]["graded_at"] == row["graded_at"]  # not regraded
    assert f"({len(found) - len(errors)} unchanged, not regraded)" in err
    proxy.cut()
    done = subprocess.run(
        [sys.executable, "-m", "grader", "clean"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert engine_objects(docker_client) == []
    assert json.loads((out / "results.json").read_text())["submissions"]


def test_broken_inputs_each_get_a_clear_row_and_the_batch_goes_on(tmp_path, busybox_image):
    good = f'FROM {busybox_image}\nCMD ["echo", "hello"]\n'
    students = {
        "good": {"Dockerfile": good},
        "missing": {"README.md": "I forgot the Dockerfile\n"},
        "binary": {"Dockerfile": "\x00\x01\x02\xff" * 1000},
        "huge": {"Dockerfile": "FROM scratch\n" + "x" * (10 * 1024 * 1024)},
        "nofrom": {"Dockerfile": "RUN echo no base\n"},
    }
    lines = ["student,repo"]
    for student, files in students.items():
        repo = make_repo(tmp_path / student)
        for name, text in files.items():
            (repo / name).write_bytes(text.encode("latin-1"))
        commit(repo, "work", "2026-11-20T00:00:00Z")
        lines.append(f"{student},{repo}")
    roster = tmp_path / "roster.csv"
    roster.write_text("\n".join(lines) + "\n")
    _, rubric = slow_class(tmp_path / "unused", busybox_image, 1)
    out = tmp_path / "out"
    status, _, err = finish(
        grader(
            "grade",
            "--rubric",
            rubric,
            "--roster",
            roster,
            "--out",
            out,
            "--submissions",
            tmp_path / "subs",
        )
    )
    assert status == 0, err
    found = rows(out)
    assert found["good"]["score"] == 1.0
    for student in ("missing", "binary", "huge", "nofrom"):
        row = found[student]
        assert row["status"] == "graded", row
        [criterion] = row["tasks"][0]["criteria"]
        assert not criterion["passed"]
        assert len(criterion["message"]) < 600, (student, criterion["message"][:200])
        assert "\n" not in criterion["message"]
    assert found["missing"]["tasks"][0]["criteria"][0]["message"] == "Dockerfile is missing"
