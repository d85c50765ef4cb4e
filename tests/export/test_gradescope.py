"""Gradescope autograder results.json, checked against the Autograder Specifications."""

from __future__ import annotations

import json
import math

import pytest

from grader.errors import InputError
from grader.export import ExportOptions, export, write_autograder_results
from grader.models.exports import GradescopeResults
from grader.models.results import Results
from tests.export.helpers import row, with_hidden, with_rows

VISIBILITY = {"hidden", "after_due_date", "after_published", "visible"}
REQUIRED = {"score", "output", "output_format", "visibility", "stdout_visibility", "tests"}


def exported(results: Results, tmp_path, options: ExportOptions | None = None):
    written = export(results, "gradescope", tmp_path, options or ExportOptions())
    documents = {p.parent.name: json.loads(p.read_text(encoding="utf-8")) for p in written}
    return written, documents


def test_one_results_json_per_submission_in_a_folder_named_for_the_student(klass, tmp_path):
    written, documents = exported(klass, tmp_path)
    assert [p.relative_to(tmp_path).as_posix() for p in written] == [
        f"{s.student}/results.json" for s in klass.submissions
    ]
    for document in documents.values():
        GradescopeResults.model_validate(document)  # the model is the schema
        assert document.keys() >= REQUIRED
        assert document["visibility"] in VISIBILITY
        assert document["stdout_visibility"] == "hidden"
        # simple_format, the default for the top-level output, would render markup
        assert document["output_format"] == "text"
        for test in document["tests"]:
            assert {"name", "number", "score", "max_score", "status", "output"} <= test.keys()
            assert test["status"] in {"passed", "failed"}
            assert test["visibility"] in VISIBILITY
            assert test["output_format"] == test["name_format"] == "text"


def test_scores_add_up_as_in_results_json(klass, tmp_path):
    _, documents = exported(klass, tmp_path)
    for submission in klass.submissions:
        document = documents[submission.student]
        assert document["score"] == submission.score
        tests = document["tests"]
        criteria = [c for t in submission.tasks for c in t.criteria]
        assert len(tests) == len(criteria)
        assert [t["score"] for t in tests] == [c.score for c in criteria]
        assert math.isclose(sum(t["score"] for t in tests), submission.score + submission.penalty)
        if submission.status == "graded":
            assert math.isclose(sum(t["max_score"] for t in tests), submission.max_score)


def test_status_is_explicit_so_partial_credit_shows_as_failed(klass, tmp_path):
    _, documents = exported(klass, tmp_path)
    bob = {t["name"]: t for t in documents["bob"]["tests"]}
    partial = bob["task2: Image size"]
    assert 0 < partial["score"] < partial["max_score"]
    assert partial["status"] == "failed"
    assert "Hint:" in partial["output"]
    passed = bob["task1: Output"]
    assert passed["status"] == "passed"
    assert "Hint:" not in passed["output"]
    assert [t["number"] for t in documents["alice"]["tests"]][:3] == ["1.1", "1.2", "1.3"]
    assert documents["alice"]["tests"][0]["tags"] == ["task1", "multi_stage"]


@pytest.mark.parametrize("visibility", ["after_due_date", "hidden"])
def test_hidden_criteria_get_the_visibility_asked_for(klass, tmp_path, visibility):
    hidden = with_hidden(klass, "bob", {"size-reduction", "builder-has-source"})
    _, documents = exported(hidden, tmp_path, ExportOptions(hidden=visibility))
    by_number = {t["number"]: t["visibility"] for t in documents["bob"]["tests"]}
    assert by_number.pop("5.2") == visibility  # size-reduction
    assert by_number.pop("4.2") == visibility  # builder-has-source
    assert set(by_number.values()) == {"visible"}
    assert {t["visibility"] for t in documents["alice"]["tests"]} == {"visible"}


def test_the_final_image_size_of_each_task_with_an_image_is_a_leaderboard_column(klass, tmp_path):
    _, documents = exported(klass, tmp_path)
    alice = row(klass, "alice")
    board = documents["alice"]["leaderboard"]
    assert [e["name"] for e in board] == [
        f"{t.id} image size (MB)" for t in alice.tasks if t.image is not None
    ]
    assert "task4 image size (MB)" not in {e["name"] for e in board}  # no image
    assert board[0] == {"name": "task1 image size (MB)", "value": 1.82, "order": "asc"}
    carol = {e["name"] for e in documents["carol"]["leaderboard"]}
    assert "task1 image size (MB)" not in carol  # the build failed


def test_an_errored_row_is_written_with_its_reason_and_reported(klass, tmp_path):
    written, documents = exported(klass, tmp_path)
    erin = documents["erin"]
    assert erin["score"] == 0
    assert erin["tests"] == []
    assert "Grading could not complete" in erin["output"]
    assert "Failed to connect" in erin["output"]
    assert "execution_time" not in erin  # unknown, not 0
    assert erin["extra_data"]["status"] == "error"
    notes = {n.student: n for n in written.notes}
    assert not notes["erin"].excluded
    assert "grading failed" in notes["erin"].reason


def test_a_late_row_keeps_its_score_and_says_it_was_late(klass, tmp_path):
    written, documents = exported(klass, tmp_path)
    assert documents["dave"]["score"] == row(klass, "dave").score
    assert "Late commits" in documents["dave"]["output"]
    assert any(n.student == "dave" and not n.excluded for n in written.notes)
    penalised = with_rows(klass, dave={"late_days": 2, "penalty": 9.02, "score": 81.16})
    _, documents = exported(penalised, tmp_path / "penalty")
    assert documents["dave"]["score"] == 81.16
    assert "Late: 2 days after the deadline; penalty 9.02 points." in documents["dave"]["output"]
    assert math.isclose(sum(t["score"] for t in documents["dave"]["tests"]), 90.18)


def test_student_output_stays_text(klass, tmp_path):
    _, documents = exported(klass, tmp_path)
    output = next(t for t in documents["mallory"]["tests"] if t["name"] == "task1: Output")
    assert "<script>alert('pwned')</script>" in output["output"]
    assert "\x1b" not in json.dumps(documents["mallory"], ensure_ascii=False)


def test_inside_an_autograder_the_one_submission_goes_to_the_path_given(klass, tmp_path):
    one = klass.model_copy(update={"submissions": [row(klass, "bob")]})
    target = tmp_path / "autograder" / "results" / "results.json"
    assert write_autograder_results(one, target) == target
    document = GradescopeResults.model_validate_json(target.read_text(encoding="utf-8"))
    assert document.score == 32.72
    # the command line reaches the same function with an out that ends in .json
    again = export(one, "gradescope", tmp_path / "cli.json", ExportOptions())
    assert again == [tmp_path / "cli.json"]
    assert (tmp_path / "cli.json").read_text() == target.read_text()


def test_a_single_file_cannot_hold_a_class(klass, tmp_path):
    with pytest.raises(InputError, match="holds one submission; the results hold 6"):
        export(klass, "gradescope", tmp_path / "results.json", ExportOptions())


@pytest.mark.parametrize("student", ["../escape", "a/b", ".hidden"])
def test_a_student_id_that_cannot_name_a_folder_is_refused(klass, tmp_path, student):
    bad = with_rows(klass, bob={"student": student})
    with pytest.raises(InputError, match="cannot name a folder"):
        export(bad, "gradescope", tmp_path, ExportOptions())
    assert not (tmp_path.parent / "escape").exists()
