"""The whole analysis of one Dockerfile, and the one way its instructions are read."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Final

import dockerfile as _parser

from grader.dockerfile import rules
from grader.dockerfile.grammar import PHASE_LINT, PHASE_NO_STAGES, PHASE_PARSER, PHASE_TARGET
from grader.dockerfile.graph import (
    assemble,
    check_image_refs,
    closure,
    dependencies,
    dispatch,
    empty_analysis,
    read_meta_args,
    resolve_bases,
)
from grader.dockerfile.parse import parse_commands, walk
from grader.dockerfile.source import (
    CheckOptions,
    check_directive,
    check_options,
    decode,
    for_parser,
    go_parse,
    read_directives,
)
from grader.dockerfile.state import Run
from grader.dockerfile.words import suggest
from grader.errors import InputError
from grader.models.analysis import Analysis, Instruction
from grader.models.rubric import ImagePolicy

MAX_DOCKERFILE_BYTES: Final = 1024 * 1024
"""analyze_file reads at most this much; a bigger file is no Dockerfile a course produces."""


def run_analysis(
    text: str,
    path: str,
    target: str | None,
    build_args: Mapping[str, str],
    *,
    builder: str = "buildkit",
    images: ImagePolicy | None = None,
) -> tuple[Analysis, Run]:
    """Run the whole analysis; raises only on a bug (analyze() is the no-raise boundary)."""
    images = images or ImagePolicy()
    target = target or None  # an empty --target means the default, as in Docker
    run = Run(path, classic=builder == "classic", build_args=MappingProxyType(dict(build_args)))
    if not text:
        run.error(PHASE_PARSER, None, "the Dockerfile is empty; start it with FROM <image>")
        return empty_analysis(
            path, "the Dockerfile is empty; start it with FROM <image>", target
        ), run
    safe = for_parser(text)
    lines = safe.split("\n")
    if len(lines) > 1 and not lines[-1]:
        lines.pop()  # the "line" after the last newline, which Go's scanner never reads
    directives = read_directives(lines)
    run.escape = directives.escape
    check = check_directive(lines) if lines[0].startswith("#!") else directives.check
    options = check_options(check)
    if isinstance(options, str):  # Docker stops here, before any build check runs
        run.error(PHASE_PARSER, None, f"failed to parse check options: {options}")
        options = CheckOptions(skipped=None, error=False)
    run.skipped = options.skipped
    commands = parse_commands(safe, run)
    meta_commands = walk(commands, lines, run)
    if not run.stages:
        run.error(
            PHASE_NO_STAGES,
            None,
            "no FROM instruction: the Dockerfile contains no stages to build; add FROM <image>",
        )
    target_name = target or (run.stages[-1].name if run.stages else None) or "default"
    meta = read_meta_args(meta_commands, build_args, target_name, run.escape, run)
    defaults_env = (
        read_meta_args(meta_commands, {}, target_name, run.escape, None).env
        if build_args
        else meta.env
    )
    resolve_bases(run, meta, defaults_env)
    final: int | None = len(run.stages) - 1 if run.stages else None
    if target is not None and run.stages:
        wanted = target.lower()
        matches = [stage.index for stage in run.stages if stage.name == wanted]
        if matches:
            final = matches[-1]
        else:
            names = [stage.name for stage in run.stages if stage.name]
            suggestion = suggest(target, names)
            hint = f" (did you mean {suggestion}?)" if suggestion else ""
            listed = (
                ", ".join(names) if names else "none of the stages has a name (FROM ... AS name)"
            )
            run.error(
                PHASE_TARGET,
                None,
                f'target stage "{target}" could not be found{hint}; stage names: {listed}',
            )
            final = None
    dependencies(run)
    check_image_refs(run)
    depends = closure(run, final) if final is not None else set()
    if final is not None:
        dispatch(run, final, depends)
    rules.apply(rules.Context(run, final, frozenset(depends), directives, images))
    if options.error and final is not None:
        violated = rules.violations(run, {final, *depends})
        if violated:
            run.error(PHASE_LINT, None, f"lint violation found for rules: {', '.join(violated)}")
    return assemble(run, final, depends, target), run


def analyze(
    text: str | bytes,
    *,
    path: str = "Dockerfile",
    target: str | None = None,
    build_args: Mapping[str, str] | None = None,
    builder: str = "buildkit",
    images: ImagePolicy | None = None,
) -> Analysis:
    """Work out the stage graph and problems of one Dockerfile, as Docker itself reads it.

    Never raises: a file Docker would refuse comes back with ``error`` set (one line naming the
    file and the line) and as much of the graph as could be worked out. ``builder`` is the one
    that will build it: only under ``classic`` is a BuildKit-only feature a problem. ``images``
    is the rubric's image policy (default: any name); every image it refuses is a problem
    ``image-not-allowed``, and grader's own images are refused under any policy.
    """
    try:
        args = dict(build_args or {})
        decoded = decode(text)
        return run_analysis(decoded, path, target, args, builder=builder, images=images)[0]
    except Exception as error:  # the contract is "never raises"; a bug still shows in the error
        return empty_analysis(
            path, f"could not be analysed ({type(error).__name__}: {error})", target
        )


def analyze_file(
    path: Path,
    *,
    display: str | None = None,
    target: str | None = None,
    build_args: Mapping[str, str] | None = None,
    builder: str = "buildkit",
    images: ImagePolicy | None = None,
) -> Analysis:
    """Read and analyse a Dockerfile; ``display`` is how messages name it (default: the path).

    Raises ``InputError`` when the path cannot be read at all (missing, a directory, no
    permission); a readable file that is no Dockerfile gives an Analysis with ``error``.
    """
    shown = display if display is not None else str(path)
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_DOCKERFILE_BYTES + 1)
    except IsADirectoryError:
        raise InputError(f"{shown}: is a directory, not a Dockerfile") from None
    except FileNotFoundError:
        raise InputError(f"{shown}: no such file") from None
    except PermissionError:
        raise InputError(f"{shown}: permission denied") from None
    except OSError as error:
        raise InputError(f"{shown}: cannot be read ({error.strerror or error})") from None
    if len(data) > MAX_DOCKERFILE_BYTES:
        return empty_analysis(
            shown,
            f"too large to be a Dockerfile (over {MAX_DOCKERFILE_BYTES // 1024} KiB)",
            target,
        )
    return analyze(
        data, path=shown, target=target, build_args=build_args, builder=builder, images=images
    )


def instructions(text: str | bytes) -> list[Instruction]:
    """The file's instructions as Docker's parser splits it, each with its stage; [] if unparsable.

    Builders report steps by stage and instruction text (or number); this places them on lines.
    """
    safe = for_parser(decode(text))
    try:
        commands = go_parse(safe)
    except (_parser.GoParseError, _parser.GoIOError, ValueError):
        return []
    found: list[Instruction] = []
    stage: int | None = None
    name: str | None = None
    for command in commands:
        keyword = command.cmd.upper()
        if keyword == "FROM":
            stage = 0 if stage is None else stage + 1
            words = command.value
            name = words[2].lower() if len(words) >= 3 and words[1].lower() == "as" else None
        found.append(
            Instruction(
                stage=stage,
                stage_name=name,
                keyword=keyword,
                line=command.start_line,
                end_line=command.end_line,
                original=command.original,
            )
        )
    return found
