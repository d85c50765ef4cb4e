"""One student's page: every task, every criterion, with the evidence that helps."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone

from markupsafe import Markup

from grader.models.analysis import Instruction
from grader.models.results import (
    BUILDER_TITLES,
    BuildResult,
    CriterionResult,
    Results,
    SubmissionResult,
    TaskResult,
)
from grader.release import level, student_copy
from grader.report import evidence as ev
from grader.report import svg
from grader.report.text import Moment, moment, plain, visible
from grader.report.views.common import (
    MARKS,
    WORDS,
    criterion_status,
    late_note,
    percent,
    points_of,
)
from grader.report.views.gradebook import (
    DeadlineView,
    OverrideView,
    ReleaseView,
    criterion_change,
    deadline_view,
    override_views,
    release_view,
)
from grader.units import format_bytes, format_points


@dataclass(frozen=True)
class CriterionView:
    """One line of feedback, with the evidence that helps when it failed."""

    title: str
    check: str
    status: str  # "pass", "fail", "partial", "unchecked"
    status_word: str
    mark: str
    points: str
    message: Markup
    hint: Markup | None
    hidden: bool
    changed: str | None  # an instructor's override, with grader's own score
    expected: Markup | None
    actual: Markup | None
    excerpt: ev.Excerpt | None
    diff: ev.OutputDiff | None
    gauge: Markup | None


@dataclass(frozen=True)
class TaskView:
    """One task's block."""

    id: str
    anchor: str
    title: str
    points: str
    percent: int
    meter: Markup
    criteria: list[CriterionView]
    error: Markup | None
    build_status: str | None
    built_with: str | None  # instructor's copy: which builder, client and engine, what held
    build_failure: ev.BuildFailure | None
    image_size: str | None
    final_base: Markup | None
    layers: ev.LayerBreakdown | None
    run_output: Markup | None
    run_exit: str | None
    run_notes: list[str]
    output_open: bool
    layers_open: bool


@dataclass(frozen=True)
class StudentPage:
    """A student's whole page."""

    assignment: str
    title: str
    page_title: str
    student: str
    name: Markup | None
    instructor: bool
    back_href: str | None
    shows_score: bool
    shows_criteria: bool
    release: ReleaseView
    points: str
    percent: int
    meter: Markup
    automatic: str | None  # instructor's copy: grader's own total, when overrides changed it
    overrides: list[OverrideView]
    status: str
    error: Markup | None
    commit: str | None
    commit_time: Moment | None
    late: bool
    late_note: str | None
    penalty: str | None
    deadline: DeadlineView | None
    graded_at: Moment
    rubric_sha256: str
    rubric_sha256_full: str
    grader_version: str
    hidden_count: int
    tasks: list[TaskView]


def _gauge(criterion: CriterionResult, chart_id: str) -> Markup | None:
    """Image size against its limit, or a size reduction factor against the factor asked for."""
    evidence = criterion.evidence
    if evidence is None or evidence.measured is None or evidence.limit is None:
        return None
    if criterion.check == "image_size" or evidence.unit == "bytes":
        return svg.gauge(
            evidence.measured,
            evidence.limit,
            better="lower",
            fmt=format_bytes,
            chart_id=chart_id,
            title="Image size against the limit",
        )
    if evidence.unit == "x":
        return svg.gauge(
            evidence.measured,
            evidence.limit,
            better="higher",
            fmt=lambda v: f"{v:.1f}x smaller".replace(".0x", "x"),
            chart_id=chart_id,
            title="Size reduction against the factor asked for",
        )
    return None


# The wording checks use when a criterion needed an image that did not build: the build failure
# is shown once, above the criteria, rather than once per criterion with hints about other things.
_NOT_BUILT = "the image did not build"


def _blocked_by_build(criterion: CriterionResult, task: TaskResult) -> bool:
    return (
        task.build is not None
        and not task.build.ok
        and not criterion.passed
        and criterion.message.startswith(_NOT_BUILT)
    )


def _criterion(
    criterion: CriterionResult,
    task: TaskResult,
    found: Sequence[Instruction],
    chart_prefix: str,
) -> CriterionView:
    status = criterion_status(criterion)
    failed = status in ("fail", "partial")
    blocked = _blocked_by_build(criterion, task)
    evidence = criterion.evidence if failed else None
    excerpt = None
    diff = None
    if failed and task.dockerfile_text:
        marks = ev.criterion_marks(criterion, task.analysis, found)
        label = task.analysis.dockerfile if task.analysis else "Dockerfile"
        excerpt = ev.excerpt(task.dockerfile_text, marks, label=label)
    if evidence is not None and criterion.check == "output":
        diff = ev.output_diff(evidence.expected, evidence.actual)
    gauge = _gauge(criterion, f"{chart_prefix}-{criterion.id}")
    # expected and found in words, unless a picture already says it
    show_words = evidence is not None and diff is None and gauge is None
    return CriterionView(
        title=criterion.title,
        check=criterion.check,
        status=status,
        status_word=WORDS[status],
        mark=MARKS[status],
        points=points_of(criterion.score, criterion.max_score),
        message=Markup("No image to check: the build failed (see above).")
        if blocked
        else visible(criterion.message),
        hint=visible(criterion.hint)
        if criterion.hint and status != "pass" and not blocked
        else None,
        hidden=criterion.hidden,
        changed=criterion_change(criterion),
        expected=visible(evidence.expected)
        if show_words and evidence and evidence.expected
        else None,
        actual=visible(evidence.actual) if show_words and evidence and evidence.actual else None,
        excerpt=excerpt,
        diff=diff,
        gauge=gauge,
    )


