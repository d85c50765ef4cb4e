"""Source text: decoding, directives, physical lines, the one wrapper of Docker's Go parser."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final, NamedTuple

import dockerfile as _parser

from grader.dockerfile.grammar import GO_SPACE, RE_CONTINUATION, RE_DIRECTIVE, RE_NON_ASCII


class Command(NamedTuple):
    """One instruction as Docker's parser returns it (same fields as the package's Command)."""

    cmd: str
    sub_cmd: str | None
    json: bool
    original: str
    start_line: int
    end_line: int
    flags: tuple[str, ...]
    value: tuple[str, ...]
    heredocs: tuple[object, ...]


def decode(data: str | bytes) -> str:
    """Decode as Docker reads a Dockerfile: UTF-8, one leading BOM dropped, bad bytes replaced."""
    if isinstance(data, bytes):
        if data.startswith(b"\xef\xbb\xbf"):
            data = data[3:]
        return data.decode("utf-8", "replace")
    return data[1:] if data.startswith("\ufeff") else data


def for_parser(text: str) -> str:
    """Make text safe for the Go parser's C boundary without moving any line.

    A NUL would end the C string early (U+FFFD instead) and a lone surrogate cannot be encoded, on
    which the binding crashes the whole process ('?' instead); either is as invalid in a reference
    or a stage name as the original.
    """
    if "\x00" in text:
        text = text.replace("\x00", "\ufffd")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-8", "replace").decode("utf-8")
    return text


def _trim_newline(line: str) -> str:
    return line.rstrip("\r\n")


def _is_comment(line: str) -> bool:
    return line.lstrip(GO_SPACE).startswith("#")


@dataclass(frozen=True, slots=True)
class Directives:
    escape: str = "\\"
    syntax: str | None = None
    check: str | None = None
    syntax_line: int | None = None


def read_directives(lines: Sequence[str]) -> Directives:
    """Parser directives: only a leading run of `# key=value` lines counts (parser.go)."""
    found: dict[str, str] = {}
    syntax_line: int | None = None
    for number, raw in enumerate(lines, start=1):
        line = _trim_newline(raw).lstrip(GO_SPACE)
        if not line.startswith("#"):
            break
        match = RE_DIRECTIVE.fullmatch(line[1:].lstrip(GO_SPACE))
        if match is None:
            break
        key = match.group(1).lower()
        if key not in ("syntax", "escape", "check") or key in found:
            break
        found[key] = match.group(2)
        if key == "syntax":
            syntax_line = number
    escape = found.get("escape", "\\")
    check = found.get("check")
    return Directives(
        escape=escape if escape in ("\\", "`") else "\\",
        syntax=found.get("syntax"),
        check=check.split(" ", 1)[0] if check is not None else None,
        syntax_line=syntax_line,
    )


class CheckOptions(NamedTuple):
    """A ``# check=`` directive: the build checks it skips, and whether one fails the build."""

    skipped: frozenset[str] | None  # None: skip=all
    error: bool


_GO_BOOLS: Final[Mapping[str, bool]] = MappingProxyType(
    {word: True for word in ("1", "t", "T", "TRUE", "true", "True")}
    | {word: False for word in ("0", "f", "F", "FALSE", "false", "False")}
)


def check_options(check: str | None) -> CheckOptions | str:
    """The options of ``# check=skip=A,B;error=true``, or why BuildKit refuses them.

    As linter.ParseLintOptions reads them: at most three ``key=value`` parts split on ``;``, keys
    ``skip``, ``experimental`` and ``error`` (a Go boolean); anything else fails the build.
    """
    check = (check or "").strip()
    if not check:
        return CheckOptions(frozenset(), error=False)
    skipped: set[str] | None = set()
    error = False
    for part in check.split(";", 2):
        key, has_value, value = part.partition("=")
        if not has_value:
            return f'invalid check option "{part}"'
        key, value = key.strip(), value.strip()
        if key == "skip":
            if value == "all":
                skipped = None
            elif skipped is not None:
                skipped.update(rule.strip() for rule in value.split(","))
        elif key == "error":
            if value not in _GO_BOOLS:
                return (
                    f'failed to parse check option "{part}": strconv.ParseBool: parsing '
                    f'"{value}": invalid syntax'
                )
            error = _GO_BOOLS[value]
        elif key != "experimental":  # no experimental rule is implemented: nothing to enable
            return f'invalid check option "{key}"'
    return CheckOptions(None if skipped is None else frozenset(skipped), error)


