"""Loading rubric files: a bundled name or a path, YAML or JSON, every problem reported at once.

Pydantic's errors are precise but speak in locations like ``tasks.0.criteria.2.image_size.max``;
instructors need ``lesson.yaml:14: task 'task1', criterion 'size' (image_size), field 'max': ...``
(``yamldoc`` does the lines; the labels of tasks and criteria are here).

A task's ``criteria_from`` is expanded here, before validation: each file (relative to the
rubric's folder) becomes the criteria ``grader.interop`` reads from it, after the task's own.
The loaded ``raw`` is then the expanded rubric, self-contained: a worker parses it with no other
file, and its hash (covering what the files said) is the one the submitter computed.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from grader import interop, yamldoc
from grader.errors import ImportRefused, InputError, RubricError
from grader.files import read_input
from grader.models.rubric import CriteriaFile, Rubric
from grader.sanitizer import for_data

_SUFFIXES = (".yaml", ".yml", ".json")
_MAX_RUBRIC_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class LoadedRubric:
    """A validated rubric and where it came from (its hash goes into every results file)."""

    rubric: Rubric
    source: str
    sha256: str
    raw: bytes = field(default=b"", repr=False)  # as read: a queued job carries it to a worker
    notes: tuple[str, ...] = ()  # what imported files had that grader dropped, and why


def bundled_names() -> list[str]:
    """Rubrics shipped inside the package, by name."""
    folder = resources.files("grader") / "rubrics"
    return sorted(
        entry.name.rsplit(".", 1)[0]
        for entry in folder.iterdir()
        if entry.name.endswith(_SUFFIXES) and not entry.name.endswith(".schema.json")
    )


def _read(name_or_path: str) -> tuple[bytes, str, Path | None]:
    """The rubric's bytes, its name, and its folder (None for a bundled rubric)."""
    path = Path(name_or_path)
    if path.suffix in _SUFFIXES or path.exists() or "/" in name_or_path:
        if not path.is_file():
            raise InputError(f"{name_or_path}: no such rubric file")
        return read_input(path, what="rubric", limit=_MAX_RUBRIC_BYTES), str(path), path.parent
    names = bundled_names()
    if name_or_path not in names:
        raise InputError(
            f"{name_or_path}: no such rubric (bundled: {', '.join(names)}; or give a file path)"
        )
    entry = resources.files("grader") / "rubrics" / f"{name_or_path}.yaml"
    return entry.read_bytes(), f"{name_or_path} (bundled)", None


def load(name_or_path: str) -> LoadedRubric:
    """Load and validate a rubric; raises ``RubricError`` listing every problem with its place."""
    raw, source, folder = _read(name_or_path)
    return parse(raw, source, folder=folder)


def parse(raw: bytes, source: str, *, folder: Path | None = None) -> LoadedRubric:
    """Validate rubric text (YAML or JSON) that came from ``source``.

    ``folder`` is the rubric file's, which ``criteria_from`` files are relative to; a rubric
    without one (bundled, or parsed from bytes) cannot use ``criteria_from``.
    """
    document = yamldoc.compose(raw, source, RubricError)
    expansion = _expand(document, folder)
    try:
        rubric = yamldoc.validate(
            Rubric,
            expansion.document,
            error=RubricError,
            label=_label,
            shape="a rubric is a mapping with 'assignment', 'title' and 'tasks'",
        )
    except RubricError as exc:
        raise RubricError(source, _by_line([*exc.problems, *expansion.problems])) from None
    if expansion.problems:
        raise RubricError(source, _by_line(expansion.problems))
    raw = expansion.raw if expansion.raw is not None else raw
    return LoadedRubric(
        rubric=rubric,
        source=source,
        sha256=hashlib.sha256(raw).hexdigest(),
        raw=raw,
        notes=expansion.notes,
    )


@dataclass(frozen=True)
class _Expansion:
    """A rubric with its criteria_from entries replaced, or the problems that stopped that."""

    document: yamldoc.Document
    problems: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    raw: bytes | None = None  # the expanded rubric; None when it had no criteria_from


def _expand(document: yamldoc.Document, folder: Path | None) -> _Expansion:
    data = document.data
    tasks = data.get("tasks") if isinstance(data, dict) else None
    if not isinstance(tasks, list) or not any(
        isinstance(task, dict) and "criteria_from" in task for task in tasks
    ):
        return _Expansion(document)
    expander = _Expander(document, folder, dict(document.lines))
    expanded = [
        expander.task(task, index) if isinstance(task, dict) and "criteria_from" in task else task
        for index, task in enumerate(tasks)
    ]
    data = {**data, "tasks": expanded}
    result = yamldoc.Document(document.source, data, expander.lines, list(document.problems))
    if expander.problems:
        return _Expansion(result, tuple(expander.problems))
    header = [
        "# Expanded by grader: the criteria its criteria_from entries read, so that this rubric",
        "# needs no other file. Read from:",
        *(f"#   {_comment(digest)}" for digest in expander.digests),
        *(f"# note: {_comment(note)}" for note in expander.notes),
    ]
    raw = ("\n".join(header) + "\n" + interop.dump_yaml(data)).encode()
    return _Expansion(result, (), tuple(expander.notes), raw)


