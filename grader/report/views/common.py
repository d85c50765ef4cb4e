"""What every page's view shares: marks, points, file names of the students' pages, lateness."""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import quote

from grader.files import page_stem, stems_for
from grader.models.results import CriterionResult, Results, SubmissionResult
from grader.scoring import student_view
from grader.units import format_points

MARKS = {"pass": "✓", "fail": "✗", "partial": "◐", "unchecked": "-"}
WORDS = {
    "pass": "passed",
    "fail": "failed",
    "partial": "partly passed",
    "unchecked": "not checked",
}


def criterion_status(criterion: CriterionResult) -> str:
    """One word for marks and colours: pass, partial, fail or unchecked."""
    if not criterion.checked:
        return "unchecked"
    if criterion.passed:
        return "pass"
    return "partial" if criterion.score > 0 else "fail"


def percent(score: float, maximum: float) -> int:
    return round(100 * score / maximum) if maximum else 0


def points_of(score: float, maximum: float) -> str:
    return f"{format_points(score)} / {format_points(maximum)}"


def visible_totals(submission: SubmissionResult, *, instructor: bool) -> tuple[float, float]:
    """Score and maximum over the criteria this reader may see, less any late penalty."""
    seen = submission if instructor else student_view(submission)
    return seen.score, seen.max_score


def page_stems(submissions: Sequence[SubmissionResult]) -> list[str]:
    """One distinct stem per submission, also on file systems that ignore case."""
    return stems_for([submission.student for submission in submissions])


def student_href(student: str) -> str:
    """Where a student's copy is, relative to the class page."""
    return f"students/{quote(page_stem(student), safe='@+')}.html"


def href(folder: str, stem: str) -> str:
    return f"{folder}/{quote(stem, safe='@+')}.html"


def late_note(submission: SubmissionResult, results: Results) -> str | None:
    if not submission.late:
        return None
    deadline = results.deadline
    if submission.commit_time and deadline and submission.commit_time > deadline:
        days = submission.late_days
        late_by = f" ({days} day{'s' if days != 1 else ''} late)" if days else ""
        return f"The commit graded was made after the deadline{late_by}."
    return (
        "There are commits after the deadline; the last commit before it was graded, "
        "and later ones were not."
    )
