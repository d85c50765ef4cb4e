"""Ctrl-C and SIGTERM in the middle of a build: the batch stops within seconds, on every builder.

A class whose second student's build sleeps far longer than the test waits: the signal comes
while that step sleeps, so the build must be cancelled on the engine, not waited for.
"""

from __future__ import annotations

import signal
import time

import pytest

from tests.engine.helpers import (
    BUSYBOX,
    SLOW_RUBRIC,
    engine_objects,
    finish,
    grade,
    left_on,
    make_class,
    rows,
    running,
    wait_for_rows,
)

SLEEP = "sleep 913"  # a command line no other test runs


@pytest.mark.parametrize("backend", ["buildkit", "classic", "buildah"])
@pytest.mark.parametrize("how", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_cancels_the_build_in_flight(
    tmp_path, busybox_image, docker_client, backend, how, request
):
    where = ["--builder", backend]
    if backend == "buildah":
        where += ["--docker-host", request.getfixturevalue("podman_url")]
    quick = f'FROM {BUSYBOX}\nCMD ["echo", "hello"]\n'
    stuck = f'FROM {BUSYBOX}\nRUN echo start && {SLEEP}\nCMD ["echo", "hello"]\n'
    roster = make_class(tmp_path, {"a0": {"Dockerfile": quick}, "b1": {"Dockerfile": stuck}})
    rubric = tmp_path / "rubric.yaml"
    rubric.write_text(SLOW_RUBRIC)
    out = tmp_path / "out"
    process = grade(tmp_path, rubric, roster, "--jobs", "1", *where)
    first = wait_for_rows(out, 1, process)
    deadline = time.monotonic() + 120
    while not running(SLEEP):  # the second build is in its sleeping step
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the build never reached its sleep"
        time.sleep(0.2)
    signalled = time.monotonic()
    process.send_signal(how)
    status, _, err = finish(process)
    took = time.monotonic() - signalled
    assert status == 130, err
    assert took < 10, f"took {took:.1f} s to stop"
    assert set(rows(out)) == set(first) == {"a0"}, "the finished row is kept, no other is made"
    time.sleep(1)
    assert not running(SLEEP), "the build step still runs on the engine"
    assert engine_objects(docker_client) == []
    if backend == "buildah":
        assert left_on(where[-1]) == []
