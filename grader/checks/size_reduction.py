"""size_reduction: the multi-stage image against a naive baseline build of the same app."""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Protocol

from grader.checks.base import BuildSpec, CheckKind, Facts, Needs, Outcome
from grader.models.criteria import SizeReduction
from grader.models.results import Evidence
from grader.models.rubric import Task
from grader.units import format_bytes


class Baselined(Protocol):
    """A criterion that measures the task's image against a baseline Dockerfile's."""

    @property
    def baseline(self) -> str: ...

    @property
    def baseline_context(self) -> str | None: ...


def spec(criterion: Baselined) -> BuildSpec:
    """The baseline build; equal for every criterion naming the same one, so it is built once."""
    context = criterion.baseline_context or str(PurePosixPath(criterion.baseline).parent)
    return BuildSpec(dockerfile=criterion.baseline, context=context)


def needs(criterion: SizeReduction, task: Task) -> Needs:
    """Both images."""
    return Needs(build=True, builds=frozenset({spec(criterion)}))


def evaluate(criterion: SizeReduction, facts: Facts) -> Outcome:
    """Baseline size over final size, against the required factor."""
    assert facts.image is not None
    baseline = facts.builds.get(spec(criterion))
    if baseline is None or not baseline.result.ok or baseline.size_bytes is None:
        why = baseline.result.error if baseline is not None else "it was not built"
        return Outcome.fail(f"the baseline {criterion.baseline} does not build: {why}")
    final = facts.image.size_bytes
    factor = baseline.size_bytes / final if final else float("inf")
    evidence = Evidence(
        expected=f"at least {criterion.min_factor:g}x smaller than {criterion.baseline}",
        actual=f"{format_bytes(baseline.size_bytes)} -> {format_bytes(final)}",
        measured=round(factor, 2),
        limit=criterion.min_factor,
        unit="x",
    )
    sizes = (
        f"{criterion.baseline} is {format_bytes(baseline.size_bytes)}, "
        f"{facts.task.dockerfile} is {format_bytes(final)}: {factor:.1f}x smaller"
    )
    if factor >= criterion.min_factor:
        return Outcome.ok(sizes, evidence)
    return Outcome.fail(f"{sizes}; at least {criterion.min_factor:g}x expected", evidence)


KIND = CheckKind[SizeReduction](title="Size reduction", needs=needs, evaluate=evaluate)
