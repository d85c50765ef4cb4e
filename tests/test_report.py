"""Feedback pages and the terminal summary, rendered from results alone."""

from __future__ import annotations

import io
import json

from rich.console import Console

from grader.report import render_student_page, write_class_pages
from grader.report.terminal import print_submission
from grader.sanitizer import for_terminal
from tests import factories as f


def page(submission, *, instructor=False) -> str:
    return render_student_page(f.results([submission]), submission, instructor=instructor)


def test_student_page_shows_scores_messages_and_hints():
    good = f.criterion("multi-stage", True, 5)
    bad = f.criterion(
        "image-size",
        False,
        5,
        check="image_size",
        message="830.0 MB, over",
        hint="copy only the binary",
    )
    html = page(f.submission("alice", [f.task("task1", [good, bad])]))
    assert "<title>alice · Lesson 2.4: Multi-stage builds</title>" in html
    assert "5 / 10" in html
    assert "830.0 MB, over" in html
    assert "copy only the binary" in html
    assert "fix multi-stage" not in html  # hints only where something failed


def test_everything_a_student_controls_is_escaped():
    html = page(f.hostile_submission(), instructor=True)
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html
    assert "&amp; &#34;quotes&#34;" in html


def test_hidden_criteria_only_in_the_instructors_copy():
    student = page(f.hostile_submission())
    instructor = page(f.hostile_submission(), instructor=True)
    assert "Secret Check" not in student
    assert "1 more criteria are graded after the deadline" in student
    assert "0 / 4" in student  # the hidden point is not in the student's total either
    assert "Secret Check" in instructor
    assert "1 / 5" in instructor


def test_terminal_never_lets_escapes_through():
    assert for_terminal("a\x1b[31mb\x07\tc\n") == "a\\x1b[31mb\\x07\tc\n"
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=True, width=200)
    print_submission(console, f.hostile_submission())
    text = buffer.getvalue()
    assert "\x1b[31mred" not in text
    assert "\\x1b[31mred" in text
    assert "mallory: 1 / 5 points" in text


def test_terminal_summary_hides_hidden_criteria_for_students():
    buffer = io.StringIO()
    print_submission(Console(file=buffer, width=200), f.hostile_submission(), instructor=False)
    text = buffer.getvalue()
    assert "Secret Check" not in text
    assert "1 more criteria are graded after the deadline." in text
    assert "mallory: 0 / 4 points" in text


def test_hostile_build_log_and_output_show_as_text():
    html = page(f.hostile_submission(), instructor=True)
    assert "\x1b" not in html
    assert '<span class="ctl" title="control character">\\x1b[31m</span>red' in html
    assert "Step 1/2 : RUN &lt;script&gt;" in html  # the log tail of the failed build
    assert "The image did not build" in html


def test_every_page_forbids_scripts_it_did_not_bring():
    html = page(f.hostile_submission())
    assert "Content-Security-Policy" in html
    assert "default-src &#39;none&#39;" in html
    assert "script-src" not in html  # a student page runs no script at all


def test_the_students_folder_can_be_handed_out_whole(tmp_path):
    results = f.results([f.hostile_submission()])
    write_class_pages(results, tmp_path)
    own = json.loads((tmp_path / "students" / "mallory.json").read_text())
    criteria = [c["id"] for c in own["submissions"][0]["tasks"][0]["criteria"]]
    assert criteria == ["output"]  # the hidden one is not in the student's copy
    assert own["submissions"][0]["max_score"] == 4.0
    assert "Secret Check" not in (tmp_path / "students" / "mallory.html").read_text()
    assert "Secret Check" in (tmp_path / "instructor" / "mallory.html").read_text()