def _run_notes(task: TaskResult) -> list[str]:
    run = task.run
    if run is None:
        return []
    notes = []
    if run.error:
        notes.append(f"the container did not run: {plain(run.error)}")
    if run.timed_out:
        notes.append(f"still running after {run.seconds:g} s, so it was stopped")
    if run.oom_killed:
        notes.append("killed for using too much memory")
    if run.stdout_truncated or run.stderr_truncated:
        notes.append("the output was long, so its middle was cut")
    return notes


def _build_status(build: BuildResult | None) -> str | None:
    if build is None:
        return None
    if build.refused:
        return "not started: the Dockerfile names an image the rubric does not allow"
    return "built" if build.ok else "failed"


def _task(task: TaskResult, *, instructor: bool, index: int) -> TaskView:
    """A task of the row as given: a student's copy has left out what they may not see."""
    found = ev.instructions(task.dockerfile_text)
    anchor = f"task-{index}-{svg.slug(task.id)}"
    criteria = [_criterion(c, task, found, anchor) for c in task.criteria]
    score, maximum = task.score, task.max_score
    build = task.build
    image = task.image
    run = task.run
    label = task.analysis.dockerfile if task.analysis else "Dockerfile"
    failure = (
        ev.build_failure(build, task.dockerfile_text, found, label=label)
        if build is not None and not build.ok
        else None
    )
    layers = (
        ev.layer_breakdown(
            image.layers,
            task.analysis,
            found,
            size_bytes=image.size_bytes,
            chart_id=f"{anchor}-layers",
        )
        if image is not None
        else None
    )
    output = None if run is None else (run.stdout + run.stderr)
    share = percent(score, maximum)
    return TaskView(
        id=task.id,
        anchor=anchor,
        title=task.title,
        points=points_of(score, maximum),
        percent=share,
        meter=svg.meter(share / 100, "pass" if share == 100 else "score"),
        criteria=criteria,
        error=visible(task.error) if task.error else None,
        build_status=_build_status(build),
        built_with=_built_with(task) if instructor else None,
        build_failure=failure,
        image_size=format_bytes(image.size_bytes) if image else None,
        final_base=visible(image.final_base) if image and image.final_base else None,
        layers=layers,
        run_output=visible(output) if output else None,
        run_exit=None if run is None or run.exit_code is None else str(run.exit_code),
        run_notes=_run_notes(task),
        output_open=any(c.check == "output" and c.status in ("fail", "partial") for c in criteria),
        layers_open=any(
            c.check == "image_size" and c.status in ("fail", "partial") for c in criteria
        ),
    )


def _built_with(task: TaskResult) -> str | None:
    """Which builder made the task's image, through what, on what, and which limits held."""
    info = task.build.builder if task.build is not None else None
    if info is None:
        return None
    through = f" through {info.client}" if info.client else ""
    held = ", ".join(info.enforced) or "none"
    reused = " (reused from an identical submission)" if task.build and task.build.reused else ""
    built = f"Built with {BUILDER_TITLES[info.name]}{through} on {info.engine}{reused}"
    return f"{built}; build limits held: {held}."


def student_page(
    results: Results,
    submission: SubmissionResult,
    *,
    instructor: bool,
    back_href: str | None = None,
    moment_now: datetime | None = None,
) -> StudentPage:
    """The view of one submission: everything in the instructor's copy.

    A student's copy holds what the release allows at ``moment_now`` (by default, now).
    """
    at = moment_now or datetime.now(timezone.utc)
    if instructor:
        row, shown = submission, "full"
    else:
        copy = student_copy(results, submission, at)
        row, shown = copy.row, copy.level
    tasks = [_task(t, instructor=instructor, index=i) for i, t in enumerate(row.tasks)]
    hidden = sum(1 for t in submission.tasks for c in t.criteria if c.hidden)
    score, maximum = row.score, row.max_score
    share = percent(score, maximum)
    page_title = f"{submission.student} · {results.title}"
    return StudentPage(
        assignment=results.assignment,
        title=results.title,
        page_title=page_title + (" · instructor's copy" if instructor else ""),
        student=submission.student,
        name=visible(submission.name) if submission.name else None,
        instructor=instructor,
        back_href=back_href,
        shows_score=shown != "received",
        shows_criteria=shown in ("feedback", "full"),
        release=release_view(results, level(results, at)),
        points=points_of(score, maximum),
        percent=share,
        meter=svg.meter(share / 100, "pass" if share == 100 else "score", width=320),
        automatic=points_of(row.automatic_score, maximum)
        if instructor and row.automatic_score is not None
        else None,
        overrides=override_views(row, instructor=instructor),
        status=submission.status,
        error=visible(submission.error) if submission.error else None,
        commit=submission.commit[:12] if submission.commit else None,
        commit_time=moment(submission.commit_time) if submission.commit_time else None,
        late=submission.late,
        late_note=late_note(submission, results),
        penalty=format_points(submission.penalty) if submission.penalty else None,
        deadline=deadline_view(submission, results, instructor=instructor),
        graded_at=moment(submission.graded_at or results.graded_at),
        rubric_sha256=results.rubric_sha256[:12],
        rubric_sha256_full=results.rubric_sha256,
        grader_version=results.grader_version,
        hidden_count=0 if shown == "full" else hidden,
        tasks=tasks,
    )
