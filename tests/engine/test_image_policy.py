"""The image policy on the real engine: a build that names a refused image is never started.

The instructor's reference solution is made on the engine from the model answer, as an
instructor who tests the rubric would leave it there. A student whose final stage copies the
binary out of it would score every build point; under the lesson's policy the build is not
started, nothing of it reaches the engine, and the feedback names the image.
"""

from __future__ import annotations

import secrets
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import docker
import docker.errors
import pytest
import yaml

from grader.dockerfile import rewrite_images
from grader.grading import substitute
from tests import baseimages
from tests.conftest import EXAMPLES
from tests.engine.helpers import finish, grade, rows
from tests.gitrepos import commit, make_repo

BUILD_DEPENDENT = ("image_size", "paths_absent", "output")


@pytest.fixture(scope="module")
def solution(
    docker_client: docker.DockerClient,
    go_images: dict[str, str],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[str]:
    """The model answer of task 1 built on the engine under a course-like name.

    A nonce in the name: a user's own images are never touched; removed afterwards.
    """
    name = f"course-{secrets.token_hex(4)}/solution:latest"
    context = tmp_path_factory.mktemp("solution") / "task1"
    shutil.copytree(EXAMPLES / "model" / "task1", context)
    dockerfile = context / "Dockerfile"
    text = rewrite_images(dockerfile.read_text(), lambda ref: substitute(ref, go_images))
    dockerfile.write_text(text)
    docker_client.images.build(path=str(context), tag=name, rm=True, forcerm=True)
    try:
        yield name
    finally:
        docker_client.images.remove(name, force=True)


@pytest.fixture
def leaked(docker_client: docker.DockerClient, busybox_image: str) -> Iterator[str]:
    """An image under grader-run/, as another student's build in the batch would be named."""
    name = f"grader-run/leaked.{secrets.token_hex(4)}"
    docker_client.images.get(busybox_image).tag(name, "task1")
    try:
        yield f"{name}:task1"
    finally:
        docker_client.images.remove(f"{name}:task1", force=True)


def _class(tmp_path: Path, solution: str, leaked: str) -> Path:
    thief = f'FROM scratch\nCOPY --from={solution} /myapp /myapp\nCMD ["/myapp"]\n'
    leak = f'FROM scratch\nCOPY --from={leaked} /bin/busybox /myapp\nCMD ["/myapp"]\n'
    lines = ["student,repo"]
    for student, dockerfile in (("honest", None), ("thief", thief), ("leak", leak)):
        repo = make_repo(tmp_path / "repos" / student, EXAMPLES / "model")
        if dockerfile is not None:
            (repo / "task1" / "Dockerfile").write_text(dockerfile)
        commit(repo, "work", "2026-11-20T00:00:00Z")
        lines.append(f"{student},{repo}")
    roster = tmp_path / "roster.csv"
    roster.write_text("\n".join(lines) + "\n")
    return roster


def _any_image_rubric(tmp_path: Path) -> Path:
    """The lesson rubric with a policy of '*': any name, as a rubric without a policy has."""
    text = (Path(__file__).parents[2] / "grader" / "rubrics" / "lesson-2.4.yaml").read_text()
    rubric = yaml.safe_load(text)
    rubric["defaults"]["images"] = {"allow": ["*"]}
    path = tmp_path / "any-image.yaml"
    path.write_text(yaml.safe_dump(rubric))
    return path


def _engine_names(docker_client: docker.DockerClient, since: float) -> str:
    """Every name the engine's events mention since then (tags, containers, builds)."""
    events = docker_client.api.events(since=int(since), until=int(time.time()) + 1, decode=True)
    return " ".join(str(event.get("Actor", {}).get("Attributes", {})) for event in events)


def test_a_build_naming_a_refused_image_is_not_started(
    tmp_path, docker_client, go_images, solution, leaked
):
    roster = _class(tmp_path, solution, leaked)
    maps = baseimages.image_map_args(go_images)
    started = time.time() - 1

    out = tmp_path / "lesson"
    status, _, err = finish(
        grade(tmp_path, "lesson-2.4", roster, "--task", "task1", *maps, out=out)
    )
    assert status == 0, err
    found = rows(out)
    honest = found["honest"]
    assert (honest["score"], honest["max_score"]) == (25.0, 25.0)
    for student, image in (("thief", solution), ("leak", leaked)):
        [task] = found[student]["tasks"]
        assert task["build"]["refused"] is True
        assert task["build"]["ok"] is False
        assert task["build"]["seconds"] == 0
        assert "build" not in found[student]["timings"], "no build was timed"
        for criterion in task["criteria"]:
            if criterion["check"] in BUILD_DEPENDENT:
                assert (criterion["passed"], criterion["score"]) == (False, 0.0), criterion
                assert criterion["checked"] is True
                assert image in criterion["message"]
                assert "[image-not-allowed]" in criterion["message"]
                assert "golang:*" in criterion["hint"]
        lint = next(c for c in task["criteria"] if c["check"] == "dockerfile_lint")
        assert not lint["passed"]
        assert image in lint["message"]
    assert "grader-run/" in found["leak"]["tasks"][0]["build"]["error"]
    page = (out / "students" / "thief.html").read_text()
    assert solution in page
    assert "not started" in page
    names = _engine_names(docker_client, started)
    assert "honest-task1" in names  # the events are seen: the honest build is there
    assert "thief-task1" not in names
    assert "leak-task1" not in names

    # the same class under a policy of '*': the thief's copy scores, the leak is still refused
    out = tmp_path / "any"
    rubric = _any_image_rubric(tmp_path)
    status, _, err = finish(grade(tmp_path, rubric, roster, "--task", "task1", *maps, out=out))
    assert status == 0, err
    found = rows(out)
    thief = {c["check"]: c for c in found["thief"]["tasks"][0]["criteria"]}
    assert thief["output"]["passed"], thief["output"]["message"]
    assert thief["image_size"]["passed"]
    assert thief["paths_absent"]["passed"]
    [leak] = found["leak"]["tasks"]
    assert leak["build"]["refused"] is True
    assert "grader-run/" in leak["build"]["error"]
    assert not any(c["passed"] for c in leak["criteria"] if c["check"] in BUILD_DEPENDENT)
