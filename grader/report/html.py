"""HTML pages through jinja2, autoescaped, self-contained (no network needed to view them)."""

from __future__ import annotations

from pathlib import Path

import jinja2

from grader.models.results import Results, SubmissionResult
from grader.report.views import class_page, student_href, student_page
from grader.results import write_text_atomic


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("grader.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_student_page(
    results: Results, submission: SubmissionResult, *, instructor: bool = False
) -> str:
    """One student's feedback page."""
    template = _environment().get_template("student.html.j2")
    return template.render(page=student_page(results, submission, instructor=instructor))


def render_class_page(results: Results) -> str:
    """The instructor's class page."""
    return _environment().get_template("index.html.j2").render(page=class_page(results))


def write_class_pages(results: Results, out: Path) -> list[Path]:
    """``out/index.html`` and ``out/students/<student>.html`` (the students' copies)."""
    written = [out / "index.html"]
    write_text_atomic(written[0], render_class_page(results))
    for submission in results.submissions:
        path = out / student_href(submission.student)
        write_text_atomic(path, render_student_page(results, submission, instructor=False))
        written.append(path)
    return written