def _continues(line: str, escape: str) -> re.Match[str] | None:
    return RE_CONTINUATION[escape].search(line)


def instruction_lines(lines: Sequence[str], start: int, escape: str) -> tuple[list[int], list[int]]:
    """Physical lines (0-based) holding the instruction proper, and the empty ones it skipped.

    Mirrors parser.go: the first line is left-trimmed, comment and blank lines inside a
    continuation are dropped (blank ones are the NoEmptyContinuation warning), and a heredoc body
    starts after the first line that does not continue.
    """
    used = [start]
    empty: list[int] = []
    if start >= len(lines):
        return used, empty
    cont = _continues(_trim_newline(lines[start]).lstrip(GO_SPACE), escape) is not None
    index = start + 1
    while cont and index < len(lines):
        raw = _trim_newline(lines[index])
        if _is_comment(raw):
            index += 1
            continue
        if not raw.lstrip(GO_SPACE):
            empty.append(index)
            index += 1
            continue
        used.append(index)
        cont = _continues(raw, escape) is not None
        index += 1
    return used, empty


@dataclass(slots=True)
class _Logical:
    """The instruction line as the parser joins it, with each character's physical position."""

    text: str
    where: list[tuple[int, int]]


def logical_line(lines: Sequence[str], used: Sequence[int], escape: str) -> _Logical:
    chars: list[str] = []
    where: list[tuple[int, int]] = []
    for position, index in enumerate(used):
        raw = _trim_newline(lines[index])
        offset = 0
        if position == 0:
            stripped = raw.lstrip(GO_SPACE)
            offset = len(raw) - len(stripped)
            raw = stripped
        match = _continues(raw, escape)
        if match is not None:
            keep = match.group(1) or ""
            raw = raw[: match.start()] + keep
        for col, char in enumerate(raw):
            chars.append(char)
            where.append((index, offset + col))
    return _Logical("".join(chars), where)


def go_parse(text: str) -> list[Command]:
    """Parse with Docker's parser, returning plain tuples.

    Docker's flag scanner works byte by byte and can cut a multi-byte character in a `--flag`
    word in two; the binding then cannot decode what Go returns. Only then is the text parsed
    again with every non-ASCII character as DEL: the same lines and instructions, and a word that
    held such a character is as invalid as a reference or stage name as it was.
    """
    try:
        parsed = _parser.parse_string(text)
    except UnicodeDecodeError:
        parsed = _parser.parse_string(RE_NON_ASCII.sub("\x7f", text))
    return [
        command if command.cmd is not None and command.original is not None else _repair(command)
        for command in parsed
    ]


def _repair(command: Command) -> Command:
    """Fill in what the binding leaves None for an empty instruction (a lone escape)."""
    return Command(
        command.cmd or "",
        command.sub_cmd,
        bool(command.json),
        command.original or "",
        command.start_line,
        command.end_line,
        tuple(flag or "" for flag in command.flags or ()),
        tuple(value or "" for value in command.value or ()),
        tuple(command.heredocs or ()),
    )


def locate_parse_error(lines: Sequence[str], message: str) -> int:
    """Find the first line whose prefix of the file already fails with the same message."""
    low, high = 1, len(lines)
    while low < high:
        middle = (low + high) // 2
        try:
            go_parse("\n".join(lines[:middle]))
            failed = False
        except _parser.GoParseError as error:
            failed = str(error) == message
        if failed:
            high = middle
        else:
            low = middle + 1
    return low


def check_directive(lines: Sequence[str]) -> str | None:
    """Find the check directive as the linter does: after a leading shebang line."""
    return read_directives(lines[1:]).check
