"""A class of hostile submissions on the real engine: each is contained, the rest is graded.

One batch, tight limits, every hostile fixture of the sandbox rules as one student; then each
row is asserted, and (through the autouse fixture) nothing may be left on the engine.
"""

from __future__ import annotations

import json
import os
import shutil
import textwrap
import time
from pathlib import Path

import pytest

from tests import baseimages
from tests.engine.helpers import BUSYBOX, finish, grade, left_on
from tests.gitrepos import commit, git, make_repo

RUBRIC = f"""\
assignment: hostile
title: Hostile submissions
defaults:
  limits: {{build_timeout: 20, run_timeout: 5, memory: 128MiB, pids: 64, output_limit: 64KiB}}
  image_map: {{"{BUSYBOX}": "{baseimages.BUSYBOX}"}}
tasks:
  - id: app
    title: Say hello
    dockerfile: Dockerfile
    criteria:
      - {{check: output, points: 1, contains: hello}}
"""


def big_write() -> str:
    free = shutil.disk_usage("/var/lib/docker" if Path("/var/lib/docker").exists() else "/").free
    return "2048" if free > 20 * 1024**3 else "200"  # MiB: gigabytes where the disk takes them


def dockerfiles(image: str) -> dict[str, str]:
    bomb = "bomb() { bomb | bomb & }; bomb; sleep 30"
    net = "wget -q -T 3 -O /dev/null http://deb.debian.org/ && echo NET-OK || echo NET-FAIL"
    return {
        "good": f'FROM {image}\nCMD ["echo", "hello"]\n',
        "forkbomb": f'FROM {image}\nCMD ["sh", "-c", "{bomb}"]\n',
        "memhog": f'FROM {image}\nCMD ["sh", "-c", "echo hello; tail /dev/zero"]\n',
        "flood": f'FROM {image}\nCMD ["yes", "hello"]\n',
        "sleeper": f'FROM {image}\nCMD ["sleep", "1000"]\n',
        "buildhang": f"FROM {image}\nRUN sleep 1000\n",
        "buildfill": (
            f"FROM {image}\nRUN dd if=/dev/zero of=/big bs=1M count={big_write()}\n"
            'CMD ["echo", "hello"]\n'
        ),
        "escapes": (
            f"FROM {image}\n"
            'CMD ["printf", "<script>alert(1)</script>\\\\033[31mred\\\\033[0m hello\\\\n"]\n'
        ),
        "symlink": (
            f'FROM {image}\nCOPY secret /secret\nCMD ["sh", "-c", "cat /secret; echo hello"]\n'
        ),
        "network": f'FROM {image}\nCMD ["sh", "-c", "{net}; echo hello"]\n',
        "submodule": (
            f'FROM {image}\nCOPY vendor/ /vendor/\nCMD ["sh", "-c", "ls -a /vendor; echo hello"]\n'
        ),
    }


def make_class(tmp_path: Path, image: str) -> Path:
    lines = ["student,repo"]
    for student, dockerfile in dockerfiles(image).items():
        repo = make_repo(tmp_path / "repos" / student)
        (repo / "Dockerfile").write_text(dockerfile)
        if student == "symlink":
            (repo / "secret").symlink_to("/etc/shadow")
        if student == "submodule":
            other = make_repo(tmp_path / "repos" / "elsewhere")
            commit(other, "secret", "2026-11-01T00:00:00Z", {"secret.txt": "not for graders"})
            git(
                repo,
                "-c",
                "protocol.file.allow=always",
                "submodule",
                "add",
                "-q",
                str(other),
                "vendor",
            )
        commit(repo, "work", "2026-11-20T00:00:00Z")
        lines.append(f"{student},{repo}")
    roster = tmp_path / "roster.csv"
    roster.write_text("\n".join(lines) + "\n")
    return roster


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["buildkit", "classic", "buildah"])
def test_a_hostile_class_is_contained_and_graded(tmp_path, busybox_image, backend, request):
    where = ["--builder", backend]
    if backend == "buildah":  # Podman's service; the Docker Engine's own check is the fixture's
        where += ["--docker-host", request.getfixturevalue("podman_url")]
    roster = make_class(tmp_path, BUSYBOX)
    rubric = tmp_path / "hostile.yaml"
    rubric.write_text(textwrap.dedent(RUBRIC))
    templates = tmp_path / "templates" / "hooks"  # a hook the grading machine's git would run
    templates.mkdir(parents=True)
    marker = tmp_path / "hook-ran"
    (templates / "post-checkout").write_text(f"#!/bin/sh\ntouch {marker}\n")
    (templates / "post-checkout").chmod(0o755)
    out = tmp_path / "out"
    started = time.monotonic()
    hook = {"GIT_TEMPLATE_DIR": str(templates.parent)}
    status, _, err = finish(grade(tmp_path, rubric, roster, "--jobs", "2", *where, env=hook))
    elapsed = time.monotonic() - started
    assert status == 0, err
    assert elapsed < 300
    results = json.loads((out / "results.json").read_text())
    rows = {row["student"]: row for row in results["submissions"]}
    assert sorted(rows) == sorted(dockerfiles(BUSYBOX))
    assert all(row["status"] == "graded" for row in rows.values()), err

    def task(student: str) -> dict:
        return rows[student]["tasks"][0]

    def output(student: str) -> dict:
        return task(student)["criteria"][0]

    assert rows["good"]["score"] == 1.0

    bomb = task("forkbomb")["run"]
    assert bomb["timed_out"] or bomb["exit_code"] != 0
    assert not output("forkbomb")["passed"]

    hog = task("memhog")["run"]
    assert hog["oom_killed"] is True
    assert "ran out of memory" in output("memhog")["message"]

    flood = task("flood")["run"]
    assert flood["timed_out"] is True
    assert flood["stdout_truncated"] is True
    assert len(flood["stdout"]) < 70 * 1024
    assert "bytes cut by grader" in flood["stdout"]

    assert task("sleeper")["run"]["timed_out"] is True
    assert "still running after" in output("sleeper")["message"]

    hang = task("buildhang")["build"]
    assert hang["timed_out"] is True
    assert "stopped at its time limit, 20 s" in hang["error"]
    assert output("buildhang")["message"].startswith("the image did not build")

    fill = task("buildfill")
    if fill["build"]["ok"]:  # it finished in time: a huge image, graded, then removed
        assert fill["image"]["size_bytes"] >= 200_000_000
    else:
        assert fill["build"]["timed_out"]

    escapes = task("escapes")["run"]["stdout"]
    assert escapes.startswith("<script>alert(1)</script>\x1b[31mred")
    # stored as printed; escaped wherever it is shown
    assert output("escapes")["passed"], (output("escapes"), task("escapes")["run"])
    page = (out / "students" / "escapes.html").read_text()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page

    # the engine resolves the link inside the context: the build fails (or copies a dangling
    # link); either way the host's file never shows
    symlink = task("symlink")
    run = symlink["run"] or {"stdout": "", "stderr": ""}
    shown = run["stdout"] + run["stderr"] + symlink["build"]["log_tail"]
    host_secret = (
        Path("/etc/shadow").read_text().splitlines()[0]
        if os.access("/etc/shadow", os.R_OK)
        else "root:"
    )
    assert host_secret not in shown
    assert "root:" not in shown

    assert "NET-FAIL" in task("network")["run"]["stdout"]
    assert "NET-OK" not in task("network")["run"]["stdout"]

    assert "secret.txt" not in task("submodule")["run"]["stdout"]
    assert not marker.exists()
    if backend == "buildah":
        assert left_on(where[-1]) == []
