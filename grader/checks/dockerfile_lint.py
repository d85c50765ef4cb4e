"""dockerfile_lint: none of the chosen problems of the static analysis occur.

An image the rubric's policy refuses (``image-not-allowed``) always counts, whatever rules are
chosen: a Dockerfile that breaks the rubric's own rule has problems the rubric cares about.
"""

from __future__ import annotations

from grader import imagepolicy
from grader.checks.base import CheckKind, Facts, Needs, Outcome, refused
from grader.models.criteria import DockerfileLint
from grader.models.results import Evidence
from grader.models.rubric import Task


def needs(criterion: DockerfileLint, task: Task) -> Needs:
    """Static: the Dockerfile's analysis is enough."""
    return Needs(dockerfile=True)


def evaluate(criterion: DockerfileLint, facts: Facts) -> Outcome:
    """Fail on the first chosen rule found, naming its line."""
    if (refusal := refused(facts)) is not None:
        return refusal
    assert facts.analysis is not None
    chosen = {*criterion.rules, imagepolicy.RULE}
    found = [p for p in facts.analysis.problems if p.rule in chosen]
    if not found:
        return Outcome.ok(f"no {', '.join(criterion.rules)} problems")
    first = found[0]
    where = f"line {first.line}: " if first.line else ""
    more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
    return Outcome.fail(
        f"{where}{first.message} [{first.rule}]{more}",
        Evidence(line=first.line, actual=first.rule, expected=f"no {', '.join(criterion.rules)}"),
    )


KIND = CheckKind[DockerfileLint](title="Dockerfile problems", needs=needs, evaluate=evaluate)
