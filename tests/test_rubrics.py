"""Rubric files: the bundled lesson rubric, and a readable line for every kind of mistake."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from grader.errors import InputError, RubricError
from grader.models.rubric import Limits
from grader.models.rules import RULES
from grader.rubrics import bundled_names, default_name, load, parse
from grader.schemas import schema_for
from tests.test_cli import grader

ROOT = Path(__file__).resolve().parent.parent


def test_the_lesson_rubric_is_bundled_and_complete():
    assert "lesson-2.4" in bundled_names()
    assert default_name() == "lesson-2.4"
    loaded = load("lesson-2.4")
    rubric = loaded.rubric
    assert [t.id for t in rubric.tasks] == ["task1", "task2", "task3", "task4", "task5", "quiz"]
    assert rubric.max_score == 100
    assert loaded.source == "lesson-2.4 (bundled)"
    assert len(loaded.sha256) == 64
    for task in rubric.tasks:
        for criterion in task.criteria:
            assert criterion.hint, f"{task.id}/{criterion.id} has no hint"


def test_the_repository_copy_is_the_bundled_file():
    top = ROOT / "rubrics" / "lesson-2.4.yaml"
    assert load(str(top)).sha256 == load("lesson-2.4").sha256


def test_thresholds_fit_the_official_images():
    # A correct answer on the official images must pass with room; a single-stage one must not.
    rubric = load("lesson-2.4").rubric
    sizes = {
        t.id: next(c for c in t.criteria if c.check == "image_size")
        for t in rubric.tasks
        if any(c.check == "image_size" for c in t.criteria)
    }
    assert int(sizes["task1"].max) >= 5 * 2_000_000  # Go binary on scratch: about 2 MB
    assert int(sizes["task2"].max) >= 1.5 * 180_000_000  # node:18-slim: about 180 MB
    assert int(sizes["task3"].max) >= 1.5 * 130_000_000  # python:3.11-slim: about 130 MB
    assert int(sizes["task1"].zero_at) < 800_000_000  # golang:1.20 single-stage: 800+ MB


def rubric_text(body: str) -> bytes:
    return body.encode()


VALID = textwrap.dedent(
    """\
    assignment: demo
    title: Demo
    tasks:
      - id: t1
        title: One
        dockerfile: t1/Dockerfile
        criteria:
          - check: multi_stage
            points: 2
    """
)


def problems(body: str) -> list[str]:
    with pytest.raises(RubricError) as info:
        parse(rubric_text(body), "demo.yaml")
    error = info.value
    lines = str(error).splitlines()
    assert lines[0].startswith("demo.yaml: invalid rubric")
    assert all(line.startswith("demo.yaml: ") for line in lines)
    return list(error.problems)


def test_a_valid_rubric_loads_with_defaults():
    rubric = parse(rubric_text(VALID), "demo.yaml").rubric
    task = rubric.tasks[0]
    assert task.criteria[0].id == "multi-stage"
    assert task.context_dir == "t1"
    assert rubric.limits_for(task) == Limits()


def test_wrong_type():
    assert problems(VALID.replace("points: 2", "points: many")) == [
        "line 9, task 't1', criterion #1 (multi_stage), field 'points': "
        "Input should be a valid number, unable to parse string as a number"
    ]


def test_unknown_check_kind():
    [line] = problems(VALID.replace("multi_stage", "multistage"))
    assert line.startswith("line 8, task 't1', criterion #1 (multistage): unknown check kind")
    assert "multi_stage, final_base" in line


def test_negative_points():
    assert problems(VALID.replace("points: 2", "points: -2")) == [
        "line 9, task 't1', criterion #1 (multi_stage), field 'points': "
        "Input should be greater than or equal to 0"
    ]


def test_duplicate_criterion_ids():
    body = VALID + "      - check: multi_stage\n        points: 1\n"
    assert problems(body) == [
        "line 8, task 't1', field 'criteria': criterion id 'multi-stage' is used twice; "
        "give each criterion its own 'id'"
    ]


def test_duplicate_task_ids():
    task = VALID[VALID.index("  - id: t1") :]
    assert problems(VALID + task) == ["line 4, field 'tasks': task id 't1' is used twice"]


def test_task_with_no_criteria():
    body = VALID[: VALID.index("      - check")].replace("criteria:", "criteria: []")
    assert problems(body) == [
        "line 7, task 't1', field 'criteria': List should have at least 1 item after "
        "validation, not 0"
    ]


def test_unknown_fields_anywhere():
    body = VALID.replace("title: One", "title: One\n    dockerfil: x").replace(
        "points: 2", "points: 2\n        colour: red"
    )
    assert problems(body) == [
        "line 6, task 't1': unknown field 'dockerfil'",
        "line 11, task 't1', criterion #1 (multi_stage): unknown field 'colour'",
    ]


def test_missing_field():
    assert problems(VALID.replace("    dockerfile: t1/Dockerfile\n", "")) == [
        "line 4, task 't1': criterion 'multi-stage' (multi_stage) needs the task's image: give "
        "the task a 'dockerfile' (without one, only answer, file_exists criteria)"
    ]


def test_paths_must_stay_in_the_repository():
    [line] = problems(VALID.replace("t1/Dockerfile", "../other/Dockerfile"))
    assert "field 'dockerfile': '../other/Dockerfile' must be a relative path inside" in line


def test_inconsistent_criterion():
    body = VALID.replace(
        "check: multi_stage\n        points: 2",
        "check: image_size\n        points: 2\n        max: 20MB\n        zero_at: 10MB",
    )
    assert problems(body) == [
        "line 8, task 't1', criterion #1 (image_size): 'zero_at' must be larger than 'max'"
    ]


def test_every_problem_at_once():
    body = VALID.replace("points: 2", "points: -2").replace("title: One", "title: One\n    x: 1")
    assert len(problems(body)) == 2


def test_yaml_syntax_error_names_the_line():
    assert problems("assignment: demo\ntasks: [\n") == [
        "line 3: not valid YAML: expected the node content, but found '<stream end>'"
    ]


def test_duplicate_yaml_keys_are_not_silently_merged():
    body = VALID.replace("title: Demo", "title: Demo\ntitle: Again")
    assert problems(body) == ["line 3: key 'title' appears twice"]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"", "the file is empty"),
        (b"- a\n- b\n", "line 1: a rubric is a mapping"),
        (b"\xff\xfe", "not UTF-8 text"),
    ],
)
def test_not_a_rubric_at_all(raw, message):
    with pytest.raises(RubricError) as info:
        parse(raw, "demo.yaml")
    assert info.value.problems[0].startswith(message)


def test_missing_file_and_unknown_name(tmp_path):
    with pytest.raises(InputError, match=r"nope\.yaml: no such rubric file"):
        load(str(tmp_path / "nope.yaml"))
    with pytest.raises(InputError, match=r"lesson-9: no such rubric \(bundled: lesson-2.4"):
        load("lesson-9")


def test_json_rubrics_load_too(tmp_path):
    path = tmp_path / "demo.json"
    path.write_text(
        '{"assignment": "demo", "title": "Demo", "tasks": [{"id": "t1", "title": "One",'
        ' "dockerfile": "Dockerfile", "criteria": [{"check": "multi_stage", "points": 1}]}]}'
    )
    assert load(str(path)).rubric.tasks[0].context_dir == "."


def test_task_limits_override_only_what_they_set():
    body = VALID.replace(
        "title: Demo", "title: Demo\ndefaults:\n  limits:\n    memory: 1GiB\n    run_timeout: 5"
    ).replace("title: One", "title: One\n    limits:\n      run_timeout: 60")
    rubric = parse(rubric_text(body), "demo.yaml").rubric
    limits = rubric.limits_for(rubric.tasks[0])
    assert limits.run_timeout == 60
    assert int(limits.memory) == 1024**3
    assert limits.pids == 1024


def test_a_mistyped_lint_rule_exits_2_naming_the_field_and_the_nearest_id(tmp_path: Path):
    rubric = tmp_path / "typo.yaml"
    rubric.write_text(
        textwrap.dedent(
            """\
            assignment: a
            title: A
            tasks:
              - id: t
                title: T
                dockerfile: Dockerfile
                criteria:
                  - {check: dockerfile_lint, points: 1, rules: [copy-from-unknow-stage]}
            """
        )
    )
    done = grader("check", tmp_path, "--rubric", rubric, "--static-only")
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert (
        "line 8, task 't', criterion #1 (dockerfile_lint), field 'rules', item 1: unknown rule "
        "'copy-from-unknow-stage': did you mean copy-from-unknown-stage?"
    ) in done.stderr
    # the schema offers every rule, with its summary
    items = schema_for("rubric")["$defs"]["DockerfileLint"]["properties"]["rules"]["items"]
    assert [choice["const"] for choice in items["oneOf"]] == list(RULES)
    assert all(choice["description"] for choice in items["oneOf"])
