"""Docker's parse phase: every instruction checked as BuildKit checks it, stages started."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType
from typing import Final

import dockerfile as _parser

from grader.dockerfile.grammar import (
    BUILDKIT_ONLY_FLAGS,
    FLAG_SPECS,
    GO_SPACE,
    INSTRUCTIONS,
    MAX_LINES_TO_LOCATE,
    PARSE_HINTS,
    PHASE_INSTRUCTION,
    PHASE_PARSER,
    RE_DURATION,
    RE_INT,
    RE_STAGE_NAME,
    SORTED_INSTRUCTIONS,
)
from grader.dockerfile.source import Command, go_parse, instruction_lines, locate_parse_error
from grader.dockerfile.state import Run, StageInfo
from grader.dockerfile.words import parse_flags, parse_mount, suggest


def parse_commands(text: str, run: Run) -> list[Command]:
    """Docker's parser on text; on a parse error, the commands before it and the error located."""
    try:
        return go_parse(text)
    except _parser.GoParseError as error:
        message = str(error)
    if message == "file with no instructions":
        run.error(
            PHASE_PARSER,
            None,
            "the Dockerfile has no instructions (only comments or blank lines); "
            "start it with FROM <image>",
        )
        return []
    hint = PARSE_HINTS.get(message, "")
    lines = text.split("\n")
    if len(lines) > MAX_LINES_TO_LOCATE:  # a parse per halving: not on absurdly long input
        run.error(PHASE_PARSER, None, message + hint)
        return []
    line = locate_parse_error(lines, message)
    run.error(PHASE_PARSER, line, message + hint)
    prefix = "\n".join(lines[: max(line - 1, 0)])
    try:
        return go_parse(prefix)
    except _parser.GoParseError:
        return []


def _check_instruction(command: Command, keyword: str, run: Run) -> dict[str, list[str]]:
    """Apply BuildKit's per-instruction parse checks (instructions/parse.go); return the flags."""
    line = command.start_line
    args = command.value
    spec = FLAG_SPECS.get(keyword)
    flags: dict[str, list[str]] = {}
    if keyword == "HEALTHCHECK" and args and args[0].upper() == "NONE":
        spec = None  # HEALTHCHECK NONE never parses its flags
    if spec is not None and command.flags:
        flags, flag_error = parse_flags(command.flags, spec)
        if flag_error:
            run.error(PHASE_INSTRUCTION, line, f"{command.cmd}: {flag_error}")
        buildkit_only = sorted(set(flags) & BUILDKIT_ONLY_FLAGS.get(keyword, frozenset()))
        if buildkit_only:
            names = ", ".join(f"--{name}" for name in buildkit_only)
            run.requires_buildkit(line, f"{keyword} {names}", "refuses it")
    if command.heredocs:
        run.requires_buildkit(
            line,
            "A heredoc (<<EOF)",
            "does not know heredocs and reads the heredoc's lines as instructions",
        )
    message = _argument_error(command, keyword, flags)
    if message:
        run.error(PHASE_INSTRUCTION, line, message)
    return flags


def _argument_error(command: Command, keyword: str, flags: Mapping[str, list[str]]) -> str | None:
    """Return BuildKit's error for the instruction's arguments, if it has one."""
    args = command.value
    if keyword in ("COPY", "ADD"):
        if len(args) < 2:
            return (
                f"{keyword} requires at least two arguments, but only one was provided. "
                f"Destination could not be determined (write {keyword} <source>... <destination>)"
            )
        if args[-1].startswith("<<") and command.heredocs:
            return f"{keyword} cannot accept a heredoc as a destination"
        return None
    if keyword in ("WORKDIR", "USER", "MAINTAINER", "STOPSIGNAL"):
        return f"{keyword} requires exactly one argument" if len(args) != 1 else None
    if keyword == "SHELL":
        if not args:
            return "SHELL requires at least one argument"
        if not command.json:
            return 'SHELL requires the arguments to be in JSON form, e.g. SHELL ["/bin/sh", "-c"]'
        return None
    if keyword == "RUN":
        for mount in flags.get("mount", ()):
            _, mount_error = parse_mount(mount)
            if mount_error:
                return f"RUN --mount={mount}: {mount_error}"
        return None
    if keyword in ("ENV", "LABEL", "EXPOSE", "VOLUME", "ARG", "ONBUILD", "HEALTHCHECK"):
        if not args or (keyword == "ONBUILD" and not command.sub_cmd):
            return f"{keyword} requires at least one argument"
        return _LIST_CHECKS[keyword](command, flags)
    return None


def check_names(command: Command, _: Mapping[str, list[str]]) -> str | None:
    keyword = command.cmd.upper()
    return f"{keyword} names can not be blank" if any(not k for k in command.value[::2]) else None


def check_arg(command: Command, _: Mapping[str, list[str]]) -> str | None:
    blank = any(word.startswith("=") for word in command.value)
    return "ARG names can not be blank" if blank else None


