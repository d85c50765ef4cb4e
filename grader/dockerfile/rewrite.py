"""Substituting external image references in the text, leaving every line where it was."""

from __future__ import annotations

import csv
from collections.abc import Callable, Mapping, Sequence

from grader.dockerfile.analysis import run_analysis
from grader.dockerfile.grammar import GO_SPACE, RE_WHITESPACE
from grader.dockerfile.source import decode, for_parser, instruction_lines, logical_line
from grader.dockerfile.state import ImageUse
from grader.dockerfile.words import extract_flags, split_command


def rewrite_images(
    text: str,
    replace: Callable[[str], str | None],
    *,
    build_args: Mapping[str, str] | None = None,
) -> str:
    """Substitute external image references (registry mirrors, offline grading).

    ``replace`` gets every external reference after ARG expansion (a FROM that names no earlier
    stage and is not scratch, ``COPY --from=<image>``, ``RUN --mount=...,from=<image>``) and returns
    the reference Docker should use instead, or None to keep it. Only the characters of the
    reference change: the AS name, --platform and other flags stay, and so does every other line
    and the line count, so build errors still point at the student's lines. A ``--from`` that
    names a later stage (or its own) is left alone: it names a stage of this file, and analyze
    reports it. A replacement that equals a stage name would mean that stage, as if typed by hand.
    """
    decoded = decode(text)
    lead = len(text) - len(decoded)
    try:
        _, run = run_analysis(decoded, "Dockerfile", None, dict(build_args or {}))
    except Exception:  # an analysis bug must not stop a build: the file then goes as written
        return text
    wanted = [
        (use, new)
        for use in run.image_uses
        if not use.onbuild and (new := replace(use.ref)) is not None and new != use.ref
    ]
    try:
        return _apply_rewrites(text[:lead], decoded, run.escape, wanted)
    except Exception:  # same: never worse than no substitution
        return text


def _apply_rewrites(
    lead: str, decoded: str, escape: str, wanted: Sequence[tuple[ImageUse, str]]
) -> str:
    lines = for_parser(decoded).split("\n")
    original_lines = decoded.split("\n")
    edits: dict[int, list[tuple[int, int, str]]] = {}
    for use, new in wanted:
        plan = _rewrite_plan(lines, use, escape, new)
        if plan is not None:
            _plan_edit(edits, *plan)
    if not edits:
        return lead + decoded
    for index, changes in edits.items():
        line = original_lines[index]
        for start, end, new_text in sorted(changes, reverse=True):
            line = line[:start] + new_text + line[end:]
        original_lines[index] = line
    return lead + "\n".join(original_lines)


def _rewrite_plan(
    lines: Sequence[str], use: ImageUse, escape: str, new: str
) -> tuple[list[tuple[int, int]], str] | None:
    """Which characters of the instruction to replace, and with what."""
    used, _ = instruction_lines(lines, use.line - 1, escape)
    logical = logical_line(lines, used, escape)
    text = logical.text
    _, args_start = split_command(text)
    flag_words, rest = extract_flags(text, args_start, escape)
    if use.kind == "from":
        match = RE_WHITESPACE.search(text, rest)
        stop = min(match.start() if match else len(text), len(text.rstrip(GO_SPACE)))
        return (logical.where[rest:stop], new) if stop > rest else None
    if not 0 <= use.flag_index < len(flag_words):
        return None
    word = flag_words[use.flag_index]
    span = logical.where[word.start : word.end]
    if use.kind == "copy":
        return span, "--from=" + new
    raw = text[word.start : word.end]
    if not any(char in raw for char in ("'", '"', escape)):
        position = word.start + len("--mount=")
        for item in raw[len("--mount=") :].split(","):
            key, has_value, _ = item.partition("=")
            if has_value and key.lower() == "from":
                start = position + len(key) + 1
                return logical.where[start : position + len(item)], new
            position += len(item) + 1
        return None
    return span, "--mount=" + _quote_flag_value(_replace_mount_from(word.value, new), escape)


def _replace_mount_from(flag: str, new: str) -> str:
    fields = next(csv.reader([flag.partition("=")[2]]), [])
    out: list[str] = []
    for item in fields:
        key, has_value, _ = item.partition("=")
        field_text = f"{key}={new}" if has_value and key.lower() == "from" else item
        quoted = '"' + field_text.replace('"', '""') + '"'
        out.append(quoted if any(char in field_text for char in ',"') else field_text)
    return ",".join(out)


def _quote_flag_value(value: str, escape: str) -> str:
    if not any(char in value for char in f"'\"{escape}{GO_SPACE}"):
        return value
    escaped = value.replace(escape, escape + escape).replace('"', escape + '"')
    return f'"{escaped}"'


def _plan_edit(
    edits: dict[int, list[tuple[int, int, str]]], span: Sequence[tuple[int, int]], new: str
) -> None:
    """Replace the characters at ``span`` with ``new``, keeping every line it touches non-empty."""
    by_line: dict[int, list[int]] = {}
    for line, col in span:
        by_line.setdefault(line, []).append(col)
    touched = sorted(by_line)
    if len(touched) == 1:
        cols = by_line[touched[0]]
        edits.setdefault(touched[0], []).append((cols[0], cols[-1] + 1, new))
        return
    head, tail = (new[:-1], new[-1:]) if new else ("", "")
    for position, line in enumerate(touched):
        cols = by_line[line]
        part = head if position == 0 else tail if position == len(touched) - 1 else ""
        edits.setdefault(line, []).append((cols[0], cols[-1] + 1, part))
