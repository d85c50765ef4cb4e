"""The `grader` command: parses arguments, calls the library, maps errors to exit statuses.

Exit statuses (DESIGN.md): 0 success; 1 the work ran but something was graded as failing;
2 bad input or environment, with one line on stderr. Nothing else in the package catches
``GraderError``; nothing here computes a grade.
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import sys
import time
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any, NoReturn, cast

import click
from rich.console import Console

from grader import __version__
from grader.errors import GraderError, InputError
from grader.sanitizer import for_terminal

if TYPE_CHECKING:
    from grader.engines import BuilderChoice, EngineOptions
    from grader.grading import GradeOptions
    from grader.rubrics import LoadedRubric

_INTERNAL_ERROR = 3  # a bug in grader itself, not in the input: outside the 0/1/2 contract


def _pairs(ctx: click.Context, param: click.Parameter, values: Sequence[str]) -> dict[str, str]:
    result: dict[str, str] = {}
    for value in values:
        key, sep, rest = value.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{value!r} is not KEY=VALUE", ctx=ctx, param=param)
        result[key] = rest
    return result


_image_map = click.option(
    "--image-map",
    "image_map",
    multiple=True,
    callback=_pairs,
    metavar="SRC=DST",
    help="Use image DST wherever a Dockerfile names SRC (mirrors, offline hosts); repeatable.",
)
_refuse_image = click.option(
    "--refuse-image",
    "refuse_images",
    multiple=True,
    metavar="PATTERN",
    help="Refuse builds that name an image matching PATTERN, e.g. 'course/*' for the "
    "reference images on this engine (on top of the rubric's image policy); repeatable.",
)


# grader.engines.BUILDER_CHOICES, written out so that `grader --help` need not load docker-py
# (tests/test_cli.py holds the two equal)
_BUILDER_CHOICES = ("auto", "buildkit", "classic", "buildah")


def _builder_options(function: Any) -> Any:
    """--builder, --docker-cli and --docker-host, as check, grade and prefetch take them."""
    function = click.option(
        "--docker-cli",
        type=click.Path(path_type=Path, dir_okay=False),
        help="The docker command BuildKit builds go through (default: found on PATH).",
    )(function)
    return click.option(
        "--builder",
        type=click.Choice(_BUILDER_CHOICES),
        help="auto (default: BuildKit where a client for it is found, else classic; buildah "
        "on Podman), or one of them.",
    )(function)


def _engine_options(
    builder: str | None, docker_cli: Path | None, docker_host: str | None, *, keep: bool = False
) -> EngineOptions:
    from grader.engines import EngineOptions

    return EngineOptions(
        docker_host=docker_host,
        builder=cast("BuilderChoice", builder or "auto"),  # click.Choice checked it
        docker_cli=str(docker_cli) if docker_cli else None,
        keep=keep,
    )


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="grader")
def cli() -> None:
    """Grade Docker course exercises by building them on a real Docker Engine."""


@cli.command()
@click.argument("dockerfile", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the analysis as JSON.")
@click.option("--target", help="Analyse the build as if --target STAGE were given.")
@click.option(
    "--build-arg",
    "build_args",
    multiple=True,
    callback=_pairs,
    metavar="K=V",
    help="Set a build argument (repeatable).",
)
@click.option(
    "--builder",
    type=click.Choice(["buildkit", "classic"]),
    default="buildkit",
    show_default=True,
    help="The builder to judge for: classic reports what only BuildKit can build.",
)
@click.option(
    "--rubric",
    "rubric_name",
    help="Judge the images it names by this rubric's image policy (and its build arguments).",
)
@click.option("--task", "task_id", help="With --rubric: as this task (its policy, target, args).")
@_refuse_image
def inspect(
    dockerfile: Path,
    as_json: bool,
    target: str | None,
    build_args: dict[str, str],
    builder: str,
    rubric_name: str | None,
    task_id: str | None,
    refuse_images: tuple[str, ...],
) -> int:
    """Analyse a Dockerfile with Docker's own rules: stages, final base, problems."""
    from grader.dockerfile import analyze_file, render_text
    from grader.models.rubric import ImagePolicy

    images = ImagePolicy()
    if rubric_name is not None or task_id is not None:
        from grader.grading import selected_tasks
        from grader.rubrics import default_name, load

        rubric = load(rubric_name or default_name()).rubric
        images, rubric_args = rubric.defaults.images, rubric.defaults.build_args
        if task_id is not None:
            [task] = selected_tasks(rubric, [task_id])
            images, rubric_args = rubric.images_for(task), {**rubric_args, **task.build_args}
            target = target or task.target
        build_args = {**rubric_args, **build_args}  # the command line's win
    analysis = analyze_file(
        dockerfile,
        target=target,
        build_args=build_args,
        builder=builder,
        images=images.refusing(refuse_images),
    )
    if as_json:
        click.echo(analysis.model_dump_json(indent=2))
    else:
        click.echo(for_terminal(render_text(analysis)), nl=False)
    if analysis.error is not None:
        if as_json:
            click.echo(for_terminal(f"grader: {analysis.dockerfile}: {analysis.error}"), err=True)
        return 2
    return 0