def check_volume(command: Command, _: Mapping[str, list[str]]) -> str | None:
    empty = any(not word.strip(GO_SPACE) for word in command.value)
    return "VOLUME specified can not be an empty string" if empty else None


def check_nothing(_command: Command, _flags: Mapping[str, list[str]]) -> str | None:
    return None


def check_onbuild(command: Command, _: Mapping[str, list[str]]) -> str | None:
    trigger = (command.sub_cmd or "").upper()
    if trigger == "ONBUILD":
        return "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed"
    if trigger in ("MAINTAINER", "FROM"):
        return f"{trigger} isn't allowed as an ONBUILD trigger"
    return None


def check_healthcheck(command: Command, flags: Mapping[str, list[str]]) -> str | None:
    kind = command.value[0].upper()
    if kind == "NONE":
        return "HEALTHCHECK NONE takes no arguments" if len(command.value) > 1 else None
    if kind != "CMD":
        return f'Unknown type "{kind}" in HEALTHCHECK (try CMD)'
    if len(command.value) < 2 or not any(command.value[1:]):
        return "Missing command after HEALTHCHECK CMD"
    for name in ("interval", "timeout", "start-period", "start-interval"):
        for value in flags.get(name, ()):
            if value and not RE_DURATION.fullmatch(value):
                return f'HEALTHCHECK --{name}={value}: invalid duration (write e.g. "30s" or "1m")'
    for value in flags.get("retries", ()):
        if value and not RE_INT.fullmatch(value):
            return f"HEALTHCHECK --retries={value}: not a number"
        if value.startswith("-") and value.strip("-0"):
            return f"--retries cannot be negative ({value})"
    return None


_LIST_CHECKS: Final[Mapping[str, Callable[[Command, Mapping[str, list[str]]], str | None]]] = (
    MappingProxyType(
        {
            "ENV": check_names,
            "LABEL": check_names,
            "ARG": check_arg,
            "VOLUME": check_volume,
            "ONBUILD": check_onbuild,
            "HEALTHCHECK": check_healthcheck,
            "EXPOSE": check_nothing,
        }
    )
)


def walk(commands: Sequence[Command], lines: Sequence[str], run: Run) -> list[Command]:
    """Instruction checks in file order; builds the stages. Returns the meta ARG instructions."""
    meta_args: list[Command] = []
    for command in commands:
        keyword = command.cmd.upper()
        run.commands.append(command)
        if command.end_line > command.start_line:
            used, empty = instruction_lines(lines, command.start_line - 1, run.escape)
            if empty:
                last = max(used[-1], empty[-1]) + 1
                run.continuations.append((command, [index + 1 for index in empty], last))
        if keyword not in INSTRUCTIONS:
            suggestion = suggest(command.cmd, SORTED_INSTRUCTIONS, case_sensitive=False)
            hint = f" (did you mean {suggestion}?)" if suggestion else ""
            run.error(
                PHASE_INSTRUCTION, command.start_line, f"unknown instruction: {command.cmd}{hint}"
            )
            continue
        if keyword == "FROM":
            _start_stage(command, run)
            continue
        flags = _check_instruction(command, keyword, run)
        if not run.stages:
            if keyword == "ARG":
                meta_args.append(command)
            else:
                run.error(
                    PHASE_INSTRUCTION,
                    command.start_line,
                    f"{command.cmd} comes before the first FROM: only ARG, comments and parser "
                    "directives may come before FROM (Docker: no build stage in current context)",
                )
            continue
        run.stages[-1].commands.append((command, keyword, flags))
        if keyword == "ONBUILD":
            run.stages[-1].onbuild.append(command)
    return meta_args


def _start_stage(command: Command, run: Run) -> None:
    args = command.value
    line = command.start_line
    flags, flag_error = parse_flags(command.flags, FLAG_SPECS["FROM"])
    name: str | None = None
    raw_name: str | None = None
    if len(args) == 3 and args[1].lower() == "as":
        raw_name = args[2]
        name = raw_name.lower()
        if not RE_STAGE_NAME.fullmatch(name):
            run.error(
                PHASE_INSTRUCTION,
                line,
                f'invalid name for build stage: "{raw_name}", name can\'t start with a number '
                "or contain symbols (use lowercase letters, digits, '-', '_' and '.')",
            )
    elif len(args) != 1:
        run.error(
            PHASE_INSTRUCTION,
            line,
            "FROM requires either one or three arguments: write FROM <image> or "
            "FROM <image> AS <name>",
        )
    if flag_error:
        run.error(PHASE_INSTRUCTION, line, f"FROM: {flag_error}")
    platforms = flags.get("platform")
    run.stages.append(
        StageInfo(
            index=len(run.stages),
            line=line,
            keyword=command.cmd,
            name=name,
            raw_name=raw_name,
            raw_base=args[0] if args else None,
            raw_platform=platforms[-1] if platforms else None,
            source=command,
        )
    )
