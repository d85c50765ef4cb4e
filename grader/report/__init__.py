"""Feedback pages and terminal summaries, rendered from results alone.

Templates hold markup only; every number and label they show is computed in ``views``.
Autoescaping is on for every template: output, logs and file names come from students.
"""

from grader.report.html import render_student_page

__all__ = ["render_student_page"]
