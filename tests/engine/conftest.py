"""Engine tests run on every builder this machine has: BuildKit and the classic builder."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from grader.engines import Engine, EngineOptions, open_engine

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
