"""BuildKit, as the student's `docker build` runs it: through the Docker CLI, into the engine.

docker-py cannot drive BuildKit, so the build goes through a Docker CLI: ``docker buildx build``
where the buildx plugin is installed, else a CLI older than 23 that drives BuildKit itself with
``DOCKER_BUILDKIT=1`` (a newer CLI without buildx refuses BuildKit). The image lands in the
engine's store under grader's tag, so inspection, runs and probes stay on docker-py.

The CLI runs in a session of its own, so a Ctrl-C in the terminal reaches grader, not the build;
stopping it (a timeout, a cancel) sends SIGINT, on which the CLI cancels the build on the engine,
then SIGKILL after a grace period, on which the engine cancels it too (both seen on 20.10).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import tarfile
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from grader.capped import CappedBuffer
from grader.engines.base import BuildRequest, Built
from grader.engines.cgroups import StepLimiter
from grader.engines.progress import Progress
from grader.models.results import BuilderInfo, BuildLimit, BuildResult
from grader.models.rubric import Limits

if TYPE_CHECKING:
    from grader.engines.docker import Engine

_PROBE_TIMEOUT = 20  # seconds for `docker --version` and `docker buildx version`
_STOP_GRACE = 3  # seconds between SIGINT and SIGKILL
_LINE = 64 * 1024  # longest line read at once from the client
_VERSION = re.compile(r"(\d+)\.(\d+)(?:\.(\d+))?")


@dataclass(frozen=True)
class Client:
    """A Docker CLI that can drive BuildKit, and how."""

    path: str
    version: str
    buildx: str | None  # the buildx plugin's version, when builds go through it
    rawjson: bool  # the client offers --progress=rawjson

    def describe(self) -> str:
        """For results and the terminal: which client, how."""
        if self.buildx is not None:
            return f"docker buildx {self.buildx} ({self.path})"
        return f"docker {self.version} ({self.path}, DOCKER_BUILDKIT=1)"

    def argv(self) -> list[str]:
        """The command up to its options."""
        if self.buildx is not None:
            return [self.path, "buildx", "build", "--load"]
        return [self.path, "build"]


def _output(argv: list[str], env: Mapping[str, str]) -> tuple[int, str]:
    try:
        done = subprocess.run(
            argv,
            capture_output=True,
            text=True,
            timeout=_PROBE_TIMEOUT,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        return 1, str(exc)
    return done.returncode, (done.stdout + done.stderr).strip()


def _candidates(explicit: str | None, env: Mapping[str, str]) -> list[str]:
    if explicit:
        return [explicit]
    found: list[str] = []
    for folder in [*env.get("PATH", "").split(os.pathsep), "/usr/bin", "/usr/local/bin"]:
        path = shutil.which("docker", path=folder) if folder else None
        if path and os.path.realpath(path) not in {os.path.realpath(f) for f in found}:
            found.append(path)
    return found


def find_client(explicit: str | None, env: Mapping[str, str]) -> Client | str:
    """The first Docker CLI that builds with BuildKit, or why there is none.

    ``explicit`` (``--docker-cli``) is the only one tried when given; otherwise every ``docker``
    on PATH, then /usr/bin and /usr/local/bin, in order.
    """
    reasons: list[str] = []
    for path in _candidates(explicit, env):
        status, text = _output([path, "--version"], env)
        match = _VERSION.search(text) if status == 0 else None
        if match is None:
            reasons.append(f"{path}: not a Docker CLI ({text.splitlines()[0] if text else status})")
            continue
        version = text.split("version", 1)[-1].split(",", 1)[0].strip() or match.group(0)
        status, plugin = _output([path, "buildx", "version"], env)
        if status == 0 and (found := _VERSION.search(plugin)):
            _, help_text = _output([path, "buildx", "build", "--help"], env)
            return Client(path, version, found.group(0), "rawjson" in help_text)
        if int(match.group(1)) < 23:
            return Client(path, version, None, False)
        reasons.append(
            f"{path}: docker {version} has no buildx plugin, and refuses BuildKit without it"
        )
    if not reasons:
        return "no docker command on PATH"
    return "; ".join(reasons)


class BuildKitBuilder:
    """Builds with BuildKit through a Docker CLI; see the module's docstring."""

    name: ClassVar[str] = "buildkit"

    def __init__(self, engine: Engine, client: Client, limiter: StepLimiter | None) -> None:
        self._engine = engine
        self._client = client
        self._limiter = limiter
        self._lock = threading.Lock()
        self._running: set[subprocess.Popen[bytes]] = set()

    def info(self) -> BuilderInfo:
        """BuildKit, the client, and what it enforces on the steps."""
        enforced: list[BuildLimit] = ["timeout", "network"]
        if self._limiter is not None:
            enforced += ["memory", "cpus", "pids"]
        return BuilderInfo(
            name="buildkit",
            client=self._client.describe(),
            engine=self._engine.version,
            enforced=enforced,
        )

    def cancel(self) -> None:
        """Stop every client in flight: SIGINT now, SIGKILL after a grace period."""
        with self._lock:
            running = list(self._running)
        for process in running:
            threading.Thread(target=_stop, args=(process,), daemon=True).start()

    def close(self) -> None:
        """Stop the step limiter's watcher."""
        if self._limiter is not None:
            self._limiter.close()

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["DOCKER_HOST"] = self._engine.address
        env["DOCKER_BUILDKIT"] = "1"
        env.pop("DOCKER_CONTEXT", None)  # DOCKER_HOST names the engine docker-py talks to
        env.setdefault("DOCKER_CLI_HINTS", "false")
        env["BUILDKIT_PROGRESS"] = "plain"
        return env

    def _argv(self, request: BuildRequest, limits: Limits, tag: str, folder: Path) -> list[str]:
        progress = "rawjson" if self._client.rawjson else "plain"
        argv = [*self._client.argv(), f"--progress={progress}", "--tag", tag]
        argv += ["--file", str(folder / "context" / request.context.dockerfile)]
        argv += ["--iidfile", str(folder / "iid")]
        for key, value in self._engine.labels.items():
            argv += ["--label", f"{key}={value}"]
        for key, value in request.build_args.items():
            argv += ["--build-arg", f"{key}={value}"]
        if request.target:
            argv += ["--target", request.target]
        if request.platform:
            argv += ["--platform", request.platform]
        if not limits.build_network:
            argv += ["--network", "none"]
        return [*argv, str(folder / "context")]

    def build(self, request: BuildRequest, limits: Limits, tag: str) -> Built:
        """Build through the CLI; a failing or endless build is a result, not an exception."""
        engine = self._engine
        engine.cancellation.check()
        started = time.monotonic()
        buffer = CappedBuffer(int(limits.output_limit))
        progress = Progress(request.instructions)
        engine.track(image=tag)
        timed_out = threading.Event()
        capped = self._limiter.building(limits) if self._limiter else contextlib.nullcontext()
        with _workspace(request) as folder, capped:
            process = subprocess.Popen(
                self._argv(request, limits, tag, folder),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                env=self._env(),
                start_new_session=True,  # the terminal's Ctrl-C is grader's to handle
            )
            with self._lock:
                self._running.add(process)
            if engine.cancellation.is_set:  # cancelled while it started
                threading.Thread(target=_stop, args=(process,), daemon=True).start()

            def expire() -> None:
                timed_out.set()
                _stop(process)

            watchdog = threading.Timer(limits.build_timeout, expire)
            watchdog.daemon = True
            watchdog.start()
            try:
                assert process.stdout is not None
                for raw in iter(lambda: process.stdout.readline(_LINE), b""):  # type: ignore[union-attr]
                    line = raw.decode("utf-8", "replace")
                    if self._client.rawjson:
                        buffer.write(progress.rawjson(line).encode())
                    else:
                        buffer.write(raw)
                        progress.plain(line)
                status = process.wait()
            finally:
                watchdog.cancel()
                if process.poll() is None:
                    _stop(process)
                with self._lock:
                    self._running.discard(process)
            image = _read(folder / "iid")
        engine.cancellation.check()
        ok = status == 0 and not timed_out.is_set()
        if not ok and not timed_out.is_set():
            engine.ping()  # the client also fails when the engine went away: not the student's
        progress.finish(ok=ok, canceled=timed_out.is_set())
        error = progress.error if not ok else None
        if timed_out.is_set():
            error = f"the build was stopped at its time limit, {limits.build_timeout:g} s"
            buffer.write(f"{error}\n".encode())
        elif ok and not image and engine.image_id(tag) is None:
            error = "the build ended without producing an image"
        result = BuildResult(
            ok=error is None,
            seconds=round(time.monotonic() - started, 3),
            timed_out=timed_out.is_set(),
            error=error,
            log_tail=buffer.text(),
            log_truncated=buffer.truncated,
            steps=progress.steps.steps(),
            builder=self.info(),
        )
        return Built(result=result, image=tag if error is None else None)


@contextlib.contextmanager
def _workspace(request: BuildRequest) -> Iterator[Path]:
    """The packed context unpacked into a private folder for the CLI, removed afterwards.

    The archive is grader's own (caps applied, symlinks as links, nothing outside the task's
    folder); unpacking it gives the CLI exactly what the classic builder would be sent.
    """
    folder = Path(tempfile.mkdtemp(prefix="grader-build-"))
    try:
        archive = request.context.archive
        with archive, tarfile.open(fileobj=archive, mode="r:") as tar:
            extract_filter = getattr(tarfile, "tar_filter", None)
            if extract_filter is not None:
                tar.extractall(folder / "context", filter=extract_filter)
            else:  # pragma: no cover - Pythons before the extraction filters
                tar.extractall(folder / "context")
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _read(path: Path) -> str | None:
    try:
        return path.read_text().strip() or None
    except OSError:
        return None


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGINT the client's session (it cancels the build), then SIGKILL if it lingers."""
    for sig, wait in ((signal.SIGINT, _STOP_GRACE), (signal.SIGKILL, _STOP_GRACE)):
        if process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=wait)
