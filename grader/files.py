"""The files grader reads and writes: capped reads, atomic writes, the names of the pages.

A crash, a Ctrl-C or a full disk must never leave half a file where a whole one was, and a
file the user names must never cost a traceback or all the memory there is.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
from collections.abc import Sequence
from pathlib import Path

from grader.errors import InputError

# Student ids become file names; the roster allows these, anything else gets a hashed name.
_SAFE_STEM = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}$")


def read_input(path: Path, *, what: str, limit: int, error: type[InputError] = InputError) -> bytes:
    """The bytes of a file the user named, or ``error`` saying in one line why not."""
    try:
        if path.stat().st_size > limit:
            raise error(f"{path}: too large to be a {what}")
        return path.read_bytes()
    except OSError as exc:
        raise error(f"{path}: cannot read the {what}: {exc.strerror or exc}") from exc


def write_text_atomic(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` so readers see the old file or the new one, never a part.

    Where it is written is the user's choice, so a path that cannot be written is an
    ``InputError`` naming it.
    """
    temporary: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(
            prefix=f".{path.name}.", suffix=".tmp", dir=path.parent
        )
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException as exc:
        if temporary is not None:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
        if isinstance(exc, OSError):
            raise InputError(f"{path}: cannot write: {exc.strerror or exc}") from exc
        raise
    return path


def page_stem(student: str) -> str:
    """A file name for a student's pages: the id itself when it is a safe one."""
    if _SAFE_STEM.match(student) and not student.endswith("."):
        return student
    return "student-" + hashlib.sha256(student.encode()).hexdigest()[:12]


def stems_for(students: Sequence[str]) -> list[str]:
    """One distinct file name per student, in order, also on file systems that ignore case.

    A batch writes a student's pages as the row finishes, the dashboard at the end: both take
    the names from here, over the same students in the same order, so the links always match.
    """
    stems: list[str] = []
    taken: set[str] = set()
    for student in students:
        stem = page_stem(student)
        if stem.casefold() in taken:
            digest = hashlib.sha256(student.encode()).hexdigest()
            stem = f"{stem}-{digest[:8]}"
            while stem.casefold() in taken:
                stem += "-"
        taken.add(stem.casefold())
        stems.append(stem)
    return stems
