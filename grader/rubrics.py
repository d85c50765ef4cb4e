"""Loading rubric files: a bundled name or a path, YAML or JSON, every problem reported at once.

Pydantic's errors are precise but speak in locations like ``tasks.0.criteria.2.image_size.max``;
instructors need ``lesson.yaml:14: task 'task1', criterion 'size' (image_size), field 'max': ...``.
The YAML is composed into nodes first so each value keeps its line, and duplicate keys (which
PyYAML would silently let the last one win) are reported too.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from grader.errors import InputError, RubricError
from grader.files import read_input
from grader.models.rubric import Rubric

_SUFFIXES = (".yaml", ".yml", ".json")
_MAX_RUBRIC_BYTES = 4 * 1024 * 1024
Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class LoadedRubric:
    """A validated rubric and where it came from (its hash goes into every results file)."""

    rubric: Rubric
    source: str
    sha256: str


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
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise RubricError(source, [f"not UTF-8 text (byte {exc.start})"]) from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise RubricError(source, [f"{where}not valid YAML: {problem}"]) from None
    if node is None:
        raise RubricError(source, ["the file is empty"])
    lines: dict[Loc, int] = {}
    problems: list[str] = []
    data = _construct(node, (), lines, problems)
    if not isinstance(data, dict):
        problems.append("line 1: a rubric is a mapping with 'assignment', 'title' and 'tasks'")
        raise RubricError(source, problems)
    try:
        rubric = Rubric.model_validate(data)
    except ValidationError as exc:
        described = [_describe(err, data, lines) for err in exc.errors()]
        problems += [text for _, text in sorted(described, key=lambda item: item[0])]
    if problems:
        raise RubricError(source, problems)
    return LoadedRubric(rubric=rubric, source=source, sha256=hashlib.sha256(raw).hexdigest())


def _construct(node: yaml.Node, loc: Loc, lines: dict[Loc, int], problems: list[str]) -> Any:
    lines[loc] = node.start_mark.line + 1
    constructor = yaml.SafeLoader("")
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = constructor.construct_object(key_node, deep=True)
            if not isinstance(key, str | int | float | bool) and key is not None:
                problems.append(f"line {key_node.start_mark.line + 1}: keys must be plain text")
                continue
            if key in result:
                problems.append(f"line {key_node.start_mark.line + 1}: key '{key}' appears twice")
            part = key if isinstance(key, str | int) else str(key)
            result[key] = _construct(value_node, (*loc, part), lines, problems)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_construct(item, (*loc, i), lines, problems) for i, item in enumerate(node.value)]
    return constructor.construct_object(node, deep=True)


def _label(container: str | int | None, item: dict[Any, Any], index: int) -> str | None:
    if container == "tasks":
        return f"task '{item.get('id', index + 1)}'"
    if container == "criteria":
        kind = f" ({item['check']})" if isinstance(item.get("check"), str) else ""
        if "id" in item:
            return f"criterion '{item['id']}'{kind}"
        return f"criterion #{index + 1}{kind}"
    return None


def _describe(error: Any, data: Any, lines: dict[Loc, int]) -> tuple[int, str]:
    """One readable line for one pydantic error (line, task, criterion, field, message)."""
    loc: Loc = tuple(error["loc"])
    path: list[str | int] = []  # the part of loc that exists in the data
    names: list[str] = []  # task and criterion it is in
    field: list[str] = []  # the field inside the innermost of those
    node = data
    for part in loc:
        if isinstance(node, dict) and part in node:
            node = node[part]
            path.append(part)
            field.append(str(part))
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            container = path[-1] if path else None
            node = node[part]
            path.append(part)
            label = _label(container, node, part) if isinstance(node, dict) else None
            if label:
                names.append(label)
                field = []
            else:
                field.append(f"item {part + 1}")
        # a part missing from the data is a union tag, a validator's name or a missing field
    kind = error.get("type")
    message = str(error.get("msg", "invalid"))
    if kind == "extra_forbidden":
        message = f"unknown field '{field.pop() if field else loc[-1]}'"
    elif kind == "missing":
        message = f"missing field '{loc[-1]}'"
    elif kind == "union_tag_invalid":
        context = error.get("ctx") or {}
        message = (
            f"unknown check kind '{context.get('tag')}' "
            f"(kinds: {str(context.get('expected_tags', '')).replace(chr(39), '')})"
        )
    elif kind == "string_pattern_mismatch":
        pattern = (error.get("ctx") or {}).get("pattern")
        message = f"{error.get('input')!r} is not allowed here (it must match {pattern})"
    elif message.startswith("Value error, "):
        message = message[len("Value error, ") :]
    line = lines.get(tuple(path))
    where = ([f"line {line}"] if line else []) + names
    if field:
        where.append(
            f"field '{field[0]}'"
            + "".join(f", {p}" if p.startswith("item") else f".{p}" for p in field[1:])
        )
    return line or 0, f"{', '.join(where)}: {message}" if where else message


def default_name() -> str:
    """The rubric used when none is named: the only bundled one, else ask for a name."""
    names = bundled_names()
    if len(names) == 1:
        return names[0]
    raise InputError(f"name a rubric with --rubric (bundled: {', '.join(names)})")