@dataclass
class _Expander:
    """Reads each task's criteria files, collecting problems, notes and the files' digests."""

    document: yamldoc.Document
    folder: Path | None
    lines: dict[yamldoc.Loc, int]
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    digests: list[str] = field(default_factory=list)

    def task(self, task: dict[Any, Any], index: int) -> dict[Any, Any]:
        """The task with its imported criteria after its own; unchanged if any entry fails."""
        entries, own = task["criteria_from"], task.get("criteria", [])
        if not isinstance(entries, list) or not isinstance(own, list):
            return task  # the rubric's validation names what is wrong
        try:
            specs = [CriteriaFile.model_validate(entry) for entry in entries]
        except ValidationError:
            return task  # likewise, by line and field
        label = f"task '{task.get('id', index + 1)}'"
        if self.folder is None:
            self.problems.append(
                f"line {self.document.line(('tasks', index, 'criteria_from'))}, {label}, field "
                f"'criteria_from': {self.document.source} is not a rubric file, so there is no "
                "folder to read criteria files from (copy it to a file)"
            )
            return task
        taken: dict[str, str] = {}  # criterion id -> who has it, for messages naming both
        for position, criterion in enumerate(own):
            criterion_id = _criterion_id(criterion)
            line = self.document.line(("tasks", index, "criteria", position))
            if criterion_id is not None:
                taken.setdefault(criterion_id, f"criterion '{criterion_id}' at line {line}")
        added: list[dict[str, Any]] = []
        before = len(self.problems)
        for position, spec in enumerate(specs):
            line = self.document.line(("tasks", index, "criteria_from", position)) or 0
            here = f"line {line}, {label}, field 'criteria_from', item {position + 1}"
            for criterion in self._read(self.folder, spec, here, taken):
                self.lines[("tasks", index, "criteria", len(own) + len(added))] = line
                added.append(criterion)
        if len(self.problems) > before:
            return task
        self.lines.setdefault(
            ("tasks", index, "criteria"), self.document.line(("tasks", index)) or 0
        )
        result = {key: value for key, value in task.items() if key != "criteria_from"}
        if "criteria" in task or added:  # none at all stays a missing field
            result["criteria"] = [*own, *added]
        return result

    def _read(
        self, folder: Path, spec: CriteriaFile, here: str, taken: dict[str, str]
    ) -> list[dict[str, Any]]:
        """One entry's criteria, ids checked against ``taken`` (and added to it)."""
        try:
            raw = interop.read(folder / spec.file, spec.file)
            imported = interop.convert(
                spec.format,
                raw,
                spec.file,
                points=spec.points,
                total=spec.total,
                id_prefix=spec.id_prefix,
            )
        except ImportRefused as exc:
            self.problems.extend(f"{here}: {problem}" for problem in exc.problems)
            return []
        for item in imported.criteria:
            criterion_id = str(item.criterion["id"])
            origin = f"{spec.file} ({item.origin})"
            if criterion_id in taken:
                self.problems.append(
                    f"{here}: criterion id '{criterion_id}' from {origin} is also the id of "
                    f"{taken[criterion_id]}; give an 'id_prefix'"
                )
            taken[criterion_id] = f"criterion '{criterion_id}' from {origin}"
        self.notes.extend(imported.notes)
        self.digests.append(f"{spec.file} ({spec.format}) sha256:{hashlib.sha256(raw).hexdigest()}")
        return [dict(item.criterion) for item in imported.criteria]


def _criterion_id(criterion: Any) -> str | None:
    """A criterion's id as the model gives it: its own, or its check kind's default."""
    if not isinstance(criterion, dict):
        return None
    if isinstance(criterion.get("id"), str):
        return str(criterion["id"])
    if isinstance(criterion.get("check"), str):
        return str(criterion["check"]).replace("_", "-")
    return None


def _comment(text: str) -> str:
    """One YAML comment's worth of text: nothing PyYAML refuses, no line breaks."""
    return for_data(text).replace("\n", "\\n")


def _by_line(problems: list[str] | tuple[str, ...]) -> list[str]:
    """Problems in the order of their lines (those without one first), stable otherwise."""

    def line(problem: str) -> int:
        match = re.match(r"line (\d+)", problem)
        return int(match.group(1)) if match else 0

    return sorted(problems, key=line)


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
