"""What an image holds, read without running it: its config, its files, its layers.

Files are read through the engine's archive endpoint of a container that is created and never
started (``Engine.probe``), so images without a shell are read as well, and every path,
symlinks included, is resolved by the engine inside the container's root: a link to
/etc/shadow reads the image's own file, never the host's.
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import tarfile
import time
import urllib.parse
from collections.abc import Iterable, Mapping
from typing import IO, TYPE_CHECKING, Any, cast

import requests

from grader import layers
from grader.engines.translate import boundary
from grader.errors import EngineError, InputError
from grader.models.image import Efficiency, FileFacts, FileType, ImageConfig

if TYPE_CHECKING:  # the engine imports this module
    from grader.engines.docker import Engine

_API_TIMEOUT = 120  # seconds without a byte before a lookup is given up
_STAT_HEADER = "X-Docker-Container-Path-Stat"
# requests asks for gzip by default and the engine then compresses archives: not worth its CPU
# for bytes that stay on this machine (and the reader decodes it if an engine does it anyway)
_IDENTITY = {"Accept-Encoding": "identity"}
_READ_AHEAD = 1 << 20

# Go's os.FileMode type bits, as the engine reports them in the stat header, with the letters
# Go's FileMode.String() writes for them (container-structure-test compares those strings).
_GO_MODE_LETTERS = "dalTLDpSugct?"
_GO_DIR, _GO_SYMLINK = 1 << 31, 1 << 27
_GO_SETUID, _GO_SETGID, _GO_STICKY = 1 << 23, 1 << 22, 1 << 20
_GO_TYPE = (1 << 31) | (1 << 27) | (1 << 26) | (1 << 25) | (1 << 24) | (1 << 21) | (1 << 19)


def config_of(config: Mapping[str, Any]) -> ImageConfig:
    """The parts of an image's Config the checks judge; missing and null fields are empty."""

    def strings(value: Any) -> list[str] | None:
        return [str(v) for v in value] if isinstance(value, list) else None

    env: dict[str, str] = {}
    for item in config.get("Env") or []:
        key, _, value = str(item).partition("=")
        env[key] = value
    healthcheck = config.get("Healthcheck") or {}
    return ImageConfig(
        user=str(config.get("User") or ""),
        exposed_ports=sorted(str(p) for p in (config.get("ExposedPorts") or {})),
        entrypoint=strings(config.get("Entrypoint")),
        cmd=strings(config.get("Cmd")),
        env=env,
        labels={str(k): str(v) for k, v in (config.get("Labels") or {}).items()},
        workdir=str(config.get("WorkingDir") or ""),
        healthcheck=strings(healthcheck.get("Test")) if isinstance(healthcheck, dict) else None,
        volumes=sorted(str(v) for v in (config.get("Volumes") or {})),
        shell=strings(config.get("Shell")),
    )


def go_mode_string(mode: int) -> str:
    """Go's ``FileMode.String()``: '-rwxr-xr-x', 'drwxr-xr-x', 'Lrwxrwxrwx', 'urwsr-xr-x'."""
    letters = "".join(c for i, c in enumerate(_GO_MODE_LETTERS) if mode & (1 << (31 - i)))
    rwx = "".join(c if mode & (1 << (8 - i)) else "-" for i, c in enumerate("rwxrwxrwx"))
    return (letters or "-") + rwx


def _file_type(mode: int) -> FileType:
    if mode & _GO_DIR:
        return "dir"
    if mode & _GO_SYMLINK:
        return "symlink"
    return "other" if mode & _GO_TYPE else "file"


def _permissions(mode: int) -> int:
    """Permission bits with setuid, setgid and sticky in their Unix places."""
    bits = mode & 0o777
    bits |= 0o4000 if mode & _GO_SETUID else 0
    bits |= 0o2000 if mode & _GO_SETGID else 0
    bits |= 0o1000 if mode & _GO_STICKY else 0
    return bits


def symlink_loop(engine: Engine, url: str, path: str) -> bool:
    """Whether a lookup failed (500) because the path is a loop of symlinks.

    The engine answers a HEAD without a body; the GET says why. Its message names the engine's
    own directories, so it is never shown: only that the path loops.
    """
    response = engine._api.get(url, params={"path": path}, headers=_IDENTITY, stream=True)
    try:
        return response.status_code == 500 and "too many links" in response.text
    finally:
        response.close()


def look(
    engine: Engine, image: str, wanted: Mapping[str, int], *, exists: Iterable[str] = ()
) -> tuple[dict[str, FileFacts], dict[str, bool]]:
    """Each path's stat and owner (and start of content), and whether each of ``exists`` is.

    One probe container answers all of it. ``wanted`` maps a path to the bytes of content to
    read (0: stat and owner only); ``exists`` takes one HEAD per path.
    """
    found: dict[str, FileFacts] = {}
    there: dict[str, bool] = {}
    with engine.probe(image) as url, boundary():
        session = _Lookups(engine, url)
        for path, limit in sorted(wanted.items()):
            found[path] = session.facts(path, limit)
        for path in sorted(set(exists)):
            try:
                there[path] = session.stat(path) is not None
            except _Loop:
                there[path] = True  # a loop of symlinks is there, as itself
    return found, there


