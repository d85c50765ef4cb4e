"""`grader import`: a peer's test file printed as a rubric task grader's loader accepts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from grader.cli import cli
from grader.cli.importing import FORMAT_CHOICES
from grader.interop import FORMATS
from grader.rubrics import parse
from tests.test_cli import grader, one_line_error

DATA = Path(__file__).parent / "data" / "interop"


def run(*args: str | Path) -> tuple[str, str]:
    result = CliRunner().invoke(cli, ["import", *map(str, args)])
    assert result.exit_code == 0, result.output
    return result.stdout, result.stderr


def as_rubric(printed: str) -> bytes:
    """The printed task in a minimal rubric, once the instructor fills in its Dockerfile."""
    filled = printed.replace("  # dockerfile: Dockerfile", "  dockerfile: Dockerfile")
    assert filled != printed
    return f"assignment: demo\ntitle: Demo\ntasks:\n{filled}".encode()


def test_the_choices_are_the_interop_registry():
    assert tuple(FORMATS) == FORMAT_CHOICES


def test_a_structure_test_prints_a_task_the_loader_accepts():
    printed, notes = run("container-structure-test", DATA / "structure-test.yaml", "--total", 20)
    assert printed.startswith("# Printed by: grader import container-structure-test ")
    [task] = yaml.safe_load(printed)
    assert task["id"] == "structure-test"
    assert task["title"] == "Checks from structure-test.yaml"
    assert "dockerfile" not in task  # a placeholder in a comment, for the instructor
    [loaded] = parse(as_rubric(printed), "demo.yaml").rubric.tasks
    assert loaded.dockerfile == "Dockerfile"
    assert [c.check for c in loaded.criteria] == [
        *["command"] * 4,
        "paths_present",
        "paths_present",
        "paths_absent",
        "paths_absent",
        "file_content",
        "metadata",
    ]
    assert loaded.max_score == pytest.approx(20)
    assert notes.startswith("grader: note: ")
    assert "commandTests[2].teardown: dropped" in notes


def test_a_dive_ci_prints_one_criterion_per_rule_with_a_point_each():
    printed, notes = run("dive-ci", DATA / ".dive-ci")
    assert notes == ""
    [loaded] = parse(as_rubric(printed), "demo.yaml").rubric.tasks
    assert loaded.id == "dive-ci"
    assert [(c.id, c.points) for c in loaded.criteria] == [
        ("lowest-efficiency", 1),
        ("highest-wasted-bytes", 1),
        ("highest-user-wasted-percent", 1),
    ]


def test_task_id_points_and_prefix_options():
    printed, _ = run(
        "dive-ci", DATA / ".dive-ci", "--task", "layers", "--points", "2", "--id-prefix", "dive"
    )
    [task] = yaml.safe_load(printed)
    assert task["id"] == "layers"
    assert [c["id"] for c in task["criteria"]] == [
        "dive-lowest-efficiency",
        "dive-highest-wasted-bytes",
        "dive-highest-user-wasted-percent",
    ]
    assert {c["points"] for c in task["criteria"]} == {2}
    printed, _ = run("dive-ci", DATA / ".dive-ci", "--total", "3")
    [task] = yaml.safe_load(printed)
    assert [(c["id"], c["points"]) for c in task["criteria"]] == [("layer-efficiency", 3)]


def test_a_refused_file_is_one_line_with_exit_status_2(tmp_path):
    bad = tmp_path / "cst.yaml"
    bad.write_text("schemaVersion: 2.0.0\nlicenseTests: [{debian: true}]\n")
    assert one_line_error(grader("import", "container-structure-test", bad)) == (
        f"grader: {bad}: licenseTests: not supported: grader does not check Debian copyright files"
    )
    several = tmp_path / "several.yaml"
    several.write_text("schemaVersion: 2.0.0\na: 1\nb: 2\n")
    line = one_line_error(grader("import", "container-structure-test", several))
    assert line.endswith("(and 1 more problem)")


def test_other_errors_are_one_line_too(tmp_path):
    assert one_line_error(grader("import", "dive-ci", tmp_path / "nope")) == (
        f"grader: {tmp_path / 'nope'}: no such file"
    )
    line = one_line_error(grader("import", "goss", tmp_path / "nope"))
    assert line.startswith("grader import: Invalid value for 'FORMAT': 'goss' is not one of")
    line = one_line_error(
        grader("import", "dive-ci", DATA / ".dive-ci", "--points", "1", "--total", "2")
    )
    assert line == "grader import: give --points or --total, not both (see grader import --help)"
    line = one_line_error(grader("import", "dive-ci", DATA / ".dive-ci", "--task", "a b"))
    assert line == "grader: --task a b: an id is letters, digits, '.', '_' and '-' (at most 64)"


def test_grader_help_does_not_load_the_importers():
    code = "import sys, grader.cli; print('grader.interop' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
    assert "import" in grader("--help").stdout
