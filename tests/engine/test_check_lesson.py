"""`grader check` end to end on the real engine, as a student or an instructor runs it."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests import baseimages
from tests.conftest import EXAMPLES


def grader(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "grader", *map(str, args)],
        check=False,
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=1800,
        env={"COLUMNS": "200", "PATH": "/usr/bin:/bin", "HOME": str(Path.home())},
    )


def criteria(results_path: Path) -> dict[str, dict]:
    results = json.loads(results_path.read_text())
    [submission] = results["submissions"]
    return {f"{task['id']}/{c['id']}": c for task in submission["tasks"] for c in task["criteria"]}


def test_model_answer_for_task1_scores_full_marks(tmp_path, go_images):
    out = tmp_path / "results.json"
    page = tmp_path / "report.html"
    done = grader(
        "check",
        EXAMPLES / "model",
        "--rubric",
        "lesson-2.4",
        "--task",
        "task1",
        *baseimages.image_map_args(go_images),
        "--json",
        out,
        "--html",
        page,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "model: 25 / 25 points" in done.stdout
    results = json.loads(out.read_text())
    assert results["assignment"] == "lesson-2.4"
    [submission] = results["submissions"]
    assert submission["status"] == "graded"
    assert (submission["score"], submission["max_score"]) == (25.0, 25.0)
    [task] = submission["tasks"]
    assert task["build"]["ok"] is True
    assert task["image"]["final_base"] == "scratch"  # the name the student wrote, not the map
    assert task["image"]["size_bytes"] < 5_000_000
    assert task["run"]["stdout"] == "Hello from Go multi-stage!\n"
    assert all(c["passed"] for c in task["criteria"])
    assert "25 / 25" in page.read_text()


def test_single_stage_task1_fails_the_lesson_but_still_prints(tmp_path, go_images):
    out = tmp_path / "results.json"
    done = grader(
        "check",
        EXAMPLES / "single-stage",
        "--task",
        "task1",
        *baseimages.image_map_args(go_images),
        "--json",
        out,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    found = criteria(out)
    assert found["task1/multi-stage"]["passed"] is False
    assert found["task1/final-base"]["passed"] is False
    assert "golang:1.20" in found["task1/final-base"]["message"]
    assert found["task1/image-size"]["passed"] is False
    assert found["task1/image-size"]["score"] == 0
    assert found["task1/no-toolchain"]["passed"] is False
    assert found["task1/output"]["passed"] is True
    assert found["task1/multi-stage"]["hint"].startswith("Compile in a first stage")


def test_a_broken_build_fails_what_needs_the_image_and_says_why(tmp_path, go_images):
    repo = tmp_path / "student"
    shutil.copytree(EXAMPLES / "model", repo)
    dockerfile = repo / "task1" / "Dockerfile"
    dockerfile.write_text(dockerfile.read_text().replace("go build", "go biuld"))
    out = tmp_path / "results.json"
    done = grader(
        "check", repo, "--task", "task1", *baseimages.image_map_args(go_images), "--json", out
    )
    assert done.returncode == 1, done.stdout + done.stderr
    found = criteria(out)
    assert found["task1/multi-stage"]["passed"] is True  # static: still scored
    output = found["task1/output"]
    assert output["passed"] is False
    assert output["checked"] is True
    assert output["message"].startswith("the image did not build: [builder 4/4] RUN")
    assert "go biuld" in output["message"]
    assert "go biuld" in output["message"]
    task = json.loads(out.read_text())["submissions"][0]["tasks"][0]
    assert task["build"]["ok"] is False
    assert "unknown command" in task["build"]["log_tail"]


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["buildkit", "classic", "buildah"])
def test_the_whole_lesson_model_full_marks_single_stage_a_clear_fail(
    tmp_path, lesson_images, backend, request
):
    model, single = tmp_path / "model.json", tmp_path / "single.json"
    args = [*baseimages.image_map_args(lesson_images), "--builder", backend]
    if backend == "buildah":
        args += ["--docker-host", request.getfixturevalue("podman_lesson_url")]
    done = grader("check", EXAMPLES / "model", *args, "--json", model)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "model: 100 / 100 points" in done.stdout
    assert all(c["passed"] for c in criteria(model).values())

    done = grader("check", EXAMPLES / "single-stage", *args, "--json", single)
    assert done.returncode == 1, done.stdout + done.stderr
    found = criteria(single)
    for task in ("task1", "task2", "task3"):
        assert found[f"{task}/multi-stage"]["passed"] is False
        assert found[f"{task}/final-base"]["passed"] is False
        assert found[f"{task}/output"]["passed"] is True  # the apps work; the images are fat
    assert found["task4/builder-builds"]["message"].startswith("there is no stage named 'builder'")
    assert found["task5/size-reduction"]["passed"] is False
    assert found["task5/baseline-present"]["passed"] is True
    score = json.loads(single.read_text())["submissions"][0]["score"]
    assert score < 50
