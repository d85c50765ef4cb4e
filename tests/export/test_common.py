"""The export entry point and what every format shares: paths, numbers, text, refusals."""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from grader.errors import InputError
from grader.export import FORMATS, ExportNote, ExportOptions, ExportResult, export
from grader.export.common import (
    feedback_text,
    iso_timestamp,
    plain_text,
    points,
    points_possible,
    target_file,
)
from tests.export.helpers import row, with_hidden, with_rows


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_is_registered_and_returns_the_files_it_wrote(klass, tmp_path, fmt):
    written = export(klass, fmt, tmp_path / fmt, ExportOptions())
    assert isinstance(written, ExportResult)
    assert isinstance(written, list)
    assert written
    assert all(p.is_file() for p in written)
    assert all(isinstance(n, ExportNote) for n in written.notes)
    assert not list(tmp_path.rglob("*.tmp")), "atomic writes leave no temporary files"


def test_an_unknown_format_or_an_empty_class_is_bad_input(klass, tmp_path):
    with pytest.raises(InputError, match="format 'xlsx'"):
        export(klass, "xlsx", tmp_path, ExportOptions())
    empty = klass.model_copy(update={"submissions": []})
    with pytest.raises(InputError, match="no submissions"):
        export(empty, "canvas-csv", tmp_path, ExportOptions())


def test_an_unwritable_destination_is_bad_input_not_a_traceback(klass, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(InputError, match="cannot write"):
        export(klass, "canvas-csv", blocker / "sub" / "grades.csv", ExportOptions())


def test_notes_print_as_one_line_each():
    assert str(ExportNote("dave", excluded=True, reason="no lms_id")) == "dave: left out: no lms_id"
    assert str(ExportNote("dave", excluded=False, reason="late")) == "dave: note: late"
    result = ExportResult([Path("a")], [ExportNote("a", True, "x"), ExportNote("b", False, "y")])
    assert [n.student for n in result.excluded] == ["a"]
    assert result == [Path("a")]


def test_out_is_a_file_only_when_it_ends_in_the_formats_suffix(tmp_path):
    assert target_file(tmp_path / "g.csv", (".csv",), "d.csv") == tmp_path / "g.csv"
    assert target_file(tmp_path / "G.CSV", (".csv",), "d.csv") == tmp_path / "G.CSV"
    assert target_file(tmp_path / "export-2026.12", (".csv",), "d.csv") == (
        tmp_path / "export-2026.12" / "d.csv"
    )
    folder = tmp_path / "looks-like.csv"
    folder.mkdir()
    assert target_file(folder, (".csv",), "d.csv") == folder / "d.csv"


def test_points_are_plain_decimals():
    assert [points(x) for x in (100.0, 32.72, 0.0, 2.5, 1e-7)] == ["100", "32.72", "0", "2.5", "0"]


def test_timestamps_have_milliseconds_and_a_zone():
    moment = datetime(2026, 11, 28, 5, 45, 17, tzinfo=timezone.utc)
    assert iso_timestamp(moment) == "2026-11-28T05:45:17.000+00:00"
    assert iso_timestamp(moment.replace(tzinfo=None)) == "2026-11-28T05:45:17.000+00:00"
    plus_one = moment.astimezone(timezone(timedelta(hours=1)))
    assert iso_timestamp(plus_one) == "2026-11-28T06:45:17.000+01:00"


def test_plain_text_spells_out_escapes_and_control_characters():
    # shown as the program printed them, not dropped: feedback says what was graded
    assert plain_text("\x1b[31mred\x1b[0m & <b>\r\nnext\x07") == (
        "\\u001b[31mred\\u001b[0m & <b>\nnext\\u0007"
    )
    assert plain_text("50%\r100%\u202e") == "50%\\u000d100%\\u202e"


def test_a_class_with_two_maximums_cannot_fill_one_column(klass):
    mixed = with_rows(klass, bob={"max_score": 75.0})
    with pytest.raises(InputError, match=r"submission 'bob': max_score 75 differs from 100"):
        points_possible(mixed)


@pytest.mark.parametrize("bad", [math.nan, math.inf, -1.0])
def test_scores_no_gradebook_takes_are_refused_naming_the_row(klass, tmp_path, bad):
    broken = with_rows(klass, carol={"score": bad})
    for fmt in FORMATS:
        with pytest.raises(InputError, match="submission 'carol': score"):
            export(broken, fmt, tmp_path / fmt, ExportOptions())


def test_feedback_lists_failures_with_hints_and_never_describes_hidden_checks(klass):
    bob = row(klass, "bob")
    text = feedback_text(klass, bob)
    assert text.startswith("Lesson 2.4: Multi-stage builds: 32.72 / 100 points")
    assert "Multi-stage build (0 / 5): 1 stage" in text
    assert "Hint: Compile in a first stage" in text
    hidden = with_hidden(klass, "bob", {"multi-stage"})
    text = feedback_text(hidden, row(hidden, "bob"))
    assert "Multi-stage build (" not in text
    assert "Compile in a first stage" not in text
    assert text.endswith("3 hidden checks are not shown.")


def test_feedback_of_an_errored_row_says_why_and_that_it_is_not_a_grade(klass):
    text = feedback_text(klass, row(klass, "erin"))
    assert text.startswith("Lesson 2.4: Multi-stage builds: not graded\n")
    assert "0 / 100" not in text
    assert "Grading could not complete: https://127.0.0.1:9/erin.git" in text
    assert "not a grade for your work" in text


def test_feedback_is_capped(klass):
    text = feedback_text(klass, row(klass, "bob"), limit=300)
    assert len(text) == 300
    assert text.endswith("(cut; the full feedback is in the HTML report)")
