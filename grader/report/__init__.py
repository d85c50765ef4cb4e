"""Feedback pages and terminal summaries, rendered from results alone.

Templates hold markup only; every number and label they show is computed in ``views``.
Autoescaping is on for every template: output, logs and file names come from students.
"""

from grader.report.html import (
    PageWriter,
    render_class_page,
    render_student_page,
    write_class_pages,
)

__all__ = ["PageWriter", "render_class_page", "render_student_page", "write_class_pages"]
