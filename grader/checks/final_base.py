"""final_base: the image the final stage really starts from, FROM <stage> followed back."""

from __future__ import annotations

from grader.checks.base import CheckKind, Facts, Needs, Outcome, refused
from grader.imageref import matches
from grader.models.criteria import FinalBase
from grader.models.results import Evidence
from grader.models.rubric import Task


def needs(criterion: FinalBase, task: Task) -> Needs:
    """Static: the Dockerfile's analysis is enough."""
    return Needs(dockerfile=True)


def evaluate(criterion: FinalBase, facts: Facts) -> Outcome:
    """Match the effective base against the allow and deny patterns."""
    if (refusal := refused(facts)) is not None:
        return refusal
    analysis = facts.analysis
    assert analysis is not None
    final = analysis.stages[analysis.final_stage] if analysis.final_stage is not None else None
    base = analysis.final_base
    allowed = ", ".join(criterion.allow)
    evidence = Evidence(expected=allowed, actual=base, line=final.line if final else None)
    if base is None:
        return Outcome.fail(
            "the final stage's base image cannot be worked out (an ARG without a value?)",
            evidence,
        )
    via = ""
    if final is not None and final.base_stage is not None:
        via = f" (line {final.line} builds on stage '{final.base}', which starts from it)"
    for pattern in criterion.deny:
        if matches(base, pattern):
            return Outcome.fail(
                f"the final image starts from {base}{via}, which this task does not allow "
                f"({pattern}); expected one of: {allowed}",
                evidence,
            )
    if any(matches(base, pattern) for pattern in criterion.allow):
        return Outcome.ok(f"the final image starts from {base}{via}", evidence)
    return Outcome.fail(
        f"the final image starts from {base}{via}; expected one of: {allowed}", evidence
    )


KIND = CheckKind[FinalBase](title="Final base image", needs=needs, evaluate=evaluate)
