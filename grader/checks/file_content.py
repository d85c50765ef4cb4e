"""file_content: what a file of the image holds, read without running the image."""

from __future__ import annotations

import re

from grader.capped import clipped
from grader.checks.base import CheckKind, Facts, Needs, Outcome
from grader.models.image_criteria import FileContent
from grader.models.results import Evidence
from grader.models.rubric import Task
from grader.units import format_bytes

_SHOWN = 2000  # characters of the content in the evidence
_QUOTED = 80


def needs(criterion: FileContent, task: Task) -> Needs:
    """The file's first ``max_bytes``."""
    return Needs(build=True, files=frozenset({(criterion.path, max(int(criterion.max_bytes), 1))}))


def _quoted(pattern: str) -> str:
    return clipped(pattern, _QUOTED)


def evaluate(criterion: FileContent, facts: Facts) -> Outcome:
    """Every expected pattern found, no excluded one, in what was read of the file."""
    found = facts.files.get(criterion.path)
    assert found is not None
    path = criterion.path
    expected = [f"matches /{p}/" for p in criterion.expected]
    expected += [f"does not match /{p}/" for p in criterion.excluded]
    evidence = Evidence(expected=f"{path}: " + ", ".join(expected) if expected else path)
    if not found.exists:
        return Outcome.fail(f"{path} is not in the image", evidence)
    if found.text is None:
        return Outcome.fail(found.error or f"{path} could not be read", evidence)
    text = found.text
    via = f" (a symlink to {found.resolved})" if found.resolved and found.resolved != path else ""
    cut = text if len(text) <= _SHOWN else text[:_SHOWN] + "…"
    first = f"its first {format_bytes(int(criterion.max_bytes))}"
    read = f"{first.replace('its', 'the')} of " if found.truncated else ""
    evidence = evidence.model_copy(update={"actual": f"{read}{path}{via}:\n{cut}"})
    missing = [p for p in criterion.expected if not re.search(p, text)]
    present = [p for p in criterion.excluded if re.search(p, text)]
    problems = [f"does not match /{_quoted(p)}/" for p in missing]
    problems += [f"matches /{_quoted(p)}/" for p in present]
    if problems:
        more = f" (and {len(problems) - 2} more)" if len(problems) > 2 else ""
        judged = f" (judged on {first})" if found.truncated else ""
        return Outcome.fail(f"{path}{via}{judged} {'; '.join(problems[:2])}{more}", evidence)
    return Outcome.ok(f"{path}{via} holds what it should", evidence)


KIND = CheckKind[FileContent](title="File content", needs=needs, evaluate=evaluate)
