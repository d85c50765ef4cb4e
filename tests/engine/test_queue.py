"""`grader grade --queue` with redis-server on loopback and two `grader worker` processes.

Each test starts its own Redis (no persistence, so a restart loses every key) and its own
workers, on this machine's engine; the submitting side is the command line, as an instructor
runs it.
"""

from __future__ import annotations

import signal
import time

import pytest
import redis
from rq import SimpleWorker

from grader.taskqueue import HEARTBEAT_TTL, _queue
from tests import baseimages
from tests.engine.helpers import (
    BUSYBOX,
    engine_objects,
    finish,
    grade,
    grader,
    make_class,
    rows,
    slow_class,
)
from tests.engine.redis_server import redis_server, workers

RUBRIC = f"""\
assignment: queued
title: Queued
defaults:
  image_map: {{"{BUSYBOX}": "{baseimages.BUSYBOX}"}}
tasks:
  - id: app
    title: App
    dockerfile: Dockerfile
    criteria:
      - {{id: says, check: output, points: 2, contains: hello}}
      - {{id: stages, check: multi_stage, points: 1}}
"""


def _verdicts(row: dict) -> tuple:
    """What a row says about a submission, leaving out when and where it was graded."""
    tasks = tuple(
        (task["id"], tuple((c["id"], c["score"], c["passed"]) for c in task["criteria"]))
        for task in row["tasks"]
    )
    return row["status"], row["commit"], row["score"], row["max_score"], tasks


def _busy_worker(url: str, deadline: float) -> str:
    """The name of a worker in the middle of a job, once there is one."""
    connection = redis.Redis.from_url(url)
    queue = _queue(connection)
    while time.monotonic() < deadline:
        for worker in SimpleWorker.all(queue=queue):
            if worker.get_current_job_id():
                return str(worker.name)
        time.sleep(0.1)
    raise AssertionError("no worker took a job")


@pytest.mark.keeps_objects
def test_the_queue_grades_as_a_local_run_does_and_a_rerun_reuses_every_row(tmp_path, busybox_image):
    students = {
        f"s{n}": {
            "Dockerfile": f"FROM {BUSYBOX} AS build\nRUN echo 'hello {n}' > /m\n"
            f'FROM {BUSYBOX}\nCOPY --from=build /m /m\nCMD ["cat", "/m"]\n'
            if n % 2
            else f'FROM {BUSYBOX}\nCMD ["echo", "bye {n}"]\n'
        }
        for n in range(4)
    }
    roster = make_class(tmp_path, students)
    rubric = tmp_path / "queued.yaml"
    rubric.write_text(RUBRIC)
    local = tmp_path / "local"
    status, _, err = finish(grade(tmp_path, rubric, roster, out=local))
    assert status == 0, err  # the even students fail, but no row is an error
    with redis_server(tmp_path / "redis") as server, workers(server.url, tmp_path) as started:
        queued = tmp_path / "queued"
        status, _, err = finish(grade(tmp_path, rubric, roster, "--queue", server.url, out=queued))
        assert status == 0, err
        expected, got = rows(local), rows(queued)
        assert sorted(got) == ["s0", "s1", "s2", "s3"]
        assert {s: _verdicts(r) for s, r in got.items()} == {
            s: _verdicts(r) for s, r in expected.items()
        }
        assert got["s1"]["score"] == 3
        assert got["s0"]["score"] == 0
        assert not (queued / "results.journal.jsonl").exists()  # folded into results.json
        for student in got:
            assert (queued / "students" / f"{student}.html").exists()
            assert (queued / "instructor" / f"{student}.html").exists()
        assert "s3" in (queued / "index.html").read_text()

        again_status, _, again = finish(
            grade(tmp_path, rubric, roster, "--queue", server.url, out=queued)
        )
        assert again_status == 0, again
        assert "(4 unchanged, not regraded)" in again, again
        regraded = rows(queued)
        assert {s: r["graded_at"] for s, r in regraded.items()} == {
            s: r["graded_at"] for s, r in got.items()
        }
        assert all(process.poll() is None for process in started)  # still taking jobs
    logs = "".join(path.read_text() for path in tmp_path.glob("worker*.log"))
    assert "unchanged" in logs  # the workers, not the submitter, found them unchanged


@pytest.mark.keeps_objects
def test_a_worker_killed_mid_job_leaves_it_to_the_other_and_clean_leaves_nothing(
    tmp_path, busybox_image, docker_client
):
    roster, rubric = slow_class(tmp_path, busybox_image, 2)
    out = tmp_path / "out"
    with redis_server(tmp_path / "redis") as server, workers(server.url, tmp_path) as started:
        process = grade(tmp_path, rubric, roster, "--queue", server.url)
        busy = _busy_worker(server.url, time.monotonic() + 120)
        victim = started[int(busy[1])]  # named w0-… or w1-…
        time.sleep(1)  # into the build
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=30)
        status, _, err = finish(process)
        assert status == 0, err
        found = rows(out)
        assert sorted(found) == ["s0", "s1"]
        assert all(row["status"] == "graded" for row in found.values()), found
        assert all(row["score"] == row["max_score"] for row in found.values())
        survivor = tmp_path / f"worker{1 - int(busy[1])}.log"
        assert survivor.read_text().count(": graded") == 2  # it graded both, the dead one's too
    time.sleep(5)  # the killed worker's build ends on the engine, which then holds its layers
    status, _, err = finish(grader("clean"))
    assert status == 0, err
    assert engine_objects(docker_client) == []


def test_a_worker_stopped_mid_job_hands_it_back_at_once(tmp_path, busybox_image):
    roster, rubric = slow_class(tmp_path, busybox_image, 2)
    with redis_server(tmp_path / "redis") as server, workers(server.url, tmp_path) as started:
        process = grade(tmp_path, rubric, roster, "--queue", server.url)
        busy = _busy_worker(server.url, time.monotonic() + 120)
        stopped = started[int(busy[1])]
        time.sleep(1)  # into the build
        at = time.monotonic()
        stopped.send_signal(signal.SIGTERM)
        stopped.wait(timeout=30)  # it stops at once, not after its build
        status, _, err = finish(process)
        took = time.monotonic() - at
        assert status == 0, err
    found = rows(tmp_path / "out")
    assert all(row["status"] == "graded" for row in found.values()), found
    # handed back, the job is done by the other worker before an abandoned one would be noticed
    assert took < HEARTBEAT_TTL, took


def test_a_redis_restart_loses_no_finished_row(tmp_path, busybox_image):
    roster, rubric = slow_class(tmp_path, busybox_image, 4)
    out = tmp_path / "out"
    with redis_server(tmp_path / "redis") as server, workers(server.url, tmp_path):
        process = grade(tmp_path, rubric, roster, "--queue", server.url)
        deadline = time.monotonic() + 300
        while not rows(out):
            assert time.monotonic() < deadline, "no row was finished"
            assert process.poll() is None, process.communicate()
            time.sleep(0.1)
        before = rows(out)
        server.restart()  # every job, queued or answered, is gone
        status, _, err = finish(process)
        assert status == 0, err
        after = rows(out)
    assert sorted(after) == ["s0", "s1", "s2", "s3"]
    assert all(row["status"] == "graded" for row in after.values()), after
    for student, row in before.items():
        assert after[student]["graded_at"] == row["graded_at"]  # kept, not graded again
