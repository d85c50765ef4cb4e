"""YAML files people write, validated by a model, with every problem reported at once by line.

Pydantic's errors are precise but speak in locations like ``tasks.0.criteria.2.image_size.max``;
people need ``line 14: task 'task1', criterion 'size' (image_size), field 'max': ...``. The YAML
is composed into nodes first so each value keeps its line, and duplicate keys (which PyYAML
would silently let the last one win) are reported too. Each file kind names its own items
(tasks and criteria of a rubric, students of an overrides file) through a ``Labeler``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from grader.errors import DocumentError

Loc = tuple[str | int, ...]
# (the key of the list an item is in, the item, its index) -> a label such as "task 'task1'"
Labeler = Callable[[str | int | None, dict[Any, Any], int], str | None]
Model = TypeVar("Model", bound=BaseModel)


def load(
    raw: bytes,
    source: str,
    model: type[Model],
    *,
    error: type[DocumentError],
    label: Labeler,
    shape: str,
    tag: str = "check kind",
) -> Model:
    """Validate YAML (or JSON) text from ``source``; raises ``error`` with every problem found.

    ``shape`` says what the top level must be; ``tag`` names a tagged union's tag in messages.
    """
    document = compose(raw, source, error)
    return validate(model, document, error=error, label=label, shape=shape, tag=tag)


@dataclass(frozen=True)
class Document:
    """A composed file: its data, the line of every location in it, the problems found so far."""

    source: str
    data: Any
    lines: dict[Loc, int]
    problems: list[str]

    def line(self, loc: Loc) -> int | None:
        """The line of a location, or of the nearest enclosing one."""
        while loc:
            if loc in self.lines:
                return self.lines[loc]
            loc = loc[:-1]
        return self.lines.get(())


def compose(raw: bytes, source: str, error: type[DocumentError]) -> Document:
    """The file's data with the line of every location; raises ``error`` if it is not YAML."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise error(source, [f"not UTF-8 text (byte {exc.start})"]) from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise error(source, [f"{where}not valid YAML: {problem}"]) from None
    if node is None:
        raise error(source, ["the file is empty"])
    lines: dict[Loc, int] = {}
    problems: list[str] = []
    data = _construct(node, (), lines, problems)
    return Document(source=source, data=data, lines=lines, problems=problems)


def validate(
    model: type[Model],
    document: Document,
    *,
    error: type[DocumentError],
    label: Labeler,
    shape: str,
    tag: str = "check kind",
) -> Model:
    """The document as ``model``; raises ``error`` with the YAML's problems and the model's."""
    problems, data = list(document.problems), document.data
    if not isinstance(data, dict):
        raise error(document.source, [*problems, f"line 1: {shape}"])
    try:
        result = model.model_validate(data)
    except ValidationError as exc:
        described = [_describe(err, data, document.lines, label, tag) for err in exc.errors()]
        problems += [text for _, text in sorted(described, key=lambda item: item[0])]
    if problems:
        raise error(document.source, problems)
    return result


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


def _describe(
    error: Any, data: Any, lines: dict[Loc, int], label: Labeler, tag: str
) -> tuple[int, str]:
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
            named = label(container, node, part) if isinstance(node, dict) else None
            if named:
                names.append(named)
                field = []
            else:
                field.append(f"item {part + 1}")
        # a part missing from the data is a union tag, a validator's name or a missing field
    key = field.pop() if loc and loc[-1] == "[key]" and field else None  # a mapping's key
    kind = error.get("type")
    message = str(error.get("msg", "invalid"))
    if kind == "extra_forbidden":
        message = f"unknown field '{field.pop() if field else loc[-1]}'"
    elif kind == "missing":
        message = f"missing field '{loc[-1]}'"
    elif kind == "union_tag_invalid":
        context = error.get("ctx") or {}
        message = (
            f"unknown {tag} '{context.get('tag')}' "
            f"(kinds: {str(context.get('expected_tags', '')).replace(chr(39), '')})"
        )
    elif kind == "string_pattern_mismatch":
        pattern = (error.get("ctx") or {}).get("pattern")
        message = f"{error.get('input')!r} is not allowed here (it must match {pattern})"
    elif message.startswith("Value error, "):
        message = message[len("Value error, ") :]
    if key is not None:
        message = f"key {key!r}: {message}"
    line = lines.get(tuple(path))
    where = ([f"line {line}"] if line else []) + names
    if field:
        where.append(
            f"field '{field[0]}'"
            + "".join(f", {p}" if p.startswith("item") else f".{p}" for p in field[1:])
        )
    return line or 0, f"{', '.join(where)}: {message}" if where else message
