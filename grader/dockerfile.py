"""Static analysis of a Dockerfile with Docker's own semantics: the `grader inspect` stage graph.

Line parsing (continuations, heredocs, JSON forms, the escape directive) is done by Docker's own Go
parser through the ``dockerfile`` package; that choice stays behind this module. Everything Docker
does after parsing has no Python library, so it is written here, following BuildKit's Dockerfile
frontend (instructions/parse.go, dockerfile2llb/convert.go, shell/lex.go, linter/ruleset.go):
meta ARG expansion, stage names and bases, COPY --from / RUN --mount dependencies, --target, and
the build checks that can be decided without pulling images.

Where the classic builder of the grading engine (Docker 20.10) and BuildKit (what students run at
home) disagree, the graph follows BuildKit unless the engine's reading matters for grading, and the
difference is reported as a problem (rule ``requires-buildkit`` and friends) naming both.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Final, NamedTuple

import dockerfile as _parser

from grader import imagepolicy, imageref
from grader.errors import InputError
from grader.models.analysis import Analysis, Instruction, Problem, Severity, Stage
from grader.models.rubric import ImagePolicy

__all__ = ["MAX_DOCKERFILE_BYTES", "analyze", "analyze_file", "render_text", "rewrite_images"]

MAX_DOCKERFILE_BYTES: Final = 1024 * 1024
"""analyze_file reads at most this much; a bigger file is no Dockerfile a course produces."""

# --------------------------------------------------------------------------------------------
# Constants of Docker's grammar
# --------------------------------------------------------------------------------------------

_INSTRUCTIONS: Final = frozenset(
    {
        "ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "FROM", "HEALTHCHECK",
        "LABEL", "MAINTAINER", "ONBUILD", "RUN", "SHELL", "STOPSIGNAL", "USER", "VOLUME",
        "WORKDIR",
    }
)  # fmt: skip
_SORTED_INSTRUCTIONS: Final = tuple(sorted(_INSTRUCTIONS))

_FLAGLESS_INSTRUCTIONS: Final = (
    "ENV", "LABEL", "MAINTAINER", "ONBUILD", "WORKDIR", "CMD", "ENTRYPOINT", "EXPOSE", "USER",
    "VOLUME", "SHELL",
)  # fmt: skip
# Flags each instruction accepts in BuildKit: "s" string, "b" boolean, "m" repeatable string.
# Instructions absent here never look at their flags (ARG, STOPSIGNAL, HEALTHCHECK NONE).
_FLAG_SPECS: Final[Mapping[str, Mapping[str, str]]] = MappingProxyType(
    {
        keyword: MappingProxyType(dict(item.split(":") for item in spec.split()))
        for keyword, spec in (
            ("FROM", "platform:s"),
            ("COPY", "chown:s from:s chmod:s link:b exclude:m parents:b"),
            ("ADD", "chown:s chmod:s link:b keep-git-dir:b checksum:s unpack:b exclude:m"),
            ("RUN", "mount:m network:s security:s device:m"),
            ("HEALTHCHECK", "interval:s timeout:s start-period:s start-interval:s retries:s"),
            *((keyword, "") for keyword in _FLAGLESS_INSTRUCTIONS),
        )
    }
)
# Flags the classic builder of Docker 20.10 refuses ("Unknown flag" or "requires BuildKit").
_BUILDKIT_ONLY_FLAGS: Final[Mapping[str, frozenset[str]]] = MappingProxyType(
    {
        "COPY": frozenset({"chmod", "link", "exclude", "parents"}),
        "ADD": frozenset({"chmod", "link", "keep-git-dir", "checksum", "unpack", "exclude"}),
        "RUN": frozenset({"mount", "network", "security", "device"}),
        "HEALTHCHECK": frozenset({"start-interval"}),
    }
)
_MOUNT_TYPES: Final = frozenset({"bind", "cache", "tmpfs", "secret", "ssh"})
_MOUNT_KEYS: Final = frozenset(
    {
        "type", "from", "source", "target", "readonly", "id", "sharing", "required", "size",
        "mode", "uid", "gid", "src", "dst", "destination", "ro", "rw", "readwrite", "env",
    }
)  # fmt: skip

# ARGs BuildKit defines before the first FROM; the classic builder defines none of them.
_PLATFORM_DEFAULTS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "BUILDPLATFORM": "linux/amd64", "BUILDOS": "linux", "BUILDOSVERSION": "",
        "BUILDARCH": "amd64", "BUILDVARIANT": "", "TARGETPLATFORM": "linux/amd64",
        "TARGETOS": "linux", "TARGETOSVERSION": "", "TARGETARCH": "amd64", "TARGETVARIANT": "",
    }
)  # fmt: skip
_RESERVED_STAGE_NAMES: Final = frozenset({"context", "scratch"})
_SCRATCH: Final = imageref.SCRATCH

# Go's unicode.IsSpace (Python's str.isspace() also counts \x1c-\x1f).
_GO_SPACE: Final = (
    "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009"
    "\u200a\u2028\u2029\u202f\u205f\u3000"
)
_RE_WHITESPACE: Final = re.compile(r"[\t\v\f\r ]+")
_RE_STAGE_NAME: Final = re.compile(r"[a-z][a-z0-9._-]*")
_RE_DIRECTIVE: Final = re.compile(
    r"([a-zA-Z][a-zA-Z0-9]*)[\t\n\f\r ]*=[\t\n\f\r ]*(.+?)[\t\n\f\r ]*"
)
_RE_CONTINUATION: Final[Mapping[str, re.Pattern[str]]] = MappingProxyType(
    {
        "\\": re.compile(r"([^\\])\\[ \t]*\Z|^\\[ \t]*\Z"),
        "`": re.compile(r"([^`])`[ \t]*\Z|^`[ \t]*\Z"),
    }
)
_RE_ONBUILD_PREFIX: Final = re.compile(r"^[" + _GO_SPACE + r"]*ONBUILD[" + _GO_SPACE + "]*", re.I)
_RE_PLAIN_WORD: Final = re.compile(r"[^\s'\"\\`\x85\xa0]*")
_RE_NON_ASCII: Final = re.compile(r"[^\x00-\x7f]")
_RE_INT: Final = re.compile(r"[+-]?[0-9]+", re.ASCII)
_RE_SHELL_PATH: Final = re.compile(r"(?:^|/)(?:bin/?$|(?:ba|da|a|z)?sh$|busybox)")
_RE_PLATFORM_PART: Final = re.compile(r"[A-Za-z0-9_-]+", re.ASCII)
_RE_DURATION: Final = re.compile(r"(?:[0-9]*\.?[0-9]*(?:ns|us|µs|μs|ms|s|m|h))+|0", re.ASCII)
_RE_SECRET: Final = re.compile(
    r"(?:_|^)(?:apikey|auth|credential|credentials|key|password|pword|passwd|secret|token)(?:_|$)",
    re.I,
)
_RE_SECRET_ALLOW: Final = re.compile(r"(?:_|^)(?:public|file|version)(?:_|$)", re.I)
# Compiling or bundling, not installing: a final stage FROM a stage that did this ships the
# toolchain (installing runtime packages in a shared base stage is a legitimate pattern).
_RE_BUILD_COMMAND: Final = re.compile(
    r"\b(?:go\s+(?:build|install)|cargo\s+build|mvn|gradle|make|cmake|gcc|g\+\+|javac"
    r"|dotnet\s+(?:build|publish)|(?:npm|pnpm)\s+run\s+build|yarn\s+build|tsc|webpack)\b"
)
_RE_BUILDER_NAME: Final = re.compile(r"build|compile|toolchain|sdk")
_RE_TOOLCHAIN_IMAGE: Final = re.compile(
    r"(?:^|/)(?:golang|rust|maven|gradle|gcc|buildpack-deps|openjdk|eclipse-temurin|dotnet/sdk)"
    r"(?::|@|$)(?!.*(?:jre|distroless))"
)
# Images a bare COPY --from=<word> plausibly means on purpose (not a misspelt stage name).
_COMMON_IMAGES: Final = frozenset(
    {
        "alpine", "busybox", "debian", "ubuntu", "nginx", "node", "python", "golang", "rust",
        "redis", "postgres", "mysql", "httpd", "openjdk", "maven", "gradle", "ruby", "php",
        "centos", "fedora", "traefik", "caddy", "docker", "registry", "hello-world", "tomcat",
    }
)  # fmt: skip

# Where an error comes from, in the order Docker meets them: the smallest wins.
_PHASE_PARSER: Final = 0
_PHASE_INSTRUCTION: Final = 1
_PHASE_NO_STAGES: Final = 2
_PHASE_META_ARGS: Final = 3
_PHASE_FROM: Final = 4
_PHASE_TARGET: Final = 5
_PHASE_DEPENDENCY: Final = 6
_PHASE_CIRCULAR: Final = 7
_PHASE_IMAGE_REF: Final = 8
_PHASE_DISPATCH: Final = 9

_MAX_LINES_TO_LOCATE: Final = 50_000
_PARSE_HINTS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "unterminated heredoc": ": the heredoc started here never reaches its closing delimiter "
        "line (e.g. EOF alone on a line)",
    }
)
_SHOWN_AS: Final[Mapping[str, str]] = MappingProxyType(
    {"from": "FROM ", "copy": "COPY --from=", "mount": "RUN --mount=...,from="}
)
_SEVERITY_RANK: Final[Mapping[str, int]] = MappingProxyType({"error": 0, "warning": 1, "info": 2})
# BuildKit build checks a `# check=skip=...` directive may silence (errors stay: they break builds).
_SKIPPABLE: Final = frozenset(
    {
        "StageNameCasing", "FromAsCasing", "NoEmptyContinuation", "ConsistentInstructionCasing",
        "ReservedStageName", "JSONArgsRecommended", "MaintainerDeprecated",
        "UndefinedArgInFrom", "WorkdirRelativePath", "UndefinedVar",
        "MultipleInstructionsDisallowed", "LegacyKeyValueFormat", "RedundantTargetPlatform",
        "SecretsUsedInArgOrEnv", "InvalidDefaultArgInFrom", "FromPlatformFlagConstDisallowed",
        "ExposeProtoCasing", "ExposeInvalidFormat",
    }
)  # fmt: skip


class _Command(NamedTuple):
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


# --------------------------------------------------------------------------------------------
# Text: decoding, directives, physical lines
# --------------------------------------------------------------------------------------------


def _decode(data: str | bytes) -> str:
    """Decode as Docker reads a Dockerfile: UTF-8, one leading BOM dropped, bad bytes replaced."""
    if isinstance(data, bytes):
        if data.startswith(b"\xef\xbb\xbf"):
            data = data[3:]
        return data.decode("utf-8", "replace")
    return data[1:] if data.startswith("\ufeff") else data


def _for_parser(text: str) -> str:
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
    return line.lstrip(_GO_SPACE).startswith("#")


@dataclass(frozen=True, slots=True)
class _Directives:
    escape: str = "\\"
    syntax: str | None = None
    check: str | None = None
    syntax_line: int | None = None


def _directives(lines: Sequence[str]) -> _Directives:
    """Parser directives: only a leading run of `# key=value` lines counts (parser.go)."""
    found: dict[str, str] = {}
    syntax_line: int | None = None
    for number, raw in enumerate(lines, start=1):
        line = _trim_newline(raw).lstrip(_GO_SPACE)
        if not line.startswith("#"):
            break
        match = _RE_DIRECTIVE.fullmatch(line[1:].lstrip(_GO_SPACE))
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
    return _Directives(
        escape=escape if escape in ("\\", "`") else "\\",
        syntax=found.get("syntax"),
        check=check.split(" ", 1)[0] if check is not None else None,
        syntax_line=syntax_line,
    )


def _skipped_rules(check: str | None) -> frozenset[str] | None:
    """Rules silenced by `# check=skip=A,B` (None: all of them, for skip=all)."""
    if not check:
        return frozenset()
    skipped: set[str] = set()
    for part in check.split(";", 2):
        key, _, value = part.partition("=")
        if key.strip() == "skip":
            value = value.strip()
            if value == "all":
                return None
            skipped.update(rule.strip() for rule in value.split(","))
    return frozenset(skipped)


def _continues(line: str, escape: str) -> re.Match[str] | None:
    return _RE_CONTINUATION[escape].search(line)


def _instruction_lines(
    lines: Sequence[str], start: int, escape: str
) -> tuple[list[int], list[int]]:
    """Physical lines (0-based) holding the instruction proper, and the empty ones it skipped.

    Mirrors parser.go: the first line is left-trimmed, comment and blank lines inside a
    continuation are dropped (blank ones are the NoEmptyContinuation warning), and a heredoc body
    starts after the first line that does not continue.
    """
    used = [start]
    empty: list[int] = []
    if start >= len(lines):
        return used, empty
    cont = _continues(_trim_newline(lines[start]).lstrip(_GO_SPACE), escape) is not None
    index = start + 1
    while cont and index < len(lines):
        raw = _trim_newline(lines[index])
        if _is_comment(raw):
            index += 1
            continue
        if not raw.lstrip(_GO_SPACE):
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


def _logical_line(lines: Sequence[str], used: Sequence[int], escape: str) -> _Logical:
    chars: list[str] = []
    where: list[tuple[int, int]] = []
    for position, index in enumerate(used):
        raw = _trim_newline(lines[index])
        offset = 0
        if position == 0:
            stripped = raw.lstrip(_GO_SPACE)
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


# --------------------------------------------------------------------------------------------
# Words and flags (parser/split_command.go, parser/line_parsers.go)
# --------------------------------------------------------------------------------------------


def _split_command(line: str) -> tuple[str, int]:
    """Return the instruction keyword and where its arguments start (splitCommand)."""
    stripped = line.strip(_GO_SPACE)
    lead = len(line) - len(line.lstrip(_GO_SPACE))
    match = _RE_WHITESPACE.search(stripped)
    if match is None:
        return stripped, len(line)
    return stripped[: match.start()], lead + match.end()


class _FlagWord(NamedTuple):
    value: str
    start: int
    end: int


def _extract_flags(  # noqa: PLR0912 - mirrors extractBuilderFlags branch for branch
    line: str, start: int, escape: str
) -> tuple[list[_FlagWord], int]:
    """Return the leading `--flag` words with their raw spans, and where the arguments begin.

    Same state machine as extractBuilderFlags: quotes group, the escape token escapes, a lone
    `--` ends the flags.
    """
    words: list[_FlagWord] = []
    pos = start
    length = len(line)
    while True:
        while pos < length and line[pos] in _GO_SPACE:
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
            if char in _GO_SPACE:
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
            words.append(_FlagWord(word, word_start, pos))


def _first_word(text: str, escape: str) -> str:
    """Return the first word as parseWords splits ENV/LABEL arguments (quotes kept)."""
    text = text.lstrip(_GO_SPACE)
    plain = _RE_PLAIN_WORD.match(text)
    if plain is not None and (plain.end() == len(text) or text[plain.end()] in _GO_SPACE):
        return plain.group()
    chars: list[str] = []
    quote = ""
    pos = 0
    text = text.lstrip(_GO_SPACE)
    while pos < len(text):
        char = text[pos]
        if not quote:
            if char in _GO_SPACE:
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


# --------------------------------------------------------------------------------------------
# Variable expansion (shell/lex.go), single-word mode as FROM, ARG and COPY --from use it
# --------------------------------------------------------------------------------------------


class _ExpandError(Exception):
    """The word cannot be expanded; the message is BuildKit's."""


