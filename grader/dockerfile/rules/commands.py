"""Rules about single instructions, judged with what their stage has inherited at that point."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from types import MappingProxyType

from grader.dockerfile.expansion import ExpandError, expand
from grader.dockerfile.grammar import RE_SECRET, RE_SECRET_ALLOW
from grader.dockerfile.graph import on_scratch, stage_chain, stage_steps
from grader.dockerfile.rules.base import Context, Finding, Scope
from grader.dockerfile.source import Command
from grader.dockerfile.words import extract_flags, first_word, split_command, suggest


def maintainer_deprecated(context: Context) -> Iterator[Finding]:
    for command in context.run.commands:
        if command.cmd.upper() == "MAINTAINER":
            yield Finding(
                command.start_line,
                "Maintainer instruction is deprecated in favor of using label: write "
                'LABEL org.opencontainers.image.authors="..." instead.',
            )


def no_empty_continuation(context: Context) -> Iterator[Finding]:
    """Once per instruction, on its last line, as BuildKit's parser places the warning."""
    for command, empty, last in context.run.continuations:
        blank = ", ".join(str(line) for line in empty)
        yield Finding(
            last,
            f"Empty continuation line: the {command.cmd} that starts on line "
            f"{command.start_line} has blank line{'s' if len(empty) > 1 else ''} {blank} inside "
            "it. Delete them (future Docker versions will refuse them).",
        )


def multiple_instructions_disallowed(context: Context) -> Iterator[Finding]:
    for stage in context.run.stages:
        seen: dict[str, int] = {}
        for command, keyword, _ in stage.commands:
            if keyword not in ("CMD", "ENTRYPOINT", "HEALTHCHECK"):
                continue
            previous = seen.get(keyword)
            if previous is not None:
                yield Finding(
                    previous,
                    f"Multiple {keyword} instructions should not be used in the same stage "
                    f"because only the last one will be used: this one is replaced by the "
                    f"{keyword} on line {command.start_line}; keep one.",
                )
            seen[keyword] = command.start_line


def workdir_relative_path(context: Context) -> Iterator[Finding]:
    """The first WORKDIR of a stage chain, judged after expansion, as dispatchWorkdir does.

    Quotes go and variables take the values the stage gives them; where the base image might
    set a variable this file does not (anything but scratch), the path is not judged.
    """
    run = context.run
    for stage in run.stages:
        if not any(keyword == "WORKDIR" for _, keyword, _ in stage.commands):
            continue
        chain = stage_chain(run, stage.index)
        if any(keyword == "WORKDIR" for s in chain[:-1] for _, keyword, _ in s.commands):
            continue  # the first WORKDIR of the chain is in an earlier stage
        for (command, keyword, _), env in stage_steps(run, stage):
            if keyword != "WORKDIR":
                continue
            raw = command.value[0] if command.value else ""
            try:
                expansion = expand(raw, env, run.escape)
            except ExpandError:
                break  # Docker refuses the file: the analysis's error says so
            path = expansion.result
            judged = on_scratch(run, stage) or not expansion.unmatched
            if judged and not path.startswith(("/", "\\")):
                example = path.lstrip("./") or "<directory>"
                yield Finding(
                    command.start_line,
                    f'Relative workdir "{path}" can have unexpected results if the base image '
                    f"changes: write an absolute path, e.g. WORKDIR /{example}.",
                )
            break


def _shell_form(command: Command, keyword: str) -> bool:
    return keyword in ("RUN", "CMD", "ENTRYPOINT") and not command.json and any(command.value)


def _fails_on_scratch(scope: Scope, keyword: str) -> bool:
    return scope.on_scratch and not scope.has_shell and (keyword == "RUN" or scope.in_final)


def shell_form_on_scratch(context: Context) -> Iterator[Finding]:
    for scope, command, keyword in context.scoped:
        if not _shell_form(command, keyword) or not _fails_on_scratch(scope, keyword):
            continue
        words = command.value[0].split()
        example = " ".join(words[:3])
        json_form = ", ".join(f'"{part}"' for part in words[:3])
        when = "the build" if keyword == "RUN" else "the container"
        caveat = " unless you copied a shell to /bin/sh" if scope.copied_shell else ""
        yield Finding(
            command.start_line,
            f"{keyword} {example} is in shell form, which runs /bin/sh -c '...', but this stage "
            f"is built on scratch, which has no /bin/sh: {when} will fail{caveat}. Use the exec "
            f"(JSON) form with a program you copied in, e.g. {keyword} [{json_form}].",
            lesser=scope.copied_shell,
        )


