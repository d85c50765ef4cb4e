"""An assignment rubric: tasks to build and run, the criteria that score them, sandbox limits."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import PurePosixPath
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    ByteSize,
    ConfigDict,
    Field,
    PositiveFloat,
    PositiveInt,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from grader.models.base import Frozen
from grader.models.criteria import Criterion, Identifier
from grader.models.gradebook import Release
from grader.models.paths import RepoPath

REPOSITORY_ONLY = frozenset({"file_exists", "answer"})
"""The check kinds that read only the repository, so a task without a Dockerfile may use them."""

Slug = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9._-]*$", max_length=64)]


def _one_word(pattern: str) -> str:
    if not pattern or pattern.split() != [pattern]:
        raise ValueError("an image pattern is one word without spaces, e.g. golang:* or scratch")
    return pattern


ImagePattern = Annotated[
    str,
    AfterValidator(_one_word),
    Field(
        max_length=300,
        description="A shell glob over an image reference, e.g. 'golang:*', "
        "'gcr.io/distroless/*', 'scratch' (see `grader.imageref.matches`).",
    ),
]


class Limits(Frozen):
    """The sandbox every build and run of student code gets; a task may override any field.

    Defaults follow PrairieLearn's external graders (2 GiB, no swap, 1024 pids, network off at
    run time) and Autolab's Tango (output capped at 1000 KiB, head and tail kept).
    """

    build_timeout: PositiveFloat = Field(default=600, description="Seconds a build may take.")
    run_timeout: PositiveFloat = Field(default=30, description="Seconds a run may take.")
    memory: ByteSize = Field(
        default=ByteSize(2 * 1024**3), description="Memory cap for builds and runs; no swap."
    )
    pids: PositiveInt = Field(default=1024, description="Most processes a run may have at once.")
    cpus: PositiveFloat = Field(default=1.0, description="CPUs a build step or run may use.")
    output_limit: ByteSize = Field(
        default=ByteSize(1000 * 1024),
        description="Most output kept per stream (and of a build log); head and tail are kept.",
    )
    build_network: bool = Field(
        default=True,
        description="Builds reach the network (npm install, pip install need it); off for exams.",
    )
    run_network: bool = Field(default=False, description="Runs reach the network.")
    read_only: bool = Field(
        default=False, description="Run with a read-only root file system (/tmp stays writable)."
    )
    context_max_bytes: ByteSize = Field(
        default=ByteSize(200 * 1024**2), description="Largest build context sent to the engine."
    )
    context_max_files: PositiveInt = Field(
        default=20_000, description="Most files a build context may hold."
    )

    def merged(self, override: Limits | None) -> Limits:
        """These limits with the fields an override sets explicitly taking precedence."""
        if override is None:
            return self
        return self.model_copy(
            update={name: getattr(override, name) for name in override.model_fields_set}
        )


class ImagePolicy(Frozen):
    """The images a student's build may name: as a base, in COPY --from, in RUN --mount from=.

    Judged on what the Dockerfile names after ARG expansion and before `image_map`: any image
    on the grading engine is one `COPY --from` away, the instructor's reference solution
    included, so only the images a task needs are allowed. grader's own images (grader-run/,
    grader-test/) and image IDs are refused whatever this says.
    """

    allow: list[ImagePattern] = Field(
        default=["*"],
        min_length=1,
        description="Patterns of the images a build may use; ['*'] allows any name.",
    )
    refuse: list[ImagePattern] = Field(
        default_factory=list,
        description="Patterns refused whatever 'allow' says, e.g. the instructor's reference "
        "images ('course/*'); a task's list adds to the defaults'.",
    )

    def merged(self, override: ImagePolicy | None) -> ImagePolicy:
        """A task's policy: its 'allow' replaces these when it sets one; 'refuse' adds up."""
        if override is None:
            return self
        allow = override.allow if "allow" in override.model_fields_set else self.allow
        return ImagePolicy(allow=allow, refuse=list(dict.fromkeys(self.refuse + override.refuse)))

    def refusing(self, patterns: Sequence[str]) -> ImagePolicy:
        """The policy with more patterns refused (the command line's --refuse-image)."""
        if not patterns:
            return self
        return self.model_copy(update={"refuse": list(dict.fromkeys([*self.refuse, *patterns]))})


class RunSpec(Frozen):
    """How the final image is run for the output checks."""

    entrypoint: list[str] | None = Field(
        default=None,
        description="Replaces the image's ENTRYPOINT ([] removes it); null keeps it.",
    )
    command: list[str] | None = Field(
        default=None, description="Arguments replacing the image's CMD; null keeps the CMD."
    )
    stdin: str | None = Field(default=None, description="Text written to the program's stdin.")
    env: dict[str, str] = Field(default_factory=dict, description="Extra environment variables.")


CriteriaFormat = Literal["container-structure-test", "dive-ci"]
"""The other tools' test files a task can take criteria from (``grader.interop`` reads them)."""


