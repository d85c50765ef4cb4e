"""Students' copies before and after the feedback is released."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from grader.export.common import feedback_text
from grader.models.gradebook import Release
from grader.overrides import apply_row, parse_overrides
from grader.release import for_students, level, student_copy
from tests.factories import criterion, results, submission, task

RELEASE = datetime(2026, 12, 20, 9, 0, tzinfo=timezone.utc)
BEFORE = RELEASE - timedelta(days=1)
AFTER = RELEASE + timedelta(minutes=1)

OVERRIDES = b"""\
students:
  alice:
    - {task: task1, criterion: output, points: 3, reason: trailing space only}
    - {adjustment: -1, reason: internal note, private: true}
    - {comment: Well structured stages., task: task1}
"""


def klass(before="feedback", at=RELEASE):
    alice = submission(
        "alice",
        [
            task(
                "task1",
                [
                    criterion("multi-stage", True, 10),
                    criterion("output", False, 4, check="output", message="printed Hi"),
                    criterion("secret", False, 6, hidden=True, message="the secret check"),
                ],
                dockerfile_text="FROM scratch\n",
                sources={"main.go": "ab" * 32},
            )
        ],
        deadline_note="DSP accommodation",
    )
    alice = apply_row(alice, parse_overrides(OVERRIDES, "o.yaml"), moment=BEFORE)
    return results([alice]).model_copy(update={"release": Release(at=at, before=before)})


def test_the_level_follows_the_release_moment():
    graded = klass()
    assert level(graded, BEFORE) == "feedback"
    assert level(graded, AFTER) == "full"
    held = graded.model_copy(update={"release": Release(at=RELEASE, held=True)})
    assert level(held, AFTER) == "feedback"
    assert held.release.pending(AFTER)
    unplanned = graded.model_copy(update={"release": Release()})
    assert level(unplanned, AFTER) == "feedback"
    assert not unplanned.release.pending(AFTER)


def test_before_release_the_feedback_level_hides_hidden_criteria_reasons_and_comments():
    graded = klass()
    copy = student_copy(graded, graded.submissions[0], BEFORE)
    row = copy.row
    assert [c.id for c in row.tasks[0].criteria] == ["multi-stage", "output"]
    assert row.max_score == 14
    assert row.score == 12  # 10 + the instructor's 3, less the adjustment of 1
    kinds = [(o.kind, o.reason, o.comment) for o in row.overrides]
    assert kinds == [("points", None, None), ("adjustment", None, None)]
    assert row.deadline_note is None
    assert row.tasks[0].sources == {}


def test_after_release_everything_but_private_reasons_and_instructor_notes():
    graded = klass()
    row = student_copy(graded, graded.submissions[0], AFTER).row
    assert [c.id for c in row.tasks[0].criteria] == ["multi-stage", "output", "secret"]
    assert row.score == 12
    assert row.max_score == 20
    reasons = [(o.kind, o.reason, o.comment) for o in row.overrides]
    assert reasons == [
        ("points", "trailing space only", None),
        ("adjustment", None, None),
        ("comment", None, "Well structured stages."),
    ]
    assert row.deadline_note is None
    assert all(o.flag is None and o.seen is None for o in row.overrides)


@pytest.mark.parametrize("before", ["received", "score"])
def test_below_feedback_the_json_has_no_criteria(before):
    graded = klass(before=before)
    copy = student_copy(graded, graded.submissions[0], BEFORE)
    text = json.dumps(for_students(graded, copy))
    assert "printed Hi" not in text
    assert "secret" not in text
    assert "FROM scratch" not in text
    assert "DSP" not in text
    document = json.loads(text)
    row = document["submissions"][0]
    assert document["shows"] == before
    assert document["released"] is False
    if before == "received":
        assert "score" not in row
        assert row["tasks"] == [{"id": "task1", "title": "Task task1"}]
    else:
        assert row["score"] == 12
        assert row["tasks"][0]["score"] == 13


def test_the_students_json_after_release_has_no_instructors_data():
    graded = klass()
    copy = student_copy(graded, graded.submissions[0], AFTER)
    document = for_students(graded, copy)
    text = json.dumps(document)
    assert "the secret check" in text
    assert "internal note" not in text
    assert "DSP" not in text
    assert "automatic_score" not in text
    assert "sources" not in document["submissions"][0]["tasks"][0]
    assert "similarity" not in document


def test_export_comments_follow_the_release():
    graded = klass(before="received")
    row = graded.submissions[0]
    before = feedback_text(graded, row, moment=BEFORE)
    assert before.startswith("Lesson 2.4: Multi-stage builds: received")
    assert "points" not in before.split("\n")[0]
    assert "printed Hi" not in before
    assert "Full feedback will be released on 2026-12-20 09:00 UTC." in before
    after = feedback_text(graded, row, moment=AFTER)
    assert after.startswith("Lesson 2.4: Multi-stage builds: 12 / 20 points")
    assert "the secret check" in after
    assert "Changed by your instructor: task1/output 3. Reason: trailing space only" in after
    assert "Adjusted by your instructor: -1 points." in after
    assert "internal note" not in after
    assert "Comment from your instructor on task1: Well structured stages." in after
