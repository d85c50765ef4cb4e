"""Results documents built by hand, for tests of what is made from results alone."""

from __future__ import annotations

from datetime import datetime, timezone

from grader.models.results import (
    BuildResult,
    CriterionResult,
    Evidence,
    ImageResult,
    Results,
    RunResult,
    SubmissionResult,
    TaskResult,
)

HOSTILE = "<script>alert('x')</script>\x1b[31mred\x1b[0m & \"quotes\""


def criterion(cid: str, passed: bool, points: float = 2.0, **extra) -> CriterionResult:
    fields = {
        "id": cid,
        "check": extra.pop("check", "multi_stage"),
        "title": extra.pop("title", cid.replace("-", " ").title()),
        "passed": passed,
        "score": points if passed else 0.0,
        "max_score": points,
        "message": extra.pop("message", "fine" if passed else "not fine"),
        "hint": extra.pop("hint", None if passed else f"fix {cid}"),
    }
    fields.update(extra)
    return CriterionResult(**fields)


def task(tid: str, criteria: list[CriterionResult], **extra) -> TaskResult:
    return TaskResult(
        id=tid,
        title=extra.pop("title", f"Task {tid}"),
        score=sum(c.score for c in criteria),
        max_score=sum(c.max_score for c in criteria),
        criteria=criteria,
        **extra,
    )


def submission(student: str, tasks: list[TaskResult], **extra) -> SubmissionResult:
    return SubmissionResult(
        student=student,
        repo=extra.pop("repo", f"https://example.org/{student}.git"),
        status=extra.pop("status", "graded"),
        score=sum(t.score for t in tasks),
        max_score=sum(t.max_score for t in tasks),
        tasks=tasks,
        **extra,
    )


def results(submissions: list[SubmissionResult]) -> Results:
    return Results(
        assignment="lesson-2.4",
        title="Lesson 2.4: Multi-stage builds",
        rubric_sha256="ab" * 32,
        grader_version="0.1.0",
        graded_at=datetime(2026, 12, 2, 8, 0, tzinfo=timezone.utc),
        submissions=submissions,
    )


def hostile_submission() -> SubmissionResult:
    """A submission whose output, logs and messages try to inject markup and escapes."""
    run = RunResult(exit_code=0, stdout=HOSTILE, seconds=0.2)
    build = BuildResult(ok=False, seconds=3, log_tail=f"Step 1/2 : RUN {HOSTILE}", error=HOSTILE)
    out = criterion(
        "output",
        False,
        4,
        check="output",
        message=f"stdout was {HOSTILE}",
        evidence=Evidence(expected="Hello", actual=HOSTILE),
    )
    hidden = criterion("secret-check", True, 1, hidden=True)
    return submission(
        "mallory",
        [
            task(
                "task1",
                [out, hidden],
                run=run,
                build=build,
                image=ImageResult(size_bytes=1_826_000, final_base="scratch"),
            )
        ],
    )
