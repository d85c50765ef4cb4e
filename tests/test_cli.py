"""The command line without an engine: exit statuses, one-line errors, static checks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from grader import __version__, engines
from grader.cli import options
from tests.conftest import EXAMPLES


def grader(
    *args: str | Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "grader", *map(str, args)],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "200", **(env or {})},
    )


def one_line_error(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    return lines[0]


def test_version():
    done = grader("--version")
    assert done.returncode == 0
    assert __version__ in done.stdout


def test_usage_errors_are_one_line():
    line = one_line_error(grader("check", "--task"))
    assert line == "grader check: Option '--task' requires an argument. (see grader check --help)"
    assert one_line_error(grader("frobnicate")).startswith("grader: No such command 'frobnicate'")
    assert "is not KEY=VALUE" in one_line_error(grader("check", "--image-map", "golang"))


def test_missing_directory_and_unknown_task():
    assert one_line_error(grader("check", "/nonexistent/repo")) == (
        "grader: /nonexistent/repo: not a directory"
    )
    line = one_line_error(grader("check", EXAMPLES / "model", "--task", "task9", "--static-only"))
    assert line == (
        "grader: --task task9: no such task in lesson-2.4 "
        "(tasks: task1, task2, task3, task4, task5, quiz)"
    )


def test_an_invalid_rubric_is_refused_before_any_build(tmp_path):
    rubric = tmp_path / "bad.yaml"
    rubric.write_text("assignment: demo\ntitle: Demo\ntasks:\n  - id: t1\n    title: x\n")
    done = grader(
        "check",
        EXAMPLES / "model",
        "--rubric",
        rubric,
        env={"DOCKER_HOST": "unix:///nonexistent.sock"},
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert done.stderr.splitlines() == [
        f"grader: {rubric}: invalid rubric (1 problem)",
        f"{rubric}: line 4, task 't1': missing field 'criteria'",
    ]


def test_no_engine_says_so_in_one_line_and_falls_back_to_static_checks(tmp_path):
    out = tmp_path / "r.json"
    done = grader(
        "check",
        EXAMPLES / "model",
        "--task",
        "task1",
        "--json",
        out,
        env={"DOCKER_HOST": "unix:///nonexistent.sock"},
    )
    line = one_line_error(done)  # exit 2: the engine was missing, not the work
    assert line == (
        "grader: no Docker Engine answers at unix:///nonexistent.sock (no such socket); start "
        "one (dockerd, Docker Desktop, podman system service) or set DOCKER_HOST; only the "
        "checks that need none ran"
    )
    assert "✓ Multi-stage build" in done.stdout
    assert "- Output" in done.stdout
    assert "3 criteria were not checked" in done.stdout
    task = json.loads(out.read_text())["submissions"][0]["tasks"][0]
    assert [c["checked"] for c in task["criteria"]] == [True, True, False, False, False, True]


def test_static_only_needs_no_engine(tmp_path):
    out = tmp_path / "r.json"
    env = {"DOCKER_HOST": "unix:///nonexistent.sock"}
    done = grader("check", EXAMPLES / "model", "--static-only", "--json", out, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    results = json.loads(out.read_text())
    task1 = results["submissions"][0]["tasks"][0]
    checked = {c["id"]: c["checked"] for c in task1["criteria"]}
    assert checked == {
        "multi-stage": True,
        "final-base": True,
        "image-size": False,
        "no-toolchain": False,
        "output": False,
        "dockerfile-lint": True,
    }
    done = grader("check", EXAMPLES / "single-stage", "--static-only", env=env)
    assert done.returncode == 1
    assert "a multi-stage build needs at least 2" in done.stdout


def test_schema_commands_print_json_and_markdown():
    rubric = json.loads(grader("schema", "rubric").stdout)
    assert rubric["title"] == "grader rubric"
    results = json.loads(grader("schema", "results").stdout)
    assert "submissions" in results["properties"]
    assert grader("schema", "rubric", "--markdown").stdout.startswith("# Rubric reference")
    assert one_line_error(grader("schema", "results", "--markdown")) == (
        "grader: --markdown: only the rubric has a Markdown reference"
    )


def test_inspect_summary_and_json():
    done = grader("inspect", EXAMPLES / "model" / "task1" / "Dockerfile", "--json")
    assert done.returncode == 0, done.stderr
    analysis = json.loads(done.stdout)
    assert analysis["multi_stage"] is True
    assert analysis["final_base"] == "scratch"
    text = grader("inspect", EXAMPLES / "model" / "task1" / "Dockerfile")
    assert text.returncode == 0
    assert "scratch" in text.stdout


def test_inspect_refused_file_exits_2(tmp_path):
    empty = tmp_path / "Dockerfile"
    empty.write_text("# nothing here\n")
    done = grader("inspect", empty, "--json")
    assert done.returncode == 2
    assert json.loads(done.stdout)["error"]
    assert len(done.stderr.strip().splitlines()) == 1
    missing = grader("inspect", tmp_path / "nope")
    assert one_line_error(missing).startswith("grader: ")


def test_export_writes_files_and_lists_the_rows_it_treated_apart(tmp_path):
    fixture = Path(__file__).parent / "data" / "lesson-2.4-class.json"
    done = grader("export", fixture, "--format", "lti-ags", "--out", tmp_path / "lti")
    assert done.returncode == 0, done.stderr
    assert sorted(Path(p).name for p in done.stdout.split()) == [
        "lineitem.json",
        "scores.json",
        "scores.jsonl",
    ]
    assert "dave: left out" in done.stderr  # no LMS id
    assert "erin" in done.stderr  # grading failed
    canvas = grader(
        "export",
        fixture,
        "--format",
        "canvas-csv",
        "--out",
        tmp_path / "c.csv",
        "--canvas-assignment-id",
        "4711",
        "--no-canvas-points-possible",
    )
    assert canvas.returncode == 0, canvas.stderr
    header = (tmp_path / "c.csv").read_text(encoding="utf-8-sig").splitlines()[0]
    assert header.endswith("Lesson 2.4: Multi-stage builds (4711)")
    bad = grader("export", fixture, "--format", "canvas-csv", "--canvas-assignment-id", "x1")
    assert bad.returncode == 2
    assert len(bad.stderr.strip().splitlines()) == 1


def test_inspect_never_shows_a_traceback_on_hostile_files(tmp_path):
    binary = tmp_path / "binary"
    binary.write_bytes(bytes(range(256)) * 64)
    big = tmp_path / "big"
    big.write_bytes(b"FROM scratch\n" + b"# filler\n" * (5 * 1024 * 1024 // 9))
    latin = tmp_path / "latin1"
    latin.write_bytes(b"FROM scratch\nLABEL author=J\xe9r\xf4me\n")
    for path in (binary, big):
        done = grader("inspect", path, "--json")
        assert done.returncode == 2, done.stderr
        assert "Traceback" not in done.stderr
        assert json.loads(done.stdout)["error"]
        assert len(done.stderr.strip().splitlines()) == 1
    assert "too large to be a Dockerfile" in grader("inspect", big, "--json").stderr
    done = grader("inspect", latin)
    assert done.returncode == 0, done.stderr
    assert "scratch" in done.stdout


def test_the_builder_choices_are_the_engines_registry():
    assert options.BUILDER_CHOICES == engines.BUILDER_CHOICES
    assert set(engines.BUILDER_CHOICES) - {"auto"} == set(engines.BUILDERS)


FIXTURE = Path(__file__).parent / "data" / "lesson-2.4-class.json"


def class_with_overrides(folder: Path, overrides: str) -> Path:
    """A copy of the fixture class with an overrides file beside it."""
    results = folder / "results.json"
    results.write_text(FIXTURE.read_text())
    (folder / "overrides.yaml").write_text(overrides)
    return results


def test_report_applies_overrides_and_a_release_without_regrading(tmp_path):
    results = class_with_overrides(
        tmp_path,
        "students:\n  alice:\n    - {adjustment: -5, reason: late README}\n"
        "  zed:\n    - {comment: hi}\n",
    )
    done = grader("report", results, "--release", "never")
    assert done.returncode == 0, done.stderr
    assert "student 'zed' has no row in the results" in done.stderr
    assert f"updated {results}" in done.stderr
    data = json.loads(results.read_text())
    alice = next(r for r in data["submissions"] if r["student"] == "alice")
    assert (alice["score"], alice["automatic_score"], alice["adjustment"]) == (95.0, 100.0, -5.0)
    assert data["release"]["held"] is True
    assert data["similarity"]["threshold"] == 0.9
    before = results.read_text()
    again = grader("report", results)
    assert again.returncode == 0, again.stderr
    assert results.read_text() == before  # nothing changed: nothing rewritten
    assert "updated" not in again.stderr


def test_export_applies_overrides_and_leaves_results_json_alone(tmp_path):
    results = class_with_overrides(
        tmp_path, "students:\n  alice:\n    - {adjustment: -5, reason: late README}\n"
    )
    done = grader("export", results, "--format", "canvas-csv", "--out", tmp_path / "c.csv")
    assert done.returncode == 0, done.stderr
    assert "does not record yet" in done.stderr
    assert results.read_text() == FIXTURE.read_text()
    cells = [line.split(",") for line in (tmp_path / "c.csv").read_text().splitlines()]
    assert any(row[0].endswith("Alice Archer") and row[-1] == "95" for row in cells), cells


def test_a_broken_overrides_file_is_one_error_per_problem(tmp_path):
    results = class_with_overrides(
        tmp_path, "students:\n  alice:\n    - {task: task1, criterion: output, reason: r}\n"
    )
    done = grader("report", results)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "invalid overrides file (1 problem)" in done.stderr
    assert "line 3, student 'alice', entry 1: give either 'points' or 'verdict'" in done.stderr
    assert results.read_text() == FIXTURE.read_text()


def test_schema_of_overrides():
    done = grader("schema", "overrides")
    assert done.returncode == 0
    schema = json.loads(done.stdout)
    assert schema["title"] == "grader overrides"


def test_rubric_test_refuses_a_bad_expectation_in_one_line():
    line = one_line_error(grader("rubric", "test", "lesson-2.4", "--expect", "ful=examples"))
    assert "ful=examples" in line
    line = one_line_error(
        grader("rubric", "test", "lesson-2.4", "--expect", f"passes:task1/multistage={EXAMPLES}")
    )
    assert "did you mean task1/multi-stage" in line
    line = one_line_error(
        grader("grade", "--rubric", "lesson-2.4", "--roster", "r.csv", "--release", "tomorrow")
    )
    assert "tomorrow" in line
