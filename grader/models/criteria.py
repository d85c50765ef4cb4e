"""One small model per check kind: what an instructor writes under a task's ``criteria``.

The ``check`` field tags the union, so a rubric names its kind and pydantic picks the model; the
evaluation of each kind lives in ``grader/checks/<kind>.py``.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import ByteSize, Field, field_validator, model_validator

from grader.models.base import Frozen
from grader.models.criterion_base import CriterionBase, Identifier, Pattern
from grader.models.image_criteria import Command, FileContent, LayerEfficiency, Metadata
from grader.models.paths import ImagePath, RepoPath
from grader.models.rules import RuleId
from grader.models.written_criteria import Answer, WrittenReduction

__all__ = ["Criterion", "CriterionBase", "Identifier", "Pattern"]


class MultiStage(CriterionBase):
    """The Dockerfile is a real multi-stage build: the final stage uses an earlier one."""

    check: Literal["multi_stage"] = Field(description="Selects this check kind.")
    min_stages: int = Field(default=2, ge=2, description="Fewest stages accepted.")


class FinalBase(CriterionBase):
    """The final stage's effective base image (FROM <stage> followed back) is an allowed one."""

    check: Literal["final_base"] = Field(description="Selects this check kind.")
    allow: list[str] = Field(
        min_length=1,
        description="Glob patterns such as 'scratch', 'alpine*', '*-slim*', "
        "'gcr.io/distroless/*', matched against the familiar and the canonical name.",
    )
    deny: list[str] = Field(
        default_factory=list, description="Patterns refused even when an allow pattern matches."
    )


class ImageSize(CriterionBase):
    """The final image is small enough, as the engine measures it."""

    check: Literal["image_size"] = Field(description="Selects this check kind.")
    max: ByteSize = Field(description="Full marks at or under this size, e.g. '20MB' or 20000000.")
    zero_at: ByteSize | None = Field(
        default=None,
        description="Zero marks at or over this size; sizes between 'max' and this earn "
        "points in proportion. Omit for all-or-nothing.",
    )

    @model_validator(mode="after")
    def _zero_above_max(self) -> ImageSize:
        if self.zero_at is not None and self.zero_at <= self.max:
            raise ValueError("'zero_at' must be larger than 'max'")
        return self


class Normalize(Frozen):
    """How output is compared: what differences do not count."""

    strip: bool = Field(default=True, description="Ignore leading and trailing white space.")
    collapse_whitespace: bool = Field(
        default=False, description="Treat every run of white space as one space."
    )
    ignore_case: bool = Field(default=False, description="Compare case-insensitively.")
    strip_ansi: bool = Field(
        default=True, description="Drop terminal escape sequences (colours) before comparing."
    )


class Output(CriterionBase):
    """Running the final image prints what the exercise asks for, with the expected exit code."""

    check: Literal["output"] = Field(description="Selects this check kind.")
    stream: Literal["stdout", "stderr", "both"] = Field(
        default="stdout", description="Which output is compared ('both': stdout then stderr)."
    )
    equals: str | None = Field(default=None, description="The whole output, exactly.")
    contains: str | None = Field(default=None, description="Text the output must contain.")
    last_line: str | None = Field(
        default=None,
        description="The last non-empty line, exactly (tools such as npm print banners first).",
    )
    regex: str | None = Field(
        default=None, description="A Python regular expression searched for in the output."
    )
    exit_code: int | None = Field(
        default=0, description="Exit status required as well; null accepts any."
    )
    normalize: Normalize = Field(
        default_factory=Normalize, description="Differences in the output that do not count."
    )

    @field_validator("regex")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"not a valid regular expression: {exc}") from None
        return value

    @model_validator(mode="after")
    def _one_expectation(self) -> Output:
        kinds = ("equals", "contains", "last_line", "regex")
        given = [k for k in kinds if getattr(self, k) is not None]
        if len(given) > 1:
            raise ValueError(
                f"give one of 'equals', 'contains', 'last_line', 'regex', not {' and '.join(given)}"
            )
        if not given and self.exit_code is None:
            raise ValueError(
                "expects nothing: give 'equals', 'contains', 'last_line', 'regex' or 'exit_code'"
            )
        return self


