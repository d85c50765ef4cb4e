"""The overrides file: validated like a rubric, applied on top of the automatic score."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from grader import overrides
from grader.errors import OverridesError
from grader.models.results import Automatic
from grader.overrides import apply, apply_row, automatic, parse_overrides
from tests.factories import criterion, results, submission, task

MOMENT = datetime(2026, 12, 5, 9, 0, tzinfo=timezone.utc)


def row(student="alice", passed_output=False):
    return submission(
        student,
        [
            task(
                "task1",
                [
                    criterion("multi-stage", True, 10),
                    criterion("output", passed_output, 4, check="output"),
                ],
            ),
            task("task2", [criterion("size", False, 6, check="image_size")]),
        ],
    )


def load(text: str):
    return parse_overrides(text.encode(), "overrides.yaml")


FILE = """\
students:
  alice:
    - task: task1
      criterion: output
      points: 3
      reason: The output differs only by a trailing space.
    - adjustment: -2
      reason: Copied the README from bob.
      private: true
    - comment: Nice use of a scratch final stage.
      task: task1
"""


def test_an_override_changes_the_criterion_and_keeps_graders_verdict():
    done = apply_row(row(), load(FILE), moment=MOMENT)
    output = done.tasks[0].criteria[1]
    assert (output.score, output.passed) == (3, False)
    assert output.automatic == Automatic(passed=False, score=0)
    assert done.tasks[0].score == 13
    assert done.automatic_score == 10
    assert done.adjustment == -2
    assert done.score == 11
    kinds = [(o.kind, o.applied, o.line) for o in done.overrides]
    assert kinds == [("points", True, 3), ("adjustment", True, 7), ("comment", True, 10)]
    assert all(o.at == MOMENT for o in done.overrides)


def test_applying_twice_changes_nothing_and_removing_an_entry_undoes_it():
    once = apply_row(row(), load(FILE), moment=MOMENT)
    later = datetime(2027, 1, 1, tzinfo=timezone.utc)
    assert apply_row(once, load(FILE), moment=later) == once  # 'at' is kept from the first time
    undone = apply_row(once, load("students: {}\n"), moment=later)
    assert undone == automatic(once)
    assert undone.score == 10
    assert undone.tasks[0].criteria[1].automatic is None
    assert apply_row(once, None, moment=later) == undone


def test_a_verdict_gives_full_points_or_none():
    text = """\
students:
  alice:
    - {task: task2, criterion: size, verdict: passed, reason: measured wrongly}
    - {task: task1, criterion: multi-stage, verdict: failed, reason: not really}
"""
    done = apply_row(row(), load(text), moment=MOMENT)
    assert done.tasks[1].criteria[0].score == 6
    assert done.tasks[1].criteria[0].passed
    assert done.tasks[0].criteria[0].score == 0
    assert not done.tasks[0].criteria[0].passed
    assert done.score == 6


def test_the_total_stays_within_zero_and_the_maximum():
    text = "students:\n  alice:\n    - {adjustment: 500, reason: extra credit}\n"
    assert apply_row(row(), load(text), moment=MOMENT).score == 20
    text = "students:\n  alice:\n    - {adjustment: -500, reason: plagiarism}\n"
    assert apply_row(row(), load(text), moment=MOMENT).score == 0


def test_a_late_penalty_is_taken_from_the_overridden_points():
    late = row().model_copy(update={"penalty_fraction": 0.25, "penalty": 2.5, "score": 7.5})
    text = "students:\n  alice:\n    - {task: task2, criterion: size, points: 6, reason: ok}\n"
    done = apply_row(late, load(text), moment=MOMENT)
    assert done.penalty == 5  # a quarter of the maximum, 20
    assert done.score == 11
    assert done.automatic_score == 7.5


def test_a_criterion_that_no_longer_exists_is_flagged_not_applied():
    text = "students:\n  alice:\n    - {task: task1, criterion: outptu, points: 1, reason: r}\n"
    done = apply_row(row(), load(text), moment=MOMENT)
    [record] = done.overrides
    assert not record.applied
    assert "no criterion task1/outptu" in (record.flag or "")
    assert "did you mean task1/output?" in (record.flag or "")
    assert done.score == 10
    assert done.automatic_score is None


def test_points_above_the_criterions_maximum_are_flagged():
    text = "students:\n  alice:\n    - {task: task1, criterion: output, points: 5, reason: r}\n"
    [record] = apply_row(row(), load(text), moment=MOMENT).overrides
    assert not record.applied
    assert "more than the criterion's 4" in (record.flag or "")


def test_a_regrade_that_changes_graders_verdict_flags_the_override():
    first = apply_row(row(passed_output=False), load(FILE), moment=MOMENT)
    assert first.overrides[0].flag is None
    regraded = row(passed_output=True)  # a fixed checker: now it passes on its own
    later = datetime(2026, 12, 9, tzinfo=timezone.utc)
    again = apply_row(regraded, load(FILE), earlier=first.overrides, moment=later)
    record = again.overrides[0]
    assert record.applied
    assert record.at == MOMENT
    assert record.seen == Automatic(passed=False, score=0)
    assert "changed since this override was written (failed, 0 then, passed, 4 now)" in (
        record.flag or ""
    )
    assert again.tasks[0].criteria[1].score == 3  # still the instructor's decision
    # editing the entry confirms it: the flag goes
    edited = FILE.replace("trailing space.", "trailing space; checked again.")
    confirmed = apply_row(again, load(edited), moment=later)
    assert confirmed.overrides[0].flag is None
    assert confirmed.overrides[0].at == later


def test_a_second_override_of_one_criterion_replaces_the_first():
    text = """\
