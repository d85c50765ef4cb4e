"""The build context the engine gets: only the task's directory, packed by us, never followed out.

docker-py's own packing is close (it honours .dockerignore and packs symlinks as links), but it
has no size or file-count cap and cannot replace the Dockerfile's content, which base-image
substitution needs. So the archive is written here, with docker-py's .dockerignore matcher
(``exclude_paths``) deciding what belongs in it, and the docker CLI's trick for a Dockerfile that
is not in the context: add it under a unique name and list that name in .dockerignore, so the
engine reads it but COPY never sees it.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import secrets
import stat
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from docker.utils.build import exclude_paths

from grader.errors import InputError

_SPOOL_IN_MEMORY = 16 * 1024 * 1024


@dataclass(frozen=True)
class PackedContext:
    """A tar archive ready to stream to /build, and the Dockerfile's name inside it."""

    archive: IO[bytes]
    dockerfile: str
    files: int
    size_bytes: int
    digest: str  # of names, modes, links and contents: equal for identical contexts anywhere


def dockerignore_patterns(context: Path) -> list[str]:
    """The .dockerignore's patterns, as the matcher takes them (a link is not followed)."""
    path = context / ".dockerignore"
    if path.is_symlink() or not path.is_file():
        return []
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    return [s for s in (line.strip() for line in lines) if s and not s.startswith("#")]


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o644
    tar.addfile(info, io.BytesIO(data))


class _Budget:
    """Counts what goes into the archive, stops at the caps, and fingerprints it.

    The fingerprint leaves out what differs between two clones of one repository (times,
    owners), so identical submissions get identical digests and one build can serve them all.
    """

    def __init__(self, context: Path, max_bytes: int, max_files: int, extra_bytes: int) -> None:
        self.context, self.max_bytes, self.max_files = context, max_bytes, max_files
        self.files = 0
        self.size = extra_bytes
        self.hasher = hashlib.sha256()

    def note(self, *parts: str | bytes) -> None:
        for part in parts:
            data = part.encode("utf-8", "surrogateescape") if isinstance(part, str) else part
            self.hasher.update(len(data).to_bytes(8, "big") + data)

    def take(self, size: int) -> None:
        self.files += 1
        self.size += size
        hint = "list what the image does not need in .dockerignore"
        if self.files > self.max_files:
            raise InputError(
                f"{self.context}: build context has more than {self.max_files:,} files; {hint}"
            )
        if self.size > self.max_bytes:
            raise InputError(
                f"{self.context}: build context is larger than {self.max_bytes:,} bytes; {hint}"
            )


def _add_entry(tar: tarfile.TarFile, root: Path, rel: str, budget: _Budget) -> None:
    full = root / rel
    info = tar.gettarinfo(str(full), arcname=rel)  # lstat: links stay links
    if info is None or not (info.isreg() or info.isdir() or info.issym()):
        return  # sockets, fifos, devices: nothing a build can use, and a fifo would hang
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    budget.take(info.size)
    budget.note(rel, info.type, oct(info.mode), info.linkname)
    if not info.isreg():
        tar.addfile(info)
        return
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)
    with os.fdopen(os.open(full, flags), "rb") as handle:
        if stat.S_ISREG(os.fstat(handle.fileno()).st_mode):  # not swapped since the lstat
            tar.addfile(info, _Hashing(handle, budget.hasher))


class _Hashing:
    """A file read once: into the archive and into the fingerprint at the same time."""

    def __init__(self, handle: IO[bytes], hasher: hashlib._Hash) -> None:
        self._handle, self._hasher = handle, hasher

    def read(self, size: int = -1) -> bytes:
        data = self._handle.read(size)
        self._hasher.update(data)
        return data


def pack(
    context: Path,
    dockerfile: Path,
    *,
    dockerfile_text: bytes | None = None,
    max_bytes: int,
    max_files: int,
) -> PackedContext:
    """Pack ``context`` for a build of ``dockerfile`` (whose content ``dockerfile_text`` replaces).

    Symlinks go in as links, whatever they point at: the engine resolves them inside the
    context, so a link to /etc/shadow can never bring the host's file into an image. Sockets,
    fifos and devices are left out. Raises ``InputError`` when the context is over a cap.
    """
    root = context.resolve()
    try:
        relative = dockerfile.resolve().relative_to(root).as_posix()
    except ValueError:
        relative = None
    patterns = dockerignore_patterns(root)
    extra: list[tuple[str, bytes]] = []
    if relative is None or dockerfile_text is not None:
        name = f".dockerfile.{secrets.token_hex(8)}"
        content = dockerfile_text if dockerfile_text is not None else dockerfile.read_bytes()
        ignore = "\n".join([*(patterns or [".dockerignore"]), name, ".dockerignore"]) + "\n"
        extra = [(".dockerignore", ignore.encode()), (name, content)]
    else:
        name = relative

    archive = tempfile.SpooledTemporaryFile(max_size=_SPOOL_IN_MEMORY)  # noqa: SIM115 - returned
    budget = _Budget(context, max_bytes, max_files, extra_bytes=sum(len(d) for _, d in extra))
    overrides = {n for n, _ in extra}
    try:
        with tarfile.open(fileobj=archive, mode="w", format=tarfile.PAX_FORMAT) as tar:
            try:
                listed = sorted(exclude_paths(str(root), list(patterns), dockerfile=name))
            except re.error as exc:  # docker-py compiles each pattern as a regular expression
                raise InputError(
                    f"{context}/.dockerignore: a pattern is not valid: {exc}"
                ) from None
            for rel in listed:
                if rel not in overrides:
                    _add_entry(tar, root, rel, budget)
            for extra_name, data in extra:
                _add_bytes(tar, extra_name, data)
                # the hidden Dockerfile's name is random: its role stands for it
                role = "Dockerfile" if extra_name == name else extra_name
                budget.note("extra", role, data.replace(name.encode(), b"<dockerfile>"))
            budget.note("dockerfile", "<added>" if extra else name)
    except BaseException:
        archive.close()
        raise
    archive.seek(0)
    return PackedContext(
        archive=archive,
        dockerfile=name,
        files=budget.files,
        size_bytes=budget.size,
        digest=budget.hasher.hexdigest(),
    )
