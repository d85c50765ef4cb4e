"""The image policy without an engine: what it refuses, where the analysis says so, and how the
static checks, `inspect`, `check --static-only` and `prefetch` report it."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

from grader.dockerfile import analyze
from grader.errors import InputError
from grader.grading import GradeOptions, base_images, check_repository
from grader.imagepolicy import refusal
from grader.models.rubric import ImagePolicy
from grader.rubrics import load, parse
from tests.conftest import EXAMPLES
from tests.test_cli import grader

SHA = "sha256:" + "0123456789abcdef" * 4
LESSON = ImagePolicy(allow=["golang:*", "alpine:*", "scratch"], refuse=["course/*"])


@pytest.mark.parametrize(
    ("ref", "refused"),
    [
        ("golang:1.20", None),
        ("docker.io/library/golang:1.20", None),
        (f"golang@{SHA}", None),  # pinned: judged by its name
        (f"golang:1.20@{SHA}", None),
        ("alpine", None),  # Docker pulls alpine:latest, which alpine:* covers
        ("scratch", None),
        ("nginx:alpine", "not an image the rubric allows"),
        ("alpine-evil/x:1", "not an image the rubric allows"),
        ("course/solution:latest", "refused by the image policy (course/*)"),
        ("grader-run/host.1.ab12:alice-task1", "is in grader-run/"),
        ("localhost/grader-run/host.1.ab12:alice-task1", "is in grader-run/"),  # Podman's names
        ("docker.io/grader-test/busybox:latest", "is in grader-test/"),
        ("3835170ff344", "image ID"),
        ("3835", "image ID"),
        (f"{SHA}", "image ID"),
        ("Not A Reference", None),  # Docker refuses it; the analysis reports that instead
    ],
)
def test_what_the_policy_refuses(ref: str, refused: str | None) -> None:
    why = refusal(ref, LESSON)
    if refused is None:
        assert why is None
    else:
        assert why is not None
        assert refused in why


def test_grader_namespaces_and_ids_are_refused_under_any_policy() -> None:
    anything = ImagePolicy()
    assert anything.allow == ["*"]
    assert refusal("course/solution:latest", anything) is None
    assert refusal("grader-run/x.1.y:z", anything) is not None
    assert refusal("grader-test/busybox:latest", anything) is not None
    assert refusal("3835170ff344", anything) is not None
    # a name is not an ID: a tag, a user's repository, a word that is not hexadecimal
    for name in ("3835170ff344:latest", "someone/3835170ff344", "cafes"):
        assert refusal(name, anything) is None, name


def test_a_task_replaces_allow_and_adds_to_refuse() -> None:
    base = ImagePolicy(allow=["golang:*"], refuse=["course/*"])
    task = ImagePolicy.model_validate({"refuse": ["other/*"]})
    assert base.merged(task) == ImagePolicy(allow=["golang:*"], refuse=["course/*", "other/*"])
    task = ImagePolicy.model_validate({"allow": ["python:*"]})
    assert base.merged(task) == ImagePolicy(allow=["python:*"], refuse=["course/*"])
    assert base.merged(None) is base
    assert base.refusing(["x/*", "course/*"]).refuse == ["course/*", "x/*"]


def test_a_bad_pattern_is_refused_at_load_with_its_place() -> None:
    text = textwrap.dedent(
        """\
        assignment: a
        title: A
        defaults:
          images: {allow: ["golang *"]}
        tasks:
          - id: t
            title: T
            dockerfile: Dockerfile
            criteria: [{check: multi_stage, points: 1}]
        """
    )
    with pytest.raises(InputError, match=r"line 4, .*images\.allow, item 1: .*one word"):
        parse(text.encode(), "a.yaml")
    with pytest.raises(InputError, match=r"line 4, .*images\.allow: List should have at least 1"):
        parse(text.replace('["golang *"]', "[]").encode(), "a.yaml")


def _refused(text: str, policy: ImagePolicy = LESSON, **kwargs: object) -> list[tuple[int, str]]:
    problems = analyze(text, images=policy, **kwargs).problems  # type: ignore[arg-type]
    return [(p.line or 0, p.message) for p in problems if p.rule == "image-not-allowed"]


def test_every_place_a_dockerfile_names_an_image_is_judged() -> None:
    text = textwrap.dedent(
        """\
        # syntax=course/frontend:1
        FROM golang:1.20 AS builder
        FROM alpine:3.19 AS base
        ONBUILD COPY --from=course/solution:1 /myapp /stolen
        FROM base
        COPY --from=course/solution:1 /myapp /myapp
        RUN --mount=type=bind,from=nginx:1.25,target=/m true
        FROM course/solution:1
        """
    )
    found = _refused(text)
    assert [line for line, _ in found] == [1, 4, 6, 7, 8]
    assert found[0][1].startswith("# syntax=course/frontend:1 is refused")
    assert found[1][1].startswith("ONBUILD COPY --from=course/solution:1 is refused")
    assert found[3][1].startswith("RUN --mount=...,from=nginx:1.25 is not an image")
    assert "allowed: golang:*, alpine:*, scratch" in found[3][1]


def test_args_are_expanded_first_and_build_args_count() -> None:
    text = "ARG BASE=golang:1.20\nFROM ${BASE}\n"
    assert _refused(text) == []
    assert [line for line, _ in _refused(text, build_args={"BASE": "course/x:1"})] == [2]


def test_a_check_directive_cannot_skip_the_policy() -> None:
    text = "# check=skip=all\nFROM nginx:1.25\n"
    assert [line for line, _ in _refused(text)] == [2]


def test_no_policy_still_refuses_grader_images() -> None:
    problems = analyze("FROM grader-run/a.1.b:c\n").problems
    assert [p.rule for p in problems if p.severity == "error"] == ["image-not-allowed"]
    assert analyze("FROM grader-run/a.1.b:c\n").error is None  # Docker would build it


def _thief(tmp_path: Path) -> Path:
    repo = tmp_path / "thief"
    shutil.copytree(EXAMPLES / "model", repo)
    (repo / "task1" / "Dockerfile").write_text(
        "FROM golang:1.20 AS builder\nFROM scratch\nCOPY --from=course/solution:1 /myapp /myapp\n"
        'CMD ["/myapp"]\n'
    )
    return repo


def test_static_only_fails_what_needs_the_build_and_says_why(tmp_path: Path) -> None:
    outcome = check_repository(
        _thief(tmp_path), load("lesson-2.4"), GradeOptions(tasks=["task1"], static_only=True)
    )
    [task] = outcome.results.submissions[0].tasks
    assert task.build is not None
    assert task.build.refused
    assert task.build.seconds == 0
    by_check = {c.check: c for c in task.criteria}
    for check in ("image_size", "paths_absent", "output"):
        criterion = by_check[check]
        assert criterion.checked, criterion
        assert not criterion.passed, criterion
        assert "course/solution:1" in criterion.message
        assert criterion.message.startswith("the build was not started: line 3: ")
        assert criterion.hint is not None
        assert "golang:*" in criterion.hint
    assert by_check["final_base"].passed  # static checks judge the file as before
    assert not by_check["dockerfile_lint"].passed
    assert "[image-not-allowed]" in by_check["dockerfile_lint"].message


def test_a_refused_baseline_is_named(tmp_path: Path) -> None:
    repo = tmp_path / "student"
    shutil.copytree(EXAMPLES / "model", repo)
    (repo / "task1" / "Dockerfile.single").write_text("FROM course/solution:1\n")
    outcome = check_repository(
        repo, load("lesson-2.4"), GradeOptions(tasks=["task5"], static_only=True)
    )
    [task] = outcome.results.submissions[0].tasks
    [criterion] = [c for c in task.criteria if c.check == "size_reduction"]
    assert criterion.message.startswith(
        "the build (task1/Dockerfile.single) was not started: line 1: FROM course/solution:1"
    )


def test_the_command_line_refuses_more_on_request(tmp_path: Path) -> None:
    repo = tmp_path / "student"
    shutil.copytree(EXAMPLES / "model", repo)
    rubric = tmp_path / "any.yaml"
    rubric.write_text(
        (Path(__file__).parents[1] / "grader" / "rubrics" / "lesson-2.4.yaml")
        .read_text()
        .replace('      - "golang:*"', '      - "*"\n      - "golang:*"')
    )
    (repo / "task1" / "Dockerfile").write_text("FROM mine/solution:1\n")
    static = ("--task", "task1", "--static-only", "--rubric", rubric)
    assert "not started" not in grader("check", repo, *static).stdout
    done = grader("check", repo, *static, "--refuse-image", "mine/*")
    assert done.returncode == 1
    assert "the build was not started: line 1: FROM mine/solution:1 is refused" in done.stdout


def test_inspect_judges_by_a_rubric_on_request(tmp_path: Path) -> None:
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text("FROM nginx:1.25\nCOPY --from=grader-run/a.1.b:c /x /x\n")
    plain = grader("inspect", dockerfile, "--json")
    assert plain.returncode == 0, plain.stderr
    assert plain.stdout.count('"image-not-allowed"') == 1  # only grader's own, without a rubric
    judged = grader("inspect", dockerfile, "--rubric", "lesson-2.4", "--task", "task1")
    assert judged.returncode == 0, judged.stderr
    assert "FROM nginx:1.25 is not an image the rubric allows" in judged.stdout
    unknown = grader("inspect", dockerfile, "--rubric", "lesson-2.4", "--task", "nope")
    assert unknown.returncode == 2
    assert unknown.stderr.strip().splitlines() == [
        "grader: --task nope: no such task in lesson-2.4 "
        "(tasks: task1, task2, task3, task4, task5, quiz)"
    ]


def test_prefetch_pulls_nothing_for_a_refused_build(tmp_path: Path) -> None:
    thief = _thief(tmp_path)
    (thief / "task1" / "Dockerfile").write_text("FROM nginx:1.25\n")
    images = base_images(load("lesson-2.4"), [thief], {})
    assert "nginx:1.25" not in images
    assert "golang:1.20" in images  # the baseline Dockerfile.single is still fine
