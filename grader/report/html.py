"""HTML pages through jinja2, autoescaped, self-contained (no network needed to view them)."""

from __future__ import annotations

import jinja2

from grader.models.results import Results, SubmissionResult
from grader.report.views import student_page


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
