"""output: what running the final image prints, and how it exits."""

from __future__ import annotations

import re

from grader.capped import clipped
from grader.checks.base import CheckKind, Facts, Needs, Outcome
from grader.models.criteria import Normalize, Output
from grader.models.results import Evidence, RunResult
from grader.models.rubric import Task
from grader.sanitizer import ESCAPE_SEQUENCE

_EVIDENCE_CHARS = 4000
_MESSAGE_CHARS = 120


def needs(criterion: Output, task: Task) -> Needs:
    """A run of the built image."""
    return Needs(build=True, run=True)


def normalize(text: str, how: Normalize) -> str:
    """Apply the rubric's normalisation; line endings are always unified."""
    text = text.replace("\r\n", "\n")
    if how.strip_ansi:
        text = ESCAPE_SEQUENCE.sub("", text)  # what a terminal obeys, as the sanitiser says
    if how.collapse_whitespace:
        text = " ".join(text.split())
    elif how.strip:
        text = text.strip()
    if how.ignore_case:
        text = text.casefold()
    return text


def _selected(run: RunResult, stream: str) -> str:
    if stream == "stdout":
        return run.stdout
    if stream == "stderr":
        return run.stderr
    return run.stdout + run.stderr


def _short(text: str) -> str:
    return f'"{clipped(text, _MESSAGE_CHARS)}"'


def evaluate(criterion: Output, facts: Facts) -> Outcome:
    """Compare output and exit code with the expectation."""
    run = facts.run
    assert run is not None
    how = criterion.normalize
    actual = normalize(_selected(run, criterion.stream), how)
    expected_text = next(
        (t for t in (criterion.equals, criterion.contains, criterion.last_line) if t is not None),
        None,
    )
    expected = None if expected_text is None else normalize(expected_text, how)
    described = _describe_expectation(criterion, expected)
    evidence = Evidence(expected=described, actual=actual[:_EVIDENCE_CHARS])
    if run.error:
        return Outcome.fail(f"the container did not run: {run.error}", evidence)
    if run.timed_out:
        return Outcome.fail(
            f"the program was still running after {run.seconds:g} s and was stopped; "
            "it should print its output and exit",
            evidence,
        )
    if run.oom_killed:
        return Outcome.fail("the program ran out of memory and was killed", evidence)
    where = criterion.stream if criterion.stream != "both" else "output"
    if criterion.equals is not None and actual != expected:
        return Outcome.fail(
            f"{where} was {_short(actual)}; expected {_short(expected or '')}", evidence
        )
    if criterion.contains is not None and (expected or "") not in actual:
        return Outcome.fail(
            f"{where} {_short(actual)} does not contain {_short(expected or '')}", evidence
        )
    if criterion.last_line is not None:
        lines = [line for line in actual.splitlines() if line.strip()]
        last = normalize(lines[-1], how) if lines else ""
        if last != expected:
            return Outcome.fail(
                f"the last line of {where} was {_short(last)}; expected {_short(expected or '')}",
                evidence,
            )
    if criterion.regex is not None:
        flags = re.IGNORECASE if how.ignore_case else 0
        if re.search(criterion.regex, actual, flags) is None:
            return Outcome.fail(
                f"{where} {_short(actual)} does not match /{criterion.regex}/", evidence
            )
    if criterion.exit_code is not None and run.exit_code != criterion.exit_code:
        return Outcome.fail(
            f"exit status {run.exit_code}; expected {criterion.exit_code}", evidence
        )
    if expected is None and criterion.regex is None:
        return Outcome.ok(f"exit status {run.exit_code}, as expected", evidence)
    return Outcome.ok(f"{where} {_short(actual)}, as expected", evidence)


def _describe_expectation(criterion: Output, expected: str | None) -> str:
    if criterion.equals is not None:
        return expected or ""
    if criterion.contains is not None:
        return f"contains: {expected}"
    if criterion.last_line is not None:
        return f"last line: {expected}"
    if criterion.regex is not None:
        return f"matches: /{criterion.regex}/"
    return f"exit status {criterion.exit_code}"


KIND = CheckKind[Output](title="Output", needs=needs, evaluate=evaluate)