_SPECIAL_PARAMS: Final = frozenset("@*#?-$!0")
_MAX_PATTERN_STEPS: Final = 4_000_000


class _Expansion(NamedTuple):
    result: str
    matched: frozenset[str]
    unmatched: frozenset[str]
    buildkit_only: bool


class _Lexer:
    """One expansion of one word; mirrors shellWord in shell/lex.go."""

    __slots__ = (
        "buildkit_only",
        "env",
        "escape",
        "matched",
        "n",
        "pos",
        "raw",
        "text",
        "unmatched",
    )

    def __init__(self, text: str, env: Mapping[str, str], escape: str) -> None:
        self.text = text
        self.n = len(text)
        self.pos = 0
        self.env = env
        self.escape = escape
        self.raw = False
        self.matched: set[str] = set()
        self.unmatched: set[str] = set()
        self.buildkit_only = False

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < self.n else ""

    def take(self) -> str:
        if self.pos >= self.n:
            return ""
        char = self.text[self.pos]
        self.pos += 1
        return char

    def lookup(self, name: str) -> tuple[str, bool]:
        value = self.env.get(name)
        if value is None:
            self.unmatched.add(name)
            return "", False
        self.matched.add(name)
        return value, True

    def until(self, stop: str, raw: bool) -> str:
        saved = self.raw
        self.raw = raw
        try:
            out: list[str] = []
            while self.pos < self.n:
                char = self.text[self.pos]
                if stop and char == stop:
                    self.pos += 1
                    return "".join(out)
                if char == "$":
                    out.append(self.dollar())
                elif char == "'":
                    out.append(self.single_quote())
                elif char == '"':
                    out.append(self.double_quote())
                else:
                    self.pos += 1
                    if char == self.escape:
                        if self.raw:
                            out.append(char)
                        if self.pos >= self.n:
                            break
                        char = self.text[self.pos]
                        self.pos += 1
                    out.append(char)
            if stop:
                raise _ExpandError(f"unexpected end of statement while looking for matching {stop}")
            return "".join(out)
        finally:
            self.raw = saved

    def closed_by(self, stop: str, raw: bool, missing: str) -> str:
        """``until`` inside ${...}: running out of text there is BuildKit's "missing" error."""
        try:
            return self.until(stop, raw)
        except _ExpandError:
            if self.pos >= self.n:
                raise _ExpandError(f"syntax error: missing {missing}") from None
            raise

    def single_quote(self) -> str:
        self.pos += 1
        end = self.text.find("'", self.pos)
        if end < 0:
            raise _ExpandError(
                "unexpected end of statement while looking for matching single-quote"
            )
        value = self.text[self.pos : end]
        self.pos = end + 1
        return value

    def double_quote(self) -> str:
        self.pos += 1
        out: list[str] = []
        while True:
            char = self.peek()
            if char == "":
                raise _ExpandError(
                    "unexpected end of statement while looking for matching double-quote"
                )
            if char == '"':
                self.pos += 1
                return "".join(out)
            if char == "$":
                out.append(self.dollar())
                continue
            self.pos += 1
            if char == self.escape:
                if self.raw:
                    out.append(char)
                following = self.peek()
                if following == "":
                    continue
                if following in ('"', "$", self.escape):
                    char = self.take()
            out.append(char)

    def name(self) -> str:
        chars: list[str] = []
        while self.pos < self.n:
            char = self.text[self.pos]
            if not chars and char.isdecimal():
                start = self.pos
                while self.pos < self.n and self.text[self.pos].isdecimal():
                    self.pos += 1
                return self.text[start : self.pos]
            if not chars and char in _SPECIAL_PARAMS:
                self.pos += 1
                return char
            if not (char.isalpha() or char.isdecimal() or char == "_"):
                break
            chars.append(char)
            self.pos += 1
        return "".join(chars)

    def dollar(self) -> str:
        self.pos += 1
        if self.peek() != "{":
            name = self.name()
            if not name:
                return "$"
            return self.lookup(name)[0]
        self.pos += 1
        first = self.peek()
        if first == "":
            raise _ExpandError("syntax error: missing '}'")
        if first in "{}:":
            raise _ExpandError("syntax error: bad substitution")
        name = self.name()
        char = self.take()
        if char == "":
            raise _ExpandError("syntax error: missing '}'")
        if char == "}":
            return self.lookup(name)[0]
        modifier = char
        null_is_unset = False
        if char == ":":
            null_is_unset = True
            char = self.take()
            modifier += char
        elif char in "+-":
            self.buildkit_only = True  # the classic builder knows only :-, :+, ? and :?
        if char in "+-?#%" or null_is_unset:
            return self.modifier(name, char, modifier, null_is_unset)
        if char == "/":
            return self.replace(name)
        raise _ExpandError(f"unsupported modifier ({modifier}) in substitution")

    def modifier(self, name: str, char: str, modifier: str, null_is_unset: bool) -> str:
        raw = char in "#%"
        if raw:
            self.buildkit_only = True
            if null_is_unset:
                raise _ExpandError(f"unsupported modifier ({modifier}) in substitution")
        word = self.closed_by("}", raw, "'}'")
        value, is_set = self.lookup(name)
        empty = not is_set or (null_is_unset and value == "")
        if char == "-":
            return word if empty else value
        if char == "+":
            return "" if empty else word
        if char == "?":
            if not is_set:
                raise _ExpandError(f"{name}: {word or 'is not allowed to be unset'}")
            if null_is_unset and value == "":
                raise _ExpandError(f"{name}: {word or 'is not allowed to be empty'}")
            return value
        if char in "#%":
            greedy = word.startswith(char)
            if greedy:
                word = word[1:]
            return _trim_pattern(word, value, greedy, suffix=char == "%")
        raise _ExpandError(f"unsupported modifier ({modifier}) in substitution")

    def replace(self, name: str) -> str:
        self.buildkit_only = True
        replace_all = self.peek() == "/"
        if replace_all:
            self.pos += 1
        pattern = self.closed_by("/", True, "'/' in ${}")
        replacement = self.closed_by("}", True, "'}'")
        value, _ = self.lookup(name)
        return _replace_pattern(pattern, replacement, value, replace_all)


