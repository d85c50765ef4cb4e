"""What a page shows, computed before rendering so templates stay markup.

Every number, label, chart and piece of evidence is made here (charts in ``svg``, evidence in
``evidence``); templates only lay them out. Text a student controls is turned into escaped
markup with its control characters visible (``text.visible``) before it reaches a template.
"""

from __future__ import annotations

import hashlib
import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote

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
from grader.report import evidence as ev
from grader.report import svg
from grader.report.text import DASH, Moment, moment, plain, visible
from grader.scoring import student_view
from grader.units import format_bytes, format_points

MARKS = {"pass": "✓", "fail": "✗", "partial": "◐", "unchecked": "-"}
_WORDS = {
    "pass": "passed",
    "fail": "failed",
    "partial": "partly passed",
    "unchecked": "not checked",
}
# Student ids become file names; the roster allows these, anything else gets a hashed name.
_SAFE_STEM = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}$")


def criterion_status(criterion: CriterionResult) -> str:
    """One word for marks and colours: pass, partial, fail or unchecked."""
    if not criterion.checked:
        return "unchecked"
    if criterion.passed:
        return "pass"
    return "partial" if criterion.score > 0 else "fail"


def _percent(score: float, maximum: float) -> int:
    return round(100 * score / maximum) if maximum else 0


def _points(score: float, maximum: float) -> str:
    return f"{format_points(score)} / {format_points(maximum)}"


def visible_totals(submission: SubmissionResult, *, instructor: bool) -> tuple[float, float]:
    """Score and maximum over the criteria this reader may see, less any late penalty."""
    seen = submission if instructor else student_view(submission)
    return seen.score, seen.max_score


def _task_totals(task: TaskResult, *, instructor: bool) -> tuple[float, float]:
    if instructor:
        return task.score, task.max_score
    shown = [c for c in task.criteria if not c.hidden]
    return sum(c.score for c in shown), sum(c.max_score for c in shown)


def page_stem(student: str) -> str:
    """A file name for a student's pages: the id itself when it is a safe one."""
    if _SAFE_STEM.match(student) and not student.endswith("."):
        return student
    return "student-" + hashlib.sha256(student.encode()).hexdigest()[:12]


def page_stems(submissions: Sequence[SubmissionResult]) -> list[str]:
    """One distinct stem per submission, also on file systems that ignore case."""
    stems: list[str] = []
    taken: set[str] = set()
    for submission in submissions:
        stem = page_stem(submission.student)
        if stem.casefold() in taken:
            digest = hashlib.sha256(submission.student.encode()).hexdigest()
            stem = f"{stem}-{digest[:8]}"
            while stem.casefold() in taken:
                stem += "-"
        taken.add(stem.casefold())
        stems.append(stem)
    return stems


def student_href(student: str) -> str:
    """Where a student's copy is, relative to the class page."""
    return f"students/{quote(page_stem(student), safe='@+')}.html"


def _href(folder: str, stem: str) -> str:
    return f"{folder}/{quote(stem, safe='@+')}.html"


