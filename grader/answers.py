"""An answers file split into its numbered answers, and the code an answer holds.

Students number their answers every way Markdown and plain text allow ('6.', '6)', 'Q6:',
'**6.**', '## Question 6') and put numbered lists inside them, so a line that merely looks like
a question start must not cut an answer in two. The rules, in order:

- lines inside a fenced code block (``` or ~~~) never start a question;
- a start is *marked* (a heading, 'Q'/'Question'/'Answer', or emphasis such as '**6.**') or
  *bare* ('6.', '6)', '6:'); the kind that numbers more distinct questions is the file's own, a
  start of the other kind counts only where it continues the sequence (5 then 6, before 7);
- a bare start indented under the bare start above it is a nested list, not a question;
- a number seen before is part of the current answer: the first one is graded (and noted).

Pure: text in, answers out.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

_START: Final = re.compile(
    r"""
    ^(?P<indent>[ \t]*)
    (?P<bullet>[-*+][ \t]+)?
    (?P<heading>\#{1,6}[ \t]*)?
    (?P<open>[*_]{1,3}[ \t]*)?
    (?P<word>(?:question|answer|q)[ \t]*[.#]?[ \t]*)?
    (?P<number>\d{1,4})
    (?P<mark>[.):])?
    (?P<close>[*_]{1,3})?
    (?P<after>[.):])?
    (?=[ \t]|$)
    """,
    re.IGNORECASE | re.VERBOSE,
)
_FENCE: Final = re.compile(r"^[ \t]*(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
# a fence may open on a list item's own line ("6. ```dockerfile"), as Markdown allows
_OPENING: Final = re.compile(
    r"^[ \t]*(?:(?:\d{1,3}[.)]|[-*+])[ \t]+)?(?P<fence>`{3,}|~{3,})(?P<info>.*)$"
)
_LEAD: Final = re.compile(r"^[ \t]*(?:[*_]{1,3}[ \t]*)?(?:[:\-\u2013\u2014][ \t]*)?")
_INLINE: Final = re.compile(r"(?<!`)(?P<ticks>`{1,2})(?!`)(?P<code>.+?)(?<!`)(?P=ticks)(?!`)")
_TAB: Final = 4
_NESTED: Final = 2  # Markdown nests a list item under '1. ' from two columns in


@dataclass(frozen=True)
class Question:
    """One numbered answer: where its number stands and the text under it."""

    number: int
    line: int  # 1-based line of the question's start
    text: str  # the rest of that line, then every line up to the next question


@dataclass(frozen=True)
class Answers:
    """The answers of one file, and what a reader should know about how it was split."""

    questions: Mapping[int, Question]
    repeated: Mapping[int, tuple[int, ...]] = field(default_factory=dict)  # lines of repeats
    unclosed_fence: int | None = None  # line of a code fence never closed (it runs to the end)

    @property
    def texts(self) -> dict[int, str]:
        """Number -> answer text."""
        return {number: q.text for number, q in self.questions.items()}

    def notes(self, number: int) -> list[str]:
        """Why question ``number`` reads as it does (a repeat, an unclosed fence), one line each."""
        found: list[str] = []
        first = self.questions.get(number)
        for line in self.repeated.get(number, ()):
            where = f"line {first.line}" if first is not None else "the first one"
            found.append(
                f"the number {number} comes again on line {line}: the first one ({where}) "
                "is graded, the later one is read as part of the answer above it"
            )
        if self.unclosed_fence is not None and self._swallowed(number):
            found.append(
                f"the code fence opened on line {self.unclosed_fence} is never closed, "
                "so everything after it is code"
            )
        return found

    def _swallowed(self, number: int) -> bool:
        """Whether the unclosed fence explains the answer: it is missing, or the fence is in it."""
        fence = self.unclosed_fence
        question = self.questions.get(number)
        if question is None or fence is None:
            return fence is not None
        above = [q.line for q in self.questions.values() if q.line < fence]
        return bool(above) and max(above) == question.line


@dataclass(frozen=True)
class _Start:
    index: int  # 0-based line
    number: int
    marked: bool
    indent: int
    rest: str


def _indent(text: str) -> int:
    return len(text.expandtabs(_TAB))


def _start(index: int, line: str) -> _Start | None:
    match = _START.match(line)
    if match is None:
        return None
    marked = bool(match["heading"] or match["word"] or match["open"])
    if not marked and (match["mark"] is None or match["bullet"]):
        return None  # a bare number needs its '.', ')' or ':'; '- 6.' is a list item
    rest = _LEAD.sub("", line[match.end() :], count=1).rstrip()
    return _Start(index, int(match["number"]), marked, _indent(match["indent"]), rest)


def _fences(lines: Sequence[str]) -> list[tuple[int, int]]:
    """The fenced code blocks as (opening line, closing line) indexes; unclosed: len(lines)."""
    spans: list[tuple[int, int]] = []
    opened: tuple[str, int, int] | None = None  # fence char, length, line index
    for index, line in enumerate(lines):
        match = (_OPENING if opened is None else _FENCE).match(line)
        if match is None:
            continue
        fence, info = match["fence"], match["info"]
        if opened is None:
            if not (fence[0] == "`" and "`" in info):  # ```x``` on one line is inline code
                opened = (fence[0], len(fence), index)
        elif fence[0] == opened[0] and len(fence) >= opened[1] and not info.strip():
            spans.append((opened[2], index))
            opened = None
    if opened is not None:
        spans.append((opened[2], len(lines)))
    return spans


def _inside(lines: Sequence[str], spans: Sequence[tuple[int, int]]) -> list[bool]:
    inside = [False] * len(lines)
    for first, last in spans:
        # a fence opened after a question's number leaves that line a question start
        start = first if _FENCE.match(lines[first]) else first + 1
        for index in range(start, min(last + 1, len(lines))):
            inside[index] = True
    return inside


def _starts(candidates: Sequence[_Start]) -> list[_Start]:
    """The candidate lines that really start questions, in file order (repeats still in)."""
    bare: list[_Start] = []
    for candidate in (c for c in candidates if not c.marked):
        if bare and candidate.indent >= bare[-1].indent + _NESTED:
            continue  # indented under the start above it: a list inside that answer
        bare.append(candidate)
    marked = [c for c in candidates if c.marked]
    own, other = (
        (marked, bare)
        if len({c.number for c in marked}) >= len({c.number for c in bare})
        else (bare, marked)
    )
    where = [c.index for c in own]
    accepted: list[_Start] = []
    for start in other:  # in file order, as candidates are
        position = bisect.bisect_left(where, start.index)
        before = own[position - 1] if position else None
        if accepted and (before is None or accepted[-1].index > before.index):
            before = accepted[-1]
        after = own[position] if position < len(own) else None
        wanted = before.number + 1 if before is not None else 1
        if start.number == wanted and (after is None or start.number < after.number):
            accepted.append(start)
    return sorted([*own, *accepted], key=lambda c: c.index)


def split_answers(text: str) -> Answers:
    """Split an answers file (Markdown or plain text) into its numbered answers."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    spans = _fences(lines)
    inside = _inside(lines, spans)
    candidates = [
        found
        for index, line in enumerate(lines)
        if not inside[index] and (found := _start(index, line)) is not None
    ]
    starts = {c.index: c for c in _starts(candidates)}
    bodies: dict[int, tuple[_Start, list[str]]] = {}
    repeated: dict[int, list[int]] = {}
    body: list[str] | None = None  # the lines of the answer being read
    for index, line in enumerate(lines):
        start = starts.get(index)
        if start is not None and start.number in bodies:
            repeated.setdefault(start.number, []).append(index + 1)
            start = None
        if start is not None:
            body = [start.rest] if start.rest else []
            bodies[start.number] = (start, body)
        elif body is not None:
            body.append(line)
    questions = {
        number: Question(number, start.index + 1, _trimmed(lines_))
        for number, (start, lines_) in sorted(bodies.items())
    }
    unclosed = [first + 1 for first, last in spans if last == len(lines)]
    return Answers(
        questions=questions,
        repeated={number: tuple(found) for number, found in repeated.items()},
        unclosed_fence=unclosed[0] if unclosed else None,
    )


def _trimmed(lines: list[str]) -> str:
    """The lines joined, blank lines at either end dropped."""
    first = next((i for i, line in enumerate(lines) if line.strip()), len(lines))
    last = next((i for i in range(len(lines) - 1, -1, -1) if lines[i].strip()), -1)
    return "\n".join(lines[first : last + 1])


def fenced_blocks(text: str) -> list[str]:
    """The contents of the fenced code blocks in ``text``, in order, fences left out."""
    lines = text.split("\n")
    return [_trimmed(lines[first + 1 : last]) for first, last in _fences(lines)]


def inline_code(text: str) -> list[str]:
    """The `code spans` of ``text`` outside fenced blocks, in order."""
    lines = text.split("\n")
    inside = _inside(lines, _fences(lines))
    prose = "\n".join(line for line, fenced in zip(lines, inside, strict=True) if not fenced)
    return [match["code"].strip() for match in _INLINE.finditer(prose)]
