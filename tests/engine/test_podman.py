"""buildah on a real Podman service: builds, the sandbox Podman leaves open, and clean-up.

The service is the session's own (tests/engine/podman_service.py). Each test checks what only
Podman gets wrong: the build network, a RUN step outliving its timeout, cache mounts, OOM.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import docker
import pytest

from grader.engines import Engine, EngineOptions, open_engine
from grader.engines.housekeeping import LABEL, REPOSITORY
from grader.engines.podman import BuildahBuilder
from grader.errors import Interrupted
from grader.models.rubric import RunSpec
from tests.engine.helpers import FAST, build_request, running

ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
CGROUPS = Path("/sys/fs/cgroup/pids/grader-buildah")
# Nothing here touches the Docker Engine, whose own leak check (tests/conftest.py) would see other
# sessions' objects there; the ``podman`` fixture checks the Podman service instead.
pytestmark = pytest.mark.keeps_objects


@pytest.fixture
def podman(podman_url: str) -> Iterator[docker.APIClient]:
    """A plain client on the service; after the test, nothing of grader's may be left there."""
    client = docker.APIClient(base_url=podman_url, version="1.41", timeout=120)
    before = {i["Id"] for i in client.images(all=True)}
    yield client
    containers = client.containers(all=True, filters={"label": LABEL})
    images = client.images(filters={"reference": f"{REPOSITORY}/*"})
    # buildah keeps each step's layer as an untagged image; a build must not leave its own.
    images += [i for i in client.images(all=True) if i["Id"] not in before and not i["RepoTags"]]
    for container in containers:
        client.remove_container(container["Id"], force=True)
    for image in images:
        client.remove_image(image["Id"], force=True)
    client.close()
    assert not containers, f"containers left behind: {[c['Names'] for c in containers]}"
    assert not images, f"images left behind: {[i['RepoTags'] for i in images]}"


@pytest.fixture
def make_engine(podman: docker.APIClient, podman_url: str) -> Callable[..., Engine]:
    """An engine on the service that builds with BuildahBuilder."""

    def make() -> Engine:
        return Engine(EngineOptions(docker_host=podman_url), choose=BuildahBuilder)

    return make


def our_cgroups() -> list[str]:
    """The build cgroups BuildahBuilder left behind (none, once every build has returned)."""
    return sorted(p.name for p in CGROUPS.iterdir() if p.is_dir()) if CGROUPS.is_dir() else []


def test_auto_picks_buildah_on_podman(podman_url: str, podman: docker.APIClient) -> None:
    with open_engine(EngineOptions(docker_host=podman_url, builder="auto")) as engine:
        assert engine.kind == "podman"
        info = engine.builder
    assert info.name == "buildah"
    assert "network" in info.enforced  # only BuildahBuilder switches the build network off
    if ROOT:
        assert {"pids", "timeout"} <= set(info.enforced)


def test_build_run_and_probe(tmp_path: Path, busybox_image: str, make_engine) -> None:
    request = build_request(
        tmp_path, f'FROM {busybox_image}\nRUN echo built > /built\nCMD ["cat", "/built"]\n'
    )
    with make_engine() as engine:
        built = engine.build(request, FAST)
        assert built.result.ok, built.result.log_tail
        assert built.image is not None
        assert built.result.builder is not None
        assert built.result.builder.name == "buildah"
        [step] = [s for s in built.result.steps if s.instruction == "RUN echo built > /built"]
        assert (step.line, step.status) == (2, "done")
        assert engine.paths_exist(built.image, ["/built", "/bin/sh", "/nope"]) == {
            "/built": True,
            "/bin/sh": True,
            "/nope": False,
        }
        run = engine.run(built.image, RunSpec(), FAST)
    assert (run.exit_code, run.stdout, run.timed_out) == (0, "built\n", False)
    assert our_cgroups() == []


def test_failing_build_names_its_step_and_line(
    tmp_path: Path, busybox_image: str, make_engine
) -> None:
    request = build_request(tmp_path, f"FROM {busybox_image}\nRUN echo before\nRUN exit 3\n")
    with make_engine() as engine:
        built = engine.build(request, FAST)
    assert not built.result.ok
    assert built.image is None
    assert "RUN exit 3" in (built.result.error or "")
    assert "exit status 3" in (built.result.error or "")
    [failed] = [s for s in built.result.steps if s.status == "failed"]
    assert (failed.line, failed.instruction) == (3, "RUN exit 3")


def test_unused_failing_stage_is_skipped(tmp_path: Path, busybox_image: str, make_engine) -> None:
    request = build_request(
        tmp_path,
        f"FROM {busybox_image} AS bad\nRUN exit 3\n"
        f'FROM {busybox_image}\nRUN echo ok > /ok\nCMD ["cat", "/ok"]\n',
    )
    with make_engine() as engine:
        built = engine.build(request, FAST)
        assert built.result.ok, built.result.log_tail
        assert built.image is not None
        run = engine.run(built.image, RunSpec(), FAST)
    assert run.stdout == "ok\n"
    assert "exit 3" not in built.result.log_tail


