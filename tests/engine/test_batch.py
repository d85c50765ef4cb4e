"""`grader grade` on the real engine: a small class, every kind of row, and resuming."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

import pytest

from tests import baseimages
from tests.conftest import EXAMPLES
from tests.engine.helpers import (
    engine_objects,
    finish,
    grade,
    grader,
    rows,
    slow_class,
    wait_for_rows,
)
from tests.gitrepos import commit, make_repo

DEADLINE = "2026-12-01T23:59:00Z"


def task1_repo(path: Path, source: Path, date: str, edit=None) -> Path:
    repo = make_repo(path, source)
    if edit:
        edit(repo)
    commit(repo, "task 1", date)
    return repo


def replace(name: str, old: str, new: str):
    def edit(repo: Path) -> None:
        target = repo / name
        target.write_text(target.read_text().replace(old, new))

    return edit


@pytest.mark.slow
def test_a_class_every_row_asserted(tmp_path, go_images):
    model, single = EXAMPLES / "model", EXAMPLES / "single-stage"
    on_time = "2026-11-28T12:00:00Z"
    task1_repo(tmp_path / "good", model, on_time)
    task1_repo(tmp_path / "single", single, on_time)
    task1_repo(
        tmp_path / "broken", model, on_time, replace("task1/Dockerfile", "go build", "go biuld")
    )
    task1_repo(
        tmp_path / "wrong", model, on_time, replace("task1/main.go", "multi-stage!", "World!")
    )
    late = task1_repo(
        tmp_path / "latefix",
        model,
        "2026-11-30T12:00:00Z",
        replace("task1/main.go", "multi-stage!", "multi stage"),
    )
    last_on_time = commit(late, "still wrong", "2026-12-01T23:00:00Z")
    replace("task1/main.go", "multi stage", "multi-stage!")(late)
    commit(late, "fixed, too late", "2026-12-02T08:00:00Z")
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "student,repo,name,lms_id\n"
        "good,good,Good Student,101\n"
        "single,single,,102\n"
        "broken,broken,,103\n"
        "wrong,wrong,,104\n"
        "latefix,latefix,,105\n"
        "gone,https://127.0.0.1:9/gone.git,,106\n"
    )
    out = tmp_path / "out"
    process = grader(
        "grade",
        "--rubric",
        "lesson-2.4",
        "--roster",
        roster,
        "--task",
        "task1",
        "--deadline",
        DEADLINE,
        "--jobs",
        "2",
        "--out",
        out,
        "--submissions",
        tmp_path / "subs",
        "--export",
        "canvas-csv,lti-ags",
        *baseimages.image_map_args(go_images),
    )
    status, _, err = finish(process)
    assert status == 1, err  # one row is an error
    assert "6 submissions: 5 graded (0 unchanged, not regraded), 1 errors, 1 late" in err
    found = rows(out)
    assert list(found) == ["good", "single", "broken", "wrong", "latefix", "gone"]

    good = found["good"]
    assert (good["status"], good["score"], good["max_score"], good["late"]) == (
        "graded",
        25.0,
        25.0,
        False,
    )
    assert good["name"] == "Good Student"
    assert good["lms_id"] == "101"
    assert good["commit_time"] == "2026-11-28T12:00:00Z"

    def criteria(student: str) -> dict[str, dict]:
        return {c["id"]: c for c in found[student]["tasks"][0]["criteria"]}

    single_found = criteria("single")
    assert not single_found["multi-stage"]["passed"]
    assert single_found["output"]["passed"]
    broken = found["broken"]
    assert broken["status"] == "graded"
    assert broken["tasks"][0]["build"]["ok"] is False
    assert criteria("broken")["output"]["message"].startswith("the image did not build")
    wrong = criteria("wrong")
    assert not wrong["output"]["passed"]
    assert 'expected "Hello from Go multi-stage!"' in wrong["output"]["message"]
    assert found["wrong"]["score"] == 19.0

    latefix = found["latefix"]
    assert latefix["late"] is True
    assert latefix["commit"] == last_on_time  # the fix came after the deadline
    assert not criteria("latefix")["output"]["passed"]

    gone = found["gone"]
    assert gone["status"] == "error"
    assert gone["error"].startswith("https://127.0.0.1:9/gone.git: fatal:")
    assert (gone["score"], gone["max_score"]) == (0.0, 25.0)

    assert (out / "index.html").exists()
    assert (out / "export-canvas-csv" / "canvas-grades.csv").exists()
    scores = (out / "export-lti-ags" / "scores.jsonl").read_text().splitlines()
    assert len(scores) == 6  # every row has an lms_id; the error row is sent as Failed
    for student in found:
        assert (out / "students" / f"{student}.html").exists()
        one = json.loads((out / "students" / f"{student}.json").read_text())
        assert [r["student"] for r in one["submissions"]] == [student]


@pytest.mark.keeps_objects
def test_killed_half_way_then_rerun_keeps_finished_rows(tmp_path, busybox_image, docker_client):
    roster, rubric = slow_class(tmp_path, busybox_image, 3)
    out = tmp_path / "out"
    process = grade(tmp_path, rubric, roster, "--jobs", "1")
    first = wait_for_rows(out, 1, process)
    process.send_signal(signal.SIGKILL)  # no clean-up at all: the harshest interruption
    process.wait()
    kept = rows(out)
    assert set(kept) >= set(first)
    assert len(kept) < 3
    status, _, err = finish(grader("clean"))
    assert status == 0, err
    assert engine_objects(docker_client) == []

    status, _, err = finish(grade(tmp_path, rubric, roster, "--jobs", "1"))
    assert status == 0, err
    final = rows(out)
    assert sorted(final) == ["s0", "s1", "s2"]
    for student, row in kept.items():
        assert final[student]["graded_at"] == row["graded_at"], "a finished row was regraded"
    assert f"({len(kept)} unchanged, not regraded)" in err
    assert all(row["score"] == 1.0 for row in final.values())
    assert engine_objects(docker_client) == []


def test_ctrl_c_stops_cleans_up_and_keeps_finished_rows(tmp_path, busybox_image, docker_client):
    roster, rubric = slow_class(tmp_path, busybox_image, 3)
    out = tmp_path / "out"
    process = grade(tmp_path, rubric, roster, "--jobs", "1")
    first = wait_for_rows(out, 1, process)
    time.sleep(1)  # into the next build
    process.send_signal(signal.SIGINT)
    status, _, err = finish(process)
    assert status == 130, err
    assert "interrupted" in err
    assert set(rows(out)) >= set(first)
    assert engine_objects(docker_client) == []


def test_only_regrades_one_student_and_merges(tmp_path, busybox_image):
    roster, rubric = slow_class(tmp_path, busybox_image, 2)
    out = tmp_path / "out"
    status, _, err = finish(grade(tmp_path, rubric, roster))
    assert status == 0, err
    before = rows(out)
    status, _, err = finish(grade(tmp_path, rubric, roster, "--only", "s1"))
    assert status == 0, err
    after = rows(out)
    assert sorted(after) == ["s0", "s1"]
    assert after["s0"]["graded_at"] == before["s0"]["graded_at"]
    assert after["s1"]["seconds"] is not None
    status, _, err = finish(grade(tmp_path, rubric, roster, "--only", "nobody"))
    assert status == 2
    assert err.strip() == "grader: --only nobody: not on the roster"
