"""What a page shows, computed before rendering so templates stay markup.

Every number, label, chart and piece of evidence is made here (charts in ``svg``, evidence in
``evidence``); templates only lay them out. Text a student controls is turned into escaped
markup with its control characters visible (``text.visible``) before it reaches a template.
One module per page: ``student`` (a student's or instructor's copy), ``dashboard`` (the class),
``gradebook`` (overrides, release, deadlines, similarity on either), ``common`` (shared).
"""

from grader.files import page_stem
from grader.report.views.common import (
    MARKS,
    criterion_status,
    page_stems,
    student_href,
    visible_totals,
)
from grader.report.views.dashboard import ClassPage, class_page
from grader.report.views.student import StudentPage, student_page

__all__ = [
    "MARKS",
    "ClassPage",
    "StudentPage",
    "class_page",
    "criterion_status",
    "page_stem",
    "page_stems",
    "student_href",
    "student_page",
    "visible_totals",
]
