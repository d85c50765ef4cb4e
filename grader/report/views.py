"""What a page shows, computed before rendering so templates stay markup."""

from __future__ import annotations

from dataclasses import dataclass

from grader.models.results import CriterionResult, Results, SubmissionResult, TaskResult
from grader.units import format_bytes, format_points


@dataclass(frozen=True)
class CriterionView:
    """One line of feedback."""

    title: str
    check: str
    status: str  # "pass", "fail", "partial", "unchecked"
    mark: str
    points: str
    message: str
    hint: str | None
    hidden: bool
    expected: str | None
    actual: str | None


@dataclass(frozen=True)
class TaskView:
    """One task's block."""

    id: str
    title: str
    points: str
    percent: int
    criteria: list[CriterionView]
    error: str | None
    build_status: str | None
    build_error: str | None
    build_log: str | None
    image_size: str | None
    final_base: str | None
    run_output: str | None
    run_exit: str | None


@dataclass(frozen=True)
class StudentPage:
    """A student's whole page."""

    assignment: str
    title: str
    student: str
    points: str
    percent: int
    status: str
    error: str | None
    commit: str | None
    commit_time: str | None
    late: bool
    graded_at: str
    rubric_sha256: str
    grader_version: str
    hidden_count: int
    tasks: list[TaskView]


def criterion_status(criterion: CriterionResult) -> str:
    """One word for marks and colours: pass, partial, fail or unchecked."""
    if not criterion.checked:
        return "unchecked"
    if criterion.passed:
        return "pass"
    return "partial" if criterion.score > 0 else "fail"


MARKS = {"pass": "✓", "fail": "✗", "partial": "◐", "unchecked": "-"}


def _percent(score: float, maximum: float) -> int:
    return round(100 * score / maximum) if maximum else 0


def _criterion(criterion: CriterionResult) -> CriterionView:
    status = criterion_status(criterion)
    evidence = criterion.evidence
    show_evidence = status in ("fail", "partial") and evidence is not None
    return CriterionView(
        title=criterion.title,
        check=criterion.check,
        status=status,
        mark=MARKS[status],
        points=f"{format_points(criterion.score)} / {format_points(criterion.max_score)}",
        message=criterion.message,
        hint=criterion.hint if status != "pass" else None,
        hidden=criterion.hidden,
        expected=evidence.expected if show_evidence and evidence else None,
        actual=evidence.actual if show_evidence and evidence else None,
    )


def _task(task: TaskResult, *, instructor: bool) -> TaskView:
    criteria = [_criterion(c) for c in task.criteria if instructor or not c.hidden]
    build = task.build
    run = task.run
    return TaskView(
        id=task.id,
        title=task.title,
        points=f"{format_points(task.score)} / {format_points(task.max_score)}",
        percent=_percent(task.score, task.max_score),
        criteria=criteria,
        error=task.error,
        build_status=None if build is None else ("built" if build.ok else "failed"),
        build_error=build.error if build else None,
        build_log=build.log_tail if build and not build.ok else None,
        image_size=format_bytes(task.image.size_bytes) if task.image else None,
        final_base=task.image.final_base if task.image else None,
        run_output=(run.stdout + run.stderr) if run else None,
        run_exit=None if run is None or run.exit_code is None else str(run.exit_code),
    )


def visible_totals(submission: SubmissionResult, *, instructor: bool) -> tuple[float, float]:
    """Score and maximum over the criteria this reader may see."""
    if instructor:
        return submission.score, submission.max_score
    shown = [c for t in submission.tasks for c in t.criteria if not c.hidden]
    return sum(c.score for c in shown), sum(c.max_score for c in shown)


def student_page(
    results: Results, submission: SubmissionResult, *, instructor: bool
) -> StudentPage:
    """The view of one submission; hidden criteria only in the instructor's copy."""
    tasks = [_task(t, instructor=instructor) for t in submission.tasks]
    hidden = sum(1 for t in submission.tasks for c in t.criteria if c.hidden)
    score, maximum = visible_totals(submission, instructor=instructor)
    return StudentPage(
        assignment=results.assignment,
        title=results.title,
        student=submission.student,
        points=f"{format_points(score)} / {format_points(maximum)}",
        percent=_percent(score, maximum),
        status=submission.status,
        error=submission.error,
        commit=submission.commit[:12] if submission.commit else None,
        commit_time=submission.commit_time.isoformat() if submission.commit_time else None,
        late=submission.late,
        graded_at=results.graded_at.isoformat(),
        rubric_sha256=results.rubric_sha256[:12],
        grader_version=results.grader_version,
        hidden_count=0 if instructor else hidden,
        tasks=tasks,
    )


@dataclass(frozen=True)
class ClassRow:
    """One student in the class table."""

    student: str
    name: str
    href: str
    points: str
    percent: int
    late: bool
    error: str | None
    commit: str


@dataclass(frozen=True)
class ClassPage:
    """The instructor's class page."""

    title: str
    assignment: str
    graded_at: str
    deadline: str | None
    rubric_sha256: str
    grader_version: str
    count: int
    mean: str
    late_count: int
    rows: list[ClassRow]
    errors: list[ClassRow]


def student_href(student: str) -> str:
    """Where a student's page is, relative to the class page."""
    return f"students/{student}.html"


def class_page(results: Results) -> ClassPage:
    """The view of a whole class."""
    rows = [
        ClassRow(
            student=s.student,
            name=s.name or "",
            href=student_href(s.student),
            points=f"{format_points(s.score)} / {format_points(s.max_score)}",
            percent=_percent(s.score, s.max_score),
            late=s.late,
            error=s.error if s.status == "error" else None,
            commit=(s.commit or "")[:12],
        )
        for s in results.submissions
    ]
    scores = [s.score for s in results.submissions]
    return ClassPage(
        title=results.title,
        assignment=results.assignment,
        graded_at=results.graded_at.isoformat(),
        deadline=results.deadline.isoformat() if results.deadline else None,
        rubric_sha256=results.rubric_sha256[:12],
        grader_version=results.grader_version,
        count=len(rows),
        mean=format_points(sum(scores) / len(scores)) if scores else "-",
        late_count=sum(1 for r in rows if r.late),
        rows=rows,
        errors=[r for r in rows if r.error],
    )
