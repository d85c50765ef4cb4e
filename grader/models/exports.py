"""What the LMS exports write: Gradescope autograder results and LTI 1.3 AGS scores.

These models are the single source of truth for those JSON files: the exporters build them,
the JSON Schemas under docs/schemas/ are generated from them, and the tests validate every
exported file against them. Field names are the platforms' own, camelCase included, so a model
reads like the specification it follows.

Sources (checked against the published text):

- Gradescope, "Autograder Specifications", output format of /autograder/results/results.json
  (gradescope-autograders.readthedocs.io/en/latest/specs/), and its leaderboards page.
- IMS/1EdTech "LTI Assignment and Grade Services 2.0" (imsglobal.org/spec/lti-ags/v2p0/), Score
  publish service and line item service; Canvas's Score API page for the ``submission`` object.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from grader.models.base import Frozen

# When a test (or the whole result, or the stdout log) is shown to students (specs: "Controlling
# Test Case Visibility"): hidden never, after_due_date after the (late) due date, after_published
# when the instructor publishes grades, visible always.
GradingProgress = Literal["FullyGraded", "Pending", "PendingManual", "Failed", "NotReady"]
Visibility = Literal["hidden", "after_due_date", "after_published", "visible"]
# "Output String Formatting": text shows the string as it is; html and simple_format render markup.
TextFormat = Literal["text", "html", "simple_format", "md", "ansi"]

# AGS: "timestamp ... formatted as ISO 8601 with a sub-second precision", with its time zone.
ISO_8601_SUBSECOND = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{1,9}(Z|[+-]\d{2}:\d{2})$"


class GradescopeTest(Frozen):
    """One test case of a Gradescope result: here, one rubric criterion."""

    name: str = Field(description="Shown as the test's title.")
    name_format: TextFormat = Field(description="Always text: names are not markup.")
    number: str = Field(description="Ordering key, task.criterion, e.g. 1.2.")
    score: float
    max_score: float
    status: Literal["passed", "failed"] = Field(
        description="Set explicitly, so a partly scored criterion shows as failed."
    )
    output: str = Field(description="What was found and, when it failed, what to change.")
    output_format: TextFormat = Field(description="Always text: student output is not markup.")
    tags: list[str] = Field(description="The task id and the check kind.")
    visibility: Visibility


class GradescopeLeaderboardEntry(Frozen):
    """One leaderboard column: the final image size of a task, smaller ranks higher."""

    name: str
    value: float
    order: Literal["asc", "desc"] = Field(description="asc: a smaller value ranks higher.")


class GradescopeResults(Frozen):
    """The results.json a Gradescope autograder leaves in /autograder/results/."""

    score: float = Field(description="The submission's score; overrides the tests' total.")
    execution_time: int | None = Field(
        default=None, ge=0, description="Seconds grading took; left out when unknown."
    )
    output: str = Field(description="Text about the whole submission.")
    output_format: TextFormat = Field(description="Text: the default would render markup.")
    test_output_format: TextFormat
    test_name_format: TextFormat
    visibility: Visibility = Field(description="Tests override it with their own.")
    stdout_visibility: Visibility = Field(description="The autograder's log stays hidden.")
    extra_data: dict[str, str] = Field(description="Provenance: assignment, rubric, commit.")
    tests: list[GradescopeTest]
    leaderboard: list[GradescopeLeaderboardEntry]


class LtiSubmission(Frozen):
    """When the graded work was submitted, so a platform's late policy judges the commit time."""

    submittedAt: str = Field(pattern=ISO_8601_SUBSECOND)


class LtiScore(Frozen):
    """An LTI AGS Score, POSTed to the line item's /scores as vnd.ims.lis.v1.score+json."""

    userId: str = Field(min_length=1, description="The platform's LTI user id (the launch 'sub').")
    scoreGiven: float | None = Field(
        default=None,
        ge=0,
        description="Left out when grading failed: a platform must not record it as a grade.",
    )
    scoreMaximum: float = Field(gt=0, description="Required with scoreGiven; positive.")
    comment: str | None = Field(default=None, description="Plain text shown to the student.")
    timestamp: str = Field(
        pattern=ISO_8601_SUBSECOND,
        description="When the score was made; platforms refuse one older than what they hold.",
    )
    activityProgress: Literal["Initialized", "Started", "InProgress", "Submitted", "Completed"]
    gradingProgress: GradingProgress
    submission: LtiSubmission | None = None

    @model_validator(mode="after")
    def _final_grades_have_a_score(self) -> LtiScore:
        if self.gradingProgress == "FullyGraded" and self.scoreGiven is None:
            raise ValueError("a FullyGraded score needs scoreGiven")
        return self


class LtiLineItem(Frozen):
    """The gradebook column the scores go to, POSTed to the context's line items service."""

    label: str = Field(min_length=1, description="The column's title.")
    scoreMaximum: float = Field(gt=0)
    resourceId: str = Field(description="The tool's id of the assignment.")
    tag: str = Field(description="What kind of score this column holds.")
    endDateTime: str | None = Field(
        default=None, pattern=ISO_8601_SUBSECOND, description="The deadline graded against."
    )
