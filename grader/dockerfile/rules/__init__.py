"""The rule catalogue: every problem the analysis reports, each with the one function that finds it.

A rule is an entry of the catalogue (``grader.models.rules``: id, severity, origin BuildKit or
grader, whether ``# check=skip=`` can silence it, a one-line summary) and a small function,
registered here under the same id, from the finished stage graph (``Context``) to ``Finding``s
(a line and a message). The phases record facts on
``Run`` (a --from naming no stage, a BuildKit-only feature, the blank lines of a continuation);
rules only judge and word them. Severity and skipping are applied here, from the catalogue.

To add a rule:

1. add its ``RuleInfo`` to ``grader.models.rules.RULES`` (BuildKit's name for a build check, a
   kebab-case id for grader's own advice), then write its function in the module of what it
   looks at (``stages``, ``commands``, ``images``, ``builders``) and register it in that
   module's ``CHECKS`` under the same id;
2. add a case to ``tests/dockerfiles/`` (a ``.Dockerfile`` and its hand-written
   ``.expected.json``) that reports it: the tests refuse a catalogue id without one.

The rubric's ``dockerfile_lint.rules`` is typed from ``RULE_IDS``, so the new id is accepted
there, listed in the JSON Schema and in docs/rubric-reference.md once they are regenerated.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from grader.dockerfile.rules import builders, commands, images, stages
from grader.dockerfile.rules.base import Check, Context, Finding, Rule
from grader.dockerfile.state import Run
from grader.models.rules import RULES

__all__ = ["CATALOGUE", "Context", "Finding", "Rule", "apply", "violations"]


def _catalogue(*modules: Mapping[str, Check]) -> Mapping[str, Rule]:
    """Each catalogue entry with its function; one missing on either side is a bug, found here."""
    checks = {rule: check for module in modules for rule, check in module.items()}
    if set(checks) != set(RULES):
        missing = sorted(set(RULES) - set(checks))
        unknown = sorted(set(checks) - set(RULES))
        raise RuntimeError(f"rules without a check: {missing}; checks without a rule: {unknown}")
    return MappingProxyType({rule: Rule(info, checks[rule]) for rule, info in RULES.items()})


CATALOGUE: Final[Mapping[str, Rule]] = _catalogue(
    stages.CHECKS, commands.CHECKS, images.CHECKS, builders.CHECKS
)


def apply(context: Context) -> None:
    """Every rule's findings as problems on the run, minus those ``# check=skip=`` silences.

    BuildKit skips a skippable check named in ``skip=`` (or every one with ``skip=all``);
    errors are never skipped: they break builds.
    """
    run = context.run
    for rule in CATALOGUE.values():
        info = rule.info
        skipped = info.skippable and (run.skipped is None or info.id in run.skipped)
        for finding in rule.check(context):
            severity = info.lesser if finding.lesser and info.lesser else info.severity
            if skipped and severity != "error":
                continue
            run.problems.append((finding.line, info.id, severity, finding.message))


def violations(run: Run, built: set[int]) -> list[str]:
    """The build checks that make ``# check=error=true`` fail the build, as BuildKit lists them.

    Only BuildKit's own checks count, and only those ``docker build`` runs: a check BuildKit
    makes while converting a stage (``dispatch``) counts only in a stage the build reaches.
    """
    starts = [stage.line for stage in run.stages]
    found: dict[str, None] = {}
    for line, rule, _, _ in run.problems:
        info = RULES[rule]
        if info.origin != "buildkit":
            continue
        if info.dispatch and line is not None:
            stage = bisect.bisect_right(starts, line) - 1
            if stage not in built:
                continue
        found[rule] = None
    return list(found)
