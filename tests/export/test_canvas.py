"""Canvas gradebook import CSV, checked against what Canvas's importer reads."""

from __future__ import annotations

import csv
import io
import re

import pytest

from grader.errors import InputError
from grader.export import ExportOptions, export
from tests.export.helpers import HOSTILE_NAMES, row, with_rows

HEADER = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]


def exported(results, out, **options):
    written = export(results, "canvas-csv", out, ExportOptions(**options))
    raw = written[0].read_bytes()
    return written, raw, list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


def test_header_order_and_the_assignment_column_with_its_id(klass, tmp_path):
    written, raw, table = exported(klass, tmp_path, canvas_assignment_id="4711")
    assert written == [tmp_path / "canvas-grades.csv"]
    assert raw.startswith(b"\xef\xbb\xbfStudent,ID,SIS User ID,SIS Login ID,Section,")
    assert table[0] == [*HEADER, "Lesson 2.4: Multi-stage builds (4711)"]
    assert all(len(r) == len(table[0]) for r in table)
    assert b"\r\n" in raw


def test_without_an_id_the_column_is_the_title(klass, tmp_path):
    _, _, table = exported(klass, tmp_path / "g.csv")
    assert table[0][-1] == "Lesson 2.4: Multi-stage builds"


def test_assignment_ids_and_titles_canvas_would_misread_are_refused(klass, tmp_path):
    with pytest.raises(InputError, match="canvas_assignment_id '47a'"):
        exported(klass, tmp_path, canvas_assignment_id="47a")
    tricky = klass.model_copy(update={"title": "Lesson 2.4 (2026)"})
    with pytest.raises(InputError, match=re.escape("title 'Lesson 2.4 (2026)'")):
        exported(tricky, tmp_path)
    exported(tricky, tmp_path, canvas_assignment_id="12")  # fine with the id


def test_points_possible_row_is_optional(klass, tmp_path):
    _, _, table = exported(klass, tmp_path)
    assert table[1] == ["Points Possible", "", "", "", "", "100"]
    _, _, table = exported(klass, tmp_path, canvas_points_possible=False)
    assert table[1][0] == "Alice Archer"


def test_scores_equal_results_json_and_errored_rows_are_left_out(klass, tmp_path):
    written, _, table = exported(klass, tmp_path)
    students = {r[3]: r for r in table[2:]}
    for submission in klass.submissions:
        if submission.status == "error":
            assert submission.email not in students
            continue
        cells = students[submission.email]
        assert float(cells[-1]) == submission.score
        assert cells[2] == submission.sis_id
        assert cells[4] == submission.section
    assert [n.student for n in written.excluded] == ["erin"]
    assert "grading failed" in written.excluded[0].reason


def test_the_id_column_takes_only_canvas_numeric_user_ids(klass, tmp_path):
    # "lti-user-001" read as a number would be 0; a hex LTI id like 535fa0... would be 535
    numeric = with_rows(klass, alice={"lms_id": "1201"}, bob={"lms_id": "535fa085f22b"})
    _, _, table = exported(numeric, tmp_path)
    ids = {r[0]: r[1] for r in table[2:]}
    assert ids["Alice Archer"] == "1201"
    assert ids["Bob Baker"] == ""
    assert ids["Carol Cole"] == ""


def test_a_late_row_is_exported_and_noted(klass, tmp_path):
    written, _, table = exported(klass, tmp_path)
    dave = next(r for r in table if r[0] == "Dave Dune")
    assert dave[-1] == "90.18"
    assert row(klass, "dave").lms_id is None  # Canvas finds him by SIS User ID
    assert dave[2] == "S004"
    assert [n.student for n in written.notes if not n.excluded] == ["dave"]


def test_hostile_names_are_quoted_and_formulas_neutralised(hostile, tmp_path):
    _, raw, table = exported(hostile, tmp_path)
    text = raw.decode("utf-8-sig")
    assert '"Archer, ""Ali"" Alice"' in text
    assert '"Bob\nBaker"' in text
    names = {r[3]: r[0] for r in table[2:]}
    assert names["alice@example.edu"] == HOSTILE_NAMES["alice"]
    assert names["bob@example.edu"] == HOSTILE_NAMES["bob"]
    assert names["carol@example.edu"] == "'" + HOSTILE_NAMES["carol"]
    assert names["mallory@example.edu"] == "'" + HOSTILE_NAMES["mallory"]
    for cells in table:
        assert not any(c.startswith(("=", "+", "@", "\t", "\r")) for c in cells)
        assert not any(c.startswith("-") and not c[1:].replace(".", "").isdigit() for c in cells)


def test_identifiers_that_look_like_formulas_are_noted(klass, tmp_path):
    odd = with_rows(klass, bob={"sis_id": "-S002"}, carol={"sis_id": None, "email": None})
    written, _, table = exported(odd, tmp_path)
    bob = next(r for r in table if r[0] == "Bob Baker")
    assert bob[2] == "'-S002"
    reasons = {n.student: n.reason for n in written.notes}
    assert "neutralised" in reasons["bob"]
    assert "only match the name" in reasons["carol"]


def test_non_ascii_names_survive_as_utf8(klass, tmp_path):
    accented = with_rows(klass, alice={"name": "Åsa Öberg-Nguyễn"})
    _, raw, table = exported(accented, tmp_path)
    assert "Åsa Öberg-Nguyễn".encode() in raw
    assert table[2][0] == "Åsa Öberg-Nguyễn"


def test_duplicate_sis_ids_are_refused(klass, tmp_path):
    twins = with_rows(klass, bob={"sis_id": "S001"})
    with pytest.raises(InputError, match="submission 'bob': sis_id 'S001' is also 'alice'"):
        exported(twins, tmp_path)