# -- one student's page ------------------------------------------------------------------------


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
    points: str
    percent: int
    meter: Markup
    status: str
    error: Markup | None
    commit: str | None
    commit_time: Moment | None
    late: bool
    late_note: str | None
    penalty: str | None
    deadline: Moment | None
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
        status_word=_WORDS[status],
        mark=MARKS[status],
        points=_points(criterion.score, criterion.max_score),
        message=Markup("No image to check: the build failed (see above).")
        if blocked
        else visible(criterion.message),
        hint=visible(criterion.hint)
        if criterion.hint and status != "pass" and not blocked
        else None,
        hidden=criterion.hidden,
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
    found = ev.instructions(task.dockerfile_text)
    anchor = f"task-{index}-{svg.slug(task.id)}"
    criteria = [
        _criterion(c, task, found, anchor) for c in task.criteria if instructor or not c.hidden
    ]
    score, maximum = _task_totals(task, instructor=instructor)
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
    percent = _percent(score, maximum)
    return TaskView(
        id=task.id,
        anchor=anchor,
        title=task.title,
        points=_points(score, maximum),
        percent=percent,
        meter=svg.meter(percent / 100, "pass" if percent == 100 else "score"),
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


def _late_note(submission: SubmissionResult, results: Results) -> str | None:
    if not submission.late:
        return None
    deadline = results.deadline
    if submission.commit_time and deadline and submission.commit_time > deadline:
        days = submission.late_days
        late_by = f" ({days} day{'s' if days != 1 else ''} late)" if days else ""
        return f"The commit graded was made after the deadline{late_by}."
    return (
        "There are commits after the deadline; the last commit before it was graded, "
        "and later ones were not."
    )


def student_page(
    results: Results,
    submission: SubmissionResult,
    *,
    instructor: bool,
    back_href: str | None = None,
) -> StudentPage:
    """The view of one submission; hidden criteria only in the instructor's copy."""
    tasks = [_task(t, instructor=instructor, index=i) for i, t in enumerate(submission.tasks)]
    hidden = sum(1 for t in submission.tasks for c in t.criteria if c.hidden)
    score, maximum = visible_totals(submission, instructor=instructor)
    percent = _percent(score, maximum)
    page_title = f"{submission.student} · {results.title}"
    return StudentPage(
        assignment=results.assignment,
        title=results.title,
        page_title=page_title + (" · instructor's copy" if instructor else ""),
        student=submission.student,
        name=visible(submission.name) if submission.name else None,
        instructor=instructor,
        back_href=back_href,
        points=_points(score, maximum),
        percent=percent,
        meter=svg.meter(percent / 100, "pass" if percent == 100 else "score", width=320),
        status=submission.status,
        error=visible(submission.error) if submission.error else None,
        commit=submission.commit[:12] if submission.commit else None,
        commit_time=moment(submission.commit_time) if submission.commit_time else None,
        late=submission.late,
        late_note=_late_note(submission, results),
        penalty=format_points(submission.penalty) if submission.penalty else None,
        deadline=moment(results.deadline) if results.deadline else None,
        graded_at=moment(submission.graded_at or results.graded_at),
        rubric_sha256=results.rubric_sha256[:12],
        rubric_sha256_full=results.rubric_sha256,
        grader_version=results.grader_version,
        hidden_count=0 if instructor else hidden,
        tasks=tasks,
    )


# -- the class page -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    """A table cell: what it shows and the value it sorts by."""

    text: str
    sort: str


@dataclass(frozen=True)
class ClassRow:
    """One student in the class table."""

    student: str
    name: Markup
    href: str
    instructor_href: str
    points: str
    score: float
    percent: int
    meter: Markup
    tasks: list[Cell]
    late: bool
    late_note: str | None
    error: Markup | None
    commit: str
    commit_time: Moment | None


@dataclass(frozen=True)
class TaskColumn:
    """A task as a column of the class table."""

    id: str
    title: str


@dataclass(frozen=True)
class RateView:
    """One criterion across the class, for the table under the chart."""

    task: str
    title: str
    hidden: bool
    passed: int
    partial: int
    failed: int
    unchecked: int
    rate: str


@dataclass(frozen=True)
class SizeView:
    """One task's image sizes across the class, for the table under the chart."""

    task: str
    count: int
    smallest: str
    median: str
    largest: str
    limit: str | None
    over: int


@dataclass(frozen=True)
class ClassPage:
    """The instructor's class page."""

    title: str
    assignment: str
    graded_at: Moment
    deadline: Moment | None
    rubric_sha256: str
    rubric_sha256_full: str
    grader_version: str
    count: int
    graded_count: int
    mean: str
    median: str
    max_points: str
    late_count: int
    histogram: Markup | None
    rates_chart: Markup | None
    rates: list[RateView]
    most_missed: list[RateView]
    sizes_chart: Markup | None
    sizes: list[SizeView]
    sizes_without_limit: bool
    tasks: list[TaskColumn]
    rows: list[ClassRow]
    errors: list[ClassRow]
    late: list[ClassRow]


def _histogram(graded: Sequence[SubmissionResult]) -> Markup | None:
    if not graded:
        return None
    counts = [0] * 10
    for submission in graded:
        percent = 100 * submission.score / submission.max_score if submission.max_score else 0
        counts[min(int(percent // 10), 9)] += 1
    bins = [
        svg.Bin(f"{10 * i}{DASH}{10 * i + 10}" if i < 9 else f"90{DASH}100", count)
        for i, count in enumerate(counts)
    ]
    words = ", ".join(f"{b.count} in {b.label} %" for b in bins if b.count)
    return svg.histogram(
        bins,
        chart_id="histogram",
        title="Score distribution",
        desc=f"Scores of the {len(graded)} graded submissions in percent of the points: {words}.",
        x_label="score, % of the points",
        y_label="submissions",
    )


def _rates(graded: Sequence[SubmissionResult]) -> list[RateView]:
    """Per criterion, in rubric order: how many passed, partly passed, failed, not checked."""
    tally: dict[tuple[str, str], list[int]] = {}
    titles: dict[tuple[str, str], tuple[str, bool]] = {}
    for submission in graded:
        for task in submission.tasks:
            for criterion in task.criteria:
                key = (task.id, criterion.id)
                counts = tally.setdefault(key, [0, 0, 0, 0])
                titles.setdefault(key, (criterion.title, criterion.hidden))
                status = criterion_status(criterion)
                counts[("pass", "partial", "fail", "unchecked").index(status)] += 1
    views = []
    names = [(task, titles[(task, cid)][0]) for task, cid in tally]
    for key, (passed, partial, failed, unchecked) in tally.items():
        checked = passed + partial + failed
        title, hidden = titles[key]
        if names.count((key[0], title)) > 1:
            title = f"{title} ({key[1]})"  # two criteria of a task may share a title
        views.append(
            RateView(
                task=key[0],
                title=title,
                hidden=hidden,
                passed=passed,
                partial=partial,
                failed=failed,
                unchecked=unchecked,
                rate=f"{round(100 * passed / checked)} %" if checked else "n/a",
            )
        )
    return views


def _rates_chart(rates: Sequence[RateView]) -> Markup | None:
    if not rates:
        return None
    rows = [
        svg.RateRow(
            f"{r.task} · {r.title}{' (hidden)' if r.hidden else ''}", r.passed, r.partial, r.failed
        )
        for r in rates
    ]
    low = sorted((r for r in rows if r.total), key=lambda r: r.passed / r.total)[:3]
    words = "; ".join(f"{r.label}: {r.passed} of {r.total} passed" for r in low)
    return svg.rate_bars(
        rows,
        chart_id="rates",
        title="Pass rate of each criterion",
        desc=f"Share of graded submissions that passed each criterion. Lowest: {words}.",
    )


def _size_rows(
    graded: Sequence[SubmissionResult],
) -> list[tuple[str, list[svg.StripPoint], float | None]]:
    rows: dict[str, tuple[list[svg.StripPoint], list[float]]] = {}
    for submission in graded:
        for task in submission.tasks:
            if task.image is None:
                continue
            points, limits = rows.setdefault(task.id, ([], []))
            size_check = next((c for c in task.criteria if c.check == "image_size"), None)
            limit = size_check.evidence.limit if size_check and size_check.evidence else None
            if limit:
                limits.append(limit)
            ok = size_check.passed if size_check and size_check.checked else None
            points.append(svg.StripPoint(task.image.size_bytes, submission.student, ok))
    return [
        (task_id, points, max(set(limits), key=limits.count) if limits else None)
        for task_id, (points, limits) in rows.items()
    ]


def _sizes(graded: Sequence[SubmissionResult]) -> tuple[Markup | None, list[SizeView]]:
    rows = _size_rows(graded)
    if not rows:
        return None, []
    views = []
    for task_id, points, limit in rows:
        values = sorted(p.value for p in points)
        views.append(
            SizeView(
                task=task_id,
                count=len(values),
                smallest=format_bytes(values[0]),
                median=format_bytes(statistics.median(values)),
                largest=format_bytes(values[-1]),
                limit=format_bytes(limit) if limit else None,
                over=sum(1 for v in values if limit and v > limit),
            )
        )
    words = "; ".join(
        f"{v.task}: {v.count} images, median {v.median}"
        + (f", {v.over} over the {v.limit} limit" if v.limit else "")
        for v in views
    )
    chart = svg.strip_plot(
        [svg.StripRow(task_id, points, limit) for task_id, points, limit in rows],
        chart_id="sizes",
        title="Final image sizes per task",
        desc=f"Each dot is one student's final image, on a logarithmic axis. {words}.",
        fmt=_axis_bytes,
        x_label="image size (logarithmic)",
    )
    return chart, views


def _axis_bytes(size: float) -> str:
    return format_bytes(size).replace(".0 ", " ")


def class_page(results: Results) -> ClassPage:
    """The view of a whole class: distributions first, then every student."""
    submissions = results.submissions
    stems = page_stems(submissions)
    task_columns: dict[str, str] = {}
    for submission in submissions:
        for task in submission.tasks:
            task_columns.setdefault(task.id, task.title)
    rows = []
    for submission, stem in zip(submissions, stems, strict=True):
        by_task = {t.id: t for t in submission.tasks}
        percent = _percent(submission.score, submission.max_score)
        cells = []
        for task_id in task_columns:
            done = by_task.get(task_id)
            cells.append(
                Cell(format_points(done.score), f"{done.score:.4f}") if done else Cell(DASH, "-1")
            )
        rows.append(
            ClassRow(
                student=submission.student,
                name=visible(submission.name or ""),
                href=_href("students", stem),
                instructor_href=_href("instructor", stem),
                points=_points(submission.score, submission.max_score),
                score=submission.score,
                percent=percent,
                meter=svg.meter(percent / 100, "pass" if percent == 100 else "score", width=48),
                tasks=cells,
                late=submission.late,
                late_note=_late_note(submission, results),
                error=visible(submission.error or "error")
                if submission.status == "error"
                else None,
                commit=(submission.commit or "")[:12],
                commit_time=moment(submission.commit_time) if submission.commit_time else None,
            )
        )
    graded = [s for s in submissions if s.status == "graded"]
    scores = [s.score for s in graded]
    rates = _rates(graded)
    sizes_chart, sizes = _sizes(graded)
    missed = sorted(
        (
            r
            for r in rates
            if r.passed + r.partial + r.failed and r.passed < r.passed + r.partial + r.failed
        ),
        key=lambda r: r.passed / (r.passed + r.partial + r.failed),
    )[:3]
    return ClassPage(
        title=results.title,
        assignment=results.assignment,
        graded_at=moment(results.graded_at),
        deadline=moment(results.deadline) if results.deadline else None,
        rubric_sha256=results.rubric_sha256[:12],
        rubric_sha256_full=results.rubric_sha256,
        grader_version=results.grader_version,
        count=len(rows),
        graded_count=len(graded),
        mean=format_points(statistics.fmean(scores)) if scores else DASH,
        max_points=format_points(max((s.max_score for s in submissions), default=0)),
        median=format_points(statistics.median(scores)) if scores else DASH,
        late_count=sum(1 for r in rows if r.late),
        histogram=_histogram(graded),
        rates_chart=_rates_chart(rates),
        rates=rates,
        most_missed=missed,
        sizes_chart=sizes_chart,
        sizes=sizes,
        sizes_without_limit=any(s.limit is None for s in sizes),
        tasks=[TaskColumn(task_id, title) for task_id, title in task_columns.items()],
        rows=rows,
        errors=[r for r in rows if r.error],
        late=[r for r in rows if r.late],
    )
