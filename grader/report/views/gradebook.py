"""The gradebook on the pages: the instructor's overrides, deadlines, the release, similarity.

Student pages get these from the student's copy (``grader.release``), so what a student reads
here is already what the release allows; instructors' pages add private reasons, flags and
roster notes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from markupsafe import Markup

from grader.models.results import AppliedOverride, CriterionResult, Results, SubmissionResult
from grader.release import LEVEL_WORDS, Level
from grader.report.text import Moment, moment, visible
from grader.units import format_points

_WHY = MappingProxyType(
    {
        "class": "the class deadline",
        "roster": "an own deadline, from the roster",
        "extension": "the class deadline with an extension, from the roster",
    }
)


@dataclass(frozen=True)
class OverrideView:
    """One decision of the instructor's, as this reader may see it."""

    kind: str
    what: str
    reason: Markup | None
    comment: Markup | None
    private: bool
    flag: Markup | None
    at: Moment
    applied: bool


def _what(record: AppliedOverride) -> str:
    if record.kind == "points":
        return (
            f"{record.task} / {record.criterion}: set to {format_points(record.points or 0)} points"
        )
    if record.kind == "verdict":
        return f"{record.task} / {record.criterion}: marked {record.verdict}"
    if record.kind == "adjustment":
        amount = record.adjustment or 0
        return f"Total adjusted by {'+' if amount > 0 else ''}{format_points(amount)} points"
    return f"Comment on {record.task}" if record.task else "Comment"


def override_views(row: SubmissionResult, *, instructor: bool) -> list[OverrideView]:
    """The row's overrides; a student's row holds only what its student may read."""
    return [
        OverrideView(
            kind=record.kind,
            what=_what(record),
            reason=visible(record.reason) if record.reason else None,
            comment=visible(record.comment) if record.comment else None,
            private=record.private and instructor,
            flag=visible(record.flag) if record.flag and instructor else None,
            at=moment(record.at),
            applied=record.applied,
        )
        for record in row.overrides
    ]


def criterion_change(criterion: CriterionResult) -> str | None:
    """What an override did to a criterion, in one line."""
    automatic = criterion.automatic
    if automatic is None:
        return None
    was = f"{format_points(automatic.score)} / {format_points(criterion.max_score)}"
    return f"Scored by the instructor; grader's own check gave {was}."


@dataclass(frozen=True)
class DeadlineView:
    """Which deadline applied to a row, and why."""

    at: Moment
    why: str
    note: Markup | None
    grace: str | None


def deadline_view(
    row: SubmissionResult, results: Results, *, instructor: bool
) -> DeadlineView | None:
    """The row's own deadline (instructors also see the roster's note on it).

    Rows graded before rows had deadlines of their own have the class's.
    """
    deadline = row.deadline or results.deadline
    if deadline is None:
        return None
    grace = None
    if row.grace_days:
        grace = f"{row.grace_days} grace day{'s' if row.grace_days != 1 else ''} without penalty"
    return DeadlineView(
        at=moment(deadline),
        why=_WHY.get(row.deadline_source or "class", "the deadline"),
        note=visible(row.deadline_note) if instructor and row.deadline_note else None,
        grace=grace,
    )


@dataclass(frozen=True)
class ReleaseView:
    """Where the release stands: what students see now, and from when everything."""

    released: bool
    shows: str
    at: Moment | None
    held: bool


def release_view(results: Results, level: Level) -> ReleaseView:
    """The release as a sentence's parts, for the notice on each page."""
    release = results.release
    return ReleaseView(
        released=level == "full",
        shows=LEVEL_WORDS[level],
        at=moment(release.at) if release.at else None,
        held=release.held,
    )


@dataclass(frozen=True)
class Member:
    """A student in a cluster, linked to their instructor's copy."""

    student: str
    href: str


@dataclass(frozen=True)
class ClusterView:
    """Alike submissions of one task."""

    task: str
    members: list[Member]
    score: str
    identical: bool
    groups: int


def similarity_views(results: Results, hrefs: Mapping[str, str]) -> list[ClusterView]:
    """The similarity report's clusters, biggest first within each task."""
    report = results.similarity
    if report is None:
        return []
    return [
        ClusterView(
            task=cluster.task,
            members=[Member(s, hrefs.get(s, "")) for s in cluster.students],
            score=f"{round(100 * cluster.score)} %",
            identical=cluster.identical,
            groups=len(cluster.groups),
        )
        for cluster in report.clusters
    ]


@dataclass(frozen=True)
class FlaggedView:
    """An override to look at again."""

    student: str
    href: str
    line: int | None
    flag: Markup


def flagged_views(results: Results, hrefs: Mapping[str, str]) -> list[FlaggedView]:
    """Every flagged override of the class, in roster order."""
    return [
        FlaggedView(row.student, hrefs.get(row.student, ""), record.line, visible(record.flag))
        for row in results.submissions
        for record in row.overrides
        if record.flag
    ]