def _expand(text: str, env: Mapping[str, str], escape: str) -> _Expansion:
    """Expand one word as BuildKit's ProcessWordWithMatches; raises _ExpandError."""
    if not any(char in text for char in ("$", "'", '"', escape)):
        return _Expansion(text, frozenset(), frozenset(), False)
    lexer = _Lexer(text, env, escape)
    result = lexer.until("", False)
    return _Expansion(
        result, frozenset(lexer.matched), frozenset(lexer.unmatched), lexer.buildkit_only
    )


# Shell patterns of ${V#p}, ${V%p} and ${V/p/r}. BuildKit turns them into Go regexps, which never
# backtrack; Python's would on hostile patterns, so they run as a bit-parallel automaton instead.

_LITERAL: Final = 0
_ANY: Final = 1
_STAR: Final = 2


def _pattern_tokens(pattern: str) -> list[tuple[int, str]]:
    tokens: list[tuple[int, str]] = []
    pos = 0
    while pos < len(pattern):
        char = pattern[pos]
        pos += 1
        if char == "*":
            if not tokens or tokens[-1][0] != _STAR:
                tokens.append((_STAR, ""))
        elif char == "?":
            tokens.append((_ANY, ""))
        elif char == "\\":
            following = pattern[pos] if pos < len(pattern) else ""
            if following in ("}", "/"):
                continue
            if following not in ("*", "?", "\\"):
                raise _ExpandError(f"invalid pattern ({pattern}) in substitution: invalid escape")
            tokens.append((_LITERAL, following))
            pos += 1
        else:
            tokens.append((_LITERAL, char))
    return tokens


class _Automaton:
    """Anchored matcher for a token list: the ends of every match starting at a position."""

    __slots__ = ("accept", "any_mask", "literal", "star_mask")

    def __init__(self, tokens: Sequence[tuple[int, str]]) -> None:
        self.literal: dict[str, int] = {}
        self.any_mask = 0
        self.star_mask = 0
        for index, (kind, char) in enumerate(tokens):
            bit = 1 << index
            if kind == _LITERAL:
                self.literal[char] = self.literal.get(char, 0) | bit
            elif kind == _ANY:
                self.any_mask |= bit
            else:
                self.star_mask |= bit
        self.accept = 1 << len(tokens)

    def close(self, state: int) -> int:
        return state | ((state & self.star_mask) << 1)

    def ends(self, text: str, start: int, budget: list[int]) -> Iterable[int]:
        state = self.close(1)
        if state & self.accept:
            yield start
        for pos in range(start, len(text)):
            budget[0] -= 1
            if budget[0] < 0:
                raise _ExpandError("substitution pattern too complex")
            moved = state & (self.literal.get(text[pos], 0) | self.any_mask)
            state = self.close((moved << 1) | (state & self.star_mask))
            if not state:
                return
            if state & self.accept:
                yield pos + 1


def _match_end(
    automaton: _Automaton, text: str, start: int, greedy: bool, budget: list[int]
) -> int:
    end = -1
    for end in automaton.ends(text, start, budget):
        if not greedy:
            return end
    return end


def _trim_pattern(pattern: str, value: str, greedy: bool, *, suffix: bool) -> str:
    tokens = _pattern_tokens(pattern)
    budget = [_MAX_PATTERN_STEPS]
    if suffix:
        automaton = _Automaton(tokens[::-1])
        end = _match_end(automaton, value[::-1], 0, greedy, budget)
        return value if end < 0 else value[: len(value) - end]
    end = _match_end(_Automaton(tokens), value, 0, greedy, budget)
    return value if end < 0 else value[end:]


def _replace_pattern(pattern: str, replacement: str, value: str, replace_all: bool) -> str:
    automaton = _Automaton(_pattern_tokens(pattern))
    budget = [_MAX_PATTERN_STEPS]
    out: list[str] = []
    last = 0
    search = 0
    while search <= len(value):
        start, end = -1, -1
        for candidate in range(search, len(value) + 1):
            end = _match_end(automaton, value, candidate, True, budget)
            if end >= 0:
                start = candidate
                break
        if start < 0:
            break
        out.append(value[last:start])
        if end > last or start == 0:
            out.append(replacement)
        last = end
        if not replace_all:
            break
        search = end if end > search else search + 1
    out.append(value[last:])
    return "".join(out)


# --------------------------------------------------------------------------------------------
# Flags (instructions/bflag.go)
# --------------------------------------------------------------------------------------------


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


def _suggest(value: str, options: Iterable[str], *, case_sensitive: bool = True) -> str | None:
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


