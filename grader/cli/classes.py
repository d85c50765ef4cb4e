"""A class's commands: grade, report, export, merge."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.console import Console

from grader.cli import options
from grader.sanitizer import for_terminal

if TYPE_CHECKING:
    from grader.models.results import Results
    from grader.overrides import LoadedOverrides


@click.command()
@click.option("--rubric", "rubric_name", required=True, help="A bundled rubric or a file.")
@click.option("--roster", type=click.Path(path_type=Path), required=True, help="The class CSV.")
@click.option(
    "--deadline", callback=options.deadline, help="ISO-8601; no zone means this machine's."
)
@click.option("--jobs", type=click.IntRange(min=1), help="Parallel jobs (default: cores/memory).")
@click.option("--out", type=click.Path(path_type=Path), help="Default: reports/<assignment>.")
@click.option("--only", multiple=True, help="Regrade only this student (repeatable); merged in.")
@click.option("--force", is_flag=True, help="Regrade even unchanged submissions.")
@click.option("--task", "tasks", multiple=True, help="Grade only this task (repeatable).")
@click.option(
    "--repo-template",
    help="Repository address from roster columns, e.g. https://host/org/lesson-{github_username}.",
)
@options.image_map
@options.refuse_image
@options.submissions("Where repositories are cloned.")
@click.option(
    "--export",
    "exports",
    callback=options.formats,
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
    callback=options.shard,
    metavar="I/N",
    help="Grade only the I-th of N slices of the roster (for several CI jobs; see merge).",
)
@click.option(
    "--queue",
    metavar="URL",
    help="Grade through the Redis queue at URL, on the engines of `grader worker`s.",
)
@click.option("--keep", is_flag=True, help="Keep the images and containers made (debugging).")
@options.builder_options
@options.gradebook_options
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
    queue: str | None,
    keep: bool,
    builder: str | None,
    docker_cli: Path | None,
    overrides_path: Path | None,
    release: object,
    before_release: str | None,
) -> int:
    """Grade a whole class from a roster: clone, build, run, score, report.

    The overrides file beside results.json (or --overrides) is applied to every row.
    """
    from rich.text import Text

    if queue is not None:
        here: dict[str, object] = {
            "--docker-host": docker_hosts,
            "--jobs": jobs,
            "--keep": keep,
            "--docker-cli": docker_cli,
        }
        for flag, value in here.items():
            if value:
                raise click.UsageError(f"{flag} is the workers' to choose with --queue")

    from grader.batch import BatchOptions, grade_class
    from grader.export import ExportOptions, export
    from grader.overrides import FILE_NAME, read_overrides
    from grader.report import PageWriter
    from grader.report.progress import BatchDisplay
    from grader.roster import read_roster
    from grader.rubrics import load

    loaded = load(rubric_name)
    students = read_roster(roster, repo_template=repo_template)
    out = out or Path("reports") / loaded.rubric.assignment
    beside = out / FILE_NAME
    gradebook = None
    if overrides_path is not None or beside.exists():
        gradebook = read_overrides(overrides_path or beside)
    change = options.release_change(release, before_release)
    settings = BatchOptions(
        out=out,
        submissions=submissions_dir,
        grading=options.grade_options(tasks, image_map, refuse_images, builder),
        deadline=deadline,
        jobs=jobs or 0,
        only=only,
        force=force,
        keep=keep,
        docker_hosts=docker_hosts,
        shard=shard,
        builder=options.engine_options(builder, docker_cli, None),
        overrides=gradebook,
        release=change.applied_to(loaded.rubric.release) if change else None,
        pages=PageWriter(out),
    )
    console = Console(stderr=True, highlight=False)
    with BatchDisplay(console) as display:
        if queue is not None:
            from grader.taskqueue import grade_class as grade_queued

            results = grade_queued(loaded, students, settings, queue, display)
        else:
            results = grade_class(loaded, students, settings, display)
    display.summary()
    _say_problems(results, gradebook)
    console.print(Text(f"results: {out / 'results.json'}  dashboard: {out / 'index.html'}"))
    for fmt in exports:
        written = export(results, fmt, out / f"export-{fmt}", ExportOptions())
        console.print(Text(f"{fmt}: {', '.join(str(p) for p in written)}"))
        for note in written.notes:
            console.print(Text(f"  {note}"))
    return 1 if any(s.status == "error" for s in results.submissions) else 0


def _say_problems(results: Results, gradebook: LoadedOverrides | None) -> None:
    """Every flagged override, a line each on stderr (stale entries never stop a batch)."""
    from grader.overrides import problems

    for line in problems(results, gradebook):
        click.echo(for_terminal(f"grader: {line}"), err=True)


def _refreshed(
    results_path: Path,
    overrides_path: Path | None,
    release: object,
    before: str | None,
    *,
    write: bool,
) -> Results:
    from grader.gradebook import refresh
    from grader.store import journal_path

    if journal_path(results_path).exists():
        click.echo(
            f"grader: {journal_path(results_path)} holds rows of a batch that was killed; "
            "run the same `grader grade` again to fold them into results.json",
            err=True,
        )
    done = refresh(
        results_path,
        overrides_path=overrides_path,
        release=options.release_change(release, before),
        write=write,
    )
    for line in done.problems:
        click.echo(for_terminal(f"grader: {line}"), err=True)
    if done.changed and write:
        click.echo(f"grader: updated {results_path}", err=True)
    elif done.changed:
        click.echo(
            f"grader: exported with overrides or a release that {results_path} does not record "
            f"yet (`grader report {results_path}` records them)",
            err=True,
        )
    return done.results


@click.command()
@click.argument("results_path", metavar="RESULTS.json", type=click.Path(path_type=Path))
@click.option("--out", type=click.Path(path_type=Path), help="Default: the results' folder.")
@options.gradebook_options
def report(
    results_path: Path,
    out: Path | None,
    overrides_path: Path | None,
    release: object,
    before_release: str | None,
) -> int:
    """Render the class page and the student pages again, without regrading.

    The overrides file and --release are applied first, and results.json updated to match.
    """
    from grader.report import write_class_pages

    results = _refreshed(results_path, overrides_path, release, before_release, write=True)
    written = write_class_pages(results, out or results_path.parent)
    click.echo(f"wrote {len(written)} pages to {out or results_path.parent}")
    return 0


@click.command(name="export")
@click.argument("results_path", metavar="RESULTS.json", type=click.Path(path_type=Path))
@click.option(
    "--format",
    "fmt",
    required=True,
    type=click.Choice(options.EXPORT_FORMATS),
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
@options.gradebook_options
def export_command(
    results_path: Path,
    fmt: str,
    out: Path | None,
    canvas_assignment_id: str | None,
    moodle_identifier: str,
    canvas_points_possible: bool,
    hidden: str,
    overrides_path: Path | None,
    release: object,
    before_release: str | None,
) -> int:
    """Export a results file for an LMS: Gradescope, LTI 1.3 AGS, Canvas or Moodle CSV.

    The overrides file and --release are applied first (results.json is left as it is).
    """
    from grader.export import ExportOptions, export

    results = _refreshed(results_path, overrides_path, release, before_release, write=False)
    settings = ExportOptions.model_validate(
        {
            "canvas_assignment_id": canvas_assignment_id,
            "moodle_identifier": moodle_identifier,
            "canvas_points_possible": canvas_points_possible,
            "hidden": hidden,
        }
    )
    written = export(results, fmt, out or results_path.parent / f"export-{fmt}", settings)
    for path in written:
        click.echo(str(path))
    for note in written.notes:
        click.echo(f"grader: {note}", err=True)
    return 0


@click.command()
@click.argument(
    "parts", metavar="RESULTS.json...", nargs=-1, required=True, type=click.Path(path_type=Path)
)
@click.option("--out", type=click.Path(path_type=Path), required=True, help="Where to write.")
def merge(parts: tuple[Path, ...], out: Path) -> int:
    """Merge the results of shards (grade --shard) into one class, with its pages."""
    from grader.report import write_class_pages
    from grader.results import merge as merge_results
    from grader.results import read_results, with_similarity, write_results

    # alike submissions across the shards: only the whole class shows them
    results = with_similarity(merge_results([read_results(path) for path in parts]))
    write_results(out / "results.json", results)
    write_class_pages(results, out)
    click.echo(f"{len(results.submissions)} submissions: {out / 'results.json'}")
    return 0