def json_args_recommended(context: Context) -> Iterator[Finding]:
    for scope, command, keyword in context.scoped:
        if keyword not in ("CMD", "ENTRYPOINT") or not _shell_form(command, keyword):
            continue
        if scope.has_shell or _fails_on_scratch(scope, keyword):
            continue
        example = ", ".join(f'"{part}"' for part in command.value[0].split()[:4])
        yield Finding(
            command.start_line,
            f"JSON arguments recommended for {keyword} to prevent unintended behavior related to "
            f"OS signals: write {keyword} [{example}] so the program runs as PID 1 and gets "
            "SIGTERM on docker stop.",
        )


def legacy_key_value_format(context: Context) -> Iterator[Finding]:
    escape = context.run.escape
    for stage in context.run.stages:
        for command, keyword, _ in stage.commands:
            if keyword not in ("ENV", "LABEL"):
                continue
            _, args_start = split_command(command.original)
            flags_end = extract_flags(command.original, args_start, escape)[1]
            first = first_word(command.original[flags_end:], escape)
            if first and "=" not in first:
                yield Finding(
                    command.start_line,
                    f'"{keyword} key=value" should be used instead of legacy "{keyword} key '
                    f'value" format: write {keyword} {first}=...',
                )


def _ports(context: Context) -> Iterator[tuple[Command, str]]:
    for stage in context.run.stages:
        for command, keyword, _ in stage.commands:
            if keyword == "EXPOSE":
                yield from ((command, port) for port in command.value if "$" not in port)


def expose_invalid_format(context: Context) -> Iterator[Finding]:
    for command, port in _ports(context):
        if ":" in port:
            yield Finding(
                command.start_line,
                f"EXPOSE instruction should not define an IP address or host-port mapping, "
                f"found '{port}': EXPOSE only documents the container port; publish with "
                "docker run -p.",
            )


def expose_proto_casing(context: Context) -> Iterator[Finding]:
    for command, port in _ports(context):
        _, slash, proto = port.partition("/")
        if slash and proto != proto.lower():
            yield Finding(
                command.start_line,
                f"Defined protocol '{port}' in EXPOSE instruction should be lowercase.",
            )


def secrets_used_in_arg_or_env(context: Context) -> Iterator[Finding]:
    for stage in context.run.stages:
        for command, keyword, _ in stage.commands:
            if keyword == "ARG":
                keys = [word.partition("=")[0] for word in command.value]
            elif keyword == "ENV":
                keys = list(command.value[::2])
            else:
                continue
            for key in keys:
                if RE_SECRET.search(key) and not RE_SECRET_ALLOW.search(key):
                    yield Finding(
                        command.start_line,
                        f"Do not use ARG or ENV instructions for sensitive data ({keyword} "
                        f'"{key}"): the value stays in the image history; use '
                        "RUN --mount=type=secret instead.",
                    )


_EXPANDED_WORDS = ("ENV", "LABEL", "COPY", "ADD", "WORKDIR", "USER", "VOLUME", "STOPSIGNAL")


def undefined_var(context: Context) -> Iterator[Finding]:
    """Only where every defined variable is known: stages built on scratch."""
    for scope, command, keyword in context.scoped:
        known = scope.env_known
        if known is None:
            continue
        words: Sequence[str] = ()
        if keyword in _EXPANDED_WORDS:
            words = command.value[1::2] if keyword in ("ENV", "LABEL") else command.value
        elif keyword == "ARG":
            words = [word.partition("=")[2] for word in command.value]
        env = dict.fromkeys(known, "")
        missing: set[str] = set()
        for word in words:
            if "$" not in word:
                continue
            try:
                missing |= expand(word, env, context.run.escape).unmatched
            except ExpandError:
                continue
        for name in sorted(missing):
            suggestion = suggest(name, sorted(known))
            hint = f" (did you mean ${suggestion}?)" if suggestion else ""
            yield Finding(
                command.start_line,
                f"Usage of undefined variable '${name}'{hint}: nothing defines it in this stage "
                f"(built on scratch); declare it with ARG {name} or ENV {name}=... first.",
            )


CHECKS = MappingProxyType(
    {
        "MaintainerDeprecated": maintainer_deprecated,
        "NoEmptyContinuation": no_empty_continuation,
        "MultipleInstructionsDisallowed": multiple_instructions_disallowed,
        "WorkdirRelativePath": workdir_relative_path,
        "shell-form-on-scratch": shell_form_on_scratch,
        "JSONArgsRecommended": json_args_recommended,
        "LegacyKeyValueFormat": legacy_key_value_format,
        "ExposeInvalidFormat": expose_invalid_format,
        "ExposeProtoCasing": expose_proto_casing,
        "SecretsUsedInArgOrEnv": secrets_used_in_arg_or_env,
        "UndefinedVar": undefined_var,
    }
)
