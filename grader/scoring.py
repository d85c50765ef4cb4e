"""Scoring arithmetic: points from outcomes, totals from points. Pure, and the only place it is."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from grader.checks.base import Outcome
from grader.models.analysis import Analysis
from grader.models.criteria import CriterionBase
from grader.models.results import (
    BuildResult,
    CriterionResult,
    ImageFacts,
    ImageResult,
    RunResult,
    SubmissionInfo,
    SubmissionResult,
    TaskResult,
)
from grader.models.rubric import LatePolicy, Task

_DIGITS = 2  # scores are reported to the hundredth; sums are of the rounded parts


def points(value: float) -> float:
    """A score as reported: rounded once, here."""
    return round(value + 0.0, _DIGITS)


def criterion_result(criterion: CriterionBase, title: str, outcome: Outcome) -> CriterionResult:
    """Points earned for one criterion: its points times the fraction its outcome earned."""
    fraction = min(max(outcome.fraction, 0.0), 1.0)
    return CriterionResult(
        id=criterion.id,
        check=getattr(criterion, "check", type(criterion).__name__),
        title=criterion.title or title,
        passed=outcome.passed,
        checked=outcome.checked,
        score=points(criterion.points * fraction),
        max_score=points(criterion.points),
        message=outcome.message,
        hint=None if outcome.passed else outcome.hint or criterion.hint,
        hidden=criterion.hidden,
        evidence=outcome.evidence,
    )


def image_result(image: ImageFacts, analysis: Analysis) -> ImageResult:
    """The image section of a task result: measured size, statically known base."""
    return ImageResult(
        size_bytes=image.size_bytes, layers=image.layers, final_base=analysis.final_base
    )


def task_result(
    task: Task,
    criteria: list[CriterionResult],
    *,
    analysis: Analysis | None,
    dockerfile_text: str | None = None,
    sources: Mapping[str, str] | None = None,
    build: BuildResult | None,
    image: ImageResult | None,
    run: RunResult | None,
    error: str | None,
) -> TaskResult:
    """A task's total is the sum of its criteria."""
    return TaskResult(
        id=task.id,
        title=task.title,
        score=points(sum(c.score for c in criteria)),
        max_score=points(sum(c.max_score for c in criteria)),
        criteria=criteria,
        analysis=analysis,
        dockerfile_text=dockerfile_text,
        sources=dict(sources or {}),
        build=build,
        image=image,
        run=run,
        error=error,
    )


def submission_result(
    info: SubmissionInfo,
    tasks: list[TaskResult],
    *,
    error: str | None,
    policy: LatePolicy | None = None,
    graded_at: datetime | None = None,
    seconds: float | None = None,
    timings: Mapping[str, float] | None = None,
) -> SubmissionResult:
    """A submission's total: the sum of its tasks, less any late penalty.

    An engine failure makes it an error row, which keeps what could be scored without the engine.
    """
    raw = points(sum(t.score for t in tasks))
    maximum = points(sum(t.max_score for t in tasks))
    fraction = policy.fraction(info.late_days, info.grace_days) if policy is not None else 0.0
    penalty = late_penalty(raw, maximum, fraction)
    return SubmissionResult(
        **info.model_dump(),
        penalty=penalty,
        penalty_fraction=fraction,
        status="error" if error else "graded",
        error=error,
        score=points(raw - penalty),
        max_score=maximum,
        graded_at=graded_at,
        seconds=None if seconds is None else round(seconds, 3),
        timings=dict(timings or {}),
        tasks=tasks,
    )


def late_penalty(raw: float, maximum: float, fraction: float) -> float:
    """Points deducted: a fraction of the maximum, never more than was earned."""
    return points(min(raw, maximum * fraction)) if fraction > 0 else 0.0


def total(raw: float, maximum: float, fraction: float, adjustment: float) -> float:
    """The row's score: earned less the penalty plus adjustments, kept within 0 and maximum."""
    return points(min(max(raw - late_penalty(raw, maximum, fraction) + adjustment, 0.0), maximum))


def failed_count(submission: SubmissionResult) -> int:
    """Criteria graded and not passed (what makes `grader check` exit 1)."""
    return sum(1 for t in submission.tasks for c in t.criteria if c.checked and not c.passed)


def student_view(submission: SubmissionResult) -> SubmissionResult:
    """The row without its hidden criteria, as students see it before release.

    Hidden criteria are left out of it and of every total; the late penalty and the
    instructor's adjustments still apply.
    """
    if not any(c.hidden for t in submission.tasks for c in t.criteria):
        return submission
    tasks = []
    for task in submission.tasks:
        shown = [c for c in task.criteria if not c.hidden]
        tasks.append(
            task.model_copy(
                update={
                    "criteria": shown,
                    "score": points(sum(c.score for c in shown)),
                    "max_score": points(sum(c.max_score for c in shown)),
                }
            )
        )
    raw = sum(t.score for t in tasks)
    maximum = points(sum(t.max_score for t in tasks))
    score = min(max(raw - submission.penalty + submission.adjustment, 0.0), maximum)
    return submission.model_copy(
        update={"tasks": tasks, "score": points(score), "max_score": maximum}
    )
