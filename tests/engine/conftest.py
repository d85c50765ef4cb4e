"""Engine tests run on every builder: BuildKit and the classic builder on the Docker Engine,
buildah on a Podman service the tests start themselves (tests/engine/podman_service.py)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from grader.engines import Engine, EngineOptions, open_engine
from tests.engine.podman_service import load_into_podman, podman_service

BUILDERS = ("buildkit", "classic")


@pytest.fixture(params=BUILDERS)
def builder(request: pytest.FixtureRequest) -> str:
    """The builder a test builds with."""
    return str(request.param)


@pytest.fixture
def make_engine(builder: str) -> Callable[..., Engine]:
    """An engine with the test's builder; keyword arguments go to EngineOptions."""

    def make(**options: object) -> Engine:
        return open_engine(EngineOptions(builder=builder, **options))  # type: ignore[arg-type]

    return make


@pytest.fixture(scope="session")
def podman_url(busybox_image: str) -> Iterator[str]:
    """The session's Podman service, with the tests' busybox loaded."""
    with podman_service((busybox_image,)) as url:
        yield url
    for parent in Path("/sys/fs/cgroup").glob("*/grader-buildah"):  # empty once builds end
        with contextlib.suppress(OSError):
            parent.rmdir()


@pytest.fixture(scope="session")
def podman_lesson_url(podman_url: str, lesson_images: dict[str, str]) -> str:
    """The Podman service, with every stand-in the lesson needs loaded too."""
    load_into_podman(tuple(sorted(set(lesson_images.values()))))
    return podman_url
