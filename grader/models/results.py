"""What grading produced: the `results.json` contract, frozen and versioned.

Everything here is data. Text that came out of a student's container (output, build logs) is
kept as plain strings, capped, and escaped wherever it is shown; nothing is ever unpickled.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from types import MappingProxyType
from typing import Literal

from pydantic import Field

from grader.models.analysis import Analysis
from grader.models.base import Frozen
from grader.models.gradebook import Release
from grader.models.similarity import SimilarityReport

SCHEMA_VERSION: Literal[1] = 1


class Evidence(Frozen):
    """What a criterion found against what it expected, for feedback a student can act on."""

    expected: str | None = None
    actual: str | None = None
    line: int | None = Field(default=None, description="Dockerfile line the finding is about.")
    measured: float | None = Field(default=None, description="A measured number (bytes, factor).")
    limit: float | None = Field(default=None, description="The threshold it was compared with.")
    unit: str | None = Field(default=None, description="Unit of measured and limit, e.g. bytes.")


class Automatic(Frozen):
    """What grader itself scored, kept where the instructor's override replaced it."""

    passed: bool
    score: float


class CriterionResult(Frozen):
    """One rubric criterion, scored."""

    id: str
    check: str = Field(description="The check kind, e.g. multi_stage.")
    title: str
    passed: bool
    checked: bool = Field(
        default=True,
        description="False when it could not be checked (no engine, or the build failed).",
    )
    score: float
    max_score: float
    message: str = Field(description="What was found against what was expected.")
    hint: str | None = Field(default=None, description="What to change; set when not passed.")
    hidden: bool = False
    evidence: Evidence | None = None
    automatic: Automatic | None = Field(
        default=None,
        description="Set when an override decided 'passed' and 'score': grader's own verdict.",
    )


BuilderName = Literal["buildkit", "classic", "buildah"]
StepStatus = Literal["done", "cached", "failed", "canceled", "running"]
BuildLimit = Literal["timeout", "network", "memory", "cpus", "pids"]
# How reports name each builder in a sentence.
BUILDER_TITLES: Mapping[str, str] = MappingProxyType(
    {"buildkit": "BuildKit", "classic": "the classic builder", "buildah": "buildah"}
)


class BuilderInfo(Frozen):
    """Which builder made an image, and where: a regrade on another builder must show."""

    name: BuilderName = Field(
        description="buildkit (as `docker build` on Docker 23+), classic (the legacy builder) "
        "or buildah (Podman)."
    )
    client: str | None = Field(
        default=None, description="The build client, e.g. 'docker 20.10.24 (DOCKER_BUILDKIT=1)'."
    )
    engine: str = Field(description="The engine and its version, e.g. 'Docker Engine 20.10.24'.")
    enforced: list[BuildLimit] = Field(
        default_factory=list,
        description="The sandbox limits this builder enforced on the build's steps.",
    )


class BuildStep(Frozen):
    """One step of a build as its builder reported it, in one form whatever the builder."""

    stage: str | None = Field(
        default=None, description="The stage as the builder names it: its AS name or index."
    )
    step: str = Field(description="The builder's own step label, e.g. '3/5' or '#7'.")
    instruction: str = Field(description="The instruction as the builder printed it.")
    line: int | None = Field(default=None, description="1-based Dockerfile line, where known.")
    status: StepStatus
    seconds: float | None = None
    output_tail: str = Field(default="", description="The last lines this step printed.")


class BuildResult(Frozen):
    """How building the task's Dockerfile went."""

    ok: bool
    seconds: float
    timed_out: bool = False
    error: str | None = Field(default=None, description="One line: why the build failed.")
    log_tail: str = Field(description="The build log, head and tail kept when long.")
    log_truncated: bool = False
    reused: bool = Field(
        default=False,
        description="An identical submission graded earlier in the same run was built and run "
        "instead; its results are these.",
    )
    refused: bool = Field(
        default=False,
        description="Not started: the Dockerfile names an image the rubric's image policy "
        "refuses ('error' says which); nothing ran on the engine.",
    )
    steps: list[BuildStep] = Field(
        default_factory=list, description="The build's steps, parsed from the builder's output."
    )
    builder: BuilderInfo | None = Field(default=None, description="What built it.")


class Layer(Frozen):
    """One layer of the final image: which instruction made it and how big it is."""

    created_by: str
    size_bytes: int


class ImageFacts(Frozen):
    """An image as the engine measures it: its size and its layers."""

    size_bytes: int
    layers: list[Layer] = Field(default_factory=list)


class ImageResult(ImageFacts):
    """The image the build produced: what the engine measured, and its statically known base."""

    final_base: str | None = Field(description="Effective base of the final stage (static).")


class RunResult(Frozen):
    """How running the final image went."""

    exit_code: int | None = Field(description="Null when it never exited on its own.")
    stdout: str
    stdout_truncated: bool = False
    stderr: str = ""
    stderr_truncated: bool = False
    timed_out: bool = False
    oom_killed: bool = False
    seconds: float
    error: str | None = Field(default=None, description="Why the container could not run.")


