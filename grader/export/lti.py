r"""LTI 1.3 Assignment and Grade Services: Score objects and the line item they go to.

Rules followed (1EdTech "LTI Assignment and Grade Services 2.0", Score publish service):
``userId`` is the platform's LTI user id, so it comes from the roster's ``lms_id``; rows without
one cannot be addressed and are left out, and reported. ``scoreMaximum`` is positive and present
with ``scoreGiven``; ``comment`` is plain text, through the sanitiser (an escape sequence or a
bidi override spelled out, ``\u202e``); ``timestamp`` is ISO 8601 with sub-second precision and
a zone, the time the score was made (the row's ``graded_at``), because a platform refuses a
score older than the one it holds (Moodle answers 409). Graded rows are
``Completed``/``FullyGraded``: only FullyGraded scores become final grades. While a planned
release has not come, they are ``PendingManual`` (the spec: the value may still change by a
person's decision), which is what an unreleased gradebook is; at 'received', without a score.

Errored rows are sent as ``gradingProgress: Failed`` with no ``scoreGiven`` and the reason in the
comment: the spec's meaning of Failed is "the grading could not complete", which is what
happened, and a 0 would be a false grade. Canvas ignores scoreGiven unless FullyGraded; Moodle
clears the grade it held for that user, so it stays visibly ungraded until the row is graded
again. Late rows carry their score as results.json has it (any penalty already taken) and say
so in the comment; ``submission.submittedAt`` is the graded commit's time (Canvas's Score API),
so a platform's own late policy judges when the work was committed, not when it was posted.

Files: the scores as a JSON array and as JSON Lines (one POST body per line), and the line item.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

from grader.export.common import (
    ExportNote,
    ExportOptions,
    ExportResult,
    feedback_text,
    iso_timestamp,
    late_text,
    plain_text,
    points_possible,
    unique,
)
from grader.files import write_text_atomic
from grader.models.exports import GradingProgress, LtiLineItem, LtiScore, LtiSubmission
from grader.models.results import Results, SubmissionResult
from grader.release import level

SCORE_MEDIA_TYPE = "application/vnd.ims.lis.v1.score+json"
LINE_ITEM_MEDIA_TYPE = "application/vnd.ims.lis.v2.lineitem+json"


def line_item(results: Results) -> LtiLineItem:
    """The gradebook column: titled as the assignment, with the rubric's maximum."""
    return LtiLineItem(
        label=plain_text(results.title),
        scoreMaximum=points_possible(results),
        resourceId=results.assignment,
        tag="grade",
        endDateTime=None if results.deadline is None else iso_timestamp(results.deadline),
    )


def score(results: Results, row: SubmissionResult, maximum: float) -> LtiScore:
    """One row as a Score out of the column's ``maximum`` (rows without lms_id are left out).

    Before the release the grade is PendingManual (the instructor has yet to release it), and
    at the 'received' level it carries no score.
    """
    failed = row.status == "error"
    moment = datetime.now(timezone.utc)
    shown = level(results, moment)
    pending = results.release.pending(moment)
    progress: GradingProgress = "PendingManual" if pending else "FullyGraded"
    return LtiScore(
        userId=row.lms_id or "",
        scoreGiven=None if failed or shown == "received" else row.score,
        scoreMaximum=maximum,
        comment=feedback_text(results, row, moment=moment),
        timestamp=iso_timestamp(row.graded_at or results.graded_at),
        activityProgress="Completed",
        gradingProgress="Failed" if failed else progress,
        submission=None
        if row.commit_time is None
        else LtiSubmission(submittedAt=iso_timestamp(row.commit_time)),
    )


def scores(results: Results) -> tuple[list[LtiScore], list[ExportNote]]:
    """The Score of every row that has an LMS id, and a note for every row treated specially."""
    maximum = points_possible(results)
    addressed = [r for r in results.submissions if r.lms_id]
    unique(((r.lms_id or "", r) for r in addressed), "lms_id")
    notes: list[ExportNote] = []
    made: list[LtiScore] = []
    for row in results.submissions:
        if not row.lms_id:
            notes.append(
                ExportNote(row.student, excluded=True, reason="no lms_id in the roster: no userId")
            )
            continue
        if row.status == "error":
            notes.append(
                ExportNote(
                    row.student,
                    excluded=False,
                    reason="grading failed; sent as gradingProgress Failed with no score and the "
                    "reason in the comment (Moodle clears the grade it held)",
                )
            )
        late = late_text(row)
        if late:
            notes.append(ExportNote(row.student, excluded=False, reason=late))
        made.append(score(results, row, maximum))
    return made, notes


def _body(model: LtiScore | LtiLineItem) -> dict[str, object]:
    return model.model_dump(mode="json", exclude_none=True)


def _paths(out: Path) -> tuple[Path, Path, Path]:
    """(array, JSON Lines, line item): beside a named .json/.jsonl file, or in a directory."""
    if out.suffix.lower() in (".json", ".jsonl") and not out.is_dir():
        stem = out.with_suffix("")
        return stem.with_suffix(".json"), stem.with_suffix(".jsonl"), Path(f"{stem}.lineitem.json")
    return out / "scores.json", out / "scores.jsonl", out / "lineitem.json"


def export(results: Results, out: Path, options: ExportOptions) -> ExportResult:
    """Write the scores (array and JSON Lines) and the line item."""
    item = line_item(results)
    made, notes = scores(results)
    bodies = [_body(s) for s in made]
    array_path, lines_path, item_path = _paths(out)
    written = [
        write_text_atomic(array_path, json.dumps(bodies, indent=2, ensure_ascii=False) + "\n"),
        write_text_atomic(
            lines_path, "".join(json.dumps(b, ensure_ascii=False) + "\n" for b in bodies)
        ),
        write_text_atomic(item_path, json.dumps(_body(item), indent=2, ensure_ascii=False) + "\n"),
    ]
    return ExportResult(written, notes)
