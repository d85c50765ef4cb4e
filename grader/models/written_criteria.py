"""Criteria about what the student wrote rather than built.

The documented size reduction, and the answers to a lesson's questions.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, PositiveInt, model_validator

from grader.models.base import Frozen
from grader.models.criterion_base import CriterionBase, Pattern
from grader.models.paths import ImagePath, RepoPath


class WrittenReduction(CriterionBase):
    """The sizes the student wrote down match the sizes measured, within a tolerance.

    The file must name the baseline image's size and the task's image size (as `docker images`
    shows them, '1.2GB', or in MiB, '850 MiB', or in bytes). Each size found earns half.
    """

    check: Literal["written_reduction"] = Field(description="Selects this check kind.")
    file: RepoPath = Field(description="Where the reduction is written, e.g. task5/REDUCTION.md.")
    baseline: RepoPath = Field(description="The baseline Dockerfile, e.g. task1/Dockerfile.single.")
    baseline_context: RepoPath | None = Field(
        default=None, description="Its build context; defaults to the baseline's directory."
    )
    tolerance: float = Field(
        default=0.1,
        gt=0,
        lt=1,
        allow_inf_nan=False,
        description="How far a written size may be from the measured one, as a fraction of it.",
    )


class CopyExpectation(Frozen):
    """A COPY the answer must hold, in any spelling Docker accepts."""

    stage: str = Field(min_length=1, description="The stage copied from (--from=...).")
    source: str = Field(
        min_length=1, description="The file's name; any source path ending in it is accepted."
    )
    destination: ImagePath = Field(
        description="The directory it must land in, e.g. /app (a destination of /app/, "
        "/app/<name>, or a relative one after WORKDIR /app)."
    )


class Answer(CriterionBase):
    """One question answered in a file of the student's repository.

    The answer is the text under the question's number (a line starting '6.', '6)', 'Q6',
    'Question 6' or a heading '## 6'), up to the next question.
    """

    check: Literal["answer"] = Field(description="Selects this check kind.")
    file: RepoPath = Field(description="The answers file, e.g. ANSWERS.md.")
    question: PositiveInt = Field(description="The question's number.")
    expected: list[Pattern] = Field(
        default_factory=list,
        description="Patterns the answer must match, each of them (case is ignored, and '^' "
        "and '$' match at every line).",
    )
    excluded: list[Pattern] = Field(
        default_factory=list, description="Patterns the answer must not match (the same way)."
    )
    snippet: CopyExpectation | None = Field(
        default=None, description="The answer is a Dockerfile snippet holding this COPY."
    )

    @model_validator(mode="after")
    def _expects_something(self) -> Answer:
        if not self.expected and not self.excluded and self.snippet is None:
            raise ValueError("expects nothing: give 'expected', 'excluded' or 'snippet'")
        return self
