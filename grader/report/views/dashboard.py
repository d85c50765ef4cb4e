"""The instructor's class page: distributions first, then every student."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from types import MappingProxyType

from markupsafe import Markup

from grader.models.results import (
    Results,
    SubmissionResult,
)
from grader.release import level
from grader.report import svg
from grader.report.text import DASH, Moment, moment, visible
from grader.report.views.common import (
    criterion_status,
    href,
    late_note,
    page_stems,
    percent,
    points_of,
)
from grader.report.views.gradebook import (
    ClusterView,
    FlaggedView,
    ReleaseView,
    flagged_views,
    release_view,
    similarity_views,
)
from grader.units import format_bytes, format_points


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
    overridden: str | None  # "grader: 0 / 10" when the instructor's overrides changed it
    deadline: str | None  # "extension" or "own deadline" when not the class's


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
    release: ReleaseView
    overridden_count: int
    flagged: list[FlaggedView]
    clusters: list[ClusterView]
    similarity_threshold: str | None
    compared: str | None


_DEADLINE_BADGES = MappingProxyType({"roster": "own deadline", "extension": "extension"})


def _histogram(graded: Sequence[SubmissionResult]) -> Markup | None:
    if not graded:
        return None
    counts = [0] * 10
    for submission in graded:
        share = 100 * submission.score / submission.max_score if submission.max_score else 0
        counts[min(int(share // 10), 9)] += 1
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


def class_page(results: Results, moment_now: datetime | None = None) -> ClassPage:
    """The view of a whole class: distributions first, then every student.

    ``moment_now`` is when the release is judged (by default, now).
    """
    submissions = results.submissions
    stems = page_stems(submissions)
    task_columns: dict[str, str] = {}
    for submission in submissions:
        for task in submission.tasks:
            task_columns.setdefault(task.id, task.title)
    rows = []
    for submission, stem in zip(submissions, stems, strict=True):
        by_task = {t.id: t for t in submission.tasks}
        share = percent(submission.score, submission.max_score)
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
                href=href("students", stem),
                instructor_href=href("instructor", stem),
                points=points_of(submission.score, submission.max_score),
                score=submission.score,
                percent=share,
                meter=svg.meter(share / 100, "pass" if share == 100 else "score", width=48),
                tasks=cells,
                late=submission.late,
                late_note=late_note(submission, results),
                error=visible(submission.error or "error")
                if submission.status == "error"
                else None,
                commit=(submission.commit or "")[:12],
                commit_time=moment(submission.commit_time) if submission.commit_time else None,
                overridden=f"grader: {points_of(submission.automatic_score, submission.max_score)}"
                if submission.automatic_score is not None
                else None,
                deadline=_DEADLINE_BADGES.get(submission.deadline_source or "class"),
            )
        )
    hrefs = {row.student: row.instructor_href for row in rows}
    report = results.similarity
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
        release=release_view(results, level(results, moment_now or datetime.now(timezone.utc))),
        overridden_count=sum(1 for r in rows if r.overridden),
        flagged=flagged_views(results, hrefs),
        clusters=similarity_views(results, hrefs),
        similarity_threshold=f"{round(100 * report.threshold)} %" if report else None,
        compared=", ".join(f"{task}: {n}" for task, n in report.compared.items())
        if report
        else None,
    )
