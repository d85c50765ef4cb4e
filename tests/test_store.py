"""The journal store: one line per finished row, folded into results.json at the end."""

from __future__ import annotations

import json

import pytest

from grader.errors import InputError
from grader.results import read_results, write_results
from grader.store import JOURNAL, Journal, Provenance, kept_rows
from tests.factories import criterion, results, submission, task

MINE = Provenance("lesson-2.4", "ab" * 32, "0.1.0")


def row(student: str, passed: bool = True):
    return submission(student, [task("task1", [criterion("multi-stage", passed)])])


def test_each_row_is_one_flushed_line_and_kept_rows_reads_them_back(tmp_path):
    journal = Journal(tmp_path / "results.json", MINE)
    journal.append(row("ann"))
    journal.append(row("bob", passed=False))
    lines = (tmp_path / JOURNAL).read_text().splitlines()
    assert [json.loads(line)["row"]["student"] for line in lines] == ["ann", "bob"]
    assert json.loads(lines[0])["rubric_sha256"] == "ab" * 32
    kept = kept_rows(tmp_path / "results.json", "lesson-2.4")
    assert sorted(kept) == ["ann", "bob"]
    assert kept["bob"].row.score == 0
    assert kept["ann"].provenance == MINE
    journal.close()


def test_the_journal_wins_over_results_json_and_a_torn_last_line_is_dropped(tmp_path):
    path = tmp_path / "results.json"
    old = Provenance("lesson-2.4", "cd" * 32, "0.0.9")
    write_results(
        path,
        results([row("ann", passed=False), row("cat")]).model_copy(
            update={"rubric_sha256": old.rubric_sha256, "grader_version": old.grader_version}
        ),
    )
    journal = Journal(path, MINE)
    journal.append(row("ann"))
    journal.close()
    with (tmp_path / JOURNAL).open("a") as handle:
        handle.write('{"assignment": "lesson-2.4", "row": {"stud')  # killed mid-write
    kept = kept_rows(path, "lesson-2.4")
    assert sorted(kept) == ["ann", "cat"]
    assert kept["ann"].row.score == 2
    assert kept["ann"].provenance == MINE
    assert kept["cat"].provenance == old  # each row keeps what it was graded under


def test_another_assignment_is_refused_naming_the_file_and_line(tmp_path):
    journal = Journal(tmp_path / "results.json", Provenance("other", "ab" * 32, "0.1.0"))
    journal.append(row("ann"))
    journal.close()
    with pytest.raises(InputError, match=r"results\.journal\.jsonl:1: holds results of other"):
        kept_rows(tmp_path / "results.json", "lesson-2.4")


def test_finish_writes_results_json_whole_and_removes_the_journal(tmp_path):
    path = tmp_path / "results.json"
    journal = Journal(path, MINE)
    journal.append(row("ann"))
    written = journal.finish(results([row("ann")]))
    assert not (tmp_path / JOURNAL).exists()
    assert [r.student for r in read_results(path).submissions] == ["ann"]
    assert written == journal.bytes_written > path.stat().st_size  # the line and the file


def test_lines_not_of_ours_are_skipped_and_nothing_is_lost(tmp_path):
    (tmp_path / JOURNAL).write_text('[1, 2]\n{"row": 3}\nnot json\n')
    journal = Journal(tmp_path / "results.json", MINE)
    journal.append(row("ann"))
    journal.close()
    assert sorted(kept_rows(tmp_path / "results.json", "lesson-2.4")) == ["ann"]


def test_a_damaged_results_file_is_graded_again_not_an_error(tmp_path):
    (tmp_path / "results.json").write_text("{ not json")
    assert kept_rows(tmp_path / "results.json", "lesson-2.4") == {}
