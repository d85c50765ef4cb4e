"""`grader inspect`: a Dockerfile analysed with Docker's own rules."""

from __future__ import annotations

from pathlib import Path

import click

from grader.cli import options
from grader.sanitizer import for_terminal


@click.command()
@click.argument("dockerfile", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the analysis as JSON.")
@click.option("--target", help="Analyse the build as if --target STAGE were given.")
@click.option(
    "--build-arg",
    "build_args",
    multiple=True,
    callback=options.pairs,
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
@options.refuse_image
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
