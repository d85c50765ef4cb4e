"""The files grader reads and writes: capped reads, atomic writes, the names of the pages.

A crash, a Ctrl-C or a full disk must never leave half a file where a whole one was, and a
file the user names must never cost a traceback or all the memory there is.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import stat
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Final

from grader.errors import InputError, StudentFileError

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


MAX_TEXT_BYTES: Final = 256 * 1024
"""The most read of a file the student wrote; no answers file or size report comes near it."""
_CHUNK: Final = 64 * 1024


def read_repo_text(repo: Path, relative: str, *, limit: int = MAX_TEXT_BYTES) -> str:
    """The text of ``repo/relative``, read safely, or ``StudentFileError`` saying why not.

    The repository is the student's: a symlink out of it is refused, a FIFO or a device is never
    opened for reading (it could block forever), at most ``limit`` bytes are read, and a file with
    NUL bytes is binary (a UTF-16 file with its byte-order mark, as Windows Notepad writes, is
    text). Undecodable bytes are replaced, as Docker does for a Dockerfile.
    """
    root = repo.resolve()
    try:
        path = (root / relative).resolve()
    except (OSError, RuntimeError):  # the only way resolve() fails: a symlink loop
        raise StudentFileError(f"{relative} cannot be read (a symlink loop)") from None
    if path != root and root not in path.parents:
        raise StudentFileError(f"{relative} leads outside the repository (a symlink?)")
    data = _read_regular(path, relative, limit)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = data.decode("utf-16", "replace")
    elif b"\x00" in data:
        raise StudentFileError(f"{relative} is a binary file, not text")
    else:
        text = data.removeprefix(b"\xef\xbb\xbf").decode("utf-8", "replace")
    if "\x00" in text:
        raise StudentFileError(f"{relative} is a binary file, not text")
    return text


def _why(exc: BaseException) -> str:
    return (exc.strerror if isinstance(exc, OSError) else None) or str(exc) or type(exc).__name__


def read_upto(handle: int, limit: int) -> Iterator[bytes]:
    """The chunks of an open file descriptor, ``limit`` bytes at most in all."""
    size = 0
    while size < limit:
        chunk = os.read(handle, min(_CHUNK, limit - size))
        if not chunk:
            return
        size += len(chunk)
        yield chunk


def _read_regular(path: Path, relative: str, limit: int) -> bytes:
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        handle = os.open(path, flags)
    except FileNotFoundError:
        raise StudentFileError(f"{relative} is missing from the repository") from None
    except PermissionError:
        raise StudentFileError(f"{relative} cannot be read: permission denied") from None
    except OSError as exc:
        raise StudentFileError(f"{relative} cannot be read ({_why(exc)})") from None
    too_large = f"{relative} is too large to be read (over {limit // 1024} KiB)"
    try:
        status = os.fstat(handle)
        if stat.S_ISDIR(status.st_mode):
            raise StudentFileError(f"{relative} is a directory, not a file")
        if not stat.S_ISREG(status.st_mode):
            raise StudentFileError(f"{relative} is not a regular file")
        if status.st_size > limit:
            raise StudentFileError(too_large)
        chunks = list(read_upto(handle, limit + 1))
        size = sum(len(chunk) for chunk in chunks)
    except OSError as exc:
        raise StudentFileError(f"{relative} cannot be read ({_why(exc)})") from None
    finally:
        os.close(handle)
    if size > limit:  # grew since the fstat
        raise StudentFileError(too_large)
    return b"".join(chunks)
