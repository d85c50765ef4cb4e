"""A task's criteria_from: peers' files expanded at load time into a self-contained rubric."""

from __future__ import annotations

import hashlib
import shutil
import textwrap
from pathlib import Path

import pytest
import yaml

from grader.errors import RubricError
from grader.models.rubric import Task
from grader.rubrics import load, parse
from grader.schemas import rubric_reference, schema_for

DATA = Path(__file__).parent / "data" / "interop"


def rubric_in(folder: Path, tasks: str, files: dict[str, str] | None = None) -> Path:
    """A rubric file in ``folder`` with these tasks, and these files beside it."""
    for name, text in (files or {}).items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    rubric = folder / "rubric.yaml"
    rubric.write_text("assignment: demo\ntitle: Demo\ntasks:\n" + textwrap.dedent(tasks))
    return rubric


def problems(path: Path) -> list[str]:
    with pytest.raises(RubricError) as info:
        load(str(path))
    lines = str(info.value).splitlines()
    assert all(line.startswith(f"{path}: ") for line in lines)
    return list(info.value.problems)


CST = """\
    schemaVersion: 2.0.0
    commandTests:
      - {name: version, command: app, args: [--version], expectedOutput: [v1]}
    metadataTest:
      exposedPorts: ['8080']
    """
TASK = """\
  - id: t1
    title: One
    dockerfile: Dockerfile
    criteria:
      - check: multi_stage
        points: 2
    criteria_from:
      - format: container-structure-test
        file: tests/cst.yaml
        points: 3
"""


def test_the_example_rubric_expands_both_files_after_the_tasks_own_criteria():
    loaded = load(str(DATA / "rubric.yaml"))
    [task] = loaded.rubric.tasks
    ids = [c.id for c in task.criteria]
    assert ids[0] == "multi-stage"
    assert ids[1:4] == [
        "server-prints-its-version",
        "server-refuses-an-unknown-flag",
        "config-is-generated-at-start",
    ]
    assert ids[-3:] == [
        "dive-lowest-efficiency",
        "dive-highest-wasted-bytes",
        "dive-highest-user-wasted-percent",
    ]
    assert task.criteria_from == []
    assert task.max_score == pytest.approx(2 + 20 + 3)
    assert len(loaded.notes) == 1
    assert "commandTests[2].teardown: dropped" in loaded.notes[0]


def test_raw_is_a_self_contained_rubric_a_worker_parses_alone():
    loaded = load(str(DATA / "rubric.yaml"))
    data = yaml.safe_load(loaded.raw)
    assert "criteria_from" not in data["tasks"][0]
    # as the queue's worker does: the raw bytes, no folder, no other file
    again = parse(loaded.raw, loaded.source)
    assert again.rubric == loaded.rubric
    assert again.sha256 == loaded.sha256 == hashlib.sha256(loaded.raw).hexdigest()
    assert again.raw == loaded.raw
    assert load(str(DATA / "rubric.yaml")).sha256 == loaded.sha256  # stable across loads
    header = loaded.raw.decode().splitlines()[:4]
    digest = hashlib.sha256((DATA / ".dive-ci").read_bytes()).hexdigest()
    assert f"#   .dive-ci (dive-ci) sha256:{digest}" in header


def test_the_hash_covers_what_the_imported_files_say(tmp_path):
    rubric = rubric_in(tmp_path, TASK, {"tests/cst.yaml": CST})
    first = load(str(rubric)).sha256
    (tmp_path / "tests" / "cst.yaml").write_text(textwrap.dedent(CST).replace("v1", "v2"))
    assert load(str(rubric)).sha256 != first


def test_a_rubric_without_criteria_from_keeps_its_bytes_and_hash(tmp_path):
    rubric = rubric_in(tmp_path, TASK.split("    criteria_from:", maxsplit=1)[0])
    loaded = load(str(rubric))
    assert loaded.raw == rubric.read_bytes()
    assert loaded.sha256 == hashlib.sha256(rubric.read_bytes()).hexdigest()
    assert loaded.notes == ()


