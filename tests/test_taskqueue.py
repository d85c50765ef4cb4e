"""The queue's pure parts: what a job carries, how long it may take, and refusals in one line."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest
from rq.job import JobStatus

from grader.batch import Due, ReuseKey
from grader.errors import EnvironmentProblem, InputError
from grader.grading import GradeOptions
from grader.roster import Student
from grader.rubrics import load
from grader.taskqueue import WorkerContext, _read_payload, _status, connect, job_timeout, payload
from tests.engine.redis_server import free_port
from tests.test_cli import grader, one_line_error


def test_a_payload_carries_everything_the_worker_needs_and_reads_back_the_same():
    loaded = load("lesson-2.4")
    student = Student(id="ann", repo="https://example.org/ann.git", line=3, email="a@x.org")
    due = Due(datetime(2026, 12, 1, 23, 59, tzinfo=timezone.utc), "extension", "flu", 2)
    grading = GradeOptions(tasks=("task1",), image_map={"golang:1.22": "local/go"})
    reuse = ReuseKey("ab" * 20, due.deadline, 2, frozenset({'{"name":"buildkit"}'}))
    job = _read_payload(payload(loaded, student, due, grading, reuse), {})
    assert job.loaded.sha256 == loaded.sha256  # the same text, so the same rubric hash
    assert job.loaded.rubric == loaded.rubric
    assert job.student == student
    assert job.due == due
    assert job.grading == grading
    assert job.reuse == reuse
    assert _read_payload(payload(loaded, student, Due(), grading, None), {}).reuse is None


def test_a_worker_parses_each_rubric_once():
    loaded = load("lesson-2.4")
    student = Student(id="ann", repo="/r/ann", line=2)
    seen: dict = {}
    first = _read_payload(payload(loaded, student, Due(), GradeOptions(), None), seen)
    again = _read_payload(payload(loaded, student, Due(), GradeOptions(), None), seen)
    assert first.loaded is again.loaded
    assert len(seen) == 1


def test_a_job_may_take_a_clone_and_every_task_at_its_limits():
    loaded = load("lesson-2.4")
    one = job_timeout(loaded, ["task1"])
    every = job_timeout(loaded, [])
    task1 = next(t for t in loaded.rubric.tasks if t.id == "task1")
    limits = loaded.rubric.limits_for(task1)
    assert one == int(660 + limits.build_timeout + limits.run_timeout * (len(task1.criteria) + 1))
    assert every > one


def test_connect_refuses_what_is_not_redis_and_says_when_none_answers():
    with pytest.raises(InputError, match="not a Redis URL"):
        connect("http://127.0.0.1:6379")
    url = f"redis://127.0.0.1:{free_port()}"
    with pytest.raises(EnvironmentProblem, match=f"no Redis answers at {url}"):
        connect(url)


def test_grade_with_a_queue_that_does_not_answer_is_one_line_and_clones_nothing(tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text(f"student,repo\nann,{tmp_path / 'ann'}\n")
    url = f"redis://127.0.0.1:{free_port()}"
    done = grader(
        "grade", "--rubric", "lesson-2.4", "--roster", roster, "--out", tmp_path / "out",
        "--submissions", tmp_path / "subs", "--queue", url,
    )  # fmt: skip
    assert one_line_error(done).startswith(f"grader: no Redis answers at {url}")
    assert not (tmp_path / "subs").exists()
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("flag", "value"), [("--jobs", "2"), ("--docker-host", "tcp://127.0.0.1:1"), ("--keep", None)]
)
def test_grade_with_a_queue_refuses_what_the_workers_choose(tmp_path, flag, value):
    roster = tmp_path / "roster.csv"
    roster.write_text("student,repo\nann,/r/ann\n")
    extra = [flag] if value is None else [flag, value]
    done = grader(
        "grade", "--rubric", "lesson-2.4", "--roster", roster, "--queue", "redis://127.0.0.1:1",
        *extra,
    )  # fmt: skip
    assert f"{flag} is the workers' to choose with --queue" in one_line_error(done)


def test_a_worker_without_redis_is_one_line():
    url = f"redis://127.0.0.1:{free_port()}"
    assert one_line_error(grader("worker", "--queue", url)).startswith(
        f"grader: no Redis answers at {url}"
    )


def test_a_status_that_is_missing_or_not_rqs_is_a_lost_job():
    assert _status(b"finished") is JobStatus.FINISHED
    assert _status("queued") is JobStatus.QUEUED
    assert _status(None) is None  # no hash: Redis lost the job
    assert _status(b"") is None
    assert _status(b"half-written") is None


def test_a_worker_shares_identical_builds_within_a_batch_only():
    context = WorkerContext(engine=None, submissions=Path("subs"))  # type: ignore[arg-type]
    first = context.cache_for("b1")
    assert context.cache_for("b1") is first
    assert context.cache_for("b2") is not first
    for batch in ("b3", "b4", "b5"):
        context.cache_for(batch)
    assert "b1" not in context.caches  # the oldest batches are let go
    assert len(context.caches) == 4
