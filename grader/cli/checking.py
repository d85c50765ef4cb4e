"""`grader check`: a student's working copy graded, once or whenever it changes."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.console import Console

from grader.cli import options
from grader.sanitizer import for_terminal

if TYPE_CHECKING:
    from grader.engines import EngineOptions
    from grader.grading import GradeOptions
    from grader.rubrics import LoadedRubric


@click.command()
@click.argument("repo_dir", default=".", type=click.Path(path_type=Path))
@click.option("--rubric", "rubric_name", help="A bundled rubric's name or a rubric file.")
@click.option("--task", "tasks", multiple=True, help="Check only this task (repeatable).")
@click.option("--static-only", is_flag=True, help="Only the checks that need no Docker Engine.")
@click.option("--json", "json_path", type=click.Path(path_type=Path), help="Write results here.")
@click.option("--html", "html_path", type=click.Path(path_type=Path), help="Write a report here.")
@options.image_map
@options.refuse_image
@click.option("--student", help="Name to report (default: the directory's name).")
@click.option("--instructor", is_flag=True, help="Show hidden criteria too.")
@click.option("--watch", is_flag=True, help="Check again whenever a file of a task changes.")
@click.option("--keep", is_flag=True, help="Keep the images and containers made (debugging).")
@options.builder_options
@click.option("--docker-host", metavar="URL", help="The engine to build on (default: DOCKER_HOST).")
def check(
    repo_dir: Path,
    rubric_name: str | None,
    tasks: tuple[str, ...],
    static_only: bool,
    json_path: Path | None,
    html_path: Path | None,
    image_map: dict[str, str],
    refuse_images: tuple[str, ...],
    student: str | None,
    instructor: bool,
    watch: bool,
    keep: bool,
    builder: str | None,
    docker_cli: Path | None,
    docker_host: str | None,
) -> int:
    """Grade one repository (a student's working copy) against a rubric.

    Without an engine it says so and runs the checks that need none (exit status 2); with
    --static-only it runs only those, on purpose.
    """
    from grader.rubrics import default_name, load

    loaded = load(rubric_name or default_name())
    grading = options.grade_options(
        tasks, image_map, refuse_images, builder, static_only=static_only
    )
    engine = options.engine_options(builder, docker_cli, docker_host, keep=keep)
    settings = _CheckSettings(repo_dir, student, instructor, engine, json_path, html_path)
    if not watch:
        return _check_once(loaded, grading, settings)
    from grader.watch import changes

    folders = sorted(
        {repo_dir / t.context_dir for t in loaded.rubric.tasks if not tasks or t.id in tasks}
    )
    click.echo(f"watching {', '.join(str(f) for f in folders)}; Ctrl-C stops")
    try:
        for _ in changes(folders):
            _check_once(loaded, dataclasses.replace(grading, static_only=True), settings)
            if not static_only:
                _check_once(loaded, grading, settings)
            click.echo(f"-- watching for changes ({time.strftime('%H:%M:%S')}) --")
    except KeyboardInterrupt:
        return 0
    return 0


@dataclasses.dataclass(frozen=True)
class _CheckSettings:
    repo_dir: Path
    student: str | None
    instructor: bool
    engine: EngineOptions
    json_path: Path | None
    html_path: Path | None


def _check_once(loaded: LoadedRubric, options: GradeOptions, settings: _CheckSettings) -> int:
    from grader.files import write_text_atomic
    from grader.grading import check_repository
    from grader.report.terminal import print_submission
    from grader.results import write_results

    outcome = check_repository(
        settings.repo_dir,
        loaded,
        options,
        student=settings.student,
        engine_options=settings.engine,
        fall_back=True,
    )
    if outcome.no_engine is not None:
        why = for_terminal(outcome.no_engine)
        click.echo(f"grader: {why}; only the checks that need none ran", err=True)
    if outcome.built_with is not None:
        click.echo(for_terminal(outcome.built_with), err=True)
    results, submission = outcome.results, outcome.results.submissions[0]
    print_submission(Console(highlight=False), submission, instructor=settings.instructor)
    if outcome.kept:
        click.echo(f"kept for debugging: {', '.join(outcome.kept)}")
    if settings.json_path is not None:
        write_results(settings.json_path, results)
    if settings.html_path is not None:
        from grader.report import render_student_page

        page = render_student_page(results, submission, instructor=settings.instructor)
        write_text_atomic(settings.html_path, page)
    if submission.status == "error":
        click.echo(for_terminal(f"grader: {submission.error}"), err=True)
    return outcome.exit_status