@cli.command()
@click.argument("repo_dir", default=".", type=click.Path(path_type=Path))
@click.option("--rubric", "rubric_name", help="A bundled rubric's name or a rubric file.")
@click.option("--task", "tasks", multiple=True, help="Check only this task (repeatable).")
@click.option("--static-only", is_flag=True, help="Only the checks that need no Docker Engine.")
@click.option("--json", "json_path", type=click.Path(path_type=Path), help="Write results here.")
@click.option("--html", "html_path", type=click.Path(path_type=Path), help="Write a report here.")
@_image_map
@_refuse_image
@click.option("--student", help="Name to report (default: the directory's name).")
@click.option("--instructor", is_flag=True, help="Show hidden criteria too.")
@click.option("--watch", is_flag=True, help="Check again whenever a file of a task changes.")
@click.option("--keep", is_flag=True, help="Keep the images and containers made (debugging).")
@_builder_options
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
    from grader.grading import GradeOptions
    from grader.rubrics import default_name, load

    loaded = load(rubric_name or default_name())
    options = GradeOptions(
        tasks=tasks,
        static_only=static_only,
        image_map=image_map,
        builder=builder or "auto",
        refuse_images=refuse_images,
    )
    engine = _engine_options(builder, docker_cli, docker_host, keep=keep)
    settings = _CheckSettings(repo_dir, student, instructor, engine, json_path, html_path)
    if not watch:
        return _check_once(loaded, options, settings)
    from grader.watch import changes

    folders = sorted(
        {repo_dir / t.context_dir for t in loaded.rubric.tasks if not tasks or t.id in tasks}
    )
    click.echo(f"watching {', '.join(str(f) for f in folders)}; Ctrl-C stops")
    try:
        for _ in changes(folders):
            _check_once(loaded, dataclasses.replace(options, static_only=True), settings)
            if not static_only:
                _check_once(loaded, options, settings)
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


_EXPORT_FORMATS = ("gradescope", "lti-ags", "canvas-csv", "moodle-csv")


def _formats(ctx: click.Context, param: click.Parameter, value: str | None) -> tuple[str, ...]:
    names = tuple(n.strip() for n in (value or "").split(",") if n.strip())
    unknown = [n for n in names if n not in _EXPORT_FORMATS]
    if unknown:
        raise click.BadParameter(
            f"{unknown[0]!r} is not one of {', '.join(_EXPORT_FORMATS)}", ctx, param
        )
    return names


def _shard(ctx: click.Context, param: click.Parameter, value: str | None) -> tuple[int, int] | None:
    if value is None:
        return None
    index, sep, count = value.partition("/")
    if not sep or not index.isdigit() or not count.isdigit() or not 1 <= int(index) <= int(count):
        raise click.BadParameter(f"{value!r} is not I/N with 1 <= I <= N, e.g. 2/4", ctx, param)
    return int(index), int(count)


def _deadline(ctx: click.Context, param: click.Parameter, value: str | None) -> datetime | None:
    if value is None:
        return None
    text = value.strip()
    try:
        moment = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not an ISO-8601 time such as 2026-12-01T23:59+01:00", ctx, param
        ) from None
    return moment if moment.tzinfo else moment.astimezone()  # no zone given: this machine's


