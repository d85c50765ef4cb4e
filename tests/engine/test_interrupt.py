"""Ctrl-C and SIGTERM in the middle of a build: the batch stops within seconds, on every builder.

A class whose second student's build sleeps far longer than the test waits: the signal comes
while that step sleeps, so the build must be cancelled on the engine, not waited for.
"""

from __future__ import annotations

import signal
import textwrap
import time
from pathlib import Path

import pytest

from tests.engine.helpers import engine_objects, finish, grade, make_class, rows, wait_for_rows

RUBRIC = """\
assignment: interrupt
title: Interrupted
tasks:
  - id: app
    title: App
    dockerfile: Dockerfile
    criteria:
      - {check: output, points: 1, contains: hello}
"""
SLEEP = "sleep 913"  # a command line no other test runs


def _sleeping() -> bool:
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and (entry / "cmdline").read_bytes() == b"sleep\0913\0":
                return True
        except OSError:
            continue
    return False


@pytest.mark.parametrize("how", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_cancels_the_build_in_flight(tmp_path, busybox_image, docker_client, builder, how):
    quick = f'FROM {busybox_image}\nCMD ["echo", "hello"]\n'
    stuck = f'FROM {busybox_image}\nRUN echo start && {SLEEP}\nCMD ["echo", "hello"]\n'
    roster = make_class(tmp_path, {"a0": {"Dockerfile": quick}, "b1": {"Dockerfile": stuck}})
    rubric = tmp_path / "rubric.yaml"
    rubric.write_text(textwrap.dedent(RUBRIC))
    out = tmp_path / "out"
    process = grade(tmp_path, rubric, roster, "--jobs", "1", "--builder", builder)
    first = wait_for_rows(out, 1, process)
    deadline = time.monotonic() + 120
    while not _sleeping():  # the second build is in its sleeping step
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
    assert not _sleeping(), "the build step still runs on the engine"
    assert engine_objects(docker_client) == []
