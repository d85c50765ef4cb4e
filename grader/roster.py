"""Class rosters: who is graded and where their repository is.

Two shapes are read. grader's own: columns ``student`` and ``repo`` (a URL, an ssh/https/file
address, or a local path, relative to the roster), and optionally ``name``, ``email``,
``sis_id``, ``lms_id``, ``section``. A GitHub Classroom export: ``github_username`` (the student)
with ``identifier`` or ``roster_identifier``, and either ``student_repository_url`` or
``--repo-template 'https://host/org/lesson-{github_username}'``. Every problem names the line.

Extensions and accommodations are roster columns too: ``deadline`` (the student's own: an
ISO-8601 date or time, or an extension of the class deadline such as ``2d``, ``36h`` or
``1d12h``), ``deadline_note`` (why, shown to instructors only) and ``grace_days`` (days late
without penalty, instead of the late policy's).
"""

from __future__ import annotations

import csv
import io
import re
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Literal

from grader.errors import InputError
from grader.files import read_input
from grader.models.gradebook import STUDENT_ID_PATTERN

_MAX_ROSTER_BYTES = 16 * 1024 * 1024
# Student ids become file and directory names (submissions/<a>/<id>/, students/<id>.html).
STUDENT_ID = re.compile(STUDENT_ID_PATTERN)
_URL = re.compile(r"^(https?|ssh|git|file)://|^[\w.-]+@[\w.-]+:", re.IGNORECASE)
_EXTENSION = re.compile(r"^\+?(?:(\d{1,3})d)?\s*(?:(\d{1,4})h)?\s*(?:(\d{1,5})m)?$", re.IGNORECASE)
_KNOWN = frozenset(
    {
        "student",
        "repo",
        "name",
        "email",
        "sis_id",
        "lms_id",
        "section",
        "deadline",
        "deadline_note",
        "grace_days",
    }
)
DeadlineSource = Literal["class", "roster", "extension"]


@dataclass(frozen=True)
class Deadline:
    """A student's own deadline as the roster gives it: a moment, a day, or an extension."""

    text: str
    moment: datetime | None = None  # with a time (a zone-less one is this machine's)
    day: date | None = None  # a date alone: the class deadline's time of day on that day
    extension: timedelta | None = None  # added to the class deadline

    def resolve(self, class_deadline: datetime | None) -> tuple[datetime, DeadlineSource]:
        """The moment it means; ``ValueError`` for an extension without a class deadline."""
        if self.moment is not None:
            return self.moment, "roster"
        if self.day is not None:
            if class_deadline is not None:
                return datetime.combine(self.day, class_deadline.timetz()), "roster"
            return datetime.combine(self.day, time(23, 59, 59)).astimezone(), "roster"
        if class_deadline is None:
            raise ValueError(f"the extension {self.text!r} needs a class deadline (--deadline)")
        return class_deadline + (self.extension or timedelta()), "extension"


def parse_deadline(text: str) -> Deadline:
    """A roster's deadline cell; ``ValueError`` says what it may be."""
    match = _EXTENSION.match(text.strip())
    if match and any(match.groups()):
        days, hours, minutes = (int(g or 0) for g in match.groups())
        return Deadline(text, extension=timedelta(days=days, hours=hours, minutes=minutes))
    value = text.strip()
    try:
        if len(value) == 10:
            return Deadline(text, day=date.fromisoformat(value))
        moment = datetime.fromisoformat(value[:-1] + "+00:00" if value.endswith("Z") else value)
    except ValueError:
        raise ValueError(
            f"deadline {text!r} is not an ISO-8601 date or time (2026-12-05, "
            "2026-12-05T23:59+01:00) or an extension (2d, 36h, 1d12h)"
        ) from None
    return Deadline(text, moment=moment if moment.tzinfo else moment.astimezone())


@dataclass(frozen=True)
class Student:
    """One roster row."""

    id: str
    repo: str
    line: int
    name: str | None = None
    email: str | None = None
    sis_id: str | None = None
    lms_id: str | None = None
    section: str | None = None
    deadline: Deadline | None = None
    deadline_note: str | None = None
    grace_days: int | None = None
    extra: Mapping[str, str] = field(default_factory=dict)

    @property
    def is_url(self) -> bool:
        """Whether ``repo`` is a remote address rather than a local path."""
        return bool(_URL.match(self.repo))


def _cell(row: Mapping[str, str | None], *names: str) -> str | None:
    for name in names:
        value = (row.get(name) or "").strip()
        if value:
            return value
    return None


