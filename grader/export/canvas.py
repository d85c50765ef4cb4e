"""Canvas gradebook import CSV.

Canvas's importer (GradebookImporter) reads a header whose first columns are ``Student``,
``ID``, ``SIS User ID``, ``SIS Login ID`` and, last of the student columns, ``Section``; every
further column is an assignment, matched by the id in ``Title (123)``, else by exact title, else
created. A row whose first cell says ``Points Possible`` sets the maximum of the columns. A
student is found by ``ID`` (Canvas's numeric user id), then SIS User ID, then SIS Login ID,
then by name.

Choices that follow: ``ID`` holds the roster's ``lms_id`` only when it is Canvas's numeric id;
an LTI user id there would be read as a number (Ruby's to_i) and could land on someone else.
SIS Login ID holds the email, the usual Canvas login; one that is not a login matches nobody.
Errored rows are left out: a blank cell clears a grade Canvas holds and a 0 would be a false
grade; leaving the student out keeps what Canvas has. Late rows are exported with the score as
graded (any penalty already taken) and noted. The file starts with a UTF-8 byte-order mark,
as Canvas's own exports offer, so spreadsheets read names right; the importer's header match
is not anchored, so it does not mind. The import CSV has no feedback column; its text cells
(names, sections, logins) pass the sanitiser like every CSV cell (``csvfile.text_cell``).
"""

from __future__ import annotations

import re
from pathlib import Path

from grader.errors import InputError
from grader.export import csvfile
from grader.export.common import (
    ExportNote,
    ExportOptions,
    ExportResult,
    late_text,
    points,
    points_possible,
    target_file,
    unique,
)
from grader.files import write_text_atomic
from grader.models.results import Results, SubmissionResult

HEADER = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
DEFAULT_NAME = "canvas-grades.csv"
_ENDS_WITH_ID = re.compile(r"\(\d+\)\s*$")


def column_title(results: Results, options: ExportOptions) -> str:
    """``Title (id)`` when Canvas's assignment id is known, else the title alone."""
    assignment_id = options.canvas_assignment_id
    if assignment_id is not None:
        if not assignment_id.isascii() or not assignment_id.isdigit():
            raise InputError(
                f"canvas_assignment_id {assignment_id!r}: Canvas assignment ids are digits "
                "(the number in the assignment's address)"
            )
        return f"{results.title} ({assignment_id})"
    if _ENDS_WITH_ID.search(results.title):
        raise InputError(
            f"title {results.title!r}: Canvas would read its last parentheses as an assignment "
            "id; give canvas_assignment_id"
        )
    return results.title


def canvas_user_id(row: SubmissionResult) -> str:
    """The ``ID`` cell: the lms_id only when it is Canvas's numeric user id."""
    lms_id = row.lms_id or ""
    return lms_id if lms_id.isascii() and lms_id.isdigit() else ""


def _notes(row: SubmissionResult) -> list[ExportNote]:
    notes = []
    if not (canvas_user_id(row) or row.sis_id or row.email):
        notes.append(
            ExportNote(
                row.student,
                excluded=False,
                reason="no Canvas user id, SIS id or email: Canvas can only match the name",
            )
        )
    for field, value in (("sis_id", row.sis_id), ("email", row.email)):
        if value and csvfile.is_formula(value):
            notes.append(
                ExportNote(
                    row.student,
                    excluded=False,
                    reason=f"{field} starts like a spreadsheet formula and was neutralised, "
                    "so Canvas will not match it",
                )
            )
    late = late_text(row)
    if late:
        notes.append(ExportNote(row.student, excluded=False, reason=late))
    return notes


def render(results: Results, options: ExportOptions) -> tuple[str, list[ExportNote]]:
    """The CSV text and the notes about its rows."""
    maximum = points_possible(results)
    header = [*HEADER, column_title(results, options)]
    graded = [r for r in results.submissions if r.status == "graded"]
    unique(((canvas_user_id(r), r) for r in graded if canvas_user_id(r)), "lms_id")
    unique(((r.sis_id, r) for r in graded if r.sis_id), "sis_id")
    unique(((r.email, r) for r in graded if r.email), "email")
    rows: list[list[str]] = []
    if options.canvas_points_possible:
        rows.append(["Points Possible", "", "", "", "", points(maximum)])
    notes: list[ExportNote] = []
    for row in results.submissions:
        if row.status != "graded":
            notes.append(
                ExportNote(
                    row.student,
                    excluded=True,
                    reason=f"grading failed ({row.error or 'no reason recorded'}); a blank cell "
                    "would clear the grade Canvas holds and a 0 would be a false grade",
                )
            )
            continue
        rows.append(
            [
                csvfile.text_cell(row.name or row.student),
                canvas_user_id(row),
                csvfile.text_cell(row.sis_id),
                csvfile.text_cell(row.email),
                csvfile.text_cell(row.section),
                points(row.score),
            ]
        )
        notes += _notes(row)
    return csvfile.render(header, rows, bom=True), notes


def export(results: Results, out: Path, options: ExportOptions) -> ExportResult:
    """Write the import file at ``out`` (a .csv) or ``out/canvas-grades.csv``."""
    text, notes = render(results, options)
    return ExportResult([write_text_atomic(target_file(out, (".csv",), DEFAULT_NAME), text)], notes)