class _Loop(Exception):
    """A path the engine cannot resolve: its symlinks loop."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.path = path


class _Lookups:
    """The lookups of one probe container."""

    def __init__(self, engine: Engine, url: str) -> None:
        self.engine = engine
        self.url = url

    def stat(self, path: str) -> dict[str, Any] | None:
        """The engine's stat of a path (its own: a symlink is itself), or None if missing."""
        self.engine.cancellation.check()
        response = self.engine._api.head(self.url, params={"path": path}, timeout=_API_TIMEOUT)
        if response.status_code == 404:
            return None
        if response.status_code == 500 and symlink_loop(self.engine, self.url, path):
            raise _Loop(path)
        if response.status_code != 200:
            raise EngineError(f"Docker Engine: looking up {path} failed ({response.status_code})")
        try:
            stat = json.loads(base64.b64decode(response.headers.get(_STAT_HEADER, "")))
        except (ValueError, binascii.Error):
            stat = None
        if not isinstance(stat, dict):
            raise EngineError(f"Docker Engine: no stat of {path} in its answer")
        return stat

    def first_entry(self, path: str, limit: int) -> tuple[tarfile.TarInfo, bytes]:
        """The archive's first entry (the path itself) and up to ``limit`` bytes of it.

        The answer is closed after that, so a huge file or directory is never sent whole.
        """
        self.engine.cancellation.check()
        response = self.engine._api.get(
            self.url,
            params={"path": path},
            headers=_IDENTITY,
            stream=True,
            timeout=_API_TIMEOUT,
        )
        try:
            if response.status_code != 200:
                raise EngineError(f"Docker Engine: reading {path} failed ({response.status_code})")
            with tarfile.open(
                fileobj=cast(IO[bytes], _Cancellable(response, self.engine)), mode="r|"
            ) as archive:
                entry = archive.next()
                if entry is None:
                    raise EngineError(f"Docker Engine: the archive of {path} is empty")
                data = b""
                if limit and entry.isreg():
                    handle = archive.extractfile(entry)
                    data = handle.read(limit) if handle is not None else b""
                return entry, data
        except tarfile.TarError as exc:
            raise EngineError(f"Docker Engine: the archive of {path} is unreadable: {exc}") from exc
        finally:
            response.close()

    def facts(self, path: str, limit: int) -> FileFacts:
        try:
            return self._facts(path, limit)
        except _Loop as loop:
            why = f"{loop.path} is a loop of symlinks (or one too long to follow)"
            return FileFacts(path=path, exists=True, type="symlink", error=why)

    def _facts(self, path: str, limit: int) -> FileFacts:
        stat = self.stat(path)
        if stat is None:
            return FileFacts(path=path, exists=False)
        mode = int(stat.get("mode") or 0)
        kind = _file_type(mode)
        entry, data = self.first_entry(path, limit if kind == "file" else 0)
        facts: dict[str, Any] = {
            "path": path,
            "exists": True,
            "type": "hardlink" if entry.islnk() else kind,
            "mode": _permissions(mode),
            "mode_string": go_mode_string(mode),
            "uid": entry.uid,
            "gid": entry.gid,
            "size": int(stat.get("size") or 0),
            "link_target": str(stat.get("linkTarget") or "") or None,
        }
        if not limit:
            return FileFacts(**facts)
        resolved, size = path, facts["size"]
        if kind == "symlink":
            # the engine resolved the whole chain inside the container's root
            resolved = facts["link_target"] or path
            target = self.stat(resolved)
            if target is None:
                why = f"{path} is a symlink to {resolved}, which is not in the image"
                return FileFacts(**facts, resolved=resolved, error=why)
            kind, size = _file_type(int(target.get("mode") or 0)), int(target.get("size") or 0)
            if kind == "file":
                _, data = self.first_entry(resolved, limit)
        if kind != "file":
            what = "a directory" if kind == "dir" else "not a regular file"
            return FileFacts(**facts, resolved=resolved, error=f"{resolved} is {what}")
        return FileFacts(
            **facts,
            resolved=resolved,
            text=data.decode("utf-8", errors="replace"),
            truncated=size > len(data),
        )


def layer_efficiency(engine: Engine, image: str, timeout: float) -> Efficiency:
    """Dive's measures of the image, from the archive `docker save` streams.

    Only the tar headers are read (``grader.layers``), never written anywhere; ``InputError``
    names what made the archive unreadable or too big, or the ``timeout`` it took longer than.
    """
    api = engine._api
    url = f"{api.base_url}/v{api.api_version}/images/{urllib.parse.quote(image, safe='')}/get"
    engine.cancellation.check()
    with boundary():
        response = api.get(url, headers=_IDENTITY, stream=True, timeout=_API_TIMEOUT)
        try:
            if response.status_code != 200:
                raise EngineError(
                    f"Docker Engine: saving the image failed ({response.status_code})"
                )
            stream = _Cancellable(response, engine, deadline=time.monotonic() + timeout)
            # tarfile reads 10 KiB at a time: one read of the socket per MiB instead
            return layers.image_efficiency(io.BufferedReader(stream, _READ_AHEAD))
        finally:
            response.close()


class _Cancellable(io.RawIOBase):
    """The raw answer as a file that stops at once when the run is interrupted or too slow."""

    def __init__(
        self, response: requests.Response, engine: Engine, *, deadline: float | None = None
    ) -> None:
        self.raw: IO[bytes] = response.raw
        response.raw.decode_content = True
        self.engine = engine
        self.deadline = deadline

    def read(self, size: int = -1) -> bytes:
        self.engine.cancellation.check()
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise InputError("reading the image's layers took too long; it was stopped")
        return self.raw.read(size)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)
