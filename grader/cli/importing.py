"""`grader import`: another tool's test file printed as a rubric task to start from."""

from __future__ import annotations

from pathlib import Path

import click

from grader.sanitizer import for_terminal

# grader.interop.FORMATS, written out so that `grader --help` need not load the models
FORMAT_CHOICES = ("container-structure-test", "dive-ci")


@click.command(name="import")
@click.argument("format_name", metavar="FORMAT", type=click.Choice(FORMAT_CHOICES))
@click.argument("file", type=click.Path(path_type=Path))
@click.option(
    "--points",
    type=click.FloatRange(min=0),
    help="Points for each test (for dive-ci, each enabled rule); 1 unless --total is given.",
)
@click.option(
    "--total",
    type=click.FloatRange(min=0),
    help="Points for the whole file instead, split evenly among its criteria.",
)
@click.option("--task", "task_id", help="The task's id (default: from the file's name).")
@click.option("--id-prefix", help="Put before each criterion id, e.g. cst.")
def import_command(
    format_name: str,
    file: Path,
    points: float | None,
    total: float | None,
    task_id: str | None,
    id_prefix: str | None,
) -> int:
    """Print the rubric task a container-structure-test file or a .dive-ci means, as YAML.

    FORMAT is container-structure-test (its schemaVersion 2.0.0 YAML or JSON) or dive-ci
    (dive's .dive-ci rules). Paste the task under a rubric's 'tasks' and give it the student's
    Dockerfile; or keep the file and name it in a task's criteria_from instead. Every field
    becomes a criterion or is refused naming it; what is dropped is noted on stderr.
    """
    from pydantic import TypeAdapter, ValidationError

    from grader.errors import InputError
    from grader.interop import convert, dump_yaml, read, slug
    from grader.models.criteria import Identifier

    if points is not None and total is not None:
        raise click.UsageError("give --points or --total, not both")
    task = task_id or slug(file.name.removesuffix(file.suffix) or file.name) or "imported"
    for option, value in (("--task", task), ("--id-prefix", id_prefix)):
        try:
            TypeAdapter(Identifier | None).validate_python(value)
        except ValidationError:
            raise InputError(
                f"{option} {value}: an id is letters, digits, '.', '_' and '-' (at most 64)"
            ) from None
    imported = convert(
        format_name,
        read(file, str(file)),
        str(file),
        points=None if total is not None else (1.0 if points is None else points),
        total=total,
        id_prefix=id_prefix,
    )
    for note in imported.notes:
        click.echo(for_terminal(f"grader: note: {note}"), err=True)
    shown = for_terminal(f"grader import {format_name} {file}").replace("\n", "\\n")
    lines = dump_yaml(
        [
            {
                "id": task,
                "title": f"Checks from {file.name}",
                "criteria": [dict(item.criterion) for item in imported.criteria],
            }
        ]
    ).splitlines()
    at = lines.index("  criteria:")
    lines[at:at] = [
        "  # dockerfile: Dockerfile  # the student's Dockerfile, relative to their repository"
    ]
    header = [
        f"# Printed by: {shown}",
        "# A task to paste under a rubric's 'tasks:' and edit; give it its Dockerfile first.",
    ]
    click.echo("\n".join([*header, *lines]))
    return 0
