"""What the checks ask of a built image beyond its size and one run.

Its config, its files, the commands run in it (each after its setup commands) and its layers'
efficiency, gathered once per task for every criterion that asked, so an identical submission
gets the same answers from the build cache.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from grader.checks.base import CommandOutcome, CommandSpec, Needs
from grader.checks.command import expand
from grader.errors import InputError
from grader.models.image import Efficiency, FileFacts, ImageConfig
from grader.models.rubric import Limits, RunSpec

if TYPE_CHECKING:  # the engine's client loads only when an engine is used
    from grader.engines import Engine


@dataclass(frozen=True)
class Probed:
    """The answers about one image."""

    config: ImageConfig | None = None
    files: Mapping[str, FileFacts] = field(default_factory=dict)
    paths: Mapping[str, bool] = field(default_factory=dict)
    commands: Mapping[CommandSpec, CommandOutcome] = field(default_factory=dict)
    efficiency: Efficiency | None = None
    layers_error: str | None = None  # why the layers could not be measured


def probe(engine: Engine, image: str, wanted: Needs, limits: Limits) -> Probed:
    """Everything ``wanted`` asks of the image, each in the run's sandbox."""
    from grader.engines.contents import layer_efficiency, look  # noqa: PLC0415 - see above

    expanding = any(spec.expand_env for spec in wanted.commands)
    config = engine.image_config(image) if wanted.config or expanding else None
    reads: dict[str, int] = {}
    for path, limit in wanted.files:
        reads[path] = max(reads.get(path, 0), limit)
    files, paths = (
        look(engine, image, reads, exists=wanted.paths) if reads or wanted.paths else ({}, {})
    )
    env = config.env if config is not None else {}
    commands = {
        spec: run_command(engine, image, spec, env, limits)
        for spec in sorted(wanted.commands, key=repr)
    }
    efficiency, layers_error = None, None
    if wanted.layers:
        try:
            efficiency = layer_efficiency(engine, image, limits.build_timeout)
        except InputError as exc:  # the student's image: its criterion fails, not the task
            layers_error = str(exc)
    return Probed(
        config=config,
        files=files,
        paths=paths,
        commands=commands,
        efficiency=efficiency,
        layers_error=layers_error,
    )


def run_command(
    engine: Engine, image: str, spec: CommandSpec, env: Mapping[str, str], limits: Limits
) -> CommandOutcome:
    """The setup commands, each committed for the next, then the command itself.

    A setup command that fails, or never ends, ends it there: what it was to prepare is not
    there, and the student needs to see that failure rather than the command's.
    """
    extra = dict(spec.env)
    current = image
    setups = []
    for step in spec.setup:
        argv = expand(step, env) if spec.expand_env else list(step)
        result, committed = engine.run_and_commit(
            current, RunSpec(entrypoint=[], command=argv, env=extra), limits
        )
        setups.append(result)
        if result.error or result.timed_out or result.exit_code != 0 or committed is None:
            return CommandOutcome(setup=tuple(setups), run=None)
        current = committed
    argv = expand(spec.command, env) if spec.expand_env else list(spec.command)
    run = engine.run(
        current, RunSpec(entrypoint=[], command=argv, env=extra, stdin=spec.stdin), limits
    )
    return CommandOutcome(setup=tuple(setups), run=run)
