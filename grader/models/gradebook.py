"""The instructor's gradebook around the automatic score: the overrides file and the release.

``overrides.yaml`` sits beside a class's results.json. Per student it holds entries of three
kinds, told apart by the key they carry (``criterion``, ``adjustment`` or ``comment``), so the
file reads as an instructor would write it, without a ``kind`` field. What was applied is
recorded in results.json (``grader.models.results.AppliedOverride``).
"""

from __future__ import annotations

from datetime import date, datetime, time, timezone
from typing import Annotated, Any, Literal

from pydantic import Discriminator, Field, Tag, field_validator, model_validator

from grader.models.base import Frozen
from grader.models.criteria import Identifier

# Student ids become file and directory names (submissions/<a>/<id>/, students/<id>.html).
STUDENT_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}$"
StudentId = Annotated[str, Field(pattern=STUDENT_ID_PATTERN)]
Text = Annotated[str, Field(min_length=1, max_length=4000)]

ReleaseLevel = Literal["received", "score", "feedback"]


def _moment(value: Any) -> Any:
    """A bare date means the end of that day, in UTC (YAML reads ``2026-12-05`` as a date)."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return datetime.combine(value, time(23, 59, 59), tzinfo=timezone.utc)
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value


class _Entry(Frozen):
    at: datetime | None = Field(
        default=None,
        description="When the decision was made; by default, when grader first applied it.",
    )

    @field_validator("at", mode="before")
    @classmethod
    def _date_is_a_moment(cls, value: Any) -> Any:
        return _moment(value)


class CriterionOverride(_Entry):
    """A criterion scored by the instructor instead of by grader: points, or a verdict."""

    task: Identifier
    criterion: Identifier
    points: float | None = Field(
        default=None,
        ge=0,
        allow_inf_nan=False,
        description="The points it earns (at most the criterion's maximum).",
    )
    verdict: Literal["passed", "failed"] | None = Field(
        default=None, description="passed: its full points; failed: none."
    )
    reason: Text = Field(description="Why; shown to the student unless 'private'.")
    comment: Text | None = Field(default=None, description="A note for the student.")
    private: bool = Field(default=False, description="Show the reason to instructors only.")

    @model_validator(mode="after")
    def _one_of(self) -> CriterionOverride:
        if (self.points is None) == (self.verdict is None):
            raise ValueError("give either 'points' or 'verdict' (passed or failed), not both")
        return self


class Adjustment(_Entry):
    """Points added to (or taken from) the total, after any late penalty."""

    adjustment: float = Field(allow_inf_nan=False, description="e.g. 2 or -5.")
    reason: Text = Field(description="Why; shown to the student unless 'private'.")
    comment: Text | None = Field(default=None, description="A note for the student.")
    private: bool = Field(default=False, description="Show the reason to instructors only.")

    @field_validator("adjustment")
    @classmethod
    def _not_zero(cls, value: float) -> float:
        if value == 0:
            raise ValueError("an adjustment of 0 changes nothing; remove the entry")
        return value


class Comment(_Entry):
    """A note for the student, on the whole submission or on one task."""

    comment: Text
    task: Identifier | None = Field(default=None, description="The task it is about, if one.")


def _entry_kind(value: Any) -> str | None:
    """Which kind an entry is, by the key it carries (or, validated already, by its class).

    The tags are not keys of an entry, so an error's location never mistakes one for a field.
    """
    kinds = (
        ("criterion", CriterionOverride, "criterion override"),
        ("adjustment", Adjustment, "adjustment entry"),
        ("comment", Comment, "comment entry"),
    )
    for key, model, tag in kinds:
        if isinstance(value, model) or (isinstance(value, dict) and key in value):
            return tag
    return None


OverrideEntry = Annotated[
    Annotated[CriterionOverride, Tag("criterion override")]
    | Annotated[Adjustment, Tag("adjustment entry")]
    | Annotated[Comment, Tag("comment entry")],
    Discriminator(
        _entry_kind,
        custom_error_type="entry_kind",
        custom_error_message="an entry has 'criterion' (with 'task'), 'adjustment' or 'comment'",
    ),
]


class Overrides(Frozen):
    """An overrides file: the instructor's decisions on top of the automatic score."""

    schema_version: Literal[1] = Field(default=1, description="Version of this file format.")
    assignment: str | None = Field(
        default=None, description="The assignment these are for; checked against the results."
    )
    students: dict[StudentId, list[OverrideEntry]] = Field(
        default_factory=dict, description="Per student id, the entries in the order applied."
    )


class Release(Frozen):
    """When students see their full feedback, and what their copies hold until then.

    With neither ``at`` nor ``held``, no release is planned: students' copies hold ``before``
    and the exports send final grades, as a rubric without this section always did.
    """

    at: datetime | None = Field(
        default=None,
        description="From this moment students see everything: hidden criteria, the "
        "instructor's reasons and comments (`--release now` releases at once).",
    )
    held: bool = Field(
        default=False,
        description="Held back until released (`--release never`): exports send grades as "
        "pending the instructor.",
    )
    before: ReleaseLevel = Field(
        default="feedback",
        description="What students' copies hold before: 'received' (that it was received, "
        "which commit, lateness), 'score' (also the total of the visible criteria) or "
        "'feedback' (also every visible criterion with its feedback, as `grader check` shows).",
    )

    @field_validator("at", mode="before")
    @classmethod
    def _date_is_a_moment(cls, value: Any) -> Any:
        return _moment(value)

    def released(self, moment: datetime) -> bool:
        """Whether students see everything at ``moment``."""
        return not self.held and self.at is not None and self.at <= moment

    def pending(self, moment: datetime) -> bool:
        """Whether a release is planned and has not come: grades are not final yet."""
        return self.held or (self.at is not None and self.at > moment)
