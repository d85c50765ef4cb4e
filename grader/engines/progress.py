"""BuildKit's progress output, read into build steps: the plain log and the raw JSON stream.

BuildKit names a step (a "vertex") ``[<stage> k/n] <instruction>``; internal vertices
(``[internal] load build definition``, ``exporting to image``) are not steps of the Dockerfile
and are left out of the steps, though not out of the log. The plain form is what every BuildKit
client prints (``#7 [builder 2/4] RUN ...``, ``#7 0.21 output``, ``#7 DONE 0.3s``,
``#7 CACHED``, ``#7 ERROR: ...``, ``#7 CANCELED``); the raw JSON form (``--progress=rawjson``
of buildx) is one SolveStatus object per line (docs/engines.md).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections import deque
from collections.abc import Sequence
from datetime import datetime

from grader.capped import one_line
from grader.engines.steps import StepLog, in_stage
from grader.models.analysis import Instruction

_VERTEX = re.compile(r"^\[(?:(?P<stage>[^\]\s]+) )?(?P<step>\d+/\d+)\] (?P<text>.*)$")
_PLAIN = re.compile(r"^#(?P<id>\d+) (?P<rest>.*)$")
_TIMED = re.compile(r"^\d+(?:\.\d+)? (?P<text>.*)$")
_TRAILER_LINES = 50
_DONE = re.compile(r"^DONE (?P<seconds>\d+(?:\.\d+)?)s$")


class Progress:
    """Steps and the error, from either form of BuildKit's progress."""

    def __init__(self, instructions: Sequence[Instruction]) -> None:
        self.steps = StepLog()
        self.error: str | None = None
        self._instructions = instructions
        self._named: dict[str, str] = {}  # vertex id -> step key, for Dockerfile steps only
        self._internal: set[str] = set()  # vertices that are not steps of the Dockerfile
        self._step_error: str | None = None  # what the failed step's vertex said
        # what is not a vertex's: the error summary at the end (the last lines are enough)
        self._trailer: deque[str] = deque(maxlen=_TRAILER_LINES)

    # -- the plain log ---------------------------------------------------------------------

    def plain(self, line: str) -> None:
        """One line of ``--progress=plain``."""
        line = line.rstrip("\r\n")
        match = _PLAIN.match(line)
        if match is None:
            if line.strip() and not line.startswith("------"):
                self._trailer.append(line)
            return
        vertex, rest = match.group("id"), match.group("rest")
        if vertex not in self._named and vertex not in self._internal:
            self._vertex(vertex, rest)
            return
        key = self._named.get(vertex)
        if key is None:
            if rest.startswith("ERROR"):
                self._trailer.append(rest)
            return
        done = _DONE.match(rest)
        if done:
            self.steps.finish(key, "done", float(done.group("seconds")))
        elif rest == "CACHED":
            self.steps.finish(key, "cached")
        elif rest == "CANCELED":
            self.steps.finish(key, "canceled")
        elif rest.startswith("ERROR"):
            reason = rest.removeprefix("ERROR").lstrip(": ")
            self._step_error = self._step_error or reason
            self.steps.output(key, reason)
            self.steps.finish(key, "failed")
        elif not rest.startswith("sha256:"):
            timed = _TIMED.match(rest)
            self.steps.output(key, timed.group("text") if timed else rest)

    def _vertex(self, vertex: str, name: str) -> None:
        match = _VERTEX.match(name)
        if match is None:
            self._internal.add(vertex)
            return
        stage, text = match.group("stage"), match.group("text")
        found = in_stage(self._instructions, stage, text)
        key = f"{stage or ''} {match.group('step')} {vertex}"
        self._named[vertex] = key
        self.steps.start(
            key,
            stage=stage,
            step=match.group("step"),
            instruction=text,
            line=found.line if found else None,
        )

    # -- the raw JSON stream ---------------------------------------------------------------

    def rawjson(self, line: str) -> str:
        """One line of ``--progress=rawjson`` (a SolveStatus); returns it as text for the log."""
        try:
            status = json.loads(line)
        except ValueError:
            if line.strip():
                self._trailer.append(line.rstrip())
            return line
        if not isinstance(status, dict):
            return ""
        shown: list[str] = []
        for vertex in status.get("vertexes") or []:
            if isinstance(vertex, dict):
                shown += self._raw_vertex(vertex)
        for log in status.get("logs") or []:
            if not isinstance(log, dict):
                continue
            key = self._named.get(str(log.get("vertex")))
            if key is None:
                continue
            try:
                data = base64.b64decode(str(log.get("data") or ""), validate=False)
            except (binascii.Error, ValueError):
                continue
            text = data.decode("utf-8", "replace")
            shown.append(text)
            for piece in text.splitlines():
                self.steps.output(key, piece)
        return "".join(shown)

    def _raw_vertex(self, vertex: dict[str, object]) -> list[str]:
        digest = str(vertex.get("digest") or "")
        name = str(vertex.get("name") or "")
        shown = []
        if digest not in self._named and digest not in self._internal:
            self._vertex(digest, name)
            shown.append(f"# {name}\n")
        if digest in self._internal:
            if vertex.get("error"):
                self._trailer.append(f"ERROR: {vertex['error']}")
                shown.append(f"ERROR: {vertex['error']}\n")
            return shown
        key = self._named[digest]
        if vertex.get("error"):
            error = str(vertex["error"])
            if "context canceled" not in error:
                self._step_error = self._step_error or error
            self.steps.output(key, error)
            self.steps.finish(key, "canceled" if "context canceled" in error else "failed")
            shown.append(f"ERROR: {error}\n")
        elif vertex.get("cached"):
            self.steps.finish(key, "cached")
            shown.append(f"{name}: CACHED\n")
        elif vertex.get("completed"):
            self.steps.finish(key, "done", _seconds(vertex.get("started"), vertex.get("completed")))
        return shown

    # -- the end ---------------------------------------------------------------------------

    def finish(self, *, ok: bool, canceled: bool) -> None:
        """The client exited: the error summary, and the steps still running end with it."""
        self.steps.stop_running("canceled" if canceled else ("done" if ok else "failed"))
        if ok:
            return
        errors = [t for t in self._trailer if t.lstrip().upper().startswith("ERROR")]
        summary = errors[-1] if errors else (self._step_error or "")
        if not summary and self._trailer:
            summary = self._trailer[-1]
        summary = re.sub(r"^\s*error:?\s*", "", summary, flags=re.IGNORECASE)
        failed = self.steps.failed()
        reason = one_line(summary) if summary else "the build failed"
        if failed is not None:
            where = f"{failed.stage} {failed.step}" if failed.stage else failed.step
            self.error = f"[{where}] {failed.instruction}: {reason}"
        else:
            self.error = reason


_STAMP = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,6})\d*)?")


def _moment(value: object) -> datetime | None:
    """An RFC 3339 time as BuildKit writes it (nanoseconds, any zone: only differences count)."""
    match = _STAMP.match(str(value))
    if match is None:
        return None
    return datetime.fromisoformat(f"{match.group(1)}.{(match.group(2) or '0').ljust(6, '0')}")


def _seconds(started: object, completed: object) -> float | None:
    begin, end = _moment(started), _moment(completed)
    if begin is None or end is None:
        return None
    return max((end - begin).total_seconds(), 0.0)