def test_files_are_relative_to_the_rubric_not_the_working_directory(tmp_path, monkeypatch):
    rubric = rubric_in(tmp_path / "course", TASK, {"tests/cst.yaml": CST})
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    [task] = load(str(rubric)).rubric.tasks
    assert [c.id for c in task.criteria] == ["multi-stage", "version", "metadata"]
    assert [c.points for c in task.criteria] == [2, 3, 3]


def test_a_task_may_take_all_its_criteria_from_files(tmp_path):
    task = TASK.replace(
        "    criteria:\n      - check: multi_stage\n        points: 2\n", ""
    ).replace("points: 3", "total: 5")
    [loaded] = load(str(rubric_in(tmp_path, task, {"tests/cst.yaml": CST}))).rubric.tasks
    assert [c.points for c in loaded.criteria] == [2.5, 2.5]
    empty_own = TASK.replace("      - check: multi_stage\n        points: 2\n", "").replace(
        "    criteria:\n", "    criteria: []\n"
    )
    [loaded] = load(str(rubric_in(tmp_path, empty_own, {"tests/cst.yaml": CST}))).rubric.tasks
    assert len(loaded.criteria) == 2


def test_the_model_alone_takes_criteria_from_without_criteria():
    task = Task.model_validate(
        {
            "id": "t",
            "title": "T",
            "dockerfile": "Dockerfile",
            "criteria_from": [{"format": "dive-ci", "file": ".dive-ci", "points": 1}],
        }
    )
    assert task.criteria == []  # expanded by the loader, not by the model


def test_a_missing_file_names_the_entry_and_the_file(tmp_path):
    rubric = rubric_in(tmp_path, TASK)
    assert problems(rubric) == [
        "line 11, task 't1', field 'criteria_from', item 1: tests/cst.yaml: no such file"
    ]


def test_a_file_over_one_mebibyte_is_refused(tmp_path):
    rubric = rubric_in(tmp_path, TASK, {"tests/cst.yaml": "#" * (1024**2 + 1)})
    assert problems(rubric) == [
        "line 11, task 't1', field 'criteria_from', item 1: tests/cst.yaml: larger than 1 MiB, "
        "too large to be a test file"
    ]


def test_a_refused_field_names_the_rubric_line_and_the_files_field(tmp_path):
    refused = "licenseTests: [{debian: true}]\ncontainerRunOptions: {privileged: true}\n"
    cst = textwrap.dedent(CST) + refused
    rubric = rubric_in(tmp_path, TASK, {"tests/cst.yaml": cst})
    assert problems(rubric) == [
        "line 11, task 't1', field 'criteria_from', item 1: tests/cst.yaml: licenseTests: not "
        "supported: grader does not check Debian copyright files",
        "line 11, task 't1', field 'criteria_from', item 1: tests/cst.yaml: "
        "containerRunOptions.privileged: not supported: every run is in grader's sandbox",
    ]


def test_the_rubrics_own_problems_are_reported_with_the_files_in_line_order(tmp_path):
    task = TASK.replace("points: 2", "points: -2")
    rubric = rubric_in(tmp_path, task, {"tests/cst.yaml": "schemaVersion: 1.0.0\n"})
    assert problems(rubric) == [
        "line 9, task 't1', criterion #1 (multi_stage), field 'points': Input should be greater "
        "than or equal to 0",
        "line 11, task 't1', field 'criteria_from', item 1: tests/cst.yaml: schemaVersion: "
        "'1.0.0' is not supported: grader reads 2.0.0 only",
    ]


def test_an_id_clash_with_the_tasks_own_criterion_names_both(tmp_path):
    task = TASK.replace("check: multi_stage", "check: multi_stage\n        id: version")
    rubric = rubric_in(tmp_path, task, {"tests/cst.yaml": CST})
    assert problems(rubric) == [
        "line 12, task 't1', field 'criteria_from', item 1: criterion id 'version' from "
        "tests/cst.yaml (commandTests[0]) is also the id of criterion 'version' at line 8; give "
        "an 'id_prefix'"
    ]
    fixed = task.replace("points: 3", "points: 3\n        id_prefix: cst")
    [loaded] = load(str(rubric_in(tmp_path, fixed, {"tests/cst.yaml": CST}))).rubric.tasks
    assert [c.id for c in loaded.criteria] == ["version", "cst-version", "cst-metadata"]


