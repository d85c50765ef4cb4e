"""HTML pages through jinja2, autoescaped, self-contained (no network needed to view them).

Pages written for a class::

    index.html                      the class dashboard (instructors only)
    students/<student>.html         each student's copy: what the release allows
    instructor/<student>.html       each instructor's copy: everything, linked from the dashboard

The instructor's copies live in their own folder so that ``students/`` can be handed out whole.
Each page carries a Content-Security-Policy: student pages run no script at all, the dashboard
only its own table sorter (by hash), so even a mistake in escaping could not run a student's
script.

Every value a template prints passes ``_finalize``: markup made by the views is kept, anything
else goes through ``text.plain`` before autoescaping, so a field that forgot ``visible`` still
cannot emit a raw control character. The students' JSON is a copy given to students, so its
strings go through the sanitiser too; ``results.json`` stays data, exactly as graded. What a
student's copy holds, before and after the release, is ``grader.release``'s to say.
"""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path

import jinja2
from markupsafe import Markup

from grader.files import write_text_atomic
from grader.models.results import Results, SubmissionResult
from grader.release import for_students, student_copy
from grader.report.text import plain
from grader.report.views import class_page, page_stems, student_page
from grader.sanitizer import for_data

STUDENTS_DIR = "students"
INSTRUCTOR_DIR = "instructor"
_NO_SCRIPT = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "base-uri 'none'; form-action 'none'"
)


def _finalize(value: object) -> object:
    """What a template prints: our markup as it is, anything else neutralised, then escaped."""
    if isinstance(value, Markup):
        return value
    return plain(str(value))


def _for_students(value: object) -> object:
    """A JSON value with every string (keys too) through the sanitiser."""
    if isinstance(value, str):
        return for_data(value)
    if isinstance(value, dict):
        return {for_data(str(k)): _for_students(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_for_students(v) for v in value]
    return value


def students_json(results: Results, submission: SubmissionResult, moment: datetime) -> str:
    r"""A student's copy of their row, as the release allows: every string sanitised.

    Unlike ``results.json`` it is a display, not the record of what was graded; sanitised
    (``\u001b[31m``), it holds no lone surrogate, so it is written as UTF-8 text.
    """
    document = for_students(results, student_copy(results, submission, moment))
    return json.dumps(_for_students(document), indent=2, ensure_ascii=False) + "\n"


class _Renderer:
    """One jinja2 environment for many pages: templates are compiled once per batch."""

    def __init__(self) -> None:
        self.env = jinja2.Environment(
            loader=jinja2.PackageLoader("grader.report", "templates"),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            finalize=_finalize,
        )
        script = (
            resources.files("grader.report")
            .joinpath("templates/sort.js")
            .read_text(encoding="utf-8")
        )
        digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
        self.script = Markup(script)  # our own file, no data in it
        self.script_policy = f"{_NO_SCRIPT}; script-src 'sha256-{digest}'"

    def student(
        self,
        results: Results,
        submission: SubmissionResult,
        *,
        instructor: bool,
        back_href: str | None = None,
        moment: datetime | None = None,
    ) -> str:
        page = student_page(
            results, submission, instructor=instructor, back_href=back_href, moment_now=moment
        )
        template = self.env.get_template("student.html.j2")
        return template.render(page=page, policy=_NO_SCRIPT)

    def dashboard(self, results: Results, moment: datetime | None = None) -> str:
        template = self.env.get_template("index.html.j2")
        page = class_page(results, moment or datetime.now(timezone.utc))
        return template.render(page=page, policy=self.script_policy, script=self.script)


def render_student_page(
    results: Results, submission: SubmissionResult, *, instructor: bool = False
) -> str:
    """One student's feedback page; ``instructor=True`` has everything, private notes too."""
    return _Renderer().student(results, submission, instructor=instructor)


def render_class_page(results: Results) -> str:
    """The instructor's class dashboard."""
    return _Renderer().dashboard(results)


class PageWriter:
    """Writes a class's pages as a batch goes: each student's as their row is final.

    Implements ``grader.batch.Pages``. Every page written at one ``moment`` (now by default),
    so a student's copy says what the release allows then.
    """

    def __init__(self, out: Path, moment: datetime | None = None) -> None:
        self.out = out
        self.moment = moment
        self.renderer = _Renderer()
        self.written: list[Path] = []

    def _at(self) -> datetime:
        return self.moment or datetime.now(timezone.utc)

    def student(self, results: Results, row: SubmissionResult, stem: str) -> None:
        """A student's copy (page and JSON) and the instructor's copy of one row."""
        at = self._at()
        page = self.renderer.student(results, row, instructor=False, moment=at)
        own = students_json(results, row, at)
        instructor_copy = self.renderer.student(
            results, row, instructor=True, back_href="../index.html"
        )
        self.written += [
            write_text_atomic(self.out / STUDENTS_DIR / f"{stem}.html", page),
            write_text_atomic(self.out / STUDENTS_DIR / f"{stem}.json", own),
            write_text_atomic(self.out / INSTRUCTOR_DIR / f"{stem}.html", instructor_copy),
        ]

    def dashboard(self, results: Results) -> None:
        """The class dashboard."""
        page = self.renderer.dashboard(results, self._at())
        self.written.append(write_text_atomic(self.out / "index.html", page))


def write_class_pages(results: Results, out: Path, *, moment: datetime | None = None) -> list[Path]:
    """The dashboard, and a student's and an instructor's copy of every student's page.

    ``students/`` can be handed out whole: each student's page and JSON hold what the release
    allows at ``moment`` (now by default); the instructor's copies are in ``instructor/``.
    """
    writer = PageWriter(out, moment or datetime.now(timezone.utc))
    writer.dashboard(results)
    for submission, stem in zip(results.submissions, page_stems(results.submissions), strict=True):
        writer.student(results, submission, stem)
    return writer.written
