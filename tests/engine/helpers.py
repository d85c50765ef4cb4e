"""What the engine tests share: running grader, reading what it wrote, making a class."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from collections.abc import Mapping
from pathlib import Path

import docker

from grader.buildcontext import pack
from grader.dockerfile import instructions
from grader.engines import BuildRequest
from grader.engines.housekeeping import LABEL, REPOSITORY
from grader.models.rubric import Limits
from tests import baseimages
from tests.gitrepos import commit, make_repo

# Limits that keep engine tests quick.
FAST = Limits(build_timeout=120, run_timeout=20, memory=256 * 1024**2, pids=128)
# What a student's Dockerfile names: grader refuses its own grader-test/ namespace there, so the
# graded Dockerfiles of the tests write the public name and the rubric maps it to the stand-in.
BUSYBOX = "busybox:1.36"


def build_request(folder: Path, dockerfile: str, **files: str) -> BuildRequest:
    """A build of ``dockerfile`` with ``files`` beside it, packed as grading packs it."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "Dockerfile").write_text(dockerfile)
    for name, text in files.items():
        (folder / name).write_text(text)
    packed = pack(folder, folder / "Dockerfile", max_bytes=10**9, max_files=10_000)
    return BuildRequest(context=packed, name="t", instructions=instructions(dockerfile))


def running(command: str) -> bool:
    """Whether a process whose command line is exactly this runs anywhere on the machine.

    A builder's step is a process, not always a container (BuildKit, buildah): this is how a
    test sees that a cancelled step is really gone.
    """
    for entry in Path("/proc").iterdir():
        try:
            line = (entry / "cmdline").read_bytes().replace(b"\0", b" ").strip()
        except OSError:
            continue
        if entry.name.isdigit() and line == command.encode():
            return True
    return False


def grader(*args: str | Path, env: Mapping[str, str] | None = None) -> subprocess.Popen[str]:
    """The command line, as a process, with ``env`` added to this one's environment."""
    return subprocess.Popen(
        [sys.executable, "-m", "grader", *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "COLUMNS": "200", **(env or {})},
    )


def finish(process: subprocess.Popen[str]) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=1800)
    return process.returncode, out, err


def rows(out: Path) -> dict[str, dict]:
    """The rows a batch into ``out`` has finished: results.json, then its journal's lines.

    While a batch runs, results.json is the last run's and the journal holds this run's rows;
    at the end, results.json holds them all and the journal is gone.
    """
    found: dict[str, dict] = {}
    if (out / "results.json").exists():
        results = json.loads((out / "results.json").read_text())
        found = {row["student"]: row for row in results["submissions"]}
    journal = out / "results.journal.jsonl"
    if journal.exists():
        for line in journal.read_text().splitlines(keepends=True):
            if line.endswith("\n"):  # a whole line: the batch may be appending the next
                row = json.loads(line)["row"]
                found[row["student"]] = row
    return found


def grade(
    tmp_path: Path,
    rubric: Path,
    roster: Path,
    *extra: str | Path,
    out: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> subprocess.Popen[str]:
    """`grader grade` into ``out`` (default tmp_path/out), cloning into tmp_path/subs."""
    target = out or tmp_path / "out"
    options = ("--rubric", rubric, "--roster", roster, "--out", target)
    return grader("grade", *options, "--submissions", tmp_path / "subs", *extra, env=env)


def make_class(where: Path, students: Mapping[str, Mapping[str, str]]) -> Path:
    """A repository per student holding its files, one commit each; returns the roster."""
    lines = ["student,repo"]
    for student, files in students.items():
        repo = make_repo(where / "repos" / student)
        commit(repo, "work", "2026-11-20T00:00:00Z", files)
        lines.append(f"{student},{repo}")
    roster = where / "roster.csv"
    roster.write_text("\n".join(lines) + "\n")
    return roster


SLOW_RUBRIC = f"""\
assignment: slow
title: Slow builds
defaults:
  image_map: {{"{BUSYBOX}": "{baseimages.BUSYBOX}"}}
tasks:
  - id: app
    title: App
    dockerfile: Dockerfile
    criteria:
      - {{check: output, points: 1, contains: hello}}
"""


def slow_class(tmp_path: Path, busybox_image: str, students: int) -> tuple[Path, Path]:
    """Students whose builds take a few seconds each, and a rubric that checks their output."""
    nonce = secrets.token_hex(6)
    roster = make_class(
        tmp_path,
        {
            f"s{n}": {
                # the nonce: no build cache of an earlier test answers for this one
                "Dockerfile": f"FROM {BUSYBOX}\nRUN sleep 3 && : {nonce} && "
                f"echo student {n} > /who\n"
                'CMD ["sh", "-c", "echo hello from $(cat /who)"]\n'
            }
            for n in range(students)
        },
    )
    rubric = tmp_path / "slow.yaml"
    rubric.write_text(textwrap.dedent(SLOW_RUBRIC))
    return roster, rubric


def wait_for_rows(out: Path, count: int, process: subprocess.Popen[str]) -> dict[str, dict]:
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()
        found = rows(out)  # whole, valid lines, whenever they are read
        if len(found) >= count:
            return found
        time.sleep(0.2)
    raise AssertionError("the batch never finished a row")


def engine_objects(docker_client) -> list[str]:
    """What grader left on the Docker Engine: labelled containers, grader-run/ images."""
    return _left_by_grader(docker_client.api)


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


def _left_by_grader(api: docker.APIClient) -> list[str]:
    containers = api.containers(all=True, filters={"label": LABEL})
    images = api.images(filters={"reference": f"{REPOSITORY}/*"})
    return [c["Id"] for c in containers] + [i["Id"] for i in images]


def left_on(url: str) -> list[str]:
    """What grader left on the engine at ``url`` (a Podman service, say)."""
    client = docker.APIClient(base_url=url, version="1.41", timeout=120)
    try:
        return _left_by_grader(client)
    finally:
        client.close()