students:
  alice:
    - {task: task1, criterion: output, points: 1, reason: first look}
    - {task: task1, criterion: output, points: 2, reason: second look}
"""
    done = apply_row(row(), load(text), moment=MOMENT)
    assert done.tasks[0].criteria[1].score == 2
    assert done.tasks[0].criteria[1].automatic == Automatic(passed=False, score=0)
    assert done.overrides[0].flag == "replaced by entry 2"
    assert not done.overrides[0].applied


def test_apply_reports_unknown_students_and_the_wrong_assignment():
    klass = results([row("alice"), row("bob")])
    done, problems = apply(klass, load(FILE + "  alcie:\n    - comment: hi\n"), moment=MOMENT)
    assert done.overrides_sha256 is not None
    assert [r.score for r in done.submissions] == [11, 10]
    assert problems == [
        "overrides.yaml: line 13: student 'alcie' has no row in the results "
        "(did you mean alice?); nothing applied"
    ]
    with pytest.raises(OverridesError, match="overrides are for 'lesson-3'"):
        apply(klass, load("assignment: lesson-3\nstudents: {}\n"), moment=MOMENT)


def test_every_problem_of_the_file_is_reported_at_once_with_its_line():
    text = """\
students:
  alice:
    - task: task1
      criterion: output
      points: 3
      verdict: passed
      reason: both
    - adjustment: 0
      reason: nothing
    - {task: task1, criterion: output, points: -1, reason: negative}
    - {task: task1, criterion: output, points: 1}
    - {whatever: 1}
  "not a student!":
    - comment: x
"""
    with pytest.raises(OverridesError) as info:
        load(text)
    message = str(info.value)
    lines = message.splitlines()
    assert lines[0] == "overrides.yaml: invalid overrides file (6 problems)"
    assert "line 3, student 'alice', entry 1: give either 'points' or 'verdict'" in message
    assert "line 8, student 'alice', entry 2, field 'adjustment': an adjustment of 0" in message
    assert "line 10, student 'alice', entry 3, field 'points': Input should be greater" in message
    assert "line 11, student 'alice', entry 4: missing field 'reason'" in message
    assert "line 12, student 'alice', entry 5: an entry has 'criterion'" in message
    assert "line 14, field 'students': key 'not a student!': 'not a student!' is not" in message


def test_yaml_problems_name_the_line():
    with pytest.raises(OverridesError, match=r"line 3: key 'alice' appears twice"):
        load("students:\n  alice: []\n  alice: []\n")
    with pytest.raises(OverridesError, match="not valid YAML"):
        load("students: [\n")
    with pytest.raises(OverridesError, match="the file is empty"):
        load("")


def test_a_date_alone_means_the_end_of_that_day_in_utc():
    text = "students:\n  alice:\n    - {comment: hi, at: 2026-12-05}\n"
    [entry] = load(text).overrides.students["alice"]
    assert entry.at == datetime(2026, 12, 5, 23, 59, 59, tzinfo=timezone.utc)


def test_the_file_beside_the_results(tmp_path):
    assert overrides.beside(tmp_path / "results.json") == tmp_path / "overrides.yaml"
