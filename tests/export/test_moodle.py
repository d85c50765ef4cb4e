"""Moodle "Import grades from CSV": an identifier, and grade and feedback side by side."""

from __future__ import annotations

import csv
import html
import io
import re

import pytest

from grader.errors import InputError
from grader.export import ExportOptions, export
from tests.export.helpers import row, with_rows

TITLE = "Lesson 2.4: Multi-stage builds"


def exported(results, out, **options):
    written = export(results, "moodle-csv", out, ExportOptions(**options))
    raw = written[0].read_bytes()
    return written, raw, list(csv.reader(io.StringIO(raw.decode("utf-8"), newline="")))


@pytest.mark.parametrize(
    ("identifier", "header", "alice"),
    [
        ("email", "Email address", "alice@example.edu"),
        ("username", "Username", "alice"),
        ("idnumber", "ID number", "S001"),
    ],
)
def test_the_identifier_column_follows_the_option(klass, tmp_path, identifier, header, alice):
    written, _, table = exported(klass, tmp_path, moodle_identifier=identifier)
    assert written == [tmp_path / "moodle-grades.csv"]
    assert table[0] == [header, TITLE, f"{TITLE} (feedback)"]
    assert table[1][0] == alice


def test_every_row_has_its_grade_and_its_feedback(klass, tmp_path):
    written, _, table = exported(klass, tmp_path)
    rows = {r[0]: r for r in table[1:]}
    for submission in klass.submissions:
        if submission.status == "error":
            assert submission.email not in rows
            continue
        _, grade, feedback = rows[submission.email]
        assert float(grade) == submission.score
        assert feedback.startswith(f"{TITLE}: ")  # never feedback alone, never grade alone
    assert [n.student for n in written.excluded] == ["erin"]


def test_feedback_is_escaped_for_moodles_html_text_format(klass, tmp_path):
    _, _, table = exported(klass, tmp_path)
    feedback = next(r[2] for r in table if r[0] == "mallory@example.edu")
    assert "&lt;script&gt;alert('pwned')&lt;/script&gt;" in feedback
    assert "<script>" not in feedback
    assert html.unescape(feedback).count("<script>") == 1
    assert "\x1b" not in feedback


def test_rows_without_the_identifier_are_left_out_and_reported(klass, tmp_path):
    missing = with_rows(klass, bob={"sis_id": None})
    written, _, table = exported(missing, tmp_path, moodle_identifier="idnumber")
    assert "S002" not in {r[0] for r in table}
    assert {n.student for n in written.excluded} == {"bob", "erin"}
    assert "no idnumber" in next(n.reason for n in written.excluded if n.student == "bob")


def test_an_identifier_a_spreadsheet_would_run_is_left_out(klass, tmp_path):
    odd = with_rows(klass, bob={"email": "=HYPERLINK(1)"})
    written, raw, _ = exported(odd, tmp_path)
    assert b"HYPERLINK" not in raw
    assert "formula" in next(n.reason for n in written.excluded if n.student == "bob")


def test_an_identifier_with_control_characters_is_left_out(klass, tmp_path):
    # spelling it out would stop it matching, like neutralising a formula
    odd = with_rows(klass, bob={"email": "bob\u202e@example.edu"})
    written, raw, table = exported(odd, tmp_path)
    assert "\u202e".encode() not in raw
    assert not [r for r in table[1:] if r[0].startswith("bob")]
    assert "control" in next(n.reason for n in written.excluded if n.student == "bob")


def test_a_formula_in_the_feedback_is_neutralised(klass, tmp_path):
    odd = klass.model_copy(update={"title": "=1+1 lesson"})
    _, _, table = exported(odd, tmp_path)
    assert table[0][1] == "'=1+1 lesson"
    assert all(r[2].startswith("'=1+1 lesson: ") for r in table[1:])


def test_utf8_without_byte_order_mark(klass, tmp_path):
    accented = with_rows(klass, alice={"email": "åsa@example.edu"})
    _, raw, table = exported(accented, tmp_path)
    assert raw.startswith(b"Email address,")
    assert "åsa@example.edu".encode() in raw
    assert table[1][0] == "åsa@example.edu"


def test_a_late_row_keeps_its_score_and_says_so(klass, tmp_path):
    written, _, table = exported(klass, tmp_path)
    dave = next(r for r in table if r[0] == "dave@example.edu")
    assert float(dave[1]) == row(klass, "dave").score
    assert "Late commits" in dave[2]
    assert any(n.student == "dave" and not n.excluded for n in written.notes)


def test_two_rows_for_one_moodle_user_are_refused(klass, tmp_path):
    twins = with_rows(klass, bob={"email": "alice@example.edu"})
    with pytest.raises(InputError, match=re.escape("email 'alice@example.edu' is also 'alice'")):
        exported(twins, tmp_path)
