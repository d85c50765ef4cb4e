"""What a check kind is: what it needs gathered, and how it judges what was gathered.

Checks are pure functions of ``Facts``; all engine work happens in ``grading`` beforehand, so a
check can be unit-tested without an engine and ``--static-only`` knows what it can skip.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Generic, TypeVar

from grader.models.analysis import Analysis
from grader.models.criteria import CriterionBase
from grader.models.image import Efficiency, FileFacts, ImageConfig
from grader.models.results import BuildResult, Evidence, ImageFacts, RunResult
from grader.models.rubric import Task


@dataclass(frozen=True)
class BuildSpec:
    """A build other than the task's own (a --target, a baseline Dockerfile)."""

    dockerfile: str
    context: str
    target: str | None = None


@dataclass(frozen=True)
class CommandSpec:
    """A command to run in the task's image, after its setup commands."""

    command: tuple[str, ...]
    setup: tuple[tuple[str, ...], ...] = ()
    env: tuple[tuple[str, str], ...] = ()
    stdin: str | None = None
    expand_env: bool = False


@dataclass(frozen=True)
class CommandOutcome:
    """How a command went: its setup commands' runs, then its own (None when a setup failed)."""

    setup: tuple[RunResult, ...]
    run: RunResult | None


@dataclass(frozen=True)
class Needs:
    """What a criterion needs gathered before it can be judged."""

    dockerfile: bool = False
    build: bool = False
    run: bool = False
    paths: frozenset[str] = frozenset()
    builds: frozenset[BuildSpec] = frozenset()
    build_paths: frozenset[tuple[BuildSpec, str]] = frozenset()
    config: bool = False
    files: frozenset[tuple[str, int]] = frozenset()  # (path, bytes to read; 0: stat only)
    commands: frozenset[CommandSpec] = frozenset()
    layers: bool = False

    @property
    def main_image(self) -> bool:
        """Whether the task's own image must be built (to measure, run or look into it)."""
        return bool(
            self.build
            or self.run
            or self.paths
            or self.config
            or self.files
            or self.commands
            or self.layers
        )

    @property
    def engine(self) -> bool:
        """Whether any of it takes the Docker Engine."""
        return bool(self.main_image or self.builds or self.build_paths)

    def __or__(self, other: Needs) -> Needs:
        return Needs(
            dockerfile=self.dockerfile or other.dockerfile,
            build=self.build or other.build,
            run=self.run or other.run,
            paths=self.paths | other.paths,
            builds=self.builds | other.builds,
            build_paths=self.build_paths | other.build_paths,
            config=self.config or other.config,
            files=self.files | other.files,
            commands=self.commands | other.commands,
            layers=self.layers or other.layers,
        )


@dataclass(frozen=True)
class OtherBuild:
    """A build from ``Needs.builds``: its result, its size, and the paths looked up in it."""

    result: BuildResult
    size_bytes: int | None = None
    paths: Mapping[str, bool] = field(default_factory=dict)


@dataclass(frozen=True)
class Facts:
    """Everything gathered about one task of one submission."""

    repo: Path
    task: Task
    analysis: Analysis | None = None
    build: BuildResult | None = None
    image: ImageFacts | None = None
    run: RunResult | None = None
    paths: Mapping[str, bool] = field(default_factory=dict)
    builds: Mapping[BuildSpec, OtherBuild] = field(default_factory=dict)
    config: ImageConfig | None = None
    files: Mapping[str, FileFacts] = field(default_factory=dict)
    commands: Mapping[CommandSpec, CommandOutcome] = field(default_factory=dict)
    efficiency: Efficiency | None = None
    layers_error: str | None = None


@dataclass(frozen=True)
class Outcome:
    """A criterion's verdict: the fraction of its points earned and why."""

    passed: bool
    message: str
    fraction: float = -1.0
    checked: bool = True
    evidence: Evidence | None = None
    hint: str | None = None  # replaces the criterion's hint: this failure needs another one

    def __post_init__(self) -> None:
        if self.fraction < 0:
            object.__setattr__(self, "fraction", 1.0 if self.passed else 0.0)

    @classmethod
    def ok(cls, message: str, evidence: Evidence | None = None) -> Outcome:
        """Full marks."""
        return cls(passed=True, message=message, evidence=evidence)

    @classmethod
    def fail(cls, message: str, evidence: Evidence | None = None) -> Outcome:
        """No marks."""
        return cls(passed=False, message=message, evidence=evidence)


C = TypeVar("C", bound=CriterionBase)


@dataclass(frozen=True)
class CheckKind(Generic[C]):
    """One check kind: its default title, what it needs, how it judges."""

    title: str
    needs: Callable[[C, Task], Needs]
    evaluate: Callable[[C, Facts], Outcome]


def refused(facts: Facts) -> Outcome | None:
    """A failing outcome when Docker would refuse the Dockerfile outright, else None.

    A file with no FROM or a FROM that expands to nothing has no stage graph to judge; saying
    so beats a message about stages that do not exist.
    """
    analysis = facts.analysis
    if analysis is None or analysis.error is None or analysis.stages:
        return None
    return Outcome.fail(f"Docker would refuse this Dockerfile: {analysis.error}")
