"""A redis-server of the tests' own, on a free loopback port, without persistence.

Without persistence a restart loses every key, which is what the queue must survive. Where no
``redis-server`` is installed the queue tests skip, unless GRADER_REQUIRE_REDIS=1 (CI) makes
that a failure.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest


def free_port() -> int:
    """A loopback port nobody listens on (closed again before it is returned)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def require_redis() -> str:
    """The redis-server program, or a skip (a failure under GRADER_REQUIRE_REDIS=1)."""
    found = shutil.which("redis-server")
    if found is None:
        reason = "no redis-server (apt-get install redis-server)"
        if os.environ.get("GRADER_REQUIRE_REDIS") == "1":
            pytest.fail(f"{reason}, and GRADER_REQUIRE_REDIS=1")
        pytest.skip(reason)
    return found


class RedisServer:
    """One redis-server process; ``restart`` stops it and starts an empty one on the same port."""

    def __init__(self, folder: Path) -> None:
        self.program = require_redis()
        self.folder = folder
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [
                self.program,
                "--port", str(self.port),
                "--bind", "127.0.0.1",
                "--save", "",
                "--appendonly", "no",
                "--dir", str(self.folder),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), 1),
            ):
                return
            time.sleep(0.05)
        raise AssertionError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=30)
            self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()


@contextlib.contextmanager
def redis_server(folder: Path) -> Iterator[RedisServer]:
    """A running server, stopped at the end whatever happened."""
    server = RedisServer(folder)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@contextlib.contextmanager
def workers(url: str, folder: Path, count: int = 2) -> Iterator[list[subprocess.Popen[str]]]:
    """``count`` `grader worker` processes on this machine's engine, each cloning into its own
    folder; stopped at the end (SIGTERM, then SIGKILL), their output in ``folder``."""
    started: list[subprocess.Popen[str]] = []
    try:
        for number in range(count):
            command = [sys.executable, "-m", "grader", "worker", "--queue", url]
            command += ["--name", f"w{number}", "--submissions", str(folder / f"subs{number}")]
            log = (folder / f"worker{number}.log").open("w")
            with log:  # the worker has its own copy of the descriptor
                started.append(
                    subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, text=True)
                )
        yield started
    finally:
        for process in started:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in started:
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