def _beside_the_rubric(value: str) -> str:
    if not value or PurePosixPath(value).is_absolute() or "\\" in value:
        raise ValueError(f"{value!r} must be a path relative to the rubric file, using '/'")
    return value


class CriteriaFile(Frozen):
    """Criteria read from another tool's test file, so instructors keep the files they have.

    Expanded when the rubric is loaded (``grader.rubrics``): the file is read next to the
    rubric and the entry becomes the criteria ``grader import`` prints for it, after the
    task's own, so a loaded rubric (and the copy a queued job carries) has no
    ``criteria_from`` left. Every field of the file becomes a criterion or is refused naming
    it. Criterion ids are slugs of the tests' names.
    """

    format: CriteriaFormat = Field(
        description="container-structure-test (a schemaVersion 2.0.0 YAML or JSON file) or "
        "dive-ci (dive's .dive-ci rules)."
    )
    file: Annotated[str, AfterValidator(_beside_the_rubric)] = Field(
        description="The file, relative to the rubric file, e.g. tests/structure-test.yaml."
    )
    points: float | None = Field(
        default=None,
        ge=0,
        allow_inf_nan=False,
        description="Points for each test (for dive-ci, each enabled rule is a criterion).",
    )
    total: float | None = Field(
        default=None,
        ge=0,
        allow_inf_nan=False,
        description="Points for the whole file instead, split evenly (to 2 decimals, the last "
        "criterion taking the rest).",
    )
    id_prefix: Identifier | None = Field(
        default=None,
        description="Put before each criterion id (joined with '-' unless it ends in '-', '_' "
        "or '.'), e.g. 'cst' when the task's own ids could clash.",
    )

    @model_validator(mode="after")
    def _points_or_total(self) -> CriteriaFile:
        if self.points is not None and self.total is not None:
            raise ValueError("give 'points' or 'total', not both")
        if self.points is None and self.total is None:
            raise ValueError("give 'points' (for each test) or 'total' (for the whole file)")
        return self


def _criteria_or_criteria_from_schema(schema: dict[str, Any]) -> None:
    """The JSON Schema says what validation does: 'criteria' may be left out for 'criteria_from'."""
    schema["required"] = [name for name in schema.get("required", []) if name != "criteria"]
    schema["anyOf"] = [{"required": ["criteria"]}, {"required": ["criteria_from"]}]


class Task(Frozen):
    """One exercise of the assignment: a Dockerfile to build and what to check about it."""

    model_config = ConfigDict(json_schema_extra=_criteria_or_criteria_from_schema)

    id: Identifier
    title: str = Field(description="Shown on reports, e.g. 'Go app, multi-stage'.")
    dockerfile: RepoPath | None = Field(
        default=None,
        description="The Dockerfile, relative to the repository root; a task without one (a "
        "quiz) may only have criteria that read the repository.",
    )
    context: RepoPath | None = Field(
        default=None, description="The build context; defaults to the Dockerfile's directory."
    )
    target: str | None = Field(default=None, description="Build only up to this stage.")
    build_args: dict[str, str] = Field(
        default_factory=dict, description="--build-arg values, added to the default ones."
    )
    run: RunSpec = Field(default_factory=RunSpec, description="How the final image is run.")
    limits: Limits | None = Field(
        default=None, description="Overrides of the rubric's default limits for this task."
    )
    images: ImagePolicy | None = Field(
        default=None, description="Overrides of the rubric's image policy for this task."
    )
    # Before 'criteria', whose validator needs to know whether files give criteria.
    criteria_from: list[CriteriaFile] = Field(
        default_factory=list,
        description="Criteria read from container-structure-test or dive files (see "
        "CriteriaFile), added after 'criteria' when the rubric is loaded.",
    )
    criteria: list[Criterion] = Field(
        description="What is scored; each picks a check kind with 'check'. Required unless "
        "'criteria_from' gives the criteria."
    )

    @property
    def context_dir(self) -> str:
        """The build context, relative to the repository root."""
        if self.context is not None:
            return self.context
        return str(PurePosixPath(self.dockerfile).parent) if self.dockerfile else "."

    @property
    def max_score(self) -> float:
        """Points available in this task."""
        return sum(c.points for c in self.criteria)

    @model_validator(mode="after")
    def _dockerfile_for_images(self) -> Task:
        if self.dockerfile is None:
            for criterion in self.criteria:
                if criterion.check not in REPOSITORY_ONLY:
                    raise ValueError(
                        f"criterion {criterion.id!r} ({criterion.check}) needs the task's image: "
                        "give the task a 'dockerfile' (without one, only "
                        f"{', '.join(sorted(REPOSITORY_ONLY))} criteria)"
                    )
        return self

    @model_validator(mode="before")
    @classmethod
    def _criteria_from_alone(cls, data: Any) -> Any:
        """A task whose criteria all come from files may leave 'criteria' out."""
        if isinstance(data, dict) and data.get("criteria_from") and "criteria" not in data:
            return {**data, "criteria": []}
        return data

    @field_validator("criteria")
    @classmethod
    def _criteria_or_criteria_from(
        cls, criteria: list[Criterion], info: ValidationInfo
    ) -> list[Criterion]:
        # criteria_from is absent from info.data only when it is itself invalid (reported).
        if not criteria and info.data.get("criteria_from") == []:
            raise PydanticCustomError(
                "too_short", "List should have at least 1 item after validation, not 0"
            )
        return criteria

    @field_validator("criteria")
    @classmethod
    def _unique_criterion_ids(cls, criteria: list[Criterion]) -> list[Criterion]:
        dupes = [i for i, n in Counter(c.id for c in criteria).items() if n > 1]
        if dupes:
            raise ValueError(
                f"criterion id {dupes[0]!r} is used twice; give each criterion its own 'id'"
            )
        return criteria