class TargetBuilds(CriterionBase):
    """A named stage builds on its own with --target (and holds what it should)."""

    check: Literal["target_builds"] = Field(description="Selects this check kind.")
    target: str = Field(min_length=1, description="The stage name passed to --target.")
    dockerfile: RepoPath | None = Field(
        default=None, description="Defaults to the task's Dockerfile."
    )
    paths_present: list[ImagePath] = Field(
        default_factory=list, description="Paths that image must hold (toolchain, sources)."
    )


class SizeReduction(CriterionBase):
    """The multi-stage image is at least N times smaller than a naive baseline build."""

    check: Literal["size_reduction"] = Field(description="Selects this check kind.")
    baseline: RepoPath = Field(description="The baseline Dockerfile, e.g. task1/Dockerfile.single.")
    baseline_context: RepoPath | None = Field(
        default=None, description="Its build context; defaults to the baseline's directory."
    )
    min_factor: float = Field(
        gt=1, allow_inf_nan=False, description="Baseline size divided by final size, at least."
    )


class PathsAbsent(CriterionBase):
    """None of these paths exist in the final image (no toolchain, no compiler, no sources).

    Looked up in a container created from the image and never started, so it works on images
    without a shell. The engine adds /etc/hosts, /etc/hostname, /etc/resolv.conf, /dev, /proc,
    /sys and /.dockerenv to every container: do not list those.
    """

    check: Literal["paths_absent"] = Field(description="Selects this check kind.")
    paths: list[ImagePath] = Field(min_length=1, description="Absolute paths that must be missing.")


FileMode = Annotated[
    str,
    Field(
        pattern=r"^([0-7]{3,4}|[dalTLDpSugct?-]+[r-][w-][xsS-][r-][w-][xsS-][r-][w-][xtT-]|"
        r"[dalTLDpSugct?-]*-?[r-][w-][x-][r-][w-][x-][r-][w-][x-])$",
        description="Octal permission bits ('0755', '4755') or the whole mode as "
        "container-structure-test writes it ('-rwxr-xr-x', 'drwxr-xr-x', 'Lrwxrwxrwx').",
    ),
]


class PathsPresent(CriterionBase):
    """All of these paths exist in the final image (the application is there).

    A symlink counts as itself, not as what it points to; mode and owner are the link's too.
    """

    check: Literal["paths_present"] = Field(description="Selects this check kind.")
    paths: list[ImagePath] = Field(min_length=1, description="Absolute paths that must exist.")
    mode: FileMode | None = Field(default=None, description="The mode each path must have.")
    uid: int | None = Field(default=None, ge=0, description="The owner's user id.")
    gid: int | None = Field(default=None, ge=0, description="The owner's group id.")
    executable_by: Literal["owner", "group", "other", "any"] | None = Field(
        default=None,
        description="Who may execute each path: its owner, group, others, or anyone of them.",
    )

    @property
    def needs_stat(self) -> bool:
        """Whether more than existence is asked."""
        return any(v is not None for v in (self.mode, self.uid, self.gid, self.executable_by))


class DockerfileLint(CriterionBase):
    """None of the chosen problems of the static analysis (`grader inspect`) occur."""

    check: Literal["dockerfile_lint"] = Field(description="Selects this check kind.")
    rules: list[RuleId] = Field(
        min_length=1,
        description="Rule ids from `grader inspect`, e.g. copy-from-unknown-stage (every rule is "
        "listed below); image-not-allowed (the image policy) always counts.",
    )


class FileExists(CriterionBase):
    """These files are in the student's repository."""

    check: Literal["file_exists"] = Field(description="Selects this check kind.")
    paths: list[RepoPath] = Field(
        min_length=1, description="Files, relative to the repository root, that must exist."
    )


Criterion = Annotated[
    MultiStage
    | FinalBase
    | ImageSize
    | Output
    | TargetBuilds
    | SizeReduction
    | PathsAbsent
    | PathsPresent
    | DockerfileLint
    | FileExists
    | Metadata
    | Command
    | FileContent
    | LayerEfficiency
    | WrittenReduction
    | Answer,
    Field(discriminator="check"),
]