def _template_fields(template: str) -> list[str]:
    try:
        return [name for _, name, _, _ in string.Formatter().parse(template) if name]
    except ValueError as exc:
        raise InputError(f"--repo-template {template!r}: {exc}") from None


def _text(path: Path) -> str:
    raw = read_input(path, what="roster", limit=_MAX_ROSTER_BYTES)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text (byte {exc.start})") from None


def _shape(path: Path, columns: list[str], repo_template: str | None) -> bool:
    """Check the header; True for a GitHub Classroom export."""
    if not columns:
        raise InputError(f"{path}: the roster is empty")
    classroom = "github_username" in columns and "student" not in columns
    missing = [] if classroom else [c for c in ("student", "repo") if c not in columns]
    if missing and not (repo_template and missing == ["repo"]):
        raise InputError(
            f"{path}: line 1: missing column{'s' if len(missing) > 1 else ''} "
            f"{', '.join(repr(m) for m in missing)} (columns: {', '.join(columns)}); "
            "a GitHub Classroom export needs 'github_username'"
        )
    if classroom and "student_repository_url" not in columns and not repo_template:
        raise InputError(
            f"{path}: a GitHub Classroom roster needs --repo-template, e.g. "
            "'https://github.com/ORG/lesson-{github_username}'"
        )
    unknown = [f for f in _template_fields(repo_template or "") if f not in columns]
    if unknown:
        raise InputError(
            f"--repo-template: no column {unknown[0]!r} in {path} (columns: {', '.join(columns)})"
        )
    return classroom


def read_roster(path: Path, *, repo_template: str | None = None) -> list[Student]:
    """Read and check a roster; raises ``InputError`` naming the file and line of a problem."""
    text = _text(path)
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(text[:4096], ",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    reader.fieldnames = [c.strip() for c in reader.fieldnames or []]
    classroom = _shape(path, list(reader.fieldnames), repo_template)
    students: list[Student] = []
    seen: dict[str, int] = {}
    for row in reader:
        line = reader.line_num
        if None in row:
            raise InputError(f"{path}: line {line}: more cells than columns")
        if not any((v or "").strip() for v in row.values()):
            continue
        student = _student(path, line, row, classroom=classroom, repo_template=repo_template)
        if student.id in seen:
            raise InputError(
                f"{path}: line {line}: student {student.id!r} is already on line {seen[student.id]}"
            )
        seen[student.id] = line
        students.append(student)
    if not students:
        raise InputError(f"{path}: the roster has no students")
    return students


def _student(
    path: Path,
    line: int,
    row: Mapping[str, str | None],
    *,
    classroom: bool,
    repo_template: str | None,
) -> Student:
    where = f"{path}: line {line}"
    cells = {k: (v or "").strip() for k, v in row.items() if k}
    ident = _cell(row, "github_username") if classroom else _cell(row, "student")
    if ident is None:
        raise InputError(f"{where}: no student id")
    if not STUDENT_ID.match(ident):
        raise InputError(
            f"{where}: student id {ident!r} must be letters, digits and . _ @ + - "
            "(it names files and folders)"
        )
    if repo_template and not _cell(row, "repo", "student_repository_url"):
        repo: str | None = repo_template.format_map(cells)
    else:
        repo = _cell(row, "student_repository_url") if classroom else _cell(row, "repo")
    if repo is None:
        raise InputError(f"{where}: student {ident!r} has no repository")
    if not _URL.match(repo) and not Path(repo).is_absolute():
        repo = str((path.parent / repo).resolve())
    deadline = _cell(row, "deadline")
    grace = _cell(row, "grace_days")
    try:
        own = parse_deadline(deadline) if deadline else None
    except ValueError as exc:
        raise InputError(f"{where}: {exc}") from None
    if grace is not None and not (grace.isdigit() and int(grace) <= 365):
        raise InputError(f"{where}: grace_days {grace!r} is not a whole number of days (0-365)")
    return Student(
        id=ident,
        repo=repo,
        line=line,
        name=_cell(row, "name"),
        email=_cell(row, "email"),
        sis_id=_cell(row, "sis_id", "roster_identifier", "identifier"),
        lms_id=_cell(row, "lms_id"),
        section=_cell(row, "section"),
        deadline=own,
        deadline_note=_cell(row, "deadline_note"),
        grace_days=int(grace) if grace is not None else None,
        extra={k: v for k, v in cells.items() if k not in _KNOWN and v},
    )
