"""The terminal summary of one submission (rich), safe against what students print."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from grader.capped import show_controls
from grader.models.results import SubmissionResult
from grader.report.views import MARKS, criterion_status, visible_totals
from grader.units import format_points

terminal_safe = show_controls
_STYLES = {"pass": "green", "fail": "red", "partial": "yellow", "unchecked": "dim"}


def print_submission(
    console: Console, submission: SubmissionResult, *, instructor: bool = True
) -> None:
    """One line per criterion with mark, points and message; hints under failures."""
    table = Table(show_header=True, header_style="bold", expand=False, show_lines=False)
    table.add_column("", no_wrap=True)
    table.add_column("Task", no_wrap=True)
    table.add_column("Criterion")
    table.add_column("Points", justify="right", no_wrap=True)
    table.add_column("Found")
    hidden = 0
    for task in submission.tasks:
        for criterion in task.criteria:
            if criterion.hidden and not instructor:
                hidden += 1
                continue
            status = criterion_status(criterion)
            message = Text(terminal_safe(criterion.message))
            if criterion.hint and status != "pass":
                message.append(f"\nhint: {terminal_safe(criterion.hint)}", style="italic")
            table.add_row(
                Text(MARKS[status], style=_STYLES[status]),
                Text(task.id),
                Text(terminal_safe(criterion.title)),
                Text(f"{format_points(criterion.score)}/{format_points(criterion.max_score)}"),
                message,
            )
    console.print(table)
    score, maximum = visible_totals(submission, instructor=instructor)
    total = Text(
        f"{submission.student}: {format_points(score)} / {format_points(maximum)} points",
        style="bold",
    )
    console.print(total)
    if hidden:
        console.print(f"{hidden} more criteria are graded after the deadline.")
    if submission.error:
        console.print(Text(f"grading error: {terminal_safe(submission.error)}", style="red"))
