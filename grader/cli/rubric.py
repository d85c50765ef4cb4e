"""`grader rubric test`: a rubric graded against reference answers before a class is."""

from __future__ import annotations

from pathlib import Path

import click

from grader.cli import options
from grader.sanitizer import for_terminal


@click.group()
def rubric() -> None:
    """Work on a rubric before grading with it."""


@rubric.command(name="test")
@click.argument("rubric_name", metavar="RUBRIC")
@click.option(
    "--expect",
    "expected",
    multiple=True,
    required=True,
    metavar="KIND=DIR",
    help="What grading DIR must give (repeatable; KIND as said above).",
)
@click.option("--task", "tasks", multiple=True, help="Grade only this task (repeatable).")
@click.option("--static-only", is_flag=True, help="Only the checks that need no Docker Engine.")
@click.option(
    "--json", "json_dir", type=click.Path(path_type=Path), help="Write each DIR's results here."
)
@options.image_map
@options.refuse_image
@options.builder_options
@click.option("--docker-host", metavar="URL", help="The engine to build on (default: DOCKER_HOST).")
def test(
    rubric_name: str,
    expected: tuple[str, ...],
    tasks: tuple[str, ...],
    static_only: bool,
    json_dir: Path | None,
    image_map: dict[str, str],
    refuse_images: tuple[str, ...],
    builder: str | None,
    docker_cli: Path | None,
    docker_host: str | None,
) -> int:
    """Grade reference answers and fail naming each criterion that misbehaved.

    KIND is full, below:N, at-least:N (N: percent of the maximum), passes:TASK/CRITERION or
    fails:TASK/CRITERION. Exit status 1 when an expectation does not hold.
    """
    from grader.results import write_results
    from grader.rubrics import load
    from grader.selftest import parse_expectation, render, run_selftest

    loaded = load(rubric_name)
    expectations = [parse_expectation(text, loaded.rubric) for text in expected]
    grading = options.grade_options(
        tasks, image_map, refuse_images, builder, static_only=static_only
    )
    report = run_selftest(
        loaded,
        expectations,
        grading,
        engine_options=options.engine_options(builder, docker_cli, docker_host),
        on_directory=lambda path: click.echo(for_terminal(f"grading {path}"), err=True),
    )
    if report.built_with:
        click.echo(for_terminal(report.built_with), err=True)
    for line in render(report):
        click.echo(line)
    if json_dir is not None:
        for path, results in report.results.items():
            write_results(json_dir / f"{path.name}.json", results)
    return report.exit_status
