"""The engine as grading uses it (Docker, or Podman through its Docker-compatible socket).

One ``Engine`` is one grading run; a builder of ``grader.engines`` makes its images, and
everything else (base images, image facts, runs, path probes, clean-up) goes through docker-py
here. Every container it makes carries the label ``grader.run`` and every image a tag under
``grader-run/``, both naming the run, host and process (``housekeeping``); every build and
run has a hard wall-clock timeout. A ``scope`` (one submission) has its objects removed, in the
background, when it ends; leaving the ``with`` block (normally, on an error, on Ctrl-C) stops
what is still going and force-removes every container and image of the run, unless ``keep``
asks to leave them for debugging. ``docker.errors``, ``requests`` and socket errors are
translated at the boundary (``translate``) into ``grader.errors``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import re
import secrets
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from types import TracebackType
from typing import IO, Any, Literal

import docker
import docker.errors
import requests
import requests.exceptions
from docker.types import LogConfig, Ulimit
from docker.utils.json_stream import json_stream
from docker.utils.socket import frames_iter

from grader import imageref
from grader.capped import CappedBuffer, one_line
from grader.engines.base import Builder, BuildRequest, Built, Cancellation, EngineOptions
from grader.engines.contents import config_of, look
from grader.engines.housekeeping import (
    LABEL,
    REPOSITORY,
    BuildsOrDeletions,
    Made,
    Once,
    alive,
    container_owner,
    host_name,
    image_owner,
)
from grader.engines.translate import (
    DEFAULT_SOCKET,
    boundary,
    describe,
    why_unreachable,
)
from grader.errors import EngineError, EngineUnavailable, GraderError
from grader.models.image import ImageConfig
from grader.models.results import BuilderInfo, ImageFacts, Layer, RunResult
from grader.models.rubric import Limits, RunSpec

log = logging.getLogger(__name__)

# Containers carry this label; images are tagged grader-run/<host>.<pid>.<run>:<name>. Both
# name the process that made them, so `grader clean` spares live runs. Classic builds get no
# label: the classic builder would add a build step for it, costing time and shifting the step
# numbers students read in their build logs (BuildKit labels the image without a step).
_API_TIMEOUT = 120  # seconds for an ordinary API call; builds and runs have their own limits
_GRACE = 10  # seconds the engine gets to report on a container after it was killed

_TAG_UNSAFE = re.compile(r"[^a-z0-9_.-]+")


def _raw_socket(obj: Any) -> socket.socket | None:
    # docker-py's attach_socket returns a SocketIO over unix sockets and the socket itself over
    # TCP; shutting a direction needs the socket.
    sock = getattr(obj, "_sock", obj)
    return sock if isinstance(sock, socket.socket) else None


def _shutdown(response: requests.Response) -> None:
    # Closing a streamed response from another thread deadlocks on the reader's buffer lock;
    # shutting the socket down wakes the reader and makes the engine cancel the build.
    connection = getattr(response.raw, "connection", None)
    sock = getattr(connection, "sock", None)
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


EngineKind = Literal["docker", "podman"]
# Podman's runs fail to start with its default limits on machines whose hard limit is lower
# ("error setting rlimit type 7"); any sandbox wants these bounded anyway.
_ULIMITS = [Ulimit(name="nofile", soft=1024, hard=1024)]
_PODMAN_ULIMITS = [*_ULIMITS, Ulimit(name="nproc", soft=1024, hard=1024)]


class Engine:
    """A grading run's connection to an engine; use it as a context manager.

    ``choose`` picks the builder once the engine has answered (``grader.engines.open_engine``
    passes the registry's choice); the engine's kind and version are known by then.
    """

    def __init__(
        self,
        options: EngineOptions | None = None,
        *,
        choose: Callable[[Engine], Builder] | None = None,
    ) -> None:
        self.options = options or EngineOptions()
        self.run_id = secrets.token_hex(6)
        self.keep = self.options.keep
        self.kept: list[str] = []
        self.kind: EngineKind = "docker"
        self.version = "unknown engine"
        self.api_version = "0"
        self.cgroup_driver = ""
        self.cgroup_version = ""
        self.cancellation = Cancellation()
        self.passed_over: str | None = None  # why a better builder was not used (auto)
        self._base_url = self.options.docker_host
        self._choose = choose
        self._builder: Builder | None = None
        # A job holds up to three connections at once (a build or an attached run, plus calls).
        self._pool_size = max(10, 4 * self.options.jobs)
        self._client: docker.DockerClient | None = None
        self._lock = threading.Lock()
        self._counter = 0
        self._made = Made()
        self._bases: dict[str, Once] = {}
        self.images_in_use = BuildsOrDeletions()
        self._doomed: queue.SimpleQueue[Made | None] = queue.SimpleQueue()
        self._reaper: threading.Thread | None = None
        self._local = threading.local()  # the current thread's scope, if any
        self._builds: set[requests.Response] = set()
        self._running: set[str] = set()  # containers started and not yet finished

    # -- lifecycle -------------------------------------------------------------------------

    def __enter__(self) -> Engine:
        try:
            if self._base_url:
                self._client = docker.DockerClient(
                    base_url=self._base_url, timeout=_API_TIMEOUT, max_pool_size=self._pool_size
                )
            else:
                self._client = docker.from_env(timeout=_API_TIMEOUT, max_pool_size=self._pool_size)
            self._client.ping()
            self._learn(self._client.api.version(), self._client.api.info())
        except (docker.errors.DockerException, requests.exceptions.RequestException) as exc:
            self.close()
            raise EngineUnavailable(
                f"no Docker Engine answers at {self.address} ({why_unreachable(exc)}); start one "
                "(dockerd, Docker Desktop, podman system service) or set DOCKER_HOST"
            ) from exc
        except BaseException:
            self.close()
            raise
        try:
            if self._choose is not None:
                self._builder = self._choose(self)
        except BaseException:
            self.close()
            raise
        return self

    def _learn(self, version: Mapping[str, Any], info: Mapping[str, Any]) -> None:
        """The engine's kind and version, from /version and /info."""
        names = [str(c.get("Name", "")) for c in version.get("Components") or []]
        self.kind = "podman" if any("podman" in n.lower() for n in names) else "docker"
        number = str(version.get("Version") or "?")
        self.version = f"{'Podman' if self.kind == 'podman' else 'Docker Engine'} {number}"
        self.api_version = str(version.get("ApiVersion") or "0")
        self.cgroup_driver = str(info.get("CgroupDriver") or "")
        self.cgroup_version = str(info.get("CgroupVersion") or "1")

    @property
    def address(self) -> str:
        """The engine's address, as DOCKER_HOST would name it (for a build client)."""
        return self._base_url or os.environ.get("DOCKER_HOST") or DEFAULT_SOCKET

    @property
    def local(self) -> bool:
        """Whether the engine listens on this machine's own socket."""
        return self.address.startswith("unix://")

    @property
    def builder(self) -> BuilderInfo:
        """Which builder builds, through which client, on which engine."""
        if self._builder is None:
            raise EngineError("no builder was chosen for this engine")
        return self._builder.info()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def _api(self) -> docker.APIClient:
        if self._client is None:
            raise EngineError("the engine is used outside its 'with' block")
        return self._client.api

    @property
    def label(self) -> str:
        """The value of the label every container of this run carries: run:host:pid."""
        return f"{self.run_id}:{host_name()}:{os.getpid()}"

    @property
    def repository(self) -> str:
        """The repository every image of this run is tagged in."""
        return f"{REPOSITORY}/{host_name()}.{os.getpid()}.{self.run_id}"

    @property
    def labels(self) -> dict[str, str]:
        """The labels every object of this run carries."""
        return {LABEL: self.label}

    def _unique(self, hint: str) -> str:
        with self._lock:
            self._counter += 1
            n = self._counter
        slug = _TAG_UNSAFE.sub("-", hint.lower()).strip("-._")[:80] or "x"
        return f"{slug}-{n}"

    def cancel(self) -> None:
        """Stop now: builds and runs in flight are cancelled, and nothing new may start.

        Called from another thread (Ctrl-C, SIGTERM); each operation cut short raises
        ``Interrupted`` in its own thread, so no grade is made of a cancelled build.
        """
        self.cancellation.set()
        with self._lock:
            builds, running = list(self._builds), list(self._running)
        for response in builds:
            _shutdown(response)
        if self._builder is not None:
            self._builder.cancel()
        if self._client is not None:
            for cid in running:
                with contextlib.suppress(Exception):
                    self._client.api.kill(cid)

    def close(self) -> None:
        """Stop builds and runs in flight and remove every container and image of this run."""
        self.cancel()
        if self._client is None:
            return
        try:
            self._stop_reaper()
            if self.keep:
                made = self._made
                self.kept = sorted(made.containers | made.images | set(made.intermediates))
            else:
                self._remove(self._made, everything_labelled=True)
        except KeyboardInterrupt:
            log.warning("clean-up interrupted: run `grader clean` to remove what is left")
            raise
        finally:
            if self._builder is not None:
                self._builder.close()
            with contextlib.suppress(Exception):
                self._client.close()
            self._client = None

    @contextlib.contextmanager
    def scope(self) -> Iterator[None]:
        """Remove what this thread makes inside the block when the block ends.

        One submission's images go as soon as it is graded, so disk use stays bounded across a
        class; should the scope be skipped, the run's clean-up still covers them.
        """
        made = Made()
        self._local.scope = made
        try:
            yield
        finally:
            self._local.scope = None
            if not self.keep and self._client is not None:
                self._reap(made)

    def _reap(self, made: Made) -> None:
        """Remove a scope's objects in the background.

        Deleting images takes the engine a while, and the next submission's build need not wait
        for it; ``close`` waits for what is left.
        """
        with self._lock:
            if self._reaper is None:
                self._reaper = threading.Thread(
                    target=self._reap_forever, name="grader-reaper", daemon=True
                )
                self._reaper.start()
        self._doomed.put(made)

    def _reap_forever(self) -> None:
        while (made := self._doomed.get()) is not None:
            try:
                self._remove(made)
            except GraderError as exc:  # the run's own clean-up tries again at the end
                log.warning("could not remove a submission's images: %s", exc)

    def _stop_reaper(self) -> None:
        with self._lock:
            reaper, self._reaper = self._reaper, None
        if reaper is not None:
            self._doomed.put(None)
            reaper.join()

    def track(
        self,
        *,
        container: str | None = None,
        image: str | None = None,
        intermediates: Iterable[str] = (),
        whole_run: bool = False,
    ) -> None:
        """Record what was made: removed with the current scope, or (``whole_run``) at the end.

        Images of metadata-only steps (WORKDIR /app on a base) weigh nothing and are the steps
        every student's build shares: they stay, as build cache, until the run ends.
        """
        scope: Made | None = None if whole_run else getattr(self._local, "scope", None)
        with self._lock:
            for made in (self._made, scope) if scope is not None else (self._made,):
                made.add(container=container, image=image, intermediates=intermediates)

    def _remove(self, made: Made, *, everything_labelled: bool = False) -> None:
        """Remove containers, then tagged images, then the intermediate images, newest first.

        Image deletions wait for a moment when no build runs; at the end of the run (everything
        labelled) builds have been stopped, and the wait is bounded in case one hangs.
        """
        api = self._api
        containers, images = set(made.containers), sorted(made.images)
        if everything_labelled:  # also what was under way when the run was stopped
            try:
                selector = {"label": f"{LABEL}={self.label}"}
                containers |= {c["Id"] for c in api.containers(all=True, filters=selector)}
                ours = {"reference": f"{self.repository}:*"}
                images += sorted({i["Id"] for i in api.images(filters=ours)})
            except (docker.errors.DockerException, requests.exceptions.RequestException) as exc:
                log.warning("could not list this run's objects: %s", describe(exc))
        for cid in containers:
            self._remove_container(cid)
        with self.images_in_use.deleting(timeout=_GRACE * 3 if everything_labelled else None):
            for image in images:
                self._remove_image(image, force=True)
            for image in reversed(made.intermediates):
                self._remove_image(image, force=False)
        with self._lock:
            self._made.discard(made)
            made.clear()

    def _remove_image(self, image: str, *, force: bool) -> None:
        try:
            self._api.remove_image(image, force=force)
        except docker.errors.NotFound:
            pass
        except docker.errors.APIError as exc:
            if force or exc.status_code != 409:  # 409: still the parent of another image
                log.warning("could not remove image %s: %s", image, describe(exc))
        except requests.exceptions.RequestException as exc:
            log.warning("could not remove image %s: %s", image, describe(exc))

    def _remove_container(self, cid: str) -> None:
        """Remove a container; when another thread's removal is under way, wait for it to end.

        The run's own clean-up and the engine's closing can race on one container: the second
        removal gets a 409 while the first is still in progress, and returning then would leave
        the container listed after the block has ended.
        """
        try:
            self._api.remove_container(cid, force=True, v=True)
        except docker.errors.NotFound:
            pass
        except docker.errors.APIError as exc:
            if exc.status_code == 409 and "in progress" in str(exc.explanation or ""):
                self._await_removal(cid)
            else:
                log.warning("could not remove container %s: %s", cid[:12], describe(exc))
        except (docker.errors.DockerException, requests.exceptions.RequestException) as exc:
            log.warning("could not remove container %s: %s", cid[:12], describe(exc))
        with self._lock:
            self._made.containers.discard(cid)

    def _await_removal(self, cid: str) -> None:
        deadline = time.monotonic() + _GRACE
        while time.monotonic() < deadline:
            try:
                self._api.inspect_container(cid)
            except docker.errors.NotFound:
                return
            except (docker.errors.DockerException, requests.exceptions.RequestException) as exc:
                log.warning("could not follow the removal of %s: %s", cid[:12], describe(exc))
                return
            time.sleep(0.1)
        log.warning("container %s was still being removed after %d s", cid[:12], _GRACE)

    # -- builds ----------------------------------------------------------------------------

    def build(self, request: BuildRequest, limits: Limits) -> Built:
        """Build with this engine's builder, tagged in this run's repository.

        A failing or endless build is a result; ``EngineError`` or ``EngineUnavailable`` when the
        engine itself fails, ``Interrupted`` when the run was stopped.
        """
        self.cancellation.check()
        if self._builder is None:
            raise EngineError("no builder was chosen for this engine")
        tag = f"{self.repository}:{self._unique(request.name)}"
        with boundary():
            return self._builder.build(request, limits, tag)

    def stream(
        self,
        path: str,
        *,
        params: Mapping[str, Any],
        timeout: float,
        on_message: Callable[[object], None],
        on_refusal: Callable[[str], None],
        data: IO[bytes] | None = None,
    ) -> bool:
        """POST to a streaming endpoint (/build, /images/create) under a hard time limit.

        docker-py's own calls hide the response, and a client timeout does not stop a build;
        shutting the response's socket down does (the engine cancels it). Returns whether the
        time limit was hit.
        """
        timed_out = threading.Event()
        with boundary():
            api = self._api
            response = api.post(
                f"{api.base_url}/v{api.api_version}{path}",
                params=params,
                data=data,
                headers={"Content-Type": "application/x-tar"} if data is not None else None,
                stream=True,
                timeout=None,
            )
            with self._lock:
                self._builds.add(response)
            if self.cancellation.is_set:  # cancelled while the request was being made
                _shutdown(response)

            def stop() -> None:
                timed_out.set()
                _shutdown(response)

            watchdog = threading.Timer(timeout, stop)
            watchdog.daemon = True
            watchdog.start()
            try:
                if response.status_code != 200:
                    on_refusal(_error_message(response))
                else:
                    chunks = response.iter_content(chunk_size=None, decode_unicode=False)
                    for message in json_stream(chunks):
                        on_message(message)
            except (requests.exceptions.RequestException, OSError):
                self.cancellation.check()
                if not timed_out.is_set():
                    raise
            finally:
                watchdog.cancel()
                response.close()
                with self._lock:
                    self._builds.discard(response)
        return timed_out.is_set()

    def ensure_image(self, reference: str, timeout: float) -> str | None:
        """Make sure a base image is on the engine, pulling it once per run if it is not.

        Returns why it cannot be had, or None. Every build of a class needs the same few base
        images: checked (and pulled) once, not once per student, with a clear message when the
        registry is out of reach.
        """
        self.cancellation.check()
        with self._lock:
            once = self._bases.setdefault(reference, Once())
        return once.run(lambda: self._pull_if_missing(reference, timeout))

    def _pull_if_missing(self, reference: str, timeout: float) -> str | None:
        with boundary():
            try:
                self._api.inspect_image(reference)
                return None
            except docker.errors.ImageNotFound:
                pass
        try:
            ref = imageref.parse(reference)
        except ValueError as exc:
            return str(exc)
        if ref.digest:
            params = {"fromImage": f"{ref.name}@{ref.digest}"}
        else:
            params = {"fromImage": ref.name, "tag": ref.tag or "latest"}
        errors: list[str] = []

        def message(item: object) -> None:
            if isinstance(item, dict) and item.get("error"):
                errors.append(str(item["error"]))

        timed_out = self.stream(
            "/images/create",
            params=params,
            timeout=timeout,
            on_message=message,
            on_refusal=errors.append,
        )
        if timed_out:
            return f"pulling it took longer than {timeout:g} s"
        if errors:
            return one_line(errors[-1])
        return None

    def ping(self) -> None:
        """Raise ``EngineUnavailable`` when the engine does not answer now."""
        try:
            self._api.ping()
        except (docker.errors.DockerException, requests.exceptions.RequestException) as exc:
            raise EngineUnavailable(
                f"the Docker Engine stopped answering: {why_unreachable(exc)}"
            ) from exc

    def image_id(self, tag: str) -> str | None:
        """The id of an image, or None when the engine has no such image."""
        with boundary():
            try:
                return str(self._api.inspect_image(tag)["Id"])
            except docker.errors.NotFound:
                return None

    def image_facts(self, image: str, *, layers: bool = True) -> ImageFacts:
        """Size (and, unless only the size is wanted, layers) of an image, as the engine counts."""
        self.cancellation.check()
        with boundary():
            attrs = self._api.inspect_image(image)
            history = self._api.history(image) if layers else []
        found = [
            Layer(
                created_by=" ".join(str(h.get("CreatedBy") or h.get("Comment") or "").split()),
                size_bytes=int(h.get("Size") or 0),
            )
            for h in reversed(history)
        ]
        return ImageFacts(size_bytes=int(attrs["Size"]), layers=found)

    def image_config(self, image: str) -> ImageConfig:
        """What the image declares (USER, EXPOSE, ENTRYPOINT, CMD, ENV, ...), from its config."""
        self.cancellation.check()
        with boundary():
            config = self._api.inspect_image(image).get("Config") or {}
        return config_of(config)

    # -- runs ------------------------------------------------------------------------------

    def _host_config(self, limits: Limits, *, network: bool) -> dict[str, Any]:
        host_config: dict[str, Any] = self._api.create_host_config(
            network_mode="bridge" if network else "none",
            mem_limit=int(limits.memory),
            memswap_limit=int(limits.memory),
            pids_limit=limits.pids,
            nano_cpus=int(limits.cpus * 1e9),
            cap_drop=["ALL"],
            security_opt=["no-new-privileges"],
            privileged=False,
            read_only=limits.read_only,
            tmpfs={"/tmp": "rw,nosuid,nodev,size=64m"} if limits.read_only else None,
            log_config=LogConfig(type="none"),
            ulimits=_PODMAN_ULIMITS if self.kind == "podman" else _ULIMITS,
        )
        return host_config

    def run(self, image: str, spec: RunSpec, limits: Limits) -> RunResult:
        """Run an image in the sandbox and capture its output, head and tail kept.

        A program that cannot start, crashes, floods or never ends is a result; only an engine
        failure raises.
        """
        return self._run(image, spec, limits, commit=False)[0]

    def run_and_commit(
        self, image: str, spec: RunSpec, limits: Limits
    ) -> tuple[RunResult, str | None]:
        """Run as ``run`` does; then keep the container's file system as an image of this scope.

        For setup commands, which prepare the file system a later command starts from (as
        container-structure-test's setup does). The image is removed with the scope; None when
        the run was stopped at its time limit.
        """
        return self._run(image, spec, limits, commit=True)

    def _run(
        self, image: str, spec: RunSpec, limits: Limits, *, commit: bool
    ) -> tuple[RunResult, str | None]:
        self.cancellation.check()
        stdout = CappedBuffer(int(limits.output_limit))
        stderr = CappedBuffer(int(limits.output_limit))
        timed_out = threading.Event()
        with boundary():
            api = self._api
            cid = self._create(image, spec, limits)
            started = time.monotonic()
            watchdog: threading.Timer | None = None
            try:
                attached = api.attach_socket(
                    cid,
                    params={
                        "stdin": 1 if spec.stdin is not None else 0,
                        "stdout": 1,
                        "stderr": 1,
                        "stream": 1,
                    },
                )
                try:
                    with self._lock:
                        self._running.add(cid)
                    self.cancellation.check()
                    try:
                        api.start(cid)
                    except docker.errors.APIError as exc:
                        failed = RunResult(
                            exit_code=None,
                            stdout="",
                            seconds=round(time.monotonic() - started, 3),
                            error=f"the container could not start: {describe(exc)}",
                        )
                        return failed, None

                    def stop() -> None:
                        timed_out.set()
                        with contextlib.suppress(Exception):
                            api.kill(cid)

                    watchdog = threading.Timer(limits.run_timeout, stop)
                    watchdog.daemon = True
                    watchdog.start()
                    if spec.stdin is not None:
                        _feed_stdin(attached, spec.stdin.encode())
                    for stream, data in frames_iter(attached, tty=False):
                        (stderr if stream == 2 else stdout).write(data)
                finally:
                    with contextlib.suppress(Exception):
                        attached.close()
                # The stream can end before the program does (it may close its stdout); the
                # watchdog kills it at the deadline, so the wait is bounded either way.
                remaining = limits.run_timeout - (time.monotonic() - started)
                status = api.wait(cid, timeout=max(remaining, 0) + _GRACE)
                state = api.inspect_container(cid)["State"]
                committed = self._commit(cid) if commit and not timed_out.is_set() else None
            finally:
                with self._lock:
                    self._running.discard(cid)
                if watchdog is not None:
                    watchdog.cancel()
                if not self.keep:
                    self._remove_container(cid)
        self.cancellation.check()
        exit_code = int(status.get("StatusCode", state.get("ExitCode", -1)))
        # Podman never sets OOMKilled (4.3.1 with runc on cgroup v1): a SIGKILL grader did not
        # send (137, no timeout) is the memory cap's.
        oom_killed = bool(state.get("OOMKilled")) or (
            self.kind == "podman" and exit_code == 137 and not timed_out.is_set()
        )
        result = RunResult(
            exit_code=exit_code,
            stdout=stdout.text(),
            stdout_truncated=stdout.truncated,
            stderr=stderr.text(),
            stderr_truncated=stderr.truncated,
            timed_out=timed_out.is_set(),
            oom_killed=oom_killed,
            seconds=round(time.monotonic() - started, 3),
        )
        return result, committed

    def _create(self, image: str, spec: RunSpec, limits: Limits) -> str:
        """A container of the image in the sandbox, tracked so that it is removed."""
        # [""] is the API's way to remove the image's ENTRYPOINT; [] would keep it
        entrypoint = spec.entrypoint if spec.entrypoint != [] else [""]
        container = self._api.create_container(
            image,
            command=spec.command,
            entrypoint=entrypoint,
            environment=dict(spec.env),
            stdin_open=spec.stdin is not None,
            labels=self.labels,
            name=f"grader-{self.run_id}-{self._unique('run')}",
            network_disabled=not limits.run_network,
            host_config=self._host_config(limits, network=limits.run_network),
        )
        cid: str = container["Id"]
        self.track(container=cid)
        return cid

    def _commit(self, cid: str) -> str:
        """The container's file system as an image of this scope, removed with it."""
        repository, tag = self.repository, self._unique("setup")
        committed: str = self._api.commit(cid, repository=repository, tag=tag)["Id"]
        self.track(image=f"{repository}:{tag}")
        return committed

    @contextlib.contextmanager
    def probe(self, image: str) -> Iterator[str]:
        """A container of the image, created and never started: the URL of its file archive.

        Works on images with no shell (scratch). The engine resolves every path inside the
        container's root, symlinks included, so nothing outside the image can be reached.
        """
        self.cancellation.check()
        with boundary():
            api = self._api
            container = api.create_container(
                image,
                command=["/grader-probe-never-runs"],
                entrypoint=[],
                # Podman's archive gives files to the container's USER; as root, their own owners
                user="0:0",
                labels=self.labels,
                name=f"grader-{self.run_id}-{self._unique('probe')}",
                network_disabled=True,
                host_config=self._host_config(Limits(), network=False),
            )
            cid: str = container["Id"]
            self.track(container=cid)
            try:
                yield f"{api.base_url}/v{api.api_version}/containers/{cid}/archive"
            finally:
                if not self.keep:
                    self._remove_container(cid)

    def paths_exist(self, image: str, paths: list[str]) -> dict[str, bool]:
        """Which of these absolute paths exist in the image, looked up without running it."""
        return look(self, image, {}, exists=paths)[1]


def _feed_stdin(attached: Any, data: bytes) -> None:
    # Written from a thread so a program that never reads stdin cannot block the reader.
    def feed() -> None:
        with contextlib.suppress(OSError):
            sock = _raw_socket(attached)
            if sock is None:
                return
            sock.sendall(data)
            sock.shutdown(socket.SHUT_WR)

    threading.Thread(target=feed, daemon=True).start()


def _error_message(response: requests.Response) -> str:
    try:
        body = response.json()
        message = body.get("message") if isinstance(body, dict) else None
    except ValueError:
        message = None
    return str(message or response.text or f"HTTP {response.status_code}")


def clean(options: EngineOptions, *, everything: bool = False) -> tuple[int, int]:
    """Remove what earlier grading runs left on the engine (a killed run cannot clean up).

    Only containers with grader's label and images in its repository are touched, and of those
    only the ones whose grading process is gone, unless ``everything``. Returns (containers,
    images) removed.
    """
    removed_containers = removed_images = 0
    with Engine(options) as engine, boundary():
        api = engine._api
        for container in api.containers(all=True, filters={"label": LABEL}):
            if everything or not alive(*container_owner(container)):
                engine._remove_container(container["Id"])
                removed_containers += 1
        for image in api.images(filters={"reference": f"{REPOSITORY}/*"}):
            if everything or not alive(*image_owner(image)):
                with contextlib.suppress(docker.errors.NotFound):
                    api.remove_image(image["Id"], force=True)
                    removed_images += 1
    return removed_containers, removed_images
