"""The CI files students drop into their repositories run the same command that passes here."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from tests import baseimages
from tests.conftest import EXAMPLES

ROOT = Path(__file__).resolve().parents[2]


def commands() -> dict[str, list[str]]:
    github = yaml.safe_load((ROOT / "examples/ci/github-grader.yml").read_text())
    gitlab = yaml.safe_load((ROOT / "examples/ci/gitlab-ci.yml").read_text())
    steps = github["jobs"]["check"]["steps"]
    return {
        "github": [step["run"] for step in steps if "run" in step],
        "gitlab": list(gitlab["grader"]["script"]),
    }


def test_both_ci_files_install_the_course_grader_and_run_the_same_check():
    found = commands()
    for lines in found.values():
        install, check = lines
        assert install.startswith('pip install "${GRADER_PACKAGE:?')
        assert check.startswith("grader check --rubric lesson-2.4 ")
    assert found["github"][1] == found["gitlab"][1]


def test_the_ci_check_command_passes_on_a_model_answer(tmp_path, go_images):
    repo = tmp_path / "student"
    shutil.copytree(EXAMPLES / "model", repo)
    check = commands()["github"][1]
    args = " ".join(["--task", "task1", *baseimages.image_map_args(go_images)])
    scripts = Path(sys.executable).parent  # where pip put the `grader` command
    env = {**os.environ, "GRADER_ARGS": args, "PATH": f"{scripts}:{os.environ['PATH']}"}
    done = subprocess.run(
        ["bash", "-c", check],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=900,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert (repo / "grader-report.html").exists()
    assert (repo / "grader-results.json").exists()
    assert "student: 25 / 25 points" in done.stdout
