"""image_size: the final image's size as the engine counts it, with optional partial credit."""

from __future__ import annotations

from grader.checks.base import CheckKind, Facts, Needs, Outcome
from grader.models.criteria import ImageSize
from grader.models.results import Evidence
from grader.models.rubric import Task
from grader.units import format_bytes


def needs(criterion: ImageSize, task: Task) -> Needs:
    """The built image."""
    return Needs(build=True)


def evaluate(criterion: ImageSize, facts: Facts) -> Outcome:
    """Full marks up to ``max``, linear down to zero at ``zero_at``."""
    assert facts.image is not None
    size = facts.image.size_bytes
    limit = int(criterion.max)
    evidence = Evidence(measured=size, limit=limit, unit="bytes")
    shown = f"{format_bytes(size)} ({size:,} bytes)"
    if size <= limit:
        return Outcome.ok(f"{shown}, within the {format_bytes(limit)} limit", evidence)
    zero_at = criterion.zero_at
    if zero_at is not None and size < zero_at:
        fraction = (int(zero_at) - size) / (int(zero_at) - limit)
        return Outcome(
            passed=False,
            fraction=fraction,
            message=f"{shown}, over the {format_bytes(limit)} limit; partial credit down to "
            f"none at {format_bytes(zero_at)}",
            evidence=evidence,
        )
    return Outcome.fail(f"{shown}, over the {format_bytes(limit)} limit", evidence)


KIND = CheckKind[ImageSize](title="Image size", needs=needs, evaluate=evaluate)
