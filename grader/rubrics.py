"""Loading rubric files: a bundled name or a path, YAML or JSON, every problem reported at once.

Pydantic's errors are precise but speak in locations like ``tasks.0.criteria.2.image_size.max``;
instructors need ``lesson.yaml:14: task 'task1', criterion 'size' (image_size), field 'max': ...``
(``yamldoc`` does the lines; the labels of tasks and criteria are here).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from grader import yamldoc
from grader.errors import InputError, RubricError
from grader.files import read_input
from grader.models.rubric import Rubric

_SUFFIXES = (".yaml", ".yml", ".json")
_MAX_RUBRIC_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class LoadedRubric:
    """A validated rubric and where it came from (its hash goes into every results file)."""

    rubric: Rubric
    source: str
    sha256: str
    raw: bytes = field(default=b"", repr=False)  # as read: a queued job carries it to a worker


def bundled_names() -> list[str]:
    """Rubrics shipped inside the package, by name."""
    folder = resources.files("grader") / "rubrics"
    return sorted(
        entry.name.rsplit(".", 1)[0]
        for entry in folder.iterdir()
        if entry.name.endswith(_SUFFIXES) and not entry.name.endswith(".schema.json")
    )


def _read(name_or_path: str) -> tuple[bytes, str]:
    path = Path(name_or_path)
    if path.suffix in _SUFFIXES or path.exists() or "/" in name_or_path:
        if not path.is_file():
            raise InputError(f"{name_or_path}: no such rubric file")
        return read_input(path, what="rubric", limit=_MAX_RUBRIC_BYTES), str(path)
    names = bundled_names()
    if name_or_path not in names:
        raise InputError(
            f"{name_or_path}: no such rubric (bundled: {', '.join(names)}; or give a file path)"
        )
    entry = resources.files("grader") / "rubrics" / f"{name_or_path}.yaml"
    return entry.read_bytes(), f"{name_or_path} (bundled)"


def load(name_or_path: str) -> LoadedRubric:
    """Load and validate a rubric; raises ``RubricError`` listing every problem with its place."""
    raw, source = _read(name_or_path)
    return parse(raw, source)


def parse(raw: bytes, source: str) -> LoadedRubric:
    """Validate rubric text (YAML or JSON) that came from ``source``."""
    rubric = yamldoc.load(
        raw,
        source,
        Rubric,
        error=RubricError,
        label=_label,
        shape="a rubric is a mapping with 'assignment', 'title' and 'tasks'",
    )
    return LoadedRubric(
        rubric=rubric, source=source, sha256=hashlib.sha256(raw).hexdigest(), raw=raw
    )


def _label(container: str | int | None, item: dict[Any, Any], index: int) -> str | None:
    if container == "tasks":
        return f"task '{item.get('id', index + 1)}'"
    if container == "criteria":
        kind = f" ({item['check']})" if isinstance(item.get("check"), str) else ""
        if "id" in item:
            return f"criterion '{item['id']}'{kind}"
        return f"criterion #{index + 1}{kind}"
    return None


def default_name() -> str:
    """The rubric used when none is named: the only bundled one, else ask for a name."""
    names = bundled_names()
    if len(names) == 1:
        return names[0]
    raise InputError(f"name a rubric with --rubric (bundled: {', '.join(names)})")