def _parse_flags(
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
        suggestion = _suggest(key, spec)
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


def _parse_mount(value: str) -> tuple[_Mount | None, str | None]:
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
        if "$" not in value and found["type"] not in _MOUNT_TYPES:
            return f'unsupported mount type "{value}"'
    elif key == "from":
        dollar = value.find("$")
        if dollar not in (-1, len(value) - 1):
            return "'from' doesn't support variable expansion, define alias stage instead"
        found["from"] = value
    elif key not in _MOUNT_KEYS:
        return f"unexpected key '{key}' in '{item}'"
    return None


# --------------------------------------------------------------------------------------------
# The analysis
# --------------------------------------------------------------------------------------------


@dataclass(slots=True, eq=False)
class _StageInfo:
    index: int
    line: int
    keyword: str
    name: str | None
    raw_name: str | None
    raw_base: str | None
    raw_platform: str | None
    base: str | None = None
    base_stage: int | None = None
    platform: str | None = None
    uses: dict[int, str] = field(default_factory=dict)
    external_images: list[str] = field(default_factory=list)
    commands: list[tuple[_Command, str, dict[str, list[str]]]] = field(default_factory=list)
    onbuild: list[_Command] = field(default_factory=list)


class _ImageUse(NamedTuple):
    """An external image reference, where it is, for problems and for rewrite_images."""

    kind: str  # "from", "copy" or "mount"
    line: int
    ref: str
    stage: int
    flag_index: int  # which flag word of the instruction holds it (-1 for FROM's argument)
    onbuild: bool
    suspect: bool = False  # probably a misspelt stage name, already reported


@dataclass(slots=True)
class _Run:
    """Everything one analysis accumulates."""

    path: str
    escape: str = "\\"
    skipped: frozenset[str] | None = frozenset()
    errors: list[tuple[int, int, str]] = field(default_factory=list)
    problems: list[tuple[int | None, str, Severity, str]] = field(default_factory=list)
    stages: list[_StageInfo] = field(default_factory=list)
    image_uses: list[_ImageUse] = field(default_factory=list)
    buildkit_lines: set[int] = field(default_factory=set)
    classic: bool = False  # the grading builder is the classic one: BuildKit-only is an error
    references: dict[str, imageref.ImageRef | str] = field(default_factory=dict)

    def reference(self, ref: str) -> imageref.ImageRef | str:
        """Parse an image reference once per analysis: the ImageRef, or why it is invalid."""
        parsed = self.references.get(ref)
        if parsed is None:
            try:
                parsed = imageref.parse(ref)
            except ValueError as error:
                parsed = str(error).split(": ", 1)[-1]
            self.references[ref] = parsed
        return parsed

    def error(self, phase: int, line: int | None, message: str) -> None:
        prefix = f"line {line}: " if line else ""
        self.errors.append((phase, line or 0, prefix + message))

    def problem(self, line: int | None, rule: str, severity: Severity, message: str) -> None:
        skipped = self.skipped is None or rule in self.skipped
        if rule in _SKIPPABLE and severity != "error" and skipped:
            return
        self.problems.append((line, rule, severity, message))

    def requires_buildkit(self, line: int, what: str, classic: str) -> None:
        """One problem per line: works with BuildKit, refused by the classic builder grading it."""
        if not self.classic or line in self.buildkit_lines:
            return
        self.buildkit_lines.add(line)
        self.problem(
            line,
            "requires-buildkit",
            "error",
            f"{what} needs BuildKit: `docker build` on a current Docker runs it, but the classic "
            f"builder of the grading engine {classic}. Rewrite it without this feature so both "
            "builders accept the file.",
        )


def _parse_commands(text: str, run: _Run) -> list[_Command]:
    """Docker's parser on text; on a parse error, the commands before it and the error located."""
    try:
        return _go_parse(text)
    except _parser.GoParseError as error:
        message = str(error)
    if message == "file with no instructions":
        run.error(
            _PHASE_PARSER,
            None,
            "the Dockerfile has no instructions (only comments or blank lines); "
            "start it with FROM <image>",
        )
        return []
    hint = _PARSE_HINTS.get(message, "")
    lines = text.split("\n")
    if len(lines) > _MAX_LINES_TO_LOCATE:  # a parse per halving: not on absurdly long input
        run.error(_PHASE_PARSER, None, message + hint)
        return []
    line = _locate_parse_error(lines, message)
    run.error(_PHASE_PARSER, line, message + hint)
    prefix = "\n".join(lines[: max(line - 1, 0)])
    try:
        return _go_parse(prefix)
    except _parser.GoParseError:
        return []


def _go_parse(text: str) -> list[_Command]:
    """Parse with Docker's parser, returning plain tuples.

    Docker's flag scanner works byte by byte and can cut a multi-byte character in a `--flag`
    word in two; the binding then cannot decode what Go returns. Only then is the text parsed
    again with every non-ASCII character as DEL: the same lines and instructions, and a word that
    held such a character is as invalid as a reference or stage name as it was.
    """
    try:
        parsed = _parser.parse_string(text)
    except UnicodeDecodeError:
        parsed = _parser.parse_string(_RE_NON_ASCII.sub("\x7f", text))
    return [
        command if command.cmd is not None and command.original is not None else _repair(command)
        for command in parsed
    ]


def _repair(command: _Command) -> _Command:
    """Fill in what the binding leaves None for an empty instruction (a lone escape)."""
    return _Command(
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


def _locate_parse_error(lines: Sequence[str], message: str) -> int:
    """Find the first line whose prefix of the file already fails with the same message."""
    low, high = 1, len(lines)
    while low < high:
        middle = (low + high) // 2
        try:
            _go_parse("\n".join(lines[:middle]))
            failed = False
        except _parser.GoParseError as error:
            failed = str(error) == message
        if failed:
            high = middle
        else:
            low = middle + 1
    return low


def _check_instruction(command: _Command, keyword: str, run: _Run) -> dict[str, list[str]]:
    """Apply BuildKit's per-instruction parse checks (instructions/parse.go); return the flags."""
    line = command.start_line
    args = command.value
    spec = _FLAG_SPECS.get(keyword)
    flags: dict[str, list[str]] = {}
    if keyword == "HEALTHCHECK" and args and args[0].upper() == "NONE":
        spec = None  # HEALTHCHECK NONE never parses its flags
    if spec is not None and command.flags:
        flags, flag_error = _parse_flags(command.flags, spec)
        if flag_error:
            run.error(_PHASE_INSTRUCTION, line, f"{command.cmd}: {flag_error}")
        buildkit_only = sorted(set(flags) & _BUILDKIT_ONLY_FLAGS.get(keyword, frozenset()))
        if buildkit_only:
            names = ", ".join(f"--{name}" for name in buildkit_only)
            run.requires_buildkit(line, f"{keyword} {names}", "refuses it")
    if command.heredocs:
        run.requires_buildkit(
            line,
            "A heredoc (<<EOF)",
            "does not know heredocs and reads the heredoc's lines as instructions",
        )
    message = _argument_error(command, keyword, flags)
    if message:
        run.error(_PHASE_INSTRUCTION, line, message)
    return flags


def _argument_error(command: _Command, keyword: str, flags: Mapping[str, list[str]]) -> str | None:
    """Return BuildKit's error for the instruction's arguments, if it has one."""
    args = command.value
    if keyword in ("COPY", "ADD"):
        if len(args) < 2:
            return (
                f"{keyword} requires at least two arguments, but only one was provided. "
                f"Destination could not be determined (write {keyword} <source>... <destination>)"
            )
        if args[-1].startswith("<<") and command.heredocs:
            return f"{keyword} cannot accept a heredoc as a destination"
        return None
    if keyword in ("WORKDIR", "USER", "MAINTAINER", "STOPSIGNAL"):
        return f"{keyword} requires exactly one argument" if len(args) != 1 else None
    if keyword == "SHELL":
        if not args:
            return "SHELL requires at least one argument"
        if not command.json:
            return 'SHELL requires the arguments to be in JSON form, e.g. SHELL ["/bin/sh", "-c"]'
        return None
    if keyword == "RUN":
        for mount in flags.get("mount", ()):
            _, mount_error = _parse_mount(mount)
            if mount_error:
                return f"RUN --mount={mount}: {mount_error}"
        return None
    if keyword in ("ENV", "LABEL", "EXPOSE", "VOLUME", "ARG", "ONBUILD", "HEALTHCHECK"):
        if not args or (keyword == "ONBUILD" and not command.sub_cmd):
            return f"{keyword} requires at least one argument"
        return _LIST_CHECKS[keyword](command, flags)
    return None


def _check_names(command: _Command, _: Mapping[str, list[str]]) -> str | None:
    keyword = command.cmd.upper()
    return f"{keyword} names can not be blank" if any(not k for k in command.value[::2]) else None


def _check_arg(command: _Command, _: Mapping[str, list[str]]) -> str | None:
    blank = any(word.startswith("=") for word in command.value)
    return "ARG names can not be blank" if blank else None


def _check_volume(command: _Command, _: Mapping[str, list[str]]) -> str | None:
    empty = any(not word.strip(_GO_SPACE) for word in command.value)
    return "VOLUME specified can not be an empty string" if empty else None


def _check_nothing(_command: _Command, _flags: Mapping[str, list[str]]) -> str | None:
    return None


def _check_onbuild(command: _Command, _: Mapping[str, list[str]]) -> str | None:
    trigger = (command.sub_cmd or "").upper()
    if trigger == "ONBUILD":
        return "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed"
    if trigger in ("MAINTAINER", "FROM"):
        return f"{trigger} isn't allowed as an ONBUILD trigger"
    return None


def _check_healthcheck(command: _Command, flags: Mapping[str, list[str]]) -> str | None:
    kind = command.value[0].upper()
    if kind == "NONE":
        return "HEALTHCHECK NONE takes no arguments" if len(command.value) > 1 else None
    if kind != "CMD":
        return f'Unknown type "{kind}" in HEALTHCHECK (try CMD)'
    if len(command.value) < 2 or not any(command.value[1:]):
        return "Missing command after HEALTHCHECK CMD"
    for name in ("interval", "timeout", "start-period", "start-interval"):
        for value in flags.get(name, ()):
            if value and not _RE_DURATION.fullmatch(value):
                return f'HEALTHCHECK --{name}={value}: invalid duration (write e.g. "30s" or "1m")'
    for value in flags.get("retries", ()):
        if value and not _RE_INT.fullmatch(value):
            return f"HEALTHCHECK --retries={value}: not a number"
        if value.startswith("-") and value.strip("-0"):
            return f"--retries cannot be negative ({value})"
    return None


_LIST_CHECKS: Final[Mapping[str, Callable[[_Command, Mapping[str, list[str]]], str | None]]] = (
    MappingProxyType(
        {
            "ENV": _check_names,
            "LABEL": _check_names,
            "ARG": _check_arg,
            "VOLUME": _check_volume,
            "ONBUILD": _check_onbuild,
            "HEALTHCHECK": _check_healthcheck,
            "EXPOSE": _check_nothing,
        }
    )
)


def _walk(commands: Sequence[_Command], lines: Sequence[str], run: _Run) -> list[_Command]:
    """Instruction checks in file order; builds the stages. Returns the meta ARG instructions."""
    meta_args: list[_Command] = []
    for command in commands:
        keyword = command.cmd.upper()
        if command.end_line > command.start_line:
            _, empty = _instruction_lines(lines, command.start_line - 1, run.escape)
            if empty:
                run.problem(
                    empty[0] + 1,
                    "NoEmptyContinuation",
                    "warning",
                    f"Empty continuation line: line {empty[0] + 1} is blank inside the "
                    f"{command.cmd} that starts on line {command.start_line}. Delete the blank "
                    "line (future Docker versions will refuse it).",
                )
        if keyword not in _INSTRUCTIONS:
            suggestion = _suggest(command.cmd, _SORTED_INSTRUCTIONS, case_sensitive=False)
            hint = f" (did you mean {suggestion}?)" if suggestion else ""
            run.error(
                _PHASE_INSTRUCTION, command.start_line, f"unknown instruction: {command.cmd}{hint}"
            )
            continue
        if keyword == "MAINTAINER":
            run.problem(
                command.start_line,
                "MaintainerDeprecated",
                "info",
                "Maintainer instruction is deprecated in favor of using label: write "
                'LABEL org.opencontainers.image.authors="..." instead.',
            )
        if keyword == "FROM":
            _start_stage(command, run)
            continue
        flags = _check_instruction(command, keyword, run)
        if not run.stages:
            if keyword == "ARG":
                meta_args.append(command)
            else:
                run.error(
                    _PHASE_INSTRUCTION,
                    command.start_line,
                    f"{command.cmd} comes before the first FROM: only ARG, comments and parser "
                    "directives may come before FROM (Docker: no build stage in current context)",
                )
            continue
        run.stages[-1].commands.append((command, keyword, flags))
        if keyword == "ONBUILD":
            run.stages[-1].onbuild.append(command)
    return meta_args


def _start_stage(command: _Command, run: _Run) -> None:
    args = command.value
    line = command.start_line
    flags, flag_error = _parse_flags(command.flags, _FLAG_SPECS["FROM"])
    name: str | None = None
    raw_name: str | None = None
    if len(args) == 3 and args[1].lower() == "as":
        raw_name = args[2]
        name = raw_name.lower()
        if not _RE_STAGE_NAME.fullmatch(name):
            run.error(
                _PHASE_INSTRUCTION,
                line,
                f'invalid name for build stage: "{raw_name}", name can\'t start with a number '
                "or contain symbols (use lowercase letters, digits, '-', '_' and '.')",
            )
        if raw_name != name:
            run.problem(
                line,
                "StageNameCasing",
                "info",
                f"Stage name '{raw_name}' should be lowercase: Docker turns it into '{name}', so "
                f"write AS {name}.",
            )
        from_lower = command.cmd == command.cmd.lower()
        from_upper = command.cmd == command.cmd.upper()
        if (from_lower and args[1] != args[1].lower()) or (
            from_upper and not from_lower and args[1] != args[1].upper()
        ):
            run.problem(
                line,
                "FromAsCasing",
                "info",
                f"'{args[1]}' and '{command.cmd}' keywords' casing do not match: write "
                f"{command.cmd} ... {'as' if from_lower else 'AS'} {name}.",
            )
    elif len(args) != 1:
        run.error(
            _PHASE_INSTRUCTION,
            line,
            "FROM requires either one or three arguments: write FROM <image> or "
            "FROM <image> AS <name>",
        )
    if flag_error:
        run.error(_PHASE_INSTRUCTION, line, f"FROM: {flag_error}")
    platforms = flags.get("platform")
    run.stages.append(
        _StageInfo(
            index=len(run.stages),
            line=line,
            keyword=command.cmd,
            name=name,
            raw_name=raw_name,
            raw_base=args[0] if args else None,
            raw_platform=platforms[-1] if platforms else None,
        )
    )


class _MetaArgs(NamedTuple):
    env: dict[str, str]
    declared: frozenset[str]
    automatic: frozenset[str]  # keys whose value is BuildKit's automatic one


def _meta_args(
    meta: Sequence[_Command],
    build_args: Mapping[str, str],
    target_name: str,
    escape: str,
    run: _Run | None,
) -> _MetaArgs:
    """Build the scope FROM sees: BuildKit's automatic ARGs, then the ARGs before FROM."""
    env = dict(_PLATFORM_DEFAULTS)
    for key in env:
        if key in build_args:
            env[key] = build_args[key]
    env["TARGETSTAGE"] = build_args.get("TARGETSTAGE", target_name)
    automatic = set(env)
    declared: set[str] = set()
    for command in meta:
        for word in command.value:
            key, has_default, default = word.partition("=")
            if not key:
                continue
            value: str | None = None
            if key in build_args:
                value = build_args[key]
            elif has_default:
                try:
                    expansion = _expand(default, env, escape)
                except _ExpandError as error:
                    if run is not None:
                        run.error(_PHASE_META_ARGS, command.start_line, f"ARG {word}: {error}")
                    continue
                value = expansion.result
                if run is not None and expansion.buildkit_only:
                    run.requires_buildkit(
                        command.start_line,
                        f"The substitution in ARG {word}",
                        "supports only ${VAR}, ${VAR:-default}, ${VAR:+alt}, ${VAR?msg} and "
                        "${VAR:?msg}",
                    )
            if value is not None:
                env[key] = value
                automatic.discard(key)
            declared.add(key)
    return _MetaArgs(env, frozenset(declared), frozenset(automatic))


def _platform_ok(platform: str) -> bool:
    parts = platform.split("/")
    return len(parts) <= 3 and all(_RE_PLATFORM_PART.fullmatch(part) for part in parts)


def _resolve_bases(run: _Run, meta: _MetaArgs, defaults_env: Mapping[str, str] | None) -> None:
    """Expand each FROM and link it to an earlier stage, as buildDispatchStates does."""
    by_name: dict[str, int] = {}
    known = meta.declared | set(meta.env)
    for stage in run.stages:
        raw = stage.raw_base
        if raw is not None:
            _expand_base(run, stage, raw, meta, known)
            if defaults_env is not None and "$" in raw:
                _check_default_base(run, stage, raw, defaults_env)
        if stage.raw_platform is not None:
            _resolve_platform(run, stage, meta, known)
        if stage.base is not None:
            _link_base(run, stage, stage.base, by_name)
        if stage.name is not None:
            by_name[stage.name] = stage.index


def _expand_base(
    run: _Run, stage: _StageInfo, raw: str, meta: _MetaArgs, known: frozenset[str]
) -> None:
    try:
        expansion = _expand(raw, meta.env, run.escape)
    except _ExpandError as error:
        run.error(_PHASE_FROM, stage.line, f"FROM {raw}: {error}")
        return
    _report_from_expansion(run, stage, raw=raw, expansion=expansion, meta=meta, known=known)
    if expansion.result:
        stage.base = expansion.result
        return
    unset = ", ".join(sorted(expansion.unmatched)) or "the variable"
    run.error(
        _PHASE_FROM,
        stage.line,
        f"base name ({raw}) should not be blank: {unset} expands to nothing here; give the ARG "
        "a default before the first FROM (ARG NAME=image:tag) or pass --build-arg",
    )


def _link_base(run: _Run, stage: _StageInfo, base: str, by_name: Mapping[str, int]) -> None:
    """Make a FROM that names an earlier stage build on it (stage names are lowercase)."""
    if base in by_name:
        stage.base_stage = by_name[base]
    elif base.lower() in by_name:
        stage.base_stage = by_name[base.lower()]
        wanted = run.stages[stage.base_stage].name
        run.problem(
            stage.line,
            "from-stage-name-case",
            "error",
            f"FROM {base} names stage '{wanted}' only for the classic builder, which ignores "
            f"case; BuildKit reads {base} as an image name and fails (image names must be "
            f"lowercase). Write FROM {wanted}.",
        )
    if stage.base_stage is not None:
        stage.uses.setdefault(stage.base_stage, "FROM")


def _report_from_expansion(
    run: _Run,
    stage: _StageInfo,
    *,
    raw: str,
    expansion: _Expansion,
    meta: _MetaArgs,
    known: Iterable[str],
) -> None:
    known_set = set(known)
    in_stages: set[str] = set()
    for earlier in run.stages[: stage.index]:
        in_stages |= _defined_names(earlier)
    for name in sorted(expansion.unmatched - known_set):
        suggestion = _suggest(name, sorted(known_set))
        hint = f" (did you mean {suggestion}?)" if suggestion else ""
        scope = (
            f" (the ARG {name} inside an earlier stage is not visible to a later FROM)"
            if name in in_stages
            else ""
        )
        run.problem(
            stage.line,
            "UndefinedArgInFrom",
            "warning",
            f"FROM argument '{name}' is not declared{hint}: declare it with ARG {name}=<default> "
            f"before the first FROM{scope}.",
        )
    automatic = sorted(expansion.matched & meta.automatic)
    if automatic:
        names = ", ".join(f"${name}" for name in automatic)
        run.requires_buildkit(
            stage.line,
            f"FROM {raw} uses {names}, which",
            "leaves empty, so the FROM fails there; declare it with a default "
            f"(ARG {automatic[0]}=...) before the first FROM or avoid it",
        )
    if expansion.buildkit_only:
        run.requires_buildkit(
            stage.line,
            f"The substitution in FROM {raw}",
            "supports only ${VAR}, ${VAR:-default}, ${VAR:+alt}, ${VAR?msg} and ${VAR:?msg}",
        )


def _check_default_base(
    run: _Run, stage: _StageInfo, raw: str, defaults_env: Mapping[str, str]
) -> None:
    try:
        result = _expand(raw, defaults_env, run.escape).result
    except _ExpandError:
        return
    if result != _SCRATCH and isinstance(run.reference(result), str):
        run.problem(
            stage.line,
            "InvalidDefaultArgInFrom",
            "warning",
            f"Default value for ARG {raw} results in empty or invalid base image name: give the "
            "ARG a default that names an image, so the file builds without --build-arg.",
        )


def _resolve_platform(run: _Run, stage: _StageInfo, meta: _MetaArgs, known: Iterable[str]) -> None:
    raw = stage.raw_platform or ""
    line = stage.line
    try:
        expansion = _expand(raw, meta.env, run.escape)
    except _ExpandError as error:
        run.error(_PHASE_FROM, line, f"failed to process arguments for platform {raw}: {error}")
        return
    for name in sorted(expansion.unmatched - set(known)):
        run.problem(
            line,
            "UndefinedArgInFrom",
            "warning",
            f"FROM argument '{name}' is not declared: declare it with ARG {name}=<default> before "
            "the first FROM.",
        )
    automatic = sorted(expansion.matched & meta.automatic)
    if automatic:
        names = ", ".join(f"${name}" for name in automatic)
        run.requires_buildkit(
            line,
            f"FROM --platform={raw} uses {names}, which",
            "leaves empty (its FROM fails with 'failed to parse platform')",
        )
    result = expansion.result
    if not result:
        run.error(_PHASE_FROM, line, f"empty platform value from expression {raw}")
        return
    if not _platform_ok(result):
        run.error(_PHASE_FROM, line, f"failed to parse platform {raw}: {result!r} is not os/arch")
        return
    stage.platform = result
    if (
        expansion.matched == {"TARGETPLATFORM"}
        and not expansion.unmatched
        and result == meta.env.get("TARGETPLATFORM")
    ):
        run.problem(
            line,
            "RedundantTargetPlatform",
            "info",
            f"Setting platform to predefined {raw} in FROM is redundant as this is the default "
            "behavior: drop the --platform flag.",
        )
    if not expansion.matched and not expansion.unmatched:
        parts = result.split("/")
        name = stage.name or ""
        if not (parts[0] in name or (len(parts) > 1 and parts[1] in name)):
            run.problem(
                line,
                "FromPlatformFlagConstDisallowed",
                "warning",
                f'FROM --platform flag should not use constant value "{result}": use '
                "$BUILDPLATFORM or $TARGETPLATFORM, or drop the flag.",
            )


def _stage_label(stage: _StageInfo) -> str:
    return (
        f"'{stage.name}' (line {stage.line})"
        if stage.name
        else f"{stage.index} (line {stage.line})"
    )


def _names_above(run: _Run, index: int) -> str:
    names = [stage.name for stage in run.stages[:index] if stage.name]
    if names:
        return "stages above: " + ", ".join(names)
    if index:
        return "stages above have no names; use --from=0 ... or name them with AS"
    return "no stage comes before this one"


def _resolve_source(
    run: _Run,
    stage: _StageInfo,
    value: str,
    *,
    line: int,
    what: str,
    kind: str,
    flag_index: int,
    onbuild: bool,
    allow_index: bool,
) -> None:
    """Link a COPY --from / RUN --mount from= value to a stage or an image (toCommand)."""
    current = stage.index
    if allow_index and _RE_INT.fullmatch(value) and abs(int(value)) < 2**63:
        index = int(value)
        if index < 0 or index >= len(run.stages):
            run.error(
                _PHASE_DEPENDENCY,
                line,
                f"{what}: invalid stage index {index}: there are {len(run.stages)} stages, "
                f"numbered 0 to {len(run.stages) - 1}",
            )
        elif index == current:
            run.error(
                _PHASE_CIRCULAR,
                line,
                f"{what} refers to the stage it is in ({_stage_label(stage)}): a stage can only "
                "copy from a stage above it (Docker: circular dependency detected)",
            )
        elif index > current:
            run.error(
                _PHASE_DISPATCH,
                line,
                f"{what} refers to stage {index}, which comes after this one: a stage can only "
                "copy from a stage above it; move stage "
                f"{_stage_label(run.stages[index])} above line {stage.line}",
            )
        else:
            stage.uses.setdefault(index, what)
        return
    lowered = value.lower()
    earlier = [s.index for s in run.stages[:current] if s.name == lowered]
    if earlier:
        stage.uses.setdefault(earlier[-1], what)
        return
    later = [s for s in run.stages[current:] if s.name == lowered]
    stage.external_images.append(value)
    if later:
        target = later[0]
        if target.index == current:
            message = (
                f"{what} names the stage this instruction is in, and a stage cannot copy from "
                f"itself: the grading engine (classic builder) pulls an image called '{value}' "
                "instead and BuildKit refuses the file (circular dependency). Copy from the stage "
                "or image that has the files."
            )
        else:
            message = (
                f"{what} names stage {_stage_label(target)}, which comes after this one: a stage "
                "can only use stages above it. The grading engine (classic builder) pulls an "
                f"image called '{value}' instead and BuildKit refuses it (\"needs to be defined "
                f"before current stage\"). Move the '{lowered}' stage above line {stage.line}."
            )
        run.problem(line, "copy-from-unknown-stage", "error", message)
        return
    suspect = _report_unknown_source(run, stage, value, line=line, what=what)
    run.image_uses.append(_ImageUse(kind, line, value, current, flag_index, onbuild, suspect))


def _report_unknown_source(
    run: _Run, stage: _StageInfo, value: str, *, line: int, what: str
) -> bool:
    """Say so when a --from that names no stage looks like a stage name; True if it does."""
    if value == _SCRATCH:
        run.problem(
            line,
            "copy-from-unknown-stage",
            "error",
            f"{what}: scratch is the empty image, there is nothing to copy from it. Name the "
            "stage or image that holds the files.",
        )
        return True
    if _RE_INT.fullmatch(value):  # only RUN --mount gets here: COPY takes indexes
        run.problem(
            line,
            "copy-from-unknown-stage",
            "error",
            f"{what}: a mount's from= takes a stage name, not an index, so Docker looks for an "
            f"image called '{value}'. Name the stage (FROM <image> AS <name>) and write "
            "from=<name>.",
        )
        return True
    names = sorted({s.name for s in run.stages if s.name})
    suggestion = _suggest(value.lower(), names)
    if suggestion:
        run.problem(
            line,
            "copy-from-unknown-stage",
            "error",
            f"{what}: there is no stage named '{value}' above this line "
            f"({_names_above(run, stage.index)}), so Docker will try to pull an image called "
            f"'{value}' instead. Did you mean --from={suggestion}?",
        )
        return True
    looks_like_image = any(char in value for char in ":/@.") or value in _COMMON_IMAGES
    if not looks_like_image:
        run.problem(
            line,
            "copy-from-unknown-stage",
            "warning",
            f"{what}: '{value}' is not the name of a stage above this line "
            f"({_names_above(run, stage.index)}), so Docker uses the image '{value}' "
            f"(docker.io/library/{value}:latest). If you meant a stage, name it with "
            f"FROM <image> AS {value.lower()} above this line.",
        )
        return True
    return False


def _copy_from_value(command: _Command, keyword: str, flags: Mapping[str, list[str]]) -> str | None:
    if keyword != "COPY":
        return None
    values = flags.get("from")
    return values[-1] if values else None


def _dependencies(run: _Run) -> None:
    """COPY --from, RUN --mount from= and inherited ONBUILD triggers, for every stage."""
    for stage in run.stages:
        if stage.base_stage is not None:
            for trigger in run.stages[stage.base_stage].onbuild:
                _trigger_dependencies(run, stage, trigger)
        for command, keyword, flags in stage.commands:
            if flags and keyword in ("COPY", "RUN"):
                _command_dependencies(run, stage, command, keyword, flags, onbuild=False)


def _command_dependencies(
    run: _Run,
    stage: _StageInfo,
    command: _Command,
    keyword: str,
    flags: Mapping[str, list[str]],
    *,
    onbuild: bool,
) -> None:
    line = command.start_line
    value = _copy_from_value(command, keyword, flags)
    if value:
        what = f"COPY --from={value}"
        try:
            expanded = _expand(value, {}, run.escape).result
        except _ExpandError as error:
            run.error(_PHASE_DEPENDENCY, line, f"{what}: {error}")
            return
        if expanded != value:
            run.error(
                _PHASE_DEPENDENCY,
                line,
                f"{what}: variable expansion is not supported for --from; define a stage "
                "FROM ${VAR} AS <name> (with the ARG declared before the first FROM) and use "
                "--from=<name>",
            )
            return
        flag_index = _flag_position(command, "from")
        _resolve_source(
            run, stage, value, line=line, what=what, kind="copy",
            flag_index=flag_index, onbuild=onbuild, allow_index=True,
        )  # fmt: skip
    if keyword == "RUN":
        for position, mount in enumerate(flags.get("mount", ())):
            parsed, _ = _parse_mount(mount)
            if parsed is None or not parsed.source_from:
                continue
            _resolve_source(
                run, stage, parsed.source_from, line=line,
                what=f"RUN --mount=...from={parsed.source_from}", kind="mount",
                flag_index=_flag_position(command, "mount", position), onbuild=onbuild,
                allow_index=False,
            )  # fmt: skip


def _flag_position(command: _Command, name: str, occurrence: int = 0) -> int:
    seen = 0
    for index, flag in enumerate(command.flags):
        if flag.partition("=")[0] == f"--{name}":
            if seen == occurrence:
                return index
            seen += 1
    return -1


def _trigger_dependencies(run: _Run, stage: _StageInfo, trigger: _Command) -> None:
    sub = _onbuild_sub_command(trigger, run.escape)
    if sub is None:
        return
    keyword, flag_words = sub
    if keyword not in ("COPY", "RUN"):
        return
    flags, error = _parse_flags([word.value for word in flag_words], _FLAG_SPECS[keyword])
    if error:
        return
    fake = trigger._replace(flags=tuple(word.value for word in flag_words))
    _command_dependencies(run, stage, fake, keyword, flags, onbuild=True)


def _onbuild_sub_command(trigger: _Command, escape: str) -> tuple[str, list[_FlagWord]] | None:
    """Split an ONBUILD trigger into keyword and flags (the parser binding drops them)."""
    match = _RE_ONBUILD_PREFIX.match(trigger.original)
    if match is None:
        return None
    rest = trigger.original[match.end() :]
    keyword, args_start = _split_command(rest)
    flag_words, _ = _extract_flags(rest, args_start, escape)
    return keyword.upper(), flag_words


def _check_image_refs(run: _Run) -> None:
    """Every base image and --from image must be a valid reference (resolveBaseImage)."""
    for stage in run.stages:
        if stage.base is None or stage.base_stage is not None or stage.base == _SCRATCH:
            continue
        run.image_uses.append(_ImageUse("from", stage.line, stage.base, stage.index, -1, False))
    for use in run.image_uses:
        reason = run.reference(use.ref)
        if isinstance(reason, str):
            shown = _SHOWN_AS[use.kind] + use.ref
            lowered = use.ref.lower()
            hint = f" (write {lowered})" if not isinstance(run.reference(lowered), str) else ""
            run.error(
                _PHASE_IMAGE_REF,
                use.line,
                f"{shown}: not a valid image name: {reason}{hint}",
            )


def _chain(run: _Run, index: int) -> list[_StageInfo]:
    """Return the stage and the stages it is built FROM, root first."""
    chain: list[_StageInfo] = []
    seen: set[int] = set()
    current: int | None = index
    while current is not None and current not in seen:
        seen.add(current)
        stage = run.stages[current]
        chain.append(stage)
        current = stage.base_stage
    chain.reverse()
    return chain


def _external_base(run: _Run, index: int) -> str | None:
    root = _chain(run, index)[0]
    return root.base if root.base_stage is None else None


@dataclass(slots=True)
class _StageScope:
    """What a stage has inherited so far from the stages it is built FROM, and from itself."""

    on_scratch: bool
    has_shell: bool
    copied_shell: bool
    workdir_set: bool
    env_known: set[str] | None  # every defined variable, where that is knowable (scratch)
    seen_once: dict[str, int] = field(default_factory=dict)


def _stage_lints(run: _Run, final: int | None) -> None:
    """Run the build checks that depend on a stage and on what it inherits (convert.go)."""
    effective: set[int] = set()
    if final is not None:
        for wanted in ("CMD", "ENTRYPOINT"):
            lines = [
                command.start_line
                for stage in _chain(run, final)
                for command, keyword, _ in stage.commands
                if keyword == wanted
            ]
            effective.update(lines[-1:])
    for stage in run.stages:
        chain = _chain(run, stage.index)
        inherited = [item for ancestor in chain[:-1] for item in ancestor.commands]
        on_scratch = chain[0].base_stage is None and chain[0].base == _SCRATCH
        scope = _StageScope(
            on_scratch=on_scratch,
            has_shell=any(keyword == "SHELL" for _, keyword, _ in inherited),
            copied_shell=any(
                _may_copy_shell(command, keyword) for command, keyword, _ in inherited
            ),
            workdir_set=any(keyword == "WORKDIR" for _, keyword, _ in inherited),
            env_known={"PATH"} if on_scratch else None,
        )
        if scope.env_known is not None:
            for ancestor in chain[:-1]:
                scope.env_known.update(_defined_names(ancestor))
        for command, keyword, _ in stage.commands:
            _lint_command(run, scope, command, keyword, effective)


def _lint_command(
    run: _Run, scope: _StageScope, command: _Command, keyword: str, effective: set[int]
) -> None:
    line = command.start_line
    if keyword == "SHELL":
        scope.has_shell = True
    elif _may_copy_shell(command, keyword):
        scope.copied_shell = True
    elif keyword in ("CMD", "ENTRYPOINT", "HEALTHCHECK"):
        previous = scope.seen_once.get(keyword)
        if previous is not None:
            run.problem(
                previous,
                "MultipleInstructionsDisallowed",
                "warning",
                f"Multiple {keyword} instructions should not be used in the same stage because "
                f"only the last one will be used: this one is replaced by the {keyword} on line "
                f"{line}; keep one.",
            )
        scope.seen_once[keyword] = line
    if keyword in ("RUN", "CMD", "ENTRYPOINT"):
        _shell_form_checks(run, scope, command, keyword, in_final=line in effective)
    elif keyword == "WORKDIR":
        path = command.value[0] if command.value else ""
        if not scope.workdir_set and path and not path.startswith(("/", "$", "\\")):
            run.problem(
                line,
                "WorkdirRelativePath",
                "warning",
                f'Relative workdir "{path}" can have unexpected results if the base image '
                f"changes: write an absolute path, e.g. WORKDIR /{path.lstrip('./')}.",
            )
        scope.workdir_set = True
    elif keyword in ("ENV", "LABEL"):
        _legacy_format_check(run, command, keyword)
    elif keyword == "EXPOSE":
        _expose_checks(run, command)
    if keyword in ("ARG", "ENV"):
        _secret_check(run, command, keyword)
    if scope.env_known is not None:
        _undefined_vars(run, command, keyword, scope.env_known)


def _may_copy_shell(command: _Command, keyword: str) -> bool:
    """Tell whether a COPY/ADD could put a shell into an image (busybox, /bin, .../sh)."""
    return keyword in ("COPY", "ADD") and any(_RE_SHELL_PATH.search(arg) for arg in command.value)


def _defined_names(stage: _StageInfo) -> set[str]:
    names: set[str] = set()
    for command, keyword, _ in stage.commands:
        if keyword == "ARG":
            names.update(word.partition("=")[0] for word in command.value)
        elif keyword == "ENV":
            names.update(command.value[::2])
    return names


def _shell_form_checks(
    run: _Run, scope: _StageScope, command: _Command, keyword: str, *, in_final: bool
) -> None:
    if command.json or not any(command.value):
        return
    line = command.start_line
    words = command.value[0].split()
    if scope.on_scratch and not scope.has_shell and (keyword == "RUN" or in_final):
        example = " ".join(words[:3])
        json_form = ", ".join(f'"{part}"' for part in words[:3])
        when = "the build" if keyword == "RUN" else "the container"
        caveat = " unless you copied a shell to /bin/sh" if scope.copied_shell else ""
        run.problem(
            line,
            "shell-form-on-scratch",
            "warning" if scope.copied_shell else "error",
            f"{keyword} {example} is in shell form, which runs /bin/sh -c '...', but this stage "
            f"is built on scratch, which has no /bin/sh: {when} will fail{caveat}. Use the exec "
            f"(JSON) form with a program you copied in, e.g. {keyword} [{json_form}].",
        )
        return
    if keyword in ("CMD", "ENTRYPOINT") and not scope.has_shell:
        example = ", ".join(f'"{part}"' for part in words[:4])
        run.problem(
            line,
            "JSONArgsRecommended",
            "warning",
            f"JSON arguments recommended for {keyword} to prevent unintended behavior related to "
            f"OS signals: write {keyword} [{example}] so the program runs as PID 1 and gets "
            "SIGTERM on docker stop.",
        )


def _legacy_format_check(run: _Run, command: _Command, keyword: str) -> None:
    _, args_start = _split_command(command.original)
    flags_end = _extract_flags(command.original, args_start, run.escape)[1]
    first = _first_word(command.original[flags_end:], run.escape)
    if first and "=" not in first:
        run.problem(
            command.start_line,
            "LegacyKeyValueFormat",
            "info",
            f'"{keyword} key=value" should be used instead of legacy "{keyword} key value" format'
            f": write {keyword} {first}=...",
        )


def _expose_checks(run: _Run, command: _Command) -> None:
    for port in command.value:
        if "$" in port:
            continue
        if ":" in port:
            run.problem(
                command.start_line,
                "ExposeInvalidFormat",
                "warning",
                f"EXPOSE instruction should not define an IP address or host-port mapping, found "
                f"'{port}': EXPOSE only documents the container port; publish with docker run -p.",
            )
        _, slash, proto = port.partition("/")
        if slash and proto != proto.lower():
            run.problem(
                command.start_line,
                "ExposeProtoCasing",
                "info",
                f"Defined protocol '{port}' in EXPOSE instruction should be lowercase.",
            )


def _secret_check(run: _Run, command: _Command, keyword: str) -> None:
    keys = (
        [word.partition("=")[0] for word in command.value]
        if keyword == "ARG"
        else list(command.value[::2])
    )
    for key in keys:
        if _RE_SECRET.search(key) and not _RE_SECRET_ALLOW.search(key):
            run.problem(
                command.start_line,
                "SecretsUsedInArgOrEnv",
                "warning",
                f'Do not use ARG or ENV instructions for sensitive data ({keyword} "{key}"): the '
                "value stays in the image history; use RUN --mount=type=secret instead.",
            )


def _undefined_vars(run: _Run, command: _Command, keyword: str, known: set[str]) -> None:
    """UndefinedVar, only where every defined variable is known: stages built on scratch."""
    words: Sequence[str] = ()
    if keyword in ("ENV", "LABEL", "COPY", "ADD", "WORKDIR", "USER", "VOLUME", "STOPSIGNAL"):
        words = command.value[1::2] if keyword in ("ENV", "LABEL") else command.value
    elif keyword == "ARG":
        words = [word.partition("=")[2] for word in command.value]
    env = dict.fromkeys(known, "")
    missing: set[str] = set()
    for word in words:
        if "$" not in word:
            continue
        try:
            missing |= _expand(word, env, run.escape).unmatched
        except _ExpandError:
            continue
    for name in sorted(missing):
        suggestion = _suggest(name, sorted(known))
        hint = f" (did you mean ${suggestion}?)" if suggestion else ""
        run.problem(
            command.start_line,
            "UndefinedVar",
            "warning",
            f"Usage of undefined variable '${name}'{hint}: nothing defines it in this stage "
            f"(built on scratch); declare it with ARG {name} or ENV {name}=... first.",
        )
    if keyword == "ARG":
        known.update(word.partition("=")[0] for word in command.value)
    elif keyword == "ENV":
        known.update(command.value[::2])


def _stage_name_checks(run: _Run) -> None:
    seen: dict[str, int] = {}
    for stage in run.stages:
        name = stage.name
        if name is None:
            continue
        if name in _RESERVED_STAGE_NAMES:
            run.problem(
                stage.line,
                "ReservedStageName",
                "warning",
                f'Stage name should not use the same name as reserved stage "{name}": '
                f"FROM {name} and --from={name} would mean this stage; pick another name.",
            )
        if name in seen:
            run.problem(
                stage.line,
                "DuplicateStageName",
                "error",
                f'Duplicate stage name "{name}", stage names should be unique: stage '
                f"'{name}' is already defined on line {seen[name]}. The grading engine (classic "
                "builder) refuses the file and BuildKit silently uses the later one; rename one.",
            )
        else:
            seen[name] = stage.line


def _casing_check(run: _Run) -> None:
    """ConsistentInstructionCasing over every instruction of every stage (not the meta ARGs)."""
    words: list[tuple[str, int]] = []
    for stage in run.stages:
        words.append((stage.keyword, stage.line))
        words.extend((command.cmd, command.start_line) for command, _, _ in stage.commands)
    lower = sum(1 for word, _ in words if word == word.lower())
    upper = sum(1 for word, _ in words if word == word.upper() and word != word.lower())
    majority_lower = lower > upper
    for word, line in words:
        wanted = word.lower() if majority_lower else word.upper()
        if word != wanted:
            casing = "lowercase" if majority_lower else "uppercase"
            run.problem(
                line,
                "ConsistentInstructionCasing",
                "info",
                f"Command '{word}' should match the case of the command majority ({casing}): "
                f"write {wanted}.",
            )


def _closure(run: _Run, index: int) -> set[int]:
    seen: set[int] = set()
    todo = [index]
    while todo:
        current = todo.pop()
        for used in run.stages[current].uses:
            if used not in seen and used != index:
                seen.add(used)
                todo.append(used)
    return seen


def _does_build(run: _Run, index: int, used_by_copy: set[int]) -> bool:
    for stage in _chain(run, index):
        if stage.name and _RE_BUILDER_NAME.search(stage.name):
            return True
        if stage.index in used_by_copy:
            return True
        base = stage.base if stage.base_stage is None else None
        if base and _RE_TOOLCHAIN_IMAGE.search(base):
            return True
        for command, keyword, _ in stage.commands:
            if keyword == "RUN" and _RE_BUILD_COMMAND.search(" ".join(command.value)):
                return True
    return False


def _graph_problems(run: _Run, final: int | None, depends: set[int]) -> None:
    if final is None:
        return
    final_stage = run.stages[final]
    used_by_copy = {
        used
        for stage in run.stages
        for used, how in stage.uses.items()
        if how != "FROM" and stage.index != used
    }
    base_stage = final_stage.base_stage
    if base_stage is not None and _does_build(run, base_stage, used_by_copy):
        builder = run.stages[base_stage]
        ref = builder.name or str(builder.index)
        run.problem(
            final_stage.line,
            "final-stage-inherits-builder",
            "warning",
            f"The final stage is built FROM {ref} (line {builder.line}), so the final image "
            f"keeps everything that stage installed and built: the toolchain and the sources. "
            f"Start the final stage from a small runtime image (scratch, alpine, a -slim or "
            f"distroless image) and COPY --from={ref} only what the program needs.",
        )
    for stage in run.stages[:final]:
        if stage.index in depends:
            continue
        who = f"'{stage.name}'" if stage.name else f"{stage.index}"
        if not final_stage.uses:
            why = (
                "only the final stage becomes the image and it uses no other stage, so this "
                "FROM starts work that is thrown away"
            )
        else:
            final_name = f"'{final_stage.name}'" if final_stage.name else f"{final}"
            why = f"nothing the final stage {final_name} builds FROM or copies from uses it"
        fix = f"build it on its own with --target {stage.name}" if stage.name else "name it"
        run.problem(
            stage.line,
            "unused-stage",
            "warning",
            f"Stage {who} is not used by the final image: {why}. BuildKit skips it but the "
            f"classic builder still builds it. Remove it, COPY --from it what you need, or "
            f"{fix}.",
        )
    for use in run.image_uses:
        if not use.suspect:
            _tag_problem(run, use, final, depends)


def _tag_problem(run: _Run, use: _ImageUse, final: int, depends: set[int]) -> None:
    parsed = run.reference(use.ref)
    if isinstance(parsed, str):
        return
    in_final = use.stage == final or use.stage in depends
    severity: Severity = "warning" if in_final else "info"
    word = _SHOWN_AS[use.kind]
    shown = word + use.ref
    if parsed.untagged:
        run.problem(
            use.line,
            "untagged-base",
            severity,
            f"{shown} has no tag, so Docker uses {parsed.familiar}:latest, which changes over "
            f"time: pin a version, e.g. {word}{parsed.familiar}:<version>.",
        )
    elif parsed.tag == "latest" and parsed.digest is None:
        run.problem(
            use.line,
            "latest-tag",
            severity,
            f"{shown} uses the latest tag, which changes over time: pin a version, e.g. "
            f"{word}{parsed.familiar_name}:<version>.",
        )


def _shadow_problems(run: _Run) -> None:
    for stage in run.stages:
        if stage.base_stage is None or stage.base is None:
            continue
        shadowed = run.stages[stage.base_stage]
        if shadowed.name in _COMMON_IMAGES and stage.base == shadowed.name:
            run.problem(
                stage.line,
                "stage-shadows-image",
                "info",
                f"FROM {stage.base} uses the stage '{shadowed.name}' (line {shadowed.line}), not "
                f"the image {stage.base}: a stage name hides the image of the same name. Rename "
                f"the stage if you meant the image.",
            )


def _empty(path: str, error: str, target: str | None) -> Analysis:
    return Analysis(
        dockerfile=path,
        stage_count=0,
        stages=[],
        final_stage=None,
        final_base=None,
        multi_stage=False,
        depends_on=[],
        problems=[],
        error=error,
        target=target,
    )


def _run_analysis(
    text: str,
    path: str,
    target: str | None,
    build_args: Mapping[str, str],
    *,
    builder: str = "buildkit",
    images: ImagePolicy | None = None,
) -> tuple[Analysis, _Run]:
    """Run the whole analysis; raises only on a bug (analyze() is the no-raise boundary)."""
    images = images or ImagePolicy()
    target = target or None  # an empty --target means the default, as in Docker
    run = _Run(path, classic=builder == "classic")
    if not text:
        run.error(_PHASE_PARSER, None, "the Dockerfile is empty; start it with FROM <image>")
        return _empty(path, "the Dockerfile is empty; start it with FROM <image>", target), run
    safe = _for_parser(text)
    lines = safe.split("\n")
    directives = _directives(lines)
    run.escape = directives.escape
    check = _check_directive(lines) if lines[0].startswith("#!") else directives.check
    run.skipped = _skipped_rules(check)
    commands = _parse_commands(safe, run)
    meta_commands = _walk(commands, lines, run)
    if not run.stages:
        run.error(
            _PHASE_NO_STAGES,
            None,
            "no FROM instruction: the Dockerfile contains no stages to build; add FROM <image>",
        )
    target_name = target or (run.stages[-1].name if run.stages else None) or "default"
    meta = _meta_args(meta_commands, build_args, target_name, run.escape, run)
    defaults_env = (
        _meta_args(meta_commands, {}, target_name, run.escape, None).env if build_args else meta.env
    )
    _resolve_bases(run, meta, defaults_env)
    _stage_name_checks(run)
    _casing_check(run)
    final: int | None = len(run.stages) - 1 if run.stages else None
    if target is not None and run.stages:
        wanted = target.lower()
        matches = [stage.index for stage in run.stages if stage.name == wanted]
        if matches:
            final = matches[-1]
        else:
            names = [stage.name for stage in run.stages if stage.name]
            suggestion = _suggest(target, names)
            hint = f" (did you mean {suggestion}?)" if suggestion else ""
            listed = (
                ", ".join(names) if names else "none of the stages has a name (FROM ... AS name)"
            )
            run.error(
                _PHASE_TARGET,
                None,
                f'target stage "{target}" could not be found{hint}; stage names: {listed}',
            )
            final = None
    _dependencies(run)
    _check_image_refs(run)
    _image_policy(run, images, directives)
    _stage_lints(run, final)
    _shadow_problems(run)
    depends = _closure(run, final) if final is not None else set()
    _graph_problems(run, final, depends)
    return _assemble(run, final, depends, target), run


def _image_policy(run: _Run, policy: ImagePolicy, directives: _Directives) -> None:
    """Every image the file names, judged by the policy (the frontend of ``# syntax=`` too)."""
    named = [(use.line, ("ONBUILD " if use.onbuild else "") + _SHOWN_AS[use.kind], use.ref)
             for use in run.image_uses]  # fmt: skip
    if directives.syntax and directives.syntax_line is not None:
        named.insert(0, (directives.syntax_line, "# syntax=", directives.syntax.strip()))
    for line, shown, ref in named:
        why = imagepolicy.refusal(ref, policy)
        if why is not None:
            run.problem(line, imagepolicy.RULE, "error", f"{shown}{ref} {why}")


def _check_directive(lines: Sequence[str]) -> str | None:
    """Find the check directive as the linter does: after a leading shebang line."""
    return _directives(lines[1:]).check


def _assemble(run: _Run, final: int | None, depends: set[int], target: str | None) -> Analysis:
    stages = [
        Stage(
            index=stage.index,
            name=stage.name,
            base=stage.base,
            base_stage=stage.base_stage,
            line=stage.line,
            platform=stage.platform,
            uses=sorted(stage.uses),
            external_images=list(dict.fromkeys(stage.external_images)),
        )
        for stage in run.stages
    ]
    error: str | None = None
    if run.errors:
        error = min(run.errors)[2]
    seen: set[tuple[int | None, str, str]] = set()
    problems: list[Problem] = []
    ordered = sorted(
        enumerate(run.problems),
        key=lambda item: (item[1][0] or 0, _SEVERITY_RANK[item[1][2]], item[0]),
    )
    for _, (line, rule, severity, message) in ordered:
        key = (line, rule, message)
        if key in seen:
            continue
        seen.add(key)
        problems.append(Problem(line=line, rule=rule, severity=severity, message=message))
    final_base = _external_base(run, final) if final is not None else None
    return Analysis(
        dockerfile=run.path,
        stage_count=len(stages),
        stages=stages,
        final_stage=final,
        final_base=final_base,
        multi_stage=len(stages) >= 2 and bool(depends),
        depends_on=sorted(depends),
        problems=problems,
        error=error,
        target=target,
    )


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------


def analyze(
    text: str | bytes,
    *,
    path: str = "Dockerfile",
    target: str | None = None,
    build_args: Mapping[str, str] | None = None,
    builder: str = "buildkit",
    images: ImagePolicy | None = None,
) -> Analysis:
    """Work out the stage graph and problems of one Dockerfile, as Docker itself reads it.

    Never raises: a file Docker would refuse comes back with ``error`` set (one line naming the
    file and the line) and as much of the graph as could be worked out. ``builder`` is the one
    that will build it: only under ``classic`` is a BuildKit-only feature a problem. ``images``
    is the rubric's image policy (default: any name); every image it refuses is a problem
    ``image-not-allowed``, and grader's own images are refused under any policy.
    """
    try:
        args = dict(build_args or {})
        decoded = _decode(text)
        return _run_analysis(decoded, path, target, args, builder=builder, images=images)[0]
    except Exception as error:  # the contract is "never raises"; a bug still shows in the error
        return _empty(path, f"could not be analysed ({type(error).__name__}: {error})", target)


def analyze_file(
    path: Path,
    *,
    display: str | None = None,
    target: str | None = None,
    build_args: Mapping[str, str] | None = None,
    builder: str = "buildkit",
    images: ImagePolicy | None = None,
) -> Analysis:
    """Read and analyse a Dockerfile; ``display`` is how messages name it (default: the path).

    Raises ``InputError`` when the path cannot be read at all (missing, a directory, no
    permission); a readable file that is no Dockerfile gives an Analysis with ``error``.
    """
    shown = display if display is not None else str(path)
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_DOCKERFILE_BYTES + 1)
    except IsADirectoryError:
        raise InputError(f"{shown}: is a directory, not a Dockerfile") from None
    except FileNotFoundError:
        raise InputError(f"{shown}: no such file") from None
    except PermissionError:
        raise InputError(f"{shown}: permission denied") from None
    except OSError as error:
        raise InputError(f"{shown}: cannot be read ({error.strerror or error})") from None
    if len(data) > MAX_DOCKERFILE_BYTES:
        return _empty(
            shown,
            f"too large to be a Dockerfile (over {MAX_DOCKERFILE_BYTES // 1024} KiB)",
            target,
        )
    return analyze(
        data, path=shown, target=target, build_args=build_args, builder=builder, images=images
    )


def instructions(text: str | bytes) -> list[Instruction]:
    """The file's instructions as Docker's parser splits it, each with its stage; [] if unparsable.

    Builders report steps by stage and instruction text (or number); this places them on lines.
    """
    safe = _for_parser(_decode(text))
    try:
        commands = _go_parse(safe)
    except (_parser.GoParseError, _parser.GoIOError, ValueError):
        return []
    found: list[Instruction] = []
    stage: int | None = None
    name: str | None = None
    for command in commands:
        keyword = command.cmd.upper()
        if keyword == "FROM":
            stage = 0 if stage is None else stage + 1
            words = command.value
            name = words[2].lower() if len(words) >= 3 and words[1].lower() == "as" else None
        found.append(
            Instruction(
                stage=stage,
                stage_name=name,
                keyword=keyword,
                line=command.start_line,
                end_line=command.end_line,
                original=command.original,
            )
        )
    return found


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
    decoded = _decode(text)
    lead = len(text) - len(decoded)
    try:
        _, run = _run_analysis(decoded, "Dockerfile", None, dict(build_args or {}))
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
    lead: str, decoded: str, escape: str, wanted: Sequence[tuple[_ImageUse, str]]
) -> str:
    lines = _for_parser(decoded).split("\n")
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
    lines: Sequence[str], use: _ImageUse, escape: str, new: str
) -> tuple[list[tuple[int, int]], str] | None:
    """Which characters of the instruction to replace, and with what."""
    used, _ = _instruction_lines(lines, use.line - 1, escape)
    logical = _logical_line(lines, used, escape)
    text = logical.text
    _, args_start = _split_command(text)
    flag_words, rest = _extract_flags(text, args_start, escape)
    if use.kind == "from":
        match = _RE_WHITESPACE.search(text, rest)
        stop = min(match.start() if match else len(text), len(text.rstrip(_GO_SPACE)))
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
    if not any(char in value for char in f"'\"{escape}{_GO_SPACE}"):
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


