"""Set-up and housekeeping: init, prefetch, clean, schema."""

from __future__ import annotations

import json
from pathlib import Path

import click

from grader.cli import options
from grader.errors import InputError
from grader.sanitizer import for_terminal


@click.command()
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


@click.command()
@click.argument("folders", metavar="DIR...", nargs=-1, type=click.Path(path_type=Path))
@click.option("--rubric", "rubric_name", help="A bundled rubric or a file.")
@options.image_map
@options.refuse_image
@click.option("--docker-host", "docker_host", metavar="URL", help="The engine to fill.")
@options.builder_options
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
    with open_engine(options.engine_options(builder, docker_cli, docker_host)) as engine:
        for image in images:
            problem = engine.ensure_image(image, timeout)
            missing += problem is not None
            state = "ready" if problem is None else f"not available: {problem}"
            click.echo(for_terminal(f"{image}: {state}"))
    if missing:
        click.echo(f"grader: {missing} of {len(images)} base images are not available", err=True)
        return 2
    return 0


@click.command()
@click.option("--all", "everything", is_flag=True, help="Also what running graders made.")
def clean(everything: bool) -> int:
    """Remove containers and images that earlier, interrupted grading runs left behind."""
    from grader.engines import EngineOptions
    from grader.engines import clean as clean_engine

    containers, images = clean_engine(EngineOptions(builder="classic"), everything=everything)
    click.echo(f"removed {containers} containers and {images} images")
    return 0


@click.command()
@click.argument(
    "which",
    type=click.Choice(
        ["rubric", "results", "overrides", "gradescope-results", "lti-score", "lti-lineitem"]
    ),
)
@click.option("--markdown", is_flag=True, help="The rubric reference as Markdown instead.")
def schema(which: str, markdown: bool) -> int:
    """Print the JSON Schema of rubric files, results.json, overrides or an exported document."""
    from grader.schemas import rubric_reference, schema_for

    if markdown:
        if which != "rubric":
            raise InputError("--markdown: only the rubric has a Markdown reference")
        click.echo(rubric_reference())
    else:
        click.echo(json.dumps(schema_for(which), indent=2))
    return 0
