"""What every export shares: options, the result with its row notes, paths, text and numbers."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Literal

from pydantic import Field

from grader.errors import InputError
from grader.models.base import Frozen
from grader.models.results import Results, SubmissionResult
from grader.release import StudentCopy, student_copy
from grader.sanitizer import for_data, for_terminal
from grader.units import format_points


class ExportOptions(Frozen):
    """Settings the formats need that results do not carry."""

    canvas_assignment_id: str | None = Field(
        default=None, description="Canvas's id of the assignment, for the column title."
    )
    moodle_identifier: Literal["email", "username", "idnumber"] = Field(
        default="email", description="Which Moodle user field identifies students."
    )
    hidden: Literal["hidden", "after_due_date"] = Field(
        default="after_due_date", description="Gradescope visibility of hidden criteria."
    )
    canvas_points_possible: bool = Field(
        default=True,
        description="Add Canvas's 'Points Possible' row, so a new column gets the right maximum.",
    )


@dataclass(frozen=True)
class ExportNote:
    """A row an export left out, or wrote differently from a plain graded row, and why."""

    student: str
    excluded: bool
    reason: str

    def __str__(self) -> str:
        # For the command line to print: the reason may quote a student's error message.
        text = f"{self.student}: {'left out' if self.excluded else 'note'}: {self.reason}"
        return for_terminal(text)


class ExportResult(list[Path]):
    """The files written, in order, and the notes about rows, for the command line to print.

    A list of paths, so callers that only want the files need not know about the notes.
    """

    def __init__(self, paths: Iterable[Path] = (), notes: Iterable[ExportNote] = ()) -> None:
        super().__init__(paths)
        self.notes: tuple[ExportNote, ...] = tuple(notes)

    @property
    def excluded(self) -> tuple[ExportNote, ...]:
        """The notes about rows that are not in the files."""
        return tuple(n for n in self.notes if n.excluded)


def target_file(out: Path, suffixes: tuple[str, ...], default_name: str) -> Path:
    """``out`` itself when it names a file of this format, else ``out/default_name``.

    An existing directory is always a directory, so a folder named like ``grades.csv`` is safe.
    """
    if out.suffix.lower() in suffixes and not out.is_dir():
        return out
    return out / default_name


def points(value: float) -> str:
    """A score as a gradebook cell: 32.72, 100 (never 1e-05, never a comma)."""
    return format_points(value)


def check_scores(row: SubmissionResult) -> None:
    """Refuse numbers no gradebook can take, naming the row and the field."""
    for field, value in (("score", row.score), ("max_score", row.max_score)):
        if not math.isfinite(value) or value < 0:
            raise InputError(f"submission {row.student!r}: {field} {value} is not a valid score")


def points_possible(results: Results) -> float:
    """The one maximum a gradebook column has: every graded row must agree on it."""
    graded = [r for r in results.submissions if r.status == "graded"] or [
        r for r in results.submissions if r.max_score > 0
    ]
    if not graded:
        raise InputError("results: no submission has a maximum score to export")
    for row in results.submissions:
        check_scores(row)
    first = graded[0]
    for row in graded[1:]:
        if row.max_score != first.max_score:
            raise InputError(
                f"submission {row.student!r}: max_score {points(row.max_score)} differs from "
                f"{points(first.max_score)} ({first.student!r}); one gradebook column has one "
                "maximum (grade the class with the same rubric and tasks)"
            )
    if first.max_score <= 0:
        raise InputError(f"submission {first.student!r}: max_score must be positive")
    return first.max_score


def unique(rows: Iterable[tuple[str, SubmissionResult]], field: str) -> None:
    """Two rows with one identifier would overwrite each other in the gradebook: refuse."""
    seen: dict[str, str] = {}
    for key, row in rows:
        if key in seen:
            raise InputError(
                f"submission {row.student!r}: {field} {key!r} is also {seen[key]!r}'s; "
                "each student needs their own"
            )
        seen[key] = row.student


def iso_timestamp(moment: datetime) -> str:
    """ISO 8601 with milliseconds and an offset, as AGS asks; a zone-less time is taken as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.isoformat(timespec="milliseconds")


def plain_text(text: str) -> str:
    r"""Text a gradebook shows as written: \n lines, the rest spelled out (``\u001b[31m``).

    Escape sequences, bidi overrides and the like are shown, not dropped, so feedback says
    what the program printed; which characters these are is the sanitiser's table.
    """
    return for_data(text)