class TaskResult(Frozen):
    """One task of one submission."""

    id: str
    title: str
    score: float
    max_score: float
    criteria: list[CriterionResult]
    analysis: Analysis | None = Field(
        default=None, description="Static analysis of the task's Dockerfile (`grader inspect`)."
    )
    dockerfile_text: str | None = Field(
        default=None,
        description="The Dockerfile as graded (first 64 KiB), for excerpts in the feedback.",
    )
    sources: dict[str, str] = Field(
        default_factory=dict,
        description="SHA-256 of each file of the task's build context but the Dockerfile, by "
        "path: what the similarity report compares (instructors' copies only).",
    )
    build: BuildResult | None = None
    image: ImageResult | None = None
    run: RunResult | None = None
    error: str | None = Field(default=None, description="Why the task could not be graded.")


class SubmissionInfo(Frozen):
    """Who was graded and what: the roster's fields and the commit."""

    student: str = Field(description="The roster's student id.")
    name: str | None = None
    email: str | None = None
    sis_id: str | None = None
    lms_id: str | None = Field(default=None, description="The LMS user id, for grade exports.")
    section: str | None = None
    repo: str
    commit: str | None = Field(default=None, description="The commit graded.")
    commit_time: datetime | None = None
    late: bool = Field(
        default=False, description="Commits newer than the deadline exist (or were graded)."
    )
    late_days: int = Field(
        default=0, description="Started days between the deadline and the commit graded."
    )
    deadline: datetime | None = Field(default=None, description="The deadline that applied.")
    deadline_source: Literal["class", "roster", "extension"] | None = Field(
        default=None,
        description="Why: the class's (--deadline), the student's own from the roster, or "
        "the class's plus the student's extension from the roster.",
    )
    deadline_note: str | None = Field(
        default=None,
        description="The roster's 'deadline_note' (instructors' copies only), e.g. the "
        "accommodation it comes from.",
    )
    grace_days: int = Field(
        default=0, ge=0, description="Days late without penalty, from the policy or roster."
    )


OverrideKind = Literal["points", "verdict", "adjustment", "comment"]


class AppliedOverride(Frozen):
    """One entry of the overrides file, as applied to this row (or why it was not)."""

    kind: OverrideKind
    task: str | None = None
    criterion: str | None = None
    points: float | None = Field(default=None, description="The points set (kind points).")
    verdict: Literal["passed", "failed"] | None = None
    adjustment: float | None = None
    reason: str | None = None
    comment: str | None = Field(default=None, description="The instructor's note to the student.")
    private: bool = Field(default=False, description="The reason is for instructors only.")
    at: datetime = Field(description="When it was decided: as written, or when first applied.")
    line: int | None = Field(default=None, description="Its line in the overrides file.")
    entry_sha256: str = Field(description="Of the entry as written: the same entry keeps 'at'.")
    seen: Automatic | None = Field(
        default=None,
        description="grader's own verdict on the criterion when the override was first applied.",
    )
    applied: bool = Field(description="False when it could not be (see 'flag').")
    flag: str | None = Field(
        default=None,
        description="Why an instructor should look again: the criterion no longer exists, or "
        "grader's own verdict changed since the override was written.",
    )


class SubmissionResult(SubmissionInfo):
    """One student's submission: a row of the class, also when grading it failed."""

    penalty: float = Field(default=0, description="Points deducted for lateness.")
    penalty_fraction: float = Field(
        default=0,
        ge=0,
        le=1,
        description="The late policy's fraction of the maximum deducted (beyond the grace days).",
    )
    status: Literal["graded", "error"]
    error: str | None = None
    score: float = Field(
        description="Points after any late penalty and the instructor's overrides."
    )
    automatic_score: float | None = Field(
        default=None,
        description="Set when overrides changed the score: grader's own, after the penalty.",
    )
    adjustment: float = Field(default=0, description="The overrides' adjustments, summed.")
    overrides: list[AppliedOverride] = Field(
        default_factory=list, description="The overrides file's entries for this student."
    )
    max_score: float
    graded_at: datetime | None = Field(default=None, description="When this row was graded.")
    seconds: float | None = Field(default=None, description="How long grading it took.")
    timings: dict[str, float] = Field(
        default_factory=dict,
        description="Seconds per phase: fetch, analyze, pack, build, inspect, run, probe, score.",
    )
    tasks: list[TaskResult] = Field(default_factory=list)


class Results(Frozen):
    """A results.json: one assignment, one rubric, any number of submissions."""

    schema_version: Literal[1] = SCHEMA_VERSION
    assignment: str
    title: str
    rubric_sha256: str
    grader_version: str
    graded_at: datetime
    deadline: datetime | None = Field(default=None, description="The class's deadline.")
    release: Release = Field(
        default_factory=Release, description="When students see everything, and until then what."
    )
    overrides_sha256: str | None = Field(
        default=None, description="Of the overrides file applied, if one was."
    )
    similarity: SimilarityReport | None = Field(
        default=None, description="Alike submissions per task (instructors only)."
    )
    submissions: list[SubmissionResult]
