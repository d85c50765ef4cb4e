"""multi_stage: the final stage really uses an earlier one (two unrelated FROMs do not count)."""

from __future__ import annotations

from grader.checks.base import CheckKind, Facts, Needs, Outcome, refused
from grader.models.criteria import MultiStage
from grader.models.results import Evidence
from grader.models.rubric import Task


def needs(criterion: MultiStage, task: Task) -> Needs:
    """Static: the Dockerfile's analysis is enough."""
    return Needs(dockerfile=True)


def evaluate(criterion: MultiStage, facts: Facts) -> Outcome:
    """Judge the stage graph."""
    if (refusal := refused(facts)) is not None:
        return refusal
    analysis = facts.analysis
    assert analysis is not None
    count = analysis.stage_count
    final = analysis.stages[analysis.final_stage] if analysis.final_stage is not None else None
    line = final.line if final else None
    evidence = Evidence(
        expected=f"at least {criterion.min_stages} stages, the final one using an earlier one",
        actual=f"{count} stage{'s' if count != 1 else ''}",
        line=line,
    )
    if count < criterion.min_stages:
        return Outcome.fail(
            f"{count} stage{'s' if count != 1 else ''} (FROM instruction"
            f"{'s' if count != 1 else ''}); a multi-stage build needs at least "
            f"{criterion.min_stages}",
            evidence,
        )
    if not analysis.multi_stage or final is None:
        return Outcome.fail(
            f"{count} stages, but the final stage (line {line}) uses nothing from an earlier "
            "one, so they are separate builds; copy the artifact with COPY --from=<stage>",
            evidence,
        )
    used = ", ".join(_stage_label(facts, i) for i in analysis.depends_on)
    return Outcome.ok(f"{count} stages; the final stage (line {line}) uses {used}", evidence)


def _stage_label(facts: Facts, index: int) -> str:
    assert facts.analysis is not None
    stage = facts.analysis.stages[index]
    return f"stage '{stage.name}'" if stage.name else f"stage {index}"


KIND = CheckKind[MultiStage](title="Multi-stage build", needs=needs, evaluate=evaluate)