class Defaults(Frozen):
    """Settings every task starts from."""

    limits: Limits = Field(default_factory=Limits, description="The sandbox of every task.")
    build_args: dict[str, str] = Field(
        default_factory=dict, description="--build-arg values for every build."
    )
    platform: str | None = Field(default=None, description="e.g. linux/amd64; null: the engine's.")
    images: ImagePolicy = Field(
        default_factory=ImagePolicy,
        description="The images a build may name; a build naming any other is not started.",
    )
    image_map: dict[str, str] = Field(
        default_factory=dict,
        description="Base images to substitute when building, e.g. a registry mirror "
        "('golang:1.20': 'mirror.example.org/library/golang:1.20'); checks still judge "
        "the name the student wrote.",
    )


class LatePolicy(Frozen):
    """What happens to work pushed after the deadline (`grader grade --deadline`)."""

    grade: Literal["last_before_deadline", "newest"] = Field(
        default="last_before_deadline",
        description="Grade the newest commit at or before the deadline (later ones only make "
        "the row 'late'), or the newest commit with a penalty.",
    )
    penalty_per_day: float = Field(
        default=0,
        ge=0,
        le=1,
        allow_inf_nan=False,
        description="With grade: newest, the fraction of the maximum score deducted per "
        "started day late.",
    )
    max_penalty: float = Field(
        default=1, ge=0, le=1, allow_inf_nan=False, description="Cap on the deducted fraction."
    )
    grace_days: int = Field(
        default=0,
        ge=0,
        le=365,
        description="Days after the deadline without penalty (a roster's 'grace_days' column "
        "sets a student's own). With last_before_deadline, commits up to the deadline plus "
        "these days are graded.",
    )

    def fraction(self, late_days: int, grace_days: int) -> float:
        """The fraction of the maximum deducted for ``late_days``, the first ``grace_days`` free.

        A penalty applies only with grade: newest; the other policy grades nothing later.
        """
        if self.grade != "newest":
            return 0.0
        return min(self.penalty_per_day * max(late_days - grace_days, 0), self.max_penalty)


class Similarity(Frozen):
    """The report of alike submissions on the instructor's dashboard."""

    threshold: float = Field(
        default=0.9,
        gt=0,
        le=1,
        description="Pairs at least this alike (1: the same after normalising) are clustered.",
    )


class Rubric(Frozen):
    """A whole assignment: what `grader check` and `grader grade` score."""

    schema_version: Literal[1] = Field(default=1, description="Version of this file format.")
    assignment: Slug = Field(description="Stable id of the assignment, e.g. lesson-2.4.")
    title: str = Field(description="Shown on every report.")
    description: str | None = Field(default=None, description="What the assignment is about.")
    defaults: Defaults = Field(default_factory=Defaults, description="Settings for every task.")
    tasks: list[Task] = Field(min_length=1, description="The exercises, in report order.")
    late_policy: LatePolicy = Field(
        default_factory=LatePolicy, description="How work after the deadline is graded."
    )
    release: Release = Field(
        default_factory=Release,
        description="When students see full feedback (`--release` overrides it).",
    )
    similarity: Similarity = Field(
        default_factory=Similarity, description="The report of alike submissions."
    )

    @property
    def max_score(self) -> float:
        """Points available in the whole assignment."""
        return sum(t.max_score for t in self.tasks)

    def task(self, task_id: str) -> Task:
        """The task with this id; KeyError names the ones there are."""
        for task in self.tasks:
            if task.id == task_id:
                return task
        raise KeyError(f"no task {task_id!r} (tasks: {', '.join(t.id for t in self.tasks)})")

    def limits_for(self, task: Task) -> Limits:
        """The effective sandbox of a task."""
        return self.defaults.limits.merged(task.limits)

    def images_for(self, task: Task) -> ImagePolicy:
        """The effective image policy of a task."""
        return self.defaults.images.merged(task.images)

    @field_validator("tasks")
    @classmethod
    def _unique_task_ids(cls, tasks: list[Task]) -> list[Task]:
        dupes = [i for i, n in Counter(t.id for t in tasks).items() if n > 1]
        if dupes:
            raise ValueError(f"task id {dupes[0]!r} is used twice")
        return tasks
