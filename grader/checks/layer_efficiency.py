"""layer_efficiency: dive's measures of how well the image's layers use their bytes."""

from __future__ import annotations

from dataclasses import dataclass

from grader.checks.base import CheckKind, Facts, Needs, Outcome
from grader.models.image import Efficiency
from grader.models.image_criteria import LayerEfficiency
from grader.models.results import Evidence
from grader.models.rubric import Task
from grader.units import format_bytes


def needs(criterion: LayerEfficiency, task: Task) -> Needs:
    """Every layer's list of files."""
    return Needs(build=True, layers=True)


@dataclass(frozen=True)
class _Measure:
    """One threshold: the value measured, the limit, and where points reach zero."""

    name: str
    value: float
    limit: float
    zero_at: float | None
    higher_is_better: bool
    shown: str  # the value as a student reads it
    shown_limit: str

    @property
    def met(self) -> bool:
        """As dive's rules decide: efficiency below, or waste above, the limit fails."""
        return self.value >= self.limit if self.higher_is_better else self.value <= self.limit

    @property
    def fraction(self) -> float:
        """1 when met; between the limit and ``zero_at``, in proportion; else 0."""
        if self.met:
            return 1.0
        if self.zero_at is None:
            return 0.0
        span = self.limit - self.zero_at
        share = (self.value - self.zero_at) / span
        return min(max(share, 0.0), 1.0)

    @property
    def expected(self) -> str:
        side = "at least" if self.higher_is_better else "at most"
        return f"{self.name} {side} {self.shown_limit}"


def _percent(value: float) -> str:
    return f"{value * 100:.1f}%"


def measures(criterion: LayerEfficiency, found: Efficiency) -> list[_Measure]:
    """The thresholds the criterion gives, with what was measured."""
    result: list[_Measure] = []
    if criterion.min_efficiency is not None:
        result.append(
            _Measure(
                "efficiency",
                found.efficiency,
                criterion.min_efficiency,
                criterion.efficiency_zero_at,
                higher_is_better=True,
                shown=_percent(found.efficiency),
                shown_limit=_percent(criterion.min_efficiency),
            )
        )
    if criterion.max_wasted_bytes is not None:
        zero = criterion.wasted_bytes_zero_at
        result.append(
            _Measure(
                "wasted bytes",
                found.wasted_bytes,
                int(criterion.max_wasted_bytes),
                None if zero is None else int(zero),
                higher_is_better=False,
                shown=format_bytes(found.wasted_bytes),
                shown_limit=format_bytes(int(criterion.max_wasted_bytes)),
            )
        )
    if criterion.max_user_wasted is not None:
        result.append(
            _Measure(
                "wasted share of the layers built on the base",
                found.user_wasted,
                criterion.max_user_wasted,
                criterion.user_wasted_zero_at,
                higher_is_better=False,
                shown=_percent(found.user_wasted),
                shown_limit=_percent(criterion.max_user_wasted),
            )
        )
    return result


def evaluate(criterion: LayerEfficiency, facts: Facts) -> Outcome:
    """Each threshold met earns its share; the most wasteful files are the evidence."""
    found = facts.efficiency
    if found is None:
        return Outcome.fail(f"the layers could not be measured: {facts.layers_error}")
    judged = measures(criterion, found)
    worst = [
        f"{w.path}: {format_bytes(w.bytes)} in {w.count} layers"
        for w in found.inefficiencies[: criterion.top]
    ]
    summary = (
        f"efficiency {_percent(found.efficiency)}, {format_bytes(found.wasted_bytes)} wasted "
        f"({_percent(found.user_wasted)} of the {format_bytes(found.user_size_bytes)} "
        f"added on the base), {found.layers} layers"
    )
    actual = summary + ("\nmost wasteful:\n" + "\n".join(worst) if worst else "")
    first = judged[0]
    evidence = Evidence(
        expected="; ".join(m.expected for m in judged),
        actual=actual,
        measured=round(first.value, 4),
        limit=first.limit,
        unit="bytes" if first.name == "wasted bytes" else "fraction",
    )
    missed = [m for m in judged if not m.met]
    fraction = sum(m.fraction for m in judged) / len(judged)
    if not missed:
        return Outcome.ok(summary, evidence)
    why = "; ".join(f"{m.name} {m.shown}, {m.expected}" for m in missed)
    hint = None
    if worst and criterion.hint is None:
        hint = (
            f"{found.inefficiencies[0].path} is held by more than one layer: create, use and "
            "delete temporary files in the same RUN, or copy only the result from a build stage."
        )
    return Outcome(passed=False, message=why, fraction=fraction, evidence=evidence, hint=hint)


KIND = CheckKind[LayerEfficiency](title="Layer efficiency", needs=needs, evaluate=evaluate)
