"""command: a command run in the built image, its output and exit status against patterns."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from grader.capped import clipped
from grader.checks.base import CheckKind, CommandSpec, Facts, Needs, Outcome
from grader.models.image_criteria import Command
from grader.models.results import Evidence, RunResult
from grader.models.rubric import Task

_SHOWN = 2000  # characters of each stream in the evidence
_QUOTED = 80  # characters of a pattern or command in a message
_SPECIAL = "*#$@!?-0123456789"


def spec(criterion: Command) -> CommandSpec:
    """What runs: equal criteria share one run."""
    return CommandSpec(
        command=tuple(criterion.command),
        setup=tuple(tuple(step) for step in criterion.setup),
        env=tuple(sorted(criterion.env.items())),
        stdin=criterion.stdin,
        expand_env=criterion.expand_env,
    )


def needs(criterion: Command, task: Task) -> Needs:
    """The command's runs in the built image."""
    return Needs(build=True, commands=frozenset({spec(criterion)}))


def expand(args: Sequence[str], env: Mapping[str, str]) -> list[str]:
    """$NAME and ${NAME} replaced from ``env`` (unknown names by nothing), as Go's os.Expand.

    Written by hand because it must match container-structure-test's substitution exactly
    (its commands go through Go's os.Expand), which no Python library reproduces.
    """
    return [_expand(arg, env) for arg in args]


def _expand(text: str, env: Mapping[str, str]) -> str:
    out: list[str] = []
    i = 0
    j = 0
    while j < len(text):
        if text[j] == "$" and j + 1 < len(text):
            out.append(text[i:j])
            name, width = _shell_name(text[j + 1 :])
            if name:
                out.append(env.get(name, ""))
            elif width == 0:
                out.append("$")  # not followed by a name: the dollar stays
            j += width
            i = j + 1
        j += 1
    out.append(text[i:])
    return "".join(out)


def _shell_name(rest: str) -> tuple[str, int]:
    """The name after a '$' and how many characters it takes (Go's getShellName)."""
    if rest[0] == "{":
        if len(rest) > 2 and rest[1] in _SPECIAL and rest[2] == "}":
            return rest[1], 3
        close = rest.find("}", 1)
        if close == 1:
            return "", 2  # "${}": bad syntax, eaten
        if close < 0:
            return "", 1  # "${" without its brace: eaten
        return rest[1:close], close + 1
    if rest[0] in _SPECIAL:
        return rest[0], 1
    width = 0
    while width < len(rest) and (
        rest[width] == "_" or (rest[width].isascii() and rest[width].isalnum())
    ):
        width += 1
    return rest[:width], width


def _name_char(char: str) -> bool:
    return char == "_" or (char.isascii() and char.isalnum())


def _quoted(text: str) -> str:
    return clipped(text, _QUOTED)


def _shown(run: RunResult) -> str:
    parts = [f"exit status {run.exit_code}"]
    for name, text in (("stdout", run.stdout), ("stderr", run.stderr)):
        if text:
            cut = text if len(text) <= _SHOWN else text[:_SHOWN] + "…"
            parts.append(f"{name}:\n{cut}")
    return "\n".join(parts)


def _expected(criterion: Command) -> str:
    lines = [f"$ {' '.join(criterion.command)}"]
    lines += [f"stdout matches /{p}/" for p in criterion.expected_output]
    lines += [f"stdout does not match /{p}/" for p in criterion.excluded_output]
    lines += [f"stderr matches /{p}/" for p in criterion.expected_error]
    lines += [f"stderr does not match /{p}/" for p in criterion.excluded_error]
    if criterion.exit_code is not None:
        lines.append(f"exit status {criterion.exit_code}")
    return "\n".join(lines)


def _not_ran(run: RunResult, what: str) -> str | None:
    """Why a run is no result to judge, or None when it ran to its end."""
    if run.error:
        return f"{what} did not run: {run.error}"
    if run.timed_out:
        return f"{what} was still running after {run.seconds:g} s and was stopped"
    if run.oom_killed:
        return f"{what} ran out of memory and was killed"
    return None


def failures(criterion: Command, run: RunResult) -> list[str]:
    """Every expectation the run does not meet, in the rubric's order."""
    found: list[str] = []
    streams = (
        ("stdout", run.stdout, criterion.expected_output, criterion.excluded_output),
        ("stderr", run.stderr, criterion.expected_error, criterion.excluded_error),
    )
    for name, text, expected, excluded in streams:
        found += [
            f"{name} does not match /{_quoted(p)}/" for p in expected if not re.search(p, text)
        ]
        found += [f"{name} matches /{_quoted(p)}/" for p in excluded if re.search(p, text)]
    if criterion.exit_code is not None and run.exit_code != criterion.exit_code:
        found.append(f"exit status {run.exit_code}, expected {criterion.exit_code}")
    return found


def evaluate(criterion: Command, facts: Facts) -> Outcome:
    """All expectations must hold, as in container-structure-test."""
    outcome = facts.commands.get(spec(criterion))
    assert outcome is not None
    command = _quoted(" ".join(criterion.command))
    for number, setup in enumerate(outcome.setup, start=1):
        step = _quoted(" ".join(criterion.setup[number - 1]))
        evidence = Evidence(expected=f"setup {number}: $ {step}", actual=_shown(setup))
        why = _not_ran(setup, f"setup command {number} ({step})")
        if why is None and setup.exit_code != 0:
            why = f"setup command {number} ({step}) exited with status {setup.exit_code}"
        if why is not None:
            return Outcome.fail(why, evidence)
    run = outcome.run
    assert run is not None
    evidence = Evidence(expected=_expected(criterion), actual=_shown(run))
    why = _not_ran(run, f"`{command}`")
    if why is not None:
        return Outcome.fail(why, evidence)
    found = failures(criterion, run)
    if found:
        more = f" (and {len(found) - 2} more)" if len(found) > 2 else ""
        return Outcome.fail(f"`{command}`: {'; '.join(found[:2])}{more}", evidence)
    return Outcome.ok(f"`{command}` ran as expected (exit status {run.exit_code})", evidence)


KIND = CheckKind[Command](title="Command", needs=needs, evaluate=evaluate)
