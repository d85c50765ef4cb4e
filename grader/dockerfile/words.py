"""Words, flags and mounts of an instruction, as BuildKit splits and parses them."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping, Sequence
from typing import NamedTuple

from grader.dockerfile.grammar import (
    GO_SPACE,
    MOUNT_KEYS,
    MOUNT_TYPES,
    RE_PLAIN_WORD,
    RE_WHITESPACE,
)


def split_command(line: str) -> tuple[str, int]:
    """Return the instruction keyword and where its arguments start (splitCommand)."""
    stripped = line.strip(GO_SPACE)
    lead = len(line) - len(line.lstrip(GO_SPACE))
    match = RE_WHITESPACE.search(stripped)
    if match is None:
        return stripped, len(line)
    return stripped[: match.start()], lead + match.end()


class FlagWord(NamedTuple):
    value: str
    start: int
    end: int


def extract_flags(  # noqa: PLR0912 - mirrors extractBuilderFlags branch for branch
    line: str, start: int, escape: str
) -> tuple[list[FlagWord], int]:
    """Return the leading `--flag` words with their raw spans, and where the arguments begin.

    Same state machine as extractBuilderFlags: quotes group, the escape token escapes, a lone
    `--` ends the flags.
    """
    words: list[FlagWord] = []
    pos = start
    length = len(line)
    while True:
        while pos < length and line[pos] in GO_SPACE:
            pos += 1
        if pos >= length:
            return words, length
        if not line.startswith("--", pos):
            return words, pos
        word_start = pos
        chars: list[str] = []
        quote = ""
        blank_ok = False
        while pos < length:
            char = line[pos]
            if quote:
                if char == quote:
                    quote = ""
                    pos += 1
                    continue
                if char == escape:
                    if pos + 1 == length:
                        quote = ""
                        pos += 1
                        continue
                    pos += 1
                    char = line[pos]
                chars.append(char)
                pos += 1
                continue
            if char in GO_SPACE:
                break
            if char in "'\"":
                quote = char
                blank_ok = True
                pos += 1
                continue
            if char == escape:
                if pos + 1 == length:
                    pos += 1
                    continue
                pos += 1
                char = line[pos]
            chars.append(char)
            pos += 1
        word = "".join(chars)
        if word == "--":
            return words, pos
        if blank_ok or word:
            words.append(FlagWord(word, word_start, pos))


def first_word(text: str, escape: str) -> str:
    """Return the first word as parseWords splits ENV/LABEL arguments (quotes kept)."""
    text = text.lstrip(GO_SPACE)
    plain = RE_PLAIN_WORD.match(text)
    if plain is not None and (plain.end() == len(text) or text[plain.end()] in GO_SPACE):
        return plain.group()
    chars: list[str] = []
    quote = ""
    pos = 0
    text = text.lstrip(GO_SPACE)
    while pos < len(text):
        char = text[pos]
        if not quote:
            if char in GO_SPACE:
                break
            if char in "'\"":
                quote = char
            elif char == escape and pos + 1 < len(text):
                chars.append(char)
                pos += 1
                char = text[pos]
        elif char == quote:
            quote = ""
        elif char == escape and quote != "'" and pos + 1 < len(text):
            chars.append(char)
            pos += 1
            char = text[pos]
        chars.append(char)
        pos += 1
    return "".join(chars)


def _levenshtein(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i]
        for j, char_b in enumerate(b, 1):
            current.append(
                min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b))
            )
        previous = current
    return previous[-1]


def suggest(value: str, options: Iterable[str], *, case_sensitive: bool = True) -> str | None:
    """BuildKit's suggest.Search: the closest option under edit distance 3, if not exact."""
    if len(value) > 64:
        return None
    probe = value if case_sensitive else value.lower()
    best: str | None = None
    best_distance = 3
    for option in options:
        candidate = option if case_sensitive else option.lower()
        if candidate == probe:
            return None
        distance = _levenshtein(probe, candidate)
        if distance < best_distance:
            best, best_distance = option, distance
    if best is not None and not case_sensitive:
        if value == value.lower():
            return best.lower()
        if value == value.upper():
            return best.upper()
    return best


def parse_flags(
    flags: Sequence[str], spec: Mapping[str, str]
) -> tuple[dict[str, list[str]], str | None]:
    """Return flag values by name, or BuildKit's error for the first bad flag."""
    values: dict[str, list[str]] = {}
    for arg in flags:
        if arg == "--":
            break
        error = _parse_flag(arg, spec, values)
        if error:
            return values, error
    return values, None


def _parse_flag(arg: str, spec: Mapping[str, str], values: dict[str, list[str]]) -> str | None:
    if not arg.startswith("--"):
        return f"arg should start with -- : {arg}"
    name, has_value, value = arg.partition("=")
    key = name[2:]
    kind = spec.get(key)
    if kind is None:
        suggestion = suggest(key, spec)
        return f"unknown flag: {name}" + (f" (did you mean {suggestion}?)" if suggestion else "")
    if key in values and kind != "m":
        return f"duplicate flag specified: {name}"
    if kind == "b":
        return _bool_flag(name, key, value if has_value else None, values)
    if not has_value:
        return f"missing a value on flag: {name}"
    values.setdefault(key, []).append(value)
    return None


def _bool_flag(name: str, key: str, value: str | None, values: dict[str, list[str]]) -> str | None:
    if value == "":
        return f"missing a value on flag: {name}"
    lowered = (value or "").lower()
    if lowered not in ("true", "", "false"):
        return f"expecting boolean value for flag {name}, not: {value}"
    values[key] = ["false" if lowered == "false" else "true"]
    return None


class _Mount(NamedTuple):
    type: str
    source_from: str | None


def parse_mount(value: str) -> tuple[_Mount | None, str | None]:
    """Read the type and from= of one --mount value (instructions/commands_runmount.go)."""
    try:
        fields = next(csv.reader([value], strict=True), [])
    except csv.Error as error:
        return None, f"failed to parse csv mounts: {error}"
    found: dict[str, str] = {"type": "bind"}
    for item in fields:
        problem = _mount_field(item, found)
        if problem:
            return None, problem
    source_from = found.get("from") or None
    if found["type"] == "secret" and source_from:
        return None, "secret mount should not have a from"
    return _Mount(found["type"], source_from), None


def _mount_field(item: str, found: dict[str, str]) -> str | None:
    key, has_value, value = item.partition("=")
    key = key.lower()
    if not has_value:
        if key in ("readonly", "ro", "readwrite", "rw", "required"):
            return None
        return f"invalid field '{item}' must be a key=value pair"
    if key == "type":
        found["type"] = value.lower()
        if "$" not in value and found["type"] not in MOUNT_TYPES:
            return f'unsupported mount type "{value}"'
    elif key == "from":
        dollar = value.find("$")
        if dollar not in (-1, len(value) - 1):
            return "'from' doesn't support variable expansion, define alias stage instead"
        found["from"] = value
    elif key not in MOUNT_KEYS:
        return f"unexpected key '{key}' in '{item}'"
    return None
