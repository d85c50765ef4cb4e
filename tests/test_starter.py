"""`grader init`: the starter layout, and a self-check on it that says what is missing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from grader.errors import InputError
from grader.starter import init, starter_files, starters

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "grader", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=cwd,
        env={**os.environ, "COLUMNS": "200", "DOCKER_HOST": "unix:///nonexistent.sock"},
    )


def test_the_lesson_has_a_starter_with_ci_that_matches_the_examples():
    assert "lesson-2.4" in starters()
    files = starter_files("lesson-2.4")
    for name in (
        "task1/Dockerfile",
        "task1/Dockerfile.single",
        "task1/main.go",
        "task2/package.json",
        "task3/app.py",
        "README.md",
        ".github/workflows/grader.yml",
        ".gitlab-ci.yml",
    ):
        assert name in files
    assert (
        files[".github/workflows/grader.yml"]
        == (ROOT / "examples/ci/github-grader.yml").read_bytes()
    )
    assert files[".gitlab-ci.yml"] == (ROOT / "examples/ci/gitlab-ci.yml").read_bytes()


def test_init_never_overwrites_unless_forced(tmp_path):
    written = init(tmp_path, "lesson-2.4")
    assert (tmp_path / "task1" / "main.go") in written
    (tmp_path / "task1" / "Dockerfile").write_text("FROM scratch\n")
    with pytest.raises(InputError, match="would overwrite"):
        init(tmp_path, "lesson-2.4")
    assert (tmp_path / "task1" / "Dockerfile").read_text() == "FROM scratch\n"
    init(tmp_path, "lesson-2.4", force=True)
    assert (tmp_path / "task1" / "Dockerfile").read_text().startswith("# Task 1")
    with pytest.raises(InputError, match="nope: no starter layout"):
        init(tmp_path, "nope")


def test_a_student_starts_checks_and_is_told_what_to_do(tmp_path):
    done = run("init", tmp_path / "mine")
    assert done.returncode == 0, done.stderr
    check = run("check", "--static-only", "--task", "task1", cwd=tmp_path / "mine")
    assert check.returncode == 1
    assert "Docker would refuse this Dockerfile" in check.stdout
    assert "hint: Compile in a first stage" in check.stdout
    again = run("init", tmp_path / "mine")
    assert again.returncode == 2
    assert again.stderr.startswith("grader: ")