@cli.command()
@click.option("--rubric", "rubric_name", required=True, help="A bundled rubric or a file.")
@click.option("--roster", type=click.Path(path_type=Path), required=True, help="The class CSV.")
@click.option("--deadline", callback=_deadline, help="ISO-8601; no zone means this machine's.")
@click.option("--jobs", type=click.IntRange(min=1), help="Parallel jobs (default: cores/memory).")
@click.option("--out", type=click.Path(path_type=Path), help="Default: reports/<assignment>.")
@click.option("--only", multiple=True, help="Regrade only this student (repeatable); merged in.")
@click.option("--force", is_flag=True, help="Regrade even unchanged submissions.")
@click.option("--task", "tasks", multiple=True, help="Grade only this task (repeatable).")
@click.option(
    "--repo-template",
    help="Repository address from roster columns, e.g. https://host/org/lesson-{github_username}.",
)
@_image_map
@_refuse_image
@click.option(
    "--submissions",
    "submissions_dir",
    type=click.Path(path_type=Path),
    default=Path("submissions"),
    show_default=True,
    help="Where repositories are cloned.",
)
@click.option(
    "--export",
    "exports",
    callback=_formats,
    metavar="F,...",
    help="Also export: gradescope, lti-ags, canvas-csv, moodle-csv (into OUT/export-F).",
)
@click.option(
    "--docker-host",
    "docker_hosts",
    multiple=True,
    metavar="URL",
    help="Grade on this engine (repeatable: jobs spread over several; ssh:// or tcp://).",
)
@click.option(
    "--shard",
    callback=_shard,
    metavar="I/N",
    help="Grade only the I-th of N slices of the roster (for several CI jobs; see merge).",
)
@click.option("--keep", is_flag=True, help="Keep the images and containers made (debugging).")
@_builder_options
def grade(
    rubric_name: str,
    roster: Path,
    deadline: datetime | None,
    jobs: int | None,
    out: Path | None,
    only: tuple[str, ...],
    force: bool,
    tasks: tuple[str, ...],
    repo_template: str | None,
    image_map: dict[str, str],
    refuse_images: tuple[str, ...],
    submissions_dir: Path,
    exports: tuple[str, ...],
    docker_hosts: tuple[str, ...],
    shard: tuple[int, int] | None,
    keep: bool,
    builder: str | None,
    docker_cli: Path | None,
) -> int:
    """Grade a whole class from a roster: clone, build, run, score, report."""
    from rich.text import Text

    from grader.batch import BatchOptions, grade_class
    from grader.export import ExportOptions, export
    from grader.grading import GradeOptions
    from grader.report import write_class_pages
    from grader.report.progress import BatchDisplay
    from grader.roster import read_roster
    from grader.rubrics import load

    loaded = load(rubric_name)
    students = read_roster(roster, repo_template=repo_template)
    out = out or Path("reports") / loaded.rubric.assignment
    options = BatchOptions(
        out=out,
        submissions=submissions_dir,
        grading=GradeOptions(
            tasks=tasks,
            image_map=image_map,
            builder=builder or "auto",
            refuse_images=refuse_images,
        ),
        deadline=deadline,
        jobs=jobs or 0,
        only=only,
        force=force,
        keep=keep,
        docker_hosts=docker_hosts,
        shard=shard,
        builder=_engine_options(builder, docker_cli, None),
    )
    console = Console(stderr=True, highlight=False)
    with BatchDisplay(console) as display:
        results = grade_class(loaded, students, options, display)
    write_class_pages(results, out)
    display.summary()
    console.print(Text(f"results: {out / 'results.json'}  dashboard: {out / 'index.html'}"))
    for fmt in exports:
        written = export(results, fmt, out / f"export-{fmt}", ExportOptions())
        console.print(Text(f"{fmt}: {', '.join(str(p) for p in written)}"))
        for note in written.notes:
            console.print(Text(f"  {note}"))
    return 1 if any(s.status == "error" for s in results.submissions) else 0


