"""paths_absent / paths_present: files in the final image, looked up without running it."""

from __future__ import annotations

from grader.checks.base import CheckKind, Facts, Needs, Outcome
from grader.models.criteria import PathsAbsent, PathsPresent
from grader.models.results import Evidence
from grader.models.rubric import Task


def needs(criterion: PathsAbsent | PathsPresent, task: Task) -> Needs:
    """Lookups in the built image."""
    return Needs(build=True, paths=frozenset(criterion.paths))


def evaluate_absent(criterion: PathsAbsent, facts: Facts) -> Outcome:
    """Everything listed must be missing."""
    found = [p for p in criterion.paths if facts.paths.get(p, False)]
    evidence = Evidence(expected=f"none of {', '.join(criterion.paths)}", actual=", ".join(found))
    if found:
        return Outcome.fail(f"the final image still holds {', '.join(found)}", evidence)
    return Outcome.ok(f"none of {', '.join(criterion.paths)} in the final image", evidence)


def evaluate_present(criterion: PathsPresent, facts: Facts) -> Outcome:
    """Everything listed must be there."""
    missing = [p for p in criterion.paths if not facts.paths.get(p, False)]
    evidence = Evidence(
        expected=", ".join(criterion.paths), actual=f"missing: {', '.join(missing)}"
    )
    if missing:
        return Outcome.fail(f"the final image lacks {', '.join(missing)}", evidence)
    return Outcome.ok(f"{', '.join(criterion.paths)} in the final image")


ABSENT = CheckKind[PathsAbsent](
    title="Left out of the image", needs=needs, evaluate=evaluate_absent
)
PRESENT = CheckKind[PathsPresent](title="In the image", needs=needs, evaluate=evaluate_present)