def test_an_id_clash_between_two_files_names_both(tmp_path):
    task = TASK + "      - {format: container-structure-test, file: tests/cst.yaml, points: 1}\n"
    rubric = rubric_in(tmp_path, task, {"tests/cst.yaml": CST})
    found = problems(rubric)
    assert found[0] == (
        "line 14, task 't1', field 'criteria_from', item 2: criterion id 'version' from "
        "tests/cst.yaml (commandTests[0]) is also the id of criterion 'version' from "
        "tests/cst.yaml (commandTests[0]); give an 'id_prefix'"
    )
    assert len(found) == 2  # and 'metadata'


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        (
            "{format: dive-ci, file: .dive-ci, points: 1, total: 2}",
            "field 'criteria_from', item 1: give 'points' or 'total', not both",
        ),
        (
            "{format: dive-ci, file: .dive-ci}",
            "field 'criteria_from', item 1: give 'points' (for each test) or 'total' (for the "
            "whole file)",
        ),
        (
            "{format: goss, file: goss.yaml, points: 1}",
            "field 'criteria_from', item 1.format: Input should be 'container-structure-test' "
            "or 'dive-ci'",
        ),
        (
            "{format: dive-ci, file: /etc/.dive-ci, points: 1}",
            "field 'criteria_from', item 1.file: '/etc/.dive-ci' must be a path relative to the "
            "rubric file, using '/'",
        ),
        (
            "{format: dive-ci, file: .dive-ci, points: 1, id_prefix: 'a b'}",
            "field 'criteria_from', item 1.id_prefix: 'a b' is not allowed here",
        ),
        (
            "{format: dive-ci, file: .dive-ci, points: -1}",
            "field 'criteria_from', item 1.points: Input should be greater than or equal to 0",
        ),
    ],
)
def test_an_invalid_entry_is_located_by_line_and_field(tmp_path, entry, problem):
    task = "  - id: t1\n    title: One\n    dockerfile: D\n    criteria_from:\n      - " + entry
    [found] = problems(rubric_in(tmp_path, task + "\n"))
    assert found.startswith(f"line 8, task 't1', {problem}"), found


def test_a_bundled_or_unsaved_rubric_cannot_read_files():
    raw = ("assignment: demo\ntitle: Demo\ntasks:\n" + TASK).encode()
    with pytest.raises(RubricError) as info:
        parse(raw, "demo (bundled)")
    assert info.value.problems == (
        "line 11, task 't1', field 'criteria_from': demo (bundled) is not a rubric file, so "
        "there is no folder to read criteria files from (copy it to a file)",
    )


def test_the_rubric_schema_and_reference_document_the_field():
    schema = schema_for("rubric")
    task = schema["$defs"]["Task"]
    assert "criteria_from" in task["properties"]
    assert "criteria" not in task["required"]
    assert task["anyOf"] == [{"required": ["criteria"]}, {"required": ["criteria_from"]}]
    assert schema["$defs"]["CriteriaFile"]["properties"]["format"]["enum"] == [
        "container-structure-test",
        "dive-ci",
    ]
    reference = rubric_reference()
    assert "| `criteria_from` | list of [CriteriaFile](#criteriafile) |" in reference
    assert "## CriteriaFile" in reference


def test_a_copy_of_the_example_elsewhere_loads_the_same(tmp_path):
    for name in ("rubric.yaml", "structure-test.yaml", ".dive-ci"):
        shutil.copy(DATA / name, tmp_path / name)
    assert load(str(tmp_path / "rubric.yaml")).sha256 == load(str(DATA / "rubric.yaml")).sha256
