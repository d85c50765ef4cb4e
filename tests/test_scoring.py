"""Scoring arithmetic: points from outcomes, totals, late penalties, the student's view."""

from __future__ import annotations

import pytest

from grader import scoring
from grader.checks.base import Outcome
from grader.models.results import SubmissionInfo
from grader.models.rubric import LatePolicy
from tests import factories as f
from tests.checks.helpers import criterion


@pytest.mark.parametrize(
    ("points", "fraction", "score"),
    [
        (5, 1.0, 5.0),
        (5, 0.0, 0.0),
        (3, 1 / 3, 1.0),
        (4, 0.54545, 2.18),
        (4, 1.7, 4.0),
        (4, -1, 0.0),
    ],
)
def test_criterion_points_are_the_fraction_rounded_once(points, fraction, score):
    c = criterion(check="image_size", max="1MB", points=points)
    outcome = Outcome(passed=fraction >= 1, message="m", fraction=fraction)
    result = scoring.criterion_result(c, "Image size", outcome)
    assert result.score == score
    assert result.max_score == points


def test_hint_only_when_not_passed():
    c = criterion(check="multi_stage", hint="  use COPY --from  ")
    assert scoring.criterion_result(c, "t", Outcome.ok("fine")).hint is None
    assert scoring.criterion_result(c, "t", Outcome.fail("no")).hint == "use COPY --from"


def rows(late_days: int, policy: LatePolicy | None):
    task = f.task("task1", [f.criterion("a", True, 60), f.criterion("b", False, 40)])
    info = SubmissionInfo(student="s", repo="r", late=late_days > 0, late_days=late_days)
    return scoring.submission_result(info, [task], error=None, policy=policy)


def test_late_penalty_per_started_day_capped():
    policy = LatePolicy(grade="newest", penalty_per_day=0.1, max_penalty=0.25)
    assert (rows(0, policy).score, rows(0, policy).penalty) == (60.0, 0.0)
    assert (rows(2, policy).score, rows(2, policy).penalty) == (40.0, 20.0)
    assert (rows(9, policy).score, rows(9, policy).penalty) == (35.0, 25.0)
    assert rows(9, policy).max_score == 100.0
    harsh = LatePolicy(grade="newest", penalty_per_day=1.0)
    assert rows(3, harsh).score == 0.0  # never below zero
    assert rows(3, None).score == 60.0


def test_grace_days_come_before_the_penalty():
    policy = LatePolicy(grade="newest", penalty_per_day=0.1, grace_days=2)
    assert policy.fraction(2, 2) == 0
    assert policy.fraction(3, 2) == 0.1
    assert round(policy.fraction(3, 0), 6) == 0.3  # a student's own 0 grace days (the roster)
    task = f.task("task1", [f.criterion("a", True, 60), f.criterion("b", False, 40)])
    info = SubmissionInfo(student="s", repo="r", late=True, late_days=3, grace_days=2)
    row = scoring.submission_result(info, [task], error=None, policy=policy)
    assert (row.score, row.penalty, row.penalty_fraction) == (50.0, 10.0, 0.1)
    # with last_before_deadline, nothing later is graded: the grace days move the cut-off
    assert LatePolicy(penalty_per_day=0.1).fraction(5, 0) == 0


def test_an_engine_error_makes_an_error_row_that_keeps_its_points():
    task = f.task("task1", [f.criterion("a", True, 5)])
    row = scoring.submission_result(
        SubmissionInfo(student="s", repo="r"), [task], error="task1: Docker Engine: gone"
    )
    assert (row.status, row.score, row.error) == ("error", 5.0, "task1: Docker Engine: gone")


def test_the_student_view_leaves_hidden_criteria_out_of_every_total():
    shown, hidden = f.criterion("shown", True, 4), f.criterion("secret", True, 6, hidden=True)
    row = f.submission("s", [f.task("task1", [shown, hidden])]).model_copy(update={"penalty": 1.0})
    view = scoring.student_view(row)
    assert [c.id for c in view.tasks[0].criteria] == ["shown"]
    assert (view.tasks[0].score, view.tasks[0].max_score) == (4.0, 4.0)
    assert (view.score, view.max_score) == (3.0, 4.0)
    plain = f.submission("t", [f.task("task1", [shown])])
    assert scoring.student_view(plain) is plain


def test_failed_count_ignores_what_was_not_checked():
    unchecked = f.criterion("u", False, 2, checked=False)
    failed = f.criterion("x", False, 2)
    row = f.submission("s", [f.task("task1", [unchecked, failed, f.criterion("ok", True)])])
    assert scoring.failed_count(row) == 1
