"""Engine faults: an engine that is not there, and one that drops in the middle of a class."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tests.engine.helpers import (
    BUSYBOX,
    EngineProxy,
    engine_objects,
    finish,
    grade,
    grader,
    make_class,
    rows,
    slow_class,
)


def test_no_engine_stops_before_any_work(tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("student,repo\nalice,https://example.org/alice.git\n")
    no_engine = {"DOCKER_HOST": "unix:///nonexistent/docker.sock"}
    status, _, err = finish(grade(tmp_path, Path("lesson-2.4"), roster, env=no_engine))
    assert status == 2
    assert err.startswith("grader: no Docker Engine answers at")
    assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "subs").exists()  # nothing was cloned
    assert not (tmp_path / "out").exists()


@pytest.mark.keeps_objects
def test_engine_drop_mid_batch_marks_rows_and_the_rerun_regrades_only_them(
    tmp_path, busybox_image, docker_client
):
    roster, rubric = slow_class(tmp_path, busybox_image, 3)
    proxy = EngineProxy()
    proxy.start()
    out = tmp_path / "out"
    process = grade(tmp_path, rubric, roster, "--jobs", "1", env={"DOCKER_HOST": proxy.url})
    deadline = time.monotonic() + 300
    while not rows(out):
        assert time.monotonic() < deadline
        assert process.poll() is None
        time.sleep(0.2)
    first = rows(out)
    time.sleep(1)  # the next student's build is under way
    proxy.cut()
    _, err = process.communicate(timeout=600)
    assert process.returncode == 1, err  # some rows are errors
    found = rows(out)
    assert sorted(found) == ["s0", "s1", "s2"]
    errors = {s for s, row in found.items() if row["status"] == "error"}
    assert errors, "the cut should have hit a submission"
    assert set(first).isdisjoint(errors)
    for student in errors:
        assert "Docker Engine" in found[student]["error"]

    proxy.start()
    status, _, err = finish(
        grade(tmp_path, rubric, roster, "--jobs", "1", env={"DOCKER_HOST": proxy.url})
    )
    assert status == 0, err
    again = rows(out)
    assert all(row["status"] == "graded" for row in again.values())
    for student, row in first.items():
        assert again[student]["graded_at"] == row["graded_at"]  # not regraded
    assert f"({len(found) - len(errors)} unchanged, not regraded)" in err
    proxy.cut()
    status, _, err = finish(grader("clean"))
    assert status == 0, err
    assert engine_objects(docker_client) == []
    assert json.loads((out / "results.json").read_text())["submissions"]


def test_broken_inputs_each_get_a_clear_row_and_the_batch_goes_on(tmp_path, busybox_image):
    good = f'FROM {BUSYBOX}\nCMD ["echo", "hello"]\n'
    students = {
        "good": {"Dockerfile": good},
        "missing": {"README.md": "I forgot the Dockerfile\n"},
        "binary": {"Dockerfile": "\x00\x01\x02\xff" * 1000},
        "huge": {"Dockerfile": "FROM scratch\n" + "x" * (10 * 1024 * 1024)},
        "nofrom": {"Dockerfile": "RUN echo no base\n"},
    }
    roster = make_class(tmp_path, students)
    _, rubric = slow_class(tmp_path / "unused", busybox_image, 1)
    out = tmp_path / "out"
    status, _, err = finish(grade(tmp_path, rubric, roster))
    assert status == 0, err
    found = rows(out)
    assert found["good"]["score"] == 1.0
    for student in ("missing", "binary", "huge", "nofrom"):
        row = found[student]
        assert row["status"] == "graded", row
        [criterion] = row["tasks"][0]["criteria"]
        assert not criterion["passed"]
        assert len(criterion["message"]) < 600, (student, criterion["message"][:200])
        assert "\n" not in criterion["message"]
    assert found["missing"]["tasks"][0]["criteria"][0]["message"] == "Dockerfile is missing"
