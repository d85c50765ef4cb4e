"""Moodle "Import grades from CSV".

Moodle's CSV grade import maps each column by hand on its preview page: one column identifies
the user (email address, username or ID number, "Map from" to "Map to"), the others go to a grade
item or to its feedback. Moodle's documentation warns that importing feedback overwrites the
grades of that item, and that an item imported with feedback alone loses its grades; so the file
always carries the grade and its feedback side by side, for every row it holds.

Choices that follow: rows without the chosen identifier cannot be matched and are left out, and
reported; so are identifiers a spreadsheet would take for a formula, or that hold characters
the sanitiser spells out (changing them would stop them matching). Errored rows are left out:
an empty grade beside feedback would be imported as "no grade" and a 0 would be a false grade.
Late rows keep the score as graded and say so in the feedback. Moodle stores imported feedback
as Moodle-format text, which is HTML, so the plain-text feedback (sanitised, like every text
cell) is HTML-escaped to show exactly as written. The file is UTF-8 without a byte-order mark,
Moodle's default import encoding (the importer strips one anyway).
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType

from grader.export import csvfile
from grader.export.common import (
    ExportNote,
    ExportOptions,
    ExportResult,
    feedback_text,
    late_text,
    points,
    points_possible,
    target_file,
    unique,
)
from grader.files import write_text_atomic
from grader.models.results import Results, SubmissionResult
from grader.sanitizer import for_data

DEFAULT_NAME = "moodle-grades.csv"
# The column titles of Moodle's own grade export, which its import preview offers to map.
IDENTIFIER_HEADERS: Mapping[str, str] = MappingProxyType(
    {"email": "Email address", "username": "Username", "idnumber": "ID number"}
)


def identifier(row: SubmissionResult, options: ExportOptions) -> str | None:
    """The user field Moodle matches on: email, the roster's student id, or the SIS id."""
    if options.moodle_identifier == "email":
        return row.email
    if options.moodle_identifier == "username":
        return row.student
    return row.sis_id


def _left_out(row: SubmissionResult, ident: str | None, field: str) -> str | None:
    """Why a row cannot be in the file, or None when it can."""
    if row.status != "graded":
        return f"grading failed ({row.error or 'no reason recorded'}); a 0 would be a false grade"
    if not ident:
        return f"no {field} in the roster, so Moodle cannot match the row"
    if csvfile.is_formula(ident):
        return f"{field} starts like a spreadsheet formula, so it cannot be written as is"
    if for_data(ident) != ident:
        return f"{field} holds control or invisible characters, so it cannot be written as is"
    return None


def render(results: Results, options: ExportOptions) -> tuple[str, list[ExportNote]]:
    """The CSV text and the notes about its rows."""
    points_possible(results)  # one grade item, one maximum
    title = results.title
    header = [IDENTIFIER_HEADERS[options.moodle_identifier], title, f"{title} (feedback)"]
    field = options.moodle_identifier
    rows: list[list[str]] = []
    notes: list[ExportNote] = []
    kept: list[tuple[str, SubmissionResult]] = []
    for row in results.submissions:
        ident = identifier(row, options)
        reason = _left_out(row, ident, field)
        if reason is not None or ident is None:
            notes.append(ExportNote(row.student, excluded=True, reason=reason or ""))
            continue
        kept.append((ident, row))
        feedback = html.escape(feedback_text(results, row), quote=False)
        rows.append([ident, points(row.score), csvfile.text_cell(feedback)])
        late = late_text(row)
        if late:
            notes.append(ExportNote(row.student, excluded=False, reason=late))
    unique(kept, field)
    return csvfile.render(header, rows, bom=False), notes


def export(results: Results, out: Path, options: ExportOptions) -> ExportResult:
    """Write the import file at ``out`` (a .csv) or ``out/moodle-grades.csv``."""
    text, notes = render(results, options)
    return ExportResult([write_text_atomic(target_file(out, (".csv",), DEFAULT_NAME), text)], notes)
