"""`grader worker`: grade the queue's jobs on this machine's engine (or another's)."""

from __future__ import annotations

from pathlib import Path

import click

from grader.cli import options
from grader.sanitizer import for_terminal


@click.command()
@click.option(
    "--queue", "url", required=True, metavar="URL", help="The Redis the jobs come from (redis://…)."
)
@click.option(
    "--docker-host", metavar="URL", help="Grade on this engine (default: DOCKER_HOST or local)."
)
@options.submissions("Where this worker clones the repositories.")
@click.option("--name", help="This worker's name on the queue (default: host name and a nonce).")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
@options.builder_options
def worker(
    url: str,
    docker_host: str | None,
    submissions_dir: Path,
    name: str | None,
    burst: bool,
    builder: str | None,
    docker_cli: Path | None,
) -> int:
    """Take grading jobs from the queue (grader grade --queue) until stopped.

    Ctrl-C or SIGTERM hands the job in hand back to the queue, for another worker.
    """
    from grader.taskqueue import WorkerOptions, run_worker

    settings = WorkerOptions(
        url=url,
        submissions=submissions_dir,
        engine=options.engine_options(builder, docker_cli, docker_host),
        name=name,
        burst=burst,
    )
    run_worker(settings, say=lambda line: click.echo(for_terminal(line), err=True))
    return 0
