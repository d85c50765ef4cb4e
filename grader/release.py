"""What a student's copy holds: before the feedback is released, only what the instructor chose.

Every copy that reaches a student (the HTML page and JSON in ``students/``, the comments in the
exports) is made from ``student_copy``, so the release rule is in one place. Scores are the
gradebook's as it stands, overrides included, at every level that shows one; what waits for the
release is detail: the hidden criteria, the reasons the instructor gave and their comments.
Instructors' copies always hold everything, their private reasons and flags too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from typing import Literal

from grader.models.results import AppliedOverride, Results, SubmissionResult
from grader.scoring import student_view

Level = Literal["received", "score", "feedback", "full"]
LEVEL_WORDS = MappingProxyType(
    {
        "received": "only that your submission was received",
        "score": "your score",
        "feedback": "your score and the feedback of the visible checks",
        "full": "everything",
    }
)


@dataclass(frozen=True)
class StudentCopy:
    """A row as its student may see it, and how much of it that is."""

    level: Level
    row: SubmissionResult
    release_at: datetime | None

    @property
    def shows_score(self) -> bool:
        """Whether the copy shows any points."""
        return self.level != "received"

    @property
    def shows_criteria(self) -> bool:
        """Whether the copy lists criteria with their feedback."""
        return self.level in ("feedback", "full")


def level(results: Results, moment: datetime) -> Level:
    """How much students see at ``moment``."""
    return "full" if results.release.released(moment) else results.release.before


def _for_student(record: AppliedOverride, *, full: bool) -> AppliedOverride | None:
    """An override as its student sees it: what changed, and why once released, unless private."""
    if not record.applied:
        return None
    keep_reason = full and not record.private
    return record.model_copy(
        update={
            "reason": record.reason if keep_reason else None,
            "comment": record.comment if full else None,
            "seen": None,
            "flag": None,
            "line": None,
        }
    )


def student_copy(results: Results, row: SubmissionResult, moment: datetime) -> StudentCopy:
    """The student's own copy of their row at ``moment``."""
    shown = level(results, moment)
    full = shown == "full"
    visible = row if full else student_view(row)
    hidden = {(t.id, c.id) for t in row.tasks for c in t.criteria if c.hidden}
    records = [
        record
        for record in (_for_student(o, full=full) for o in row.overrides)
        if record is not None
        and (full or (record.kind != "comment" and (record.task, record.criterion) not in hidden))
    ]
    details: dict[str, object] = {"sources": {}}
    if shown in ("received", "score"):
        details |= {"criteria": [], "analysis": None, "dockerfile_text": None}
        details |= {"build": None, "image": None, "run": None}
    tasks = [t.model_copy(update=details) for t in visible.tasks]
    copy = visible.model_copy(update={"overrides": records, "deadline_note": None, "tasks": tasks})
    return StudentCopy(level=shown, row=copy, release_at=results.release.at)


def for_students(results: Results, copy: StudentCopy) -> dict[str, object]:
    """The document a student's JSON holds: their copy, trimmed to the level.

    Below 'score' it has no points; below 'feedback' no tasks' details. It is a display of the
    results, not the record, so fields are left out rather than filled with made-up values.
    """
    document = results.model_copy(update={"submissions": [copy.row]}).model_dump(
        mode="json", exclude={"similarity", "overrides_sha256"}
    )
    row = document["submissions"][0]
    row.pop("automatic_score", None)
    for task in row.get("tasks", []):
        task.pop("sources", None)
    if copy.level == "received":
        for key in ("score", "max_score", "penalty", "adjustment", "overrides"):
            row.pop(key, None)
        row["tasks"] = [{"id": t["id"], "title": t["title"]} for t in row.get("tasks", [])]
    elif copy.level == "score":
        row["tasks"] = [
            {k: t[k] for k in ("id", "title", "score", "max_score")} for t in row.get("tasks", [])
        ]
    document["released"] = copy.level == "full"
    document["shows"] = copy.level
    return document
