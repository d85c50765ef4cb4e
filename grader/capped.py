"""Bounded capture of untrusted output: keep the head and the tail, count what was cut.

Hand-written because the policy is ours (Autolab's Tango keeps head and tail of a capped log):
a flood of output costs memory proportional to the cap, never to the flood.
"""

from __future__ import annotations

from collections import deque

from grader.sanitizer import for_terminal


class CappedBuffer:
    """Collects bytes up to ``limit``: the first half verbatim, then a rolling last half."""

    def __init__(self, limit: int) -> None:
        self._head_limit = limit - limit // 2
        self._tail_limit = limit // 2
        self._head = bytearray()
        self._tail: deque[bytes] = deque()
        self._tail_size = 0
        self.total = 0

    def write(self, data: bytes) -> None:
        """Take a chunk; memory stays bounded by the limit whatever arrives."""
        self.total += len(data)
        room = self._head_limit - len(self._head)
        if room > 0:
            self._head += data[:room]
            data = data[room:]
        if not data or self._tail_limit == 0:
            return
        if len(data) >= self._tail_limit:
            self._tail.clear()
            self._tail.append(bytes(data[-self._tail_limit :]))
            self._tail_size = self._tail_limit
            return
        self._tail.append(bytes(data))
        self._tail_size += len(data)
        while self._tail_size > self._tail_limit:
            excess = self._tail_size - self._tail_limit
            first = self._tail[0]
            if len(first) <= excess:
                self._tail.popleft()
                self._tail_size -= len(first)
            else:
                self._tail[0] = first[excess:]
                self._tail_size -= excess

    @property
    def truncated(self) -> bool:
        """Whether anything was dropped."""
        return self.total > len(self._head) + self._tail_size

    def text(self) -> str:
        """The kept bytes as text, with a marker saying how much was cut between head and tail."""
        head = self._head.decode("utf-8", errors="replace")
        tail = b"".join(self._tail).decode("utf-8", errors="replace")
        if not self.truncated:
            return head + tail
        cut = self.total - len(self._head) - self._tail_size
        return f"{head}\n[... {cut:,} bytes cut by grader ...]\n{tail}"


def clipped(text: str, limit: int) -> str:
    """Text quoted inside a message: one line (breaks spelled out), cut at ``limit`` with '…'."""
    line = text.replace("\r", "\\r").replace("\n", "\\n")
    return line if len(line) <= limit else line[: limit - 1] + "…"


def one_line(text: str, limit: int = 300) -> str:
    r"""A message fit for one line of a report.

    White space is folded, what the sanitiser neutralises spelled out (``\x1b``), and the text
    cut at ``limit`` characters: a binary Dockerfile makes the engine quote kilobytes of junk.
    """
    folded = for_terminal(" ".join(text.split()))
    if len(folded) <= limit:
        return folded
    return f"{folded[: limit - 1]}… ({len(folded) - limit + 1:,} more characters)"