@cli.command()
@click.argument("results_path", metavar="RESULTS.json", type=click.Path(path_type=Path))
@click.option("--out", type=click.Path(path_type=Path), help="Default: the results' folder.")
def report(results_path: Path, out: Path | None) -> int:
    """Render the class page and the student pages again from a results file."""
    from grader.report import write_class_pages
    from grader.results import read_results

    results = read_results(results_path)
    written = write_class_pages(results, out or results_path.parent)
    click.echo(f"wrote {len(written)} pages to {out or results_path.parent}")
    return 0


@cli.command(name="export")
@click.argument("results_path", metavar="RESULTS.json", type=click.Path(path_type=Path))
@click.option(
    "--format",
    "fmt",
    required=True,
    type=click.Choice(_EXPORT_FORMATS),
    help="The target system's format.",
)
@click.option("--out", type=click.Path(path_type=Path), help="Default: next to the results.")
@click.option("--canvas-assignment-id", help="Canvas's assignment id, for the column title.")
@click.option(
    "--moodle-identifier",
    type=click.Choice(["email", "username", "idnumber"]),
    default="email",
    show_default=True,
    help="The Moodle user field that identifies students.",
)
@click.option(
    "--canvas-points-possible/--no-canvas-points-possible",
    default=True,
    show_default=True,
    help="Write Canvas's optional 'Points Possible' row.",
)
@click.option(
    "--hidden",
    type=click.Choice(["hidden", "after_due_date"]),
    default="after_due_date",
    show_default=True,
    help="Gradescope visibility of hidden criteria.",
)
def export_command(
    results_path: Path,
    fmt: str,
    out: Path | None,
    canvas_assignment_id: str | None,
    moodle_identifier: str,
    canvas_points_possible: bool,
    hidden: str,
) -> int:
    """Export a results file for an LMS: Gradescope, LTI 1.3 AGS, Canvas or Moodle CSV."""
    from grader.export import ExportOptions, export
    from grader.results import read_results

    results = read_results(results_path)
    options = ExportOptions.model_validate(
        {
            "canvas_assignment_id": canvas_assignment_id,
            "moodle_identifier": moodle_identifier,
            "canvas_points_possible": canvas_points_possible,
            "hidden": hidden,
        }
    )
    written = export(results, fmt, out or results_path.parent / f"export-{fmt}", options)
    for path in written:
        click.echo(str(path))
    for note in written.notes:
        click.echo(f"grader: {note}", err=True)
    return 0


@cli.command()
@click.argument("directory", default=".", type=click.Path(path_type=Path))
@click.option(
    "--rubric",
    "assignment",
    default="lesson-2.4",
    show_default=True,
    help="The assignment whose starter layout to write.",
)
@click.option("--force", is_flag=True, help="Replace files that are already there.")
def init(directory: Path, assignment: str, force: bool) -> int:
    """Write a student's starting layout (task folders, CI that runs the checks)."""
    from grader.starter import init as write_starter

    written = write_starter(directory, assignment, force=force)
    for path in written:
        click.echo(str(path))
    click.echo(f"next: write the Dockerfiles, then run `grader check {directory}`")
    return 0


@cli.command()
@click.argument(
    "parts", metavar="RESULTS.json...", nargs=-1, required=True, type=click.Path(path_type=Path)
)
@click.option("--out", type=click.Path(path_type=Path), required=True, help="Where to write.")
def merge(parts: tuple[Path, ...], out: Path) -> int:
    """Merge the results of shards (grade --shard) into one class, with its pages."""
    from grader.report import write_class_pages
    from grader.results import merge as merge_results
    from grader.results import read_results, write_results

    results = merge_results([read_results(path) for path in parts])
    write_results(out / "results.json", results)
    write_class_pages(results, out)
    click.echo(f"{len(results.submissions)} submissions: {out / 'results.json'}")
    return 0


