"""The terminal summary of one submission.

A line per criterion, and under each failure what to change and the evidence. Everything a
student controls goes through the sanitiser (``sanitizer.for_terminal``) and reaches rich as
``Text``, never as markup: it is shown as text, never obeyed.
"""

from __future__ import annotations

from rich.console import Console
from rich.text import Text

from grader.models.results import CriterionResult, SubmissionResult, TaskResult
from grader.report.views import MARKS, criterion_status, visible_totals
from grader.sanitizer import for_terminal
from grader.units import format_bytes, format_points

_STYLES = {"pass": "green", "fail": "red", "partial": "yellow", "unchecked": "dim"}
_EVIDENCE_LINES = 3
_EVIDENCE_WIDTH = 100


def _print(console: Console, text: Text) -> None:
    # No hard wrapping: a CI log or a pipe gets whole lines; a terminal wraps them itself.
    console.print(text, soft_wrap=True)


def _clip(text: str) -> list[str]:
    lines = for_terminal(text).splitlines() or [""]
    shown = [
        line if len(line) <= _EVIDENCE_WIDTH else line[: _EVIDENCE_WIDTH - 1] + "…"
        for line in lines[:_EVIDENCE_LINES]
    ]
    if len(lines) > _EVIDENCE_LINES:
        shown.append(f"… ({len(lines) - _EVIDENCE_LINES} more lines)")
    return shown


def evidence_lines(task: TaskResult, criterion: CriterionResult) -> list[str]:
    """The few lines of evidence that make a failure concrete."""
    evidence = criterion.evidence
    if evidence is None:
        return []
    lines: list[str] = []
    if evidence.line is not None and task.dockerfile_text:
        source = task.dockerfile_text.splitlines()
        if 0 < evidence.line <= len(source):
            lines.append(f"Dockerfile line {evidence.line}: {_clip(source[evidence.line - 1])[0]}")
    if evidence.measured is not None and evidence.limit is not None:
        if evidence.unit == "bytes":
            lines.append(
                f"size: {format_bytes(evidence.measured)} against a limit of "
                f"{format_bytes(evidence.limit)}"
            )
        elif evidence.unit == "x":
            lines.append(f"reduction: {evidence.measured:g}x, at least {evidence.limit:g}x")
    elif criterion.check == "output" and evidence.actual is not None:
        lines += [f"expected: {line}" for line in _clip(evidence.expected or "")]
        lines += [f"found:    {line}" for line in _clip(evidence.actual)]
    return lines


def _task_header(task: TaskResult, criteria: list[CriterionResult]) -> Text:
    score = sum(c.score for c in criteria)
    maximum = sum(c.max_score for c in criteria)
    header = Text(f"{task.id}  ", style="bold")
    header.append(for_terminal(task.title))
    header.append(f"  {format_points(score)}/{format_points(maximum)}", style="bold")
    return header


def print_submission(
    console: Console, submission: SubmissionResult, *, instructor: bool = True
) -> None:
    """Print one submission; hidden criteria only for the instructor."""
    hidden = unchecked = 0
    for task in submission.tasks:
        shown = [c for c in task.criteria if instructor or not c.hidden]
        hidden += len(task.criteria) - len(shown)
        _print(console, _task_header(task, shown))
        if task.error:
            _print(console, Text(f"  {for_terminal(task.error)}", style="red"))
        width = max((len(c.title) for c in shown), default=0)
        for criterion in shown:
            status = criterion_status(criterion)
            unchecked += status == "unchecked"
            line = Text("  ")
            line.append(MARKS[status], style=_STYLES[status])
            line.append(f" {for_terminal(criterion.title):<{width}}  ")
            points = "-" if status == "unchecked" else format_points(criterion.score)
            line.append(f"{points}/{format_points(criterion.max_score)}  ", style="bold")
            line.append(for_terminal(criterion.message))
            if criterion.hidden:
                line.append("  (hidden)", style="dim")
            _print(console, line)
            if status in ("fail", "partial"):
                if criterion.hint:
                    _print(
                        console,
                        Text(f"      hint: {for_terminal(criterion.hint)}", style="italic"),
                    )
                for extra in evidence_lines(task, criterion):
                    _print(console, Text(f"      {extra}", style="dim"))
    score, maximum = visible_totals(submission, instructor=instructor)
    _print(
        console,
        Text(
            f"{for_terminal(submission.student)}: {format_points(score)} / "
            f"{format_points(maximum)} points",
            style="bold",
        ),
    )
    if unchecked:
        _print(
            console,
            Text(
                f"{unchecked} criteria were not checked: they need the Docker Engine to build "
                "and run."
            ),
        )
    if hidden:
        _print(console, Text(f"{hidden} more criteria are graded after the deadline."))
    if submission.error:
        _print(console, Text(f"grading error: {for_terminal(submission.error)}", style="red"))
