"""LTI 1.3 AGS scores and line item, checked against the Score publish service rules."""

from __future__ import annotations

import json
import re
from datetime import datetime

import pytest

from grader.errors import InputError
from grader.export import ExportOptions, export
from grader.export.lti import SCORE_MEDIA_TYPE
from grader.models.exports import ISO_8601_SUBSECOND, LtiLineItem, LtiScore
from tests.export.helpers import row, with_hidden, with_rows

ACTIVITY = {"Initialized", "Started", "InProgress", "Submitted", "Completed"}
GRADING = {"FullyGraded", "Pending", "PendingManual", "Failed", "NotReady"}


def exported(results, out):
    written = export(results, "lti-ags", out, ExportOptions())
    array, lines, item = written
    scores = json.loads(array.read_text(encoding="utf-8"))
    assert [json.loads(line) for line in lines.read_text(encoding="utf-8").splitlines()] == scores
    return written, scores, json.loads(item.read_text(encoding="utf-8"))


def test_files_in_a_directory(klass, tmp_path):
    written, _, _ = exported(klass, tmp_path)
    assert written == [
        tmp_path / "scores.json",
        tmp_path / "scores.jsonl",
        tmp_path / "lineitem.json",
    ]


@pytest.mark.parametrize("name", ["grades.json", "grades.jsonl"])
def test_a_named_file_keeps_its_siblings_beside_it(klass, tmp_path, name):
    written = export(klass, "lti-ags", tmp_path / name, ExportOptions())
    assert written == [
        tmp_path / "grades.json",
        tmp_path / "grades.jsonl",
        tmp_path / "grades.lineitem.json",
    ]


def test_every_score_follows_the_score_service_rules(klass, tmp_path):
    _, scores, _ = exported(klass, tmp_path)
    assert scores
    for body in scores:
        LtiScore.model_validate(body)  # the model is the schema
        assert {"userId", "scoreMaximum", "timestamp", "activityProgress", "gradingProgress"} <= (
            body.keys()
        )
        assert body["activityProgress"] in ACTIVITY
        assert body["gradingProgress"] in GRADING
        assert body["scoreMaximum"] > 0
        assert "scoreGiven" not in body or body["scoreGiven"] >= 0
        assert re.match(ISO_8601_SUBSECOND, body["timestamp"])
        assert datetime.fromisoformat(body["timestamp"]).tzinfo is not None
        assert None not in body.values()
    assert SCORE_MEDIA_TYPE == "application/vnd.ims.lis.v1.score+json"


def test_graded_rows_are_final_grades_equal_to_results_json(klass, tmp_path):
    _, scores, _ = exported(klass, tmp_path)
    by_user = {b["userId"]: b for b in scores}
    for submission in klass.submissions:
        if submission.status != "graded" or not submission.lms_id:
            continue
        body = by_user[submission.lms_id]
        assert body["scoreGiven"] == submission.score
        assert body["scoreMaximum"] == submission.max_score
        assert body["gradingProgress"] == "FullyGraded"
        assert body["activityProgress"] == "Completed"
        assert datetime.fromisoformat(body["timestamp"]) == submission.graded_at
        assert datetime.fromisoformat(body["submission"]["submittedAt"]) == submission.commit_time


def test_rows_without_an_lms_id_are_left_out_and_reported(klass, tmp_path):
    written, scores, _ = exported(klass, tmp_path)
    assert row(klass, "dave").lms_id is None
    assert len(scores) == len(klass.submissions) - 1
    assert [n.student for n in written.excluded] == ["dave"]
    assert "lms_id" in written.excluded[0].reason


def test_an_errored_row_is_failed_with_no_score_and_the_reason(klass, tmp_path):
    written, scores, _ = exported(klass, tmp_path)
    erin = next(b for b in scores if b["userId"] == "lti-user-006")
    assert erin["gradingProgress"] == "Failed"
    assert "scoreGiven" not in erin
    assert erin["scoreMaximum"] == 100
    assert "Failed to connect to 127.0.0.1 port 9" in erin["comment"]
    assert "submission" not in erin  # nothing was committed that we know of
    note = next(n for n in written.notes if n.student == "erin")
    assert not note.excluded
    assert "Failed" in note.reason


def test_a_late_row_says_so_and_carries_its_commit_time(klass, tmp_path):
    late = with_rows(klass, dave={"lms_id": "lti-user-004"})
    written, scores, _ = exported(late, tmp_path)
    dave = next(b for b in scores if b["userId"] == "lti-user-004")
    assert dave["scoreGiven"] == 90.18
    assert "Late commits" in dave["comment"]
    assert dave["submission"]["submittedAt"] == "2026-11-27T08:00:00.000+00:00"
    assert any(n.student == "dave" and not n.excluded for n in written.notes)


def test_comments_are_plain_text_without_hidden_checks(klass, tmp_path):
    hidden = with_hidden(klass, "mallory", {"output"})
    _, scores, _ = exported(hidden, tmp_path)
    mallory = next(b for b in scores if b["userId"] == "lti-user-005")
    assert "pwned" not in mallory["comment"]
    assert "3 hidden checks are not shown." in mallory["comment"]  # output, tasks 1-3
    _, scores, _ = exported(klass, tmp_path / "plain")
    mallory = next(b for b in scores if b["userId"] == "lti-user-005")
    assert "<script>alert('pwned')</script>" in mallory["comment"]  # text, not escaped markup
    assert "&lt;" not in mallory["comment"]
    assert "\x1b" not in mallory["comment"]


def test_the_line_item(klass, tmp_path):
    _, _, item = exported(klass, tmp_path)
    LtiLineItem.model_validate(item)
    assert item == {
        "label": "Lesson 2.4: Multi-stage builds",
        "scoreMaximum": 100.0,
        "resourceId": "lesson-2.4",
        "tag": "grade",
        "endDateTime": "2026-12-01T23:59:00.000+00:00",
    }


def test_two_rows_for_one_lms_user_are_refused(klass, tmp_path):
    twins = with_rows(klass, bob={"lms_id": "lti-user-001"})
    with pytest.raises(InputError, match="submission 'bob': lms_id 'lti-user-001' is also 'alice'"):
        export(twins, "lti-ags", tmp_path, ExportOptions())
