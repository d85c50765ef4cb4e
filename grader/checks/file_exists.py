"""file_exists: files the exercise asks for are in the repository (no engine needed)."""

from __future__ import annotations

from grader.checks.base import CheckKind, Facts, Needs, Outcome
from grader.models.criteria import FileExists
from grader.models.results import Evidence
from grader.models.rubric import Task


def needs(criterion: FileExists, task: Task) -> Needs:
    """Nothing but the repository."""
    return Needs()


def _exists(facts: Facts, relative: str) -> bool:
    root = facts.repo.resolve()
    path = (root / relative).resolve()
    return (path == root or root in path.parents) and path.is_file()


def evaluate(criterion: FileExists, facts: Facts) -> Outcome:
    """Every listed file is a regular file inside the repository."""
    missing = [p for p in criterion.paths if not _exists(facts, p)]
    if missing:
        return Outcome.fail(
            f"missing from the repository: {', '.join(missing)}",
            Evidence(expected=", ".join(criterion.paths), actual=f"missing: {', '.join(missing)}"),
        )
    return Outcome.ok(f"{', '.join(criterion.paths)} present")


KIND = CheckKind[FileExists](title="Files present", needs=needs, evaluate=evaluate)
