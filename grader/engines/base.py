"""What every engine backend and builder share: a build request, its result, the builder seam.

An engine (Docker or Podman, reached with docker-py) stores, inspects and runs images; a
builder (BuildKit through the Docker CLI, the classic /build API, buildah behind Podman's
/build) makes them. Each builder turns its own output into ``BuildStep`` records, so results and
feedback read one form whichever builder made the image (docs/engines.md).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import ClassVar, Literal, Protocol

from grader.buildcontext import PackedContext
from grader.errors import Interrupted
from grader.models.analysis import Instruction
from grader.models.results import BuilderInfo, BuildResult
from grader.models.rubric import Limits

BuilderChoice = Literal["auto", "buildkit", "classic", "buildah"]
BUILDER_CHOICES: tuple[BuilderChoice, ...] = ("auto", "buildkit", "classic", "buildah")


@dataclass(frozen=True)
class EngineOptions:
    """Which engine and builder to grade on; the command line's engine flags as one value."""

    docker_host: str | None = None  # None: DOCKER_HOST, else the default socket
    builder: BuilderChoice = "auto"
    docker_cli: str | None = None  # the CLI BuildKit builds go through; None: found on PATH
    keep: bool = False
    jobs: int = 1  # jobs sharing the engine (sizes its connection pool)


@dataclass(frozen=True)
class BuildRequest:
    """One build: a packed context (with its Dockerfile) and the settings to build it with.

    ``instructions`` are the Dockerfile's instructions as built, by which a builder's steps are
    placed on their lines.
    """

    context: PackedContext
    name: str = "build"
    target: str | None = None
    build_args: Mapping[str, str] = field(default_factory=dict)
    platform: str | None = None
    instructions: Sequence[Instruction] = ()


@dataclass(frozen=True)
class Built:
    """What a build gave: the result for the report and, if it succeeded, the image."""

    result: BuildResult
    image: str | None


class Builder(Protocol):
    """A way of building on an engine; one module each, registered in ``grader.engines``."""

    name: ClassVar[str]

    def info(self) -> BuilderInfo:
        """Which builder, client and engine: recorded with every build."""
        ...

    def build(self, request: BuildRequest, limits: Limits, tag: str) -> Built:
        """Build and tag ``tag``; a failing or endless build is a result, never an exception."""
        ...

    def cancel(self) -> None:
        """Stop every build in flight now (Ctrl-C, SIGTERM, the end of the run)."""
        ...

    def close(self) -> None:
        """Release what the builder holds for the run (a watcher thread, say)."""
        ...


class Cancellation:
    """Set once when a run is stopped: every operation still to start raises ``Interrupted``."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def set(self) -> None:
        """Stop: what is in flight is cancelled by its owner, what is to come is refused."""
        self._event.set()

    @property
    def is_set(self) -> bool:
        """Whether the run was stopped."""
        return self._event.is_set()

    def check(self) -> None:
        """Raise ``Interrupted`` once the run was stopped."""
        if self._event.is_set():
            raise Interrupted("the run was stopped; work in flight was cancelled")