def test_cache_mount_works(tmp_path: Path, busybox_image: str, make_engine) -> None:
    request = build_request(
        tmp_path,
        f"FROM {busybox_image}\n"
        "RUN --mount=type=cache,target=/cache echo cached > /cache/x && cp /cache/x /x\n"
        'CMD ["cat", "/x"]\n',
    )
    with make_engine() as engine:
        built = engine.build(request, FAST)
        assert built.result.ok, built.result.log_tail
        assert built.image is not None
        run = engine.run(built.image, RunSpec(), FAST)
        assert engine.paths_exist(built.image, ["/cache/x"]) == {"/cache/x": False}
    assert run.stdout == "cached\n"


@pytest.mark.skipif(not ROOT, reason="killing a build's steps needs root on the engine's host")
def test_build_timeout_really_stops_the_step(
    tmp_path: Path, busybox_image: str, make_engine
) -> None:
    request = build_request(tmp_path, f"FROM {busybox_image}\nRUN echo start && sleep 987\n")
    started = time.monotonic()
    with make_engine() as engine:
        built = engine.build(request, FAST.model_copy(update={"build_timeout": 3}))
        elapsed = time.monotonic() - started
        assert not running("sleep 987")  # gone when the build returns, not some time later
    assert built.result.timed_out
    assert not built.result.ok
    assert "the build was stopped at its time limit, 3 s" in (built.result.error or "")
    assert elapsed < 20
    assert our_cgroups() == []


@pytest.mark.skipif(not ROOT, reason="killing a build's steps needs root on the engine's host")
def test_cancel_stops_the_running_step(tmp_path: Path, busybox_image: str, make_engine) -> None:
    request = build_request(tmp_path, f"FROM {busybox_image}\nRUN echo start && sleep 988\n")
    outcome: list[BaseException | object] = []
    with make_engine() as engine:

        def build() -> None:
            try:
                outcome.append(engine.build(request, FAST))
            except BaseException as exc:
                outcome.append(exc)

        thread = threading.Thread(target=build)
        thread.start()
        deadline = time.monotonic() + 30
        while not running("sleep 988") and time.monotonic() < deadline:
            time.sleep(0.1)
        assert running("sleep 988")
        engine.cancel()
        thread.join(timeout=30)
        assert not thread.is_alive()
        assert not running("sleep 988")
    [raised] = outcome
    assert isinstance(raised, Interrupted)
    assert our_cgroups() == []


@pytest.mark.skipif(not ROOT, reason="the build's pids cap is a cgroup grader makes as root")
def test_build_pids_are_capped(tmp_path: Path, busybox_image: str, make_engine) -> None:
    request = build_request(
        tmp_path, f"FROM {busybox_image}\nRUN for i in $(seq 100); do sleep 2 & done; wait\n"
    )
    with make_engine() as engine:
        built = engine.build(request, FAST.model_copy(update={"pids": 40}))
    assert not built.result.ok
    assert "can't fork" in built.result.log_tail


@pytest.mark.parametrize("network", [False, True])
def test_build_network_switch(
    tmp_path: Path, busybox_image: str, make_engine, network: bool
) -> None:
    request = build_request(
        tmp_path,
        f"FROM {busybox_image}\nRUN tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' ' > /net\n"
        'CMD ["cat", "/net"]\n',
    )
    with make_engine() as engine:
        built = engine.build(request, FAST.model_copy(update={"build_network": network}))
        assert built.result.ok, built.result.log_tail
        assert built.image is not None
        run = engine.run(built.image, RunSpec(), FAST)
    interfaces = set(run.stdout.split())
    if network:
        assert interfaces - {"lo"}, "with the network on, a step reaches more than loopback"
    else:
        assert interfaces == {"lo"}


def test_memory_hog_in_a_run_is_killed(tmp_path: Path, busybox_image: str, make_engine) -> None:
    request = build_request(
        tmp_path,
        f'FROM {busybox_image}\nCMD ["dd", "if=/dev/zero", "of=/dev/null", "bs=600M", "count=1"]\n',
    )
    limits = FAST.model_copy(update={"memory": 64 * 1024**2})
    with make_engine() as engine:
        built = engine.build(request, limits)
        assert built.image is not None
        run = engine.run(built.image, RunSpec(), limits)
    assert run.exit_code == 137
    assert not run.timed_out
    assert run.oom_killed  # Podman says OOMKilled=false: grader reads 137 as the OOM kill


def test_failing_step_in_a_later_stage_is_placed_on_its_line(
    tmp_path: Path, busybox_image: str, make_engine
) -> None:
    request = build_request(
        tmp_path,
        f"FROM {busybox_image} AS builder\nRUN echo hi > /hi\nRUN exit 4\n"
        f"FROM {busybox_image}\nCOPY --from=builder /hi /hi\n",
    )
    with make_engine() as engine:
        built = engine.build(request, FAST)
    assert not built.result.ok
    [failed] = [s for s in built.result.steps if s.status == "failed"]
    assert (failed.line, failed.instruction, failed.stage) == (3, "RUN exit 4", "builder")
