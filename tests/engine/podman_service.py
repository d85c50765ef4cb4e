"""A Podman API service of the tests' own, on a socket in a temporary folder.

Podman has no daemon: `podman system service` serves its Docker-compatible API for as long as it
runs. Each test session starts one on a private socket (never the machine's shared one), loads
the tests' busybox from the Docker Engine into it (there is no registry here), and at the end
stops the service and removes what it added. Without ``podman`` the tests are skipped, unless
GRADER_REQUIRE_PODMAN=1 (a machine meant to test Podman) turns that into a failure.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest

_START_TIMEOUT = 30  # seconds for the socket to answer; it takes well under one here
_LOAD_TIMEOUT = 300


def _missing(reason: str) -> None:
    if os.environ.get("GRADER_REQUIRE_PODMAN") == "1":
        pytest.fail(f"{reason}, and GRADER_REQUIRE_PODMAN=1")
    pytest.skip(reason)


def _podman_has(podman: str, image: str) -> bool:
    return (
        subprocess.run(
            [podman, "image", "exists", image], capture_output=True, timeout=60, check=False
        ).returncode
        == 0
    )


def load_into_podman(images: tuple[str, ...]) -> None:
    """Copy these Docker images into Podman's store, those it lacks (they stay, as a cache).

    The lesson's stand-ins are large and the same every run: like Docker's copies, they are
    kept rather than copied again in every session.
    """
    podman = shutil.which("podman")
    if podman is None:
        _missing("podman is not installed")
        return
    for image in images:
        if not _podman_has(podman, image):
            _load(podman, image)


def _load(podman: str, image: str) -> None:
    """`docker save IMAGE | podman load`: Podman names it localhost/IMAGE, which FROM finds."""
    docker_cli = shutil.which("docker")
    if docker_cli is None:
        _missing(f"no docker CLI to copy {image} into Podman with")
        return
    saver = subprocess.Popen([docker_cli, "save", image], stdout=subprocess.PIPE)
    try:
        loaded = subprocess.run(
            [podman, "load"],
            stdin=saver.stdout,
            capture_output=True,
            text=True,
            timeout=_LOAD_TIMEOUT,
            check=False,
        )
    finally:
        if saver.stdout is not None:
            saver.stdout.close()
        saver.wait(timeout=_LOAD_TIMEOUT)
    if saver.returncode != 0 or loaded.returncode != 0:
        pytest.fail(f"could not load {image} into Podman: {loaded.stderr.strip()}")


def _wait_for(url: str, service: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + _START_TIMEOUT
    while time.monotonic() < deadline:
        if service.poll() is not None:
            pytest.fail(f"podman system service exited: {log.read_text()[-2000:]}")
        with contextlib.suppress(Exception):  # no socket yet: connection refused or missing
            client = docker.APIClient(base_url=url, version="1.41", timeout=5)
            try:
                if client.ping():
                    return
            finally:
                client.close()
        time.sleep(0.05)
    pytest.fail(f"podman system service did not answer at {url} in {_START_TIMEOUT} s")


@contextlib.contextmanager
def podman_service(images: tuple[str, ...] = ()) -> Iterator[str]:
    """A running Podman service with these Docker images loaded; yields its DOCKER_HOST URL."""
    podman = shutil.which("podman")
    if podman is None:
        _missing("podman is not installed")
        return
    folder = Path(tempfile.mkdtemp(prefix="grader-podman-"))
    url = f"unix://{folder}/podman.sock"
    log = folder / "service.log"
    # Cache mounts (RUN --mount=type=cache) live here, shared by every build on the machine.
    cache = Path("/var/tmp/buildah-cache")
    cache_was_there = cache.exists()
    loaded = [image for image in images if not _podman_has(podman, image)]
    for image in loaded:
        _load(podman, image)
    with log.open("wb") as out:
        service = subprocess.Popen(
            [podman, "system", "service", "--time=0", url],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            cwd=folder,  # conmon writes an `oom` marker into the service's working directory
        )
    try:
        _wait_for(url, service, log)
        yield url
    finally:
        service.send_signal(signal.SIGTERM)
        try:
            service.wait(timeout=30)
        except subprocess.TimeoutExpired:
            service.kill()
            service.wait(timeout=30)
        for image in loaded:  # only what this session added; an image found there stays
            subprocess.run(
                [podman, "rmi", "--force", image], capture_output=True, timeout=120, check=False
            )
        if not cache_was_there:
            shutil.rmtree(cache, ignore_errors=True)
        shutil.rmtree(folder, ignore_errors=True)