def render_text(analysis: Analysis) -> str:
    """Format the summary `grader inspect` prints: stages, final base, why (not) multi-stage."""
    out: list[str] = [f"Dockerfile: {analysis.dockerfile}"]
    if analysis.target:
        out.append(f"Target: {analysis.target}")
    names = {stage.index: stage.name for stage in analysis.stages}

    def label(index: int) -> str:
        name = names.get(index)
        return f"#{index} {name}" if name else f"#{index}"

    out.append(f"Stages: {analysis.stage_count}")
    for stage in analysis.stages:
        base = stage.base if stage.base is not None else "(nothing: does not expand)"
        if stage.base_stage is not None:
            base = f"{base} (stage #{stage.base_stage})"
        parts = [
            f"  #{stage.index}  line {stage.line:<4} {stage.name or '(unnamed)':<16} FROM {base}"
        ]
        if stage.platform:
            parts.append(f"--platform={stage.platform}")
        uses = [label(index) for index in stage.uses if index != stage.base_stage]
        if uses:
            parts.append("uses " + ", ".join(uses))
        if stage.external_images:
            parts.append("copies from images " + ", ".join(stage.external_images))
        out.append("; ".join(parts))
    if analysis.final_stage is not None:
        how = "--target" if analysis.target else "last stage"
        out.append(f"Final stage: {label(analysis.final_stage)} ({how})")
    else:
        out.append("Final stage: none")
    out.append(
        f"Final base: {analysis.final_base if analysis.final_base is not None else 'unknown'}"
    )
    out.append("Multi-stage: " + _multi_stage_reason(analysis, label))
    if analysis.problems:
        out.append(f"Problems: {len(analysis.problems)}")
        for problem in analysis.problems:
            where = f"line {problem.line}" if problem.line is not None else "file"
            out.append(f"  {where:<9} {problem.severity:<7} {problem.rule}: {problem.message}")
    else:
        out.append("Problems: none")
    if analysis.error:
        out.append(f"Error: {analysis.error}")
    return "\n".join(out) + "\n"


def _multi_stage_reason(analysis: Analysis, label: Callable[[int], str]) -> str:
    if analysis.multi_stage:
        used = ", ".join(label(index) for index in analysis.depends_on)
        return f"yes: the final stage uses {used}"
    if analysis.stage_count == 0:
        return "no: no stages"
    if analysis.stage_count < 2:
        return "no: only one stage"
    if analysis.final_stage is None:
        return "no: there is no final stage to build"
    return (
        f"no: {analysis.stage_count} stages, but the final stage uses none of the others "
        "(only the last FROM becomes the image)"
    )