def clip(text: str, limit: int) -> str:
    """At most ``limit`` characters, saying so when something was cut."""
    if len(text) <= limit:
        return text
    marker = "\n… (cut; the full feedback is in the HTML report)"
    return text[: limit - len(marker)].rstrip() + marker


def late_text(row: SubmissionResult) -> str | None:
    """What lateness means for this row, or None when it was on time."""
    grace = ""
    if row.grace_days:
        free = min(row.late_days, row.grace_days)
        grace = f", {free} of them within your {row.grace_days} grace day" + (
            "s" if row.grace_days != 1 else ""
        )
    if row.late_days > 0:
        days = f"{row.late_days} day{'s' if row.late_days != 1 else ''}"
        return f"Late: {days} after the deadline{grace}; penalty {points(row.penalty)} points."
    if row.late:
        return (
            "Late commits: commits newer than the deadline exist and were not graded; "
            "the last commit before the deadline was."
        )
    return None


def deadline_text(row: SubmissionResult) -> str | None:
    """Which deadline applied, and why, in the student's words."""
    if row.deadline is None:
        return None
    when = row.deadline.strftime("%Y-%m-%d %H:%M %Z").strip()
    why = {
        "class": "the class deadline",
        "roster": "your own deadline",
        "extension": "the class deadline with your extension",
    }.get(row.deadline_source or "class", "the deadline")
    return f"Deadline: {when} ({why})."


def override_lines(copy: StudentCopy) -> list[str]:
    """The instructor's decisions on a row, as its student may read them."""
    lines = []
    for record in copy.row.overrides:
        reason = f" Reason: {' '.join(record.reason.split())}" if record.reason else ""
        if record.kind in ("points", "verdict"):
            lines.append(
                f"Changed by your instructor: {record.task}/{record.criterion} "
                f"{record.verdict or points(record.points or 0)}.{reason}"
            )
        elif record.kind == "adjustment":
            sign = "+" if (record.adjustment or 0) > 0 else ""
            lines.append(
                f"Adjusted by your instructor: {sign}{points(record.adjustment or 0)} points."
                f"{reason}"
            )
        if record.comment:
            about = f" on {record.task}" if record.kind == "comment" and record.task else ""
            lines.append(f"Comment from your instructor{about}: {record.comment.strip()}")
    return lines


def feedback_text(
    results: Results, row: SubmissionResult, *, limit: int = 4000, moment: datetime | None = None
) -> str:
    """Plain-text feedback a student may read: what the release allows at ``moment`` (now).

    Before the release, hidden criteria count in the score but are never described, as on the
    student's HTML page; at 'received', not even the score is given.
    """
    copy = student_copy(results, row, moment or datetime.now(timezone.utc))
    shown = copy.row
    if row.status == "error":
        lines = [
            f"{results.title}: not graded",
            f"Grading could not complete: {row.error or 'no reason recorded'}",
            "This is not a grade for your work; it will be graded again.",
        ]
    elif not copy.shows_score:
        lines = [f"{results.title}: received"]
    else:
        lines = [f"{results.title}: {points(shown.score)} / {points(shown.max_score)} points"]
    if row.commit:
        lines.append(f"Commit graded: {row.commit[:12]}")
    lines += [t for t in (deadline_text(row), late_text(row)) if t]
    if copy.level != "full":
        when = copy.release_at.strftime("%Y-%m-%d %H:%M %Z").strip() if copy.release_at else None
        lines.append(f"Full feedback will be released{f' on {when}' if when else ' later'}.")
    lines += override_lines(copy)
    hidden = 0 if copy.level == "full" else sum(c.hidden for t in row.tasks for c in t.criteria)
    for task in shown.tasks if copy.shows_score else ():
        lines += ["", f"{task.id} {task.title}: {points(task.score)} / {points(task.max_score)}"]
        if task.error and copy.shows_criteria:
            lines.append(f"  {task.error.strip()}")
        for criterion in task.criteria:
            if criterion.passed:
                continue
            lines.append(
                f"  - {criterion.title} ({points(criterion.score)} / "
                f"{points(criterion.max_score)}): {criterion.message.strip()}"
            )
            if criterion.hint and criterion.hint.strip():
                lines.append(f"    Hint: {' '.join(criterion.hint.split())}")
    if hidden and copy.shows_criteria:
        lines += ["", f"{hidden} hidden check{'s are' if hidden != 1 else ' is'} not shown."]
    return clip(plain_text("\n".join(lines)), limit)