@cli.command()
@click.argument("folders", metavar="DIR...", nargs=-1, type=click.Path(path_type=Path))
@click.option("--rubric", "rubric_name", help="A bundled rubric or a file.")
@_image_map
@_refuse_image
@click.option("--docker-host", "docker_host", metavar="URL", help="The engine to fill.")
@_builder_options
def prefetch(
    folders: tuple[Path, ...],
    rubric_name: str | None,
    image_map: dict[str, str],
    refuse_images: tuple[str, ...],
    docker_host: str | None,
    builder: str | None,
    docker_cli: Path | None,
) -> int:
    """Pull the base images a rubric's builds need for these working copies, once.

    Give a model answer or submissions/<assignment>/*, before a batch or an exam.
    """
    from grader.engines import open_engine
    from grader.grading import base_images
    from grader.rubrics import default_name, load

    loaded = load(rubric_name or default_name())
    folders_given = [Path(f) for f in folders or (Path("."),)]
    images = base_images(loaded, folders_given, image_map, refuse_images)
    timeout = loaded.rubric.defaults.limits.build_timeout
    missing = 0
    with open_engine(_engine_options(builder, docker_cli, docker_host)) as engine:
        for image in images:
            problem = engine.ensure_image(image, timeout)
            missing += problem is not None
            state = "ready" if problem is None else f"not available: {problem}"
            click.echo(for_terminal(f"{image}: {state}"))
    if missing:
        click.echo(f"grader: {missing} of {len(images)} base images are not available", err=True)
        return 2
    return 0


@cli.command()
@click.option("--all", "everything", is_flag=True, help="Also what running graders made.")
def clean(everything: bool) -> int:
    """Remove containers and images that earlier, interrupted grading runs left behind."""
    from grader.engines import EngineOptions
    from grader.engines import clean as clean_engine

    containers, images = clean_engine(EngineOptions(builder="classic"), everything=everything)
    click.echo(f"removed {containers} containers and {images} images")
    return 0


@cli.command()
@click.argument(
    "which",
    type=click.Choice(["rubric", "results", "gradescope-results", "lti-score", "lti-lineitem"]),
)
@click.option("--markdown", is_flag=True, help="The rubric reference as Markdown instead.")
def schema(which: str, markdown: bool) -> int:
    """Print the JSON Schema of rubric files, results.json or an exported JSON document."""
    from grader.schemas import rubric_reference, schema_for

    if markdown:
        if which != "rubric":
            raise InputError("--markdown: only the rubric has a Markdown reference")
        click.echo(rubric_reference())
    else:
        click.echo(json.dumps(schema_for(which), indent=2))
    return 0


def _terminate(signum: int, frame: FrameType | None) -> NoReturn:
    # SIGTERM unwinds like Ctrl-C, so every `with Engine` block removes what it made.
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> NoReturn:
    """Entry point: run a command, turn every outcome into an exit status and one line."""
    signal.signal(signal.SIGTERM, _terminate)
    try:
        status: Any = cli.main(args=argv, prog_name="grader", standalone_mode=False)
    except click.exceptions.NoArgsIsHelpError as exc:
        click.echo(exc.ctx.get_help() if exc.ctx else str(exc))
        sys.exit(2)
    except click.UsageError as exc:
        words = list(sys.argv[1:] if argv is None else argv)
        named = f"grader {words[0]}" if words and words[0] in cli.commands else "grader"
        command = exc.ctx.command_path if exc.ctx else named
        click.echo(f"{command}: {exc.format_message()} (see {command} --help)", err=True)
        sys.exit(2)
    except click.ClickException as exc:
        click.echo(f"grader: {exc.format_message()}", err=True)
        sys.exit(exc.exit_code)
    except (KeyboardInterrupt, click.exceptions.Abort):
        click.echo("grader: interrupted", err=True)
        sys.exit(130)
    except GraderError as exc:
        click.echo(for_terminal(f"grader: {exc}"), err=True)
        sys.exit(exc.exit_code)
    except Exception as exc:  # a bug: say so in one line; GRADER_DEBUG=1 shows the traceback
        if os.environ.get("GRADER_DEBUG"):
            raise
        click.echo(
            for_terminal(
                f"grader: internal error: {type(exc).__name__}: {exc} "
                "(a bug in grader; run with GRADER_DEBUG=1 for the traceback)"
            ),
            err=True,
        )
        sys.exit(_INTERNAL_ERROR)
    sys.exit(status if isinstance(status, int) else 0)


if __name__ == "__main__":
    main()
