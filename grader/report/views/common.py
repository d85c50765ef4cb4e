"""What every page's view shares: marks, points, file names of the students' pages, lateness."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from urllib.parse import quote

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
# Student ids become file names; the roster allows these, anything else gets a hashed name.
_SAFE_STEM = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}$")


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


def page_stem(student: str) -> str:
    """A file name for a student's pages: the id itself when it is a safe one."""
    if _SAFE_STEM.match(student) and not student.endswith("."):
        return student
    return "student-" + hashlib.sha256(student.encode()).hexdigest()[:12]


def page_stems(submissions: Sequence[SubmissionResult]) -> list[str]:
    """One distinct stem per submission, also on file systems that ignore case."""
    stems: list[str] = []
    taken: set[str] = set()
    for submission in submissions:
        stem = page_stem(submission.student)
        if stem.casefold() in taken:
            digest = hashlib.sha256(submission.student.encode()).hexdigest()
            stem = f"{stem}-{digest[:8]}"
            while stem.casefold() in taken:
                stem += "-"
        taken.add(stem.casefold())
        stems.append(stem)
    return stems


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
