"""Variable expansion as BuildKit's shell lexer does it, with the shell patterns of ${V#p}."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import NamedTuple

from grader.dockerfile.grammar import ANY, LITERAL, MAX_PATTERN_STEPS, SPECIAL_PARAMS, STAR


class ExpandError(Exception):
    """The word cannot be expanded; the message is BuildKit's."""


class UnsetError(ExpandError):
    """``${V?msg}`` with V unset: an error only if the base image does not set V either."""


class Expansion(NamedTuple):
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
                raise ExpandError(f"unexpected end of statement while looking for matching {stop}")
            return "".join(out)
        finally:
            self.raw = saved

    def closed_by(self, stop: str, raw: bool, missing: str) -> str:
        """``until`` inside ${...}: running out of text there is BuildKit's "missing" error."""
        try:
            return self.until(stop, raw)
        except ExpandError:
            if self.pos >= self.n:
                raise ExpandError(f"syntax error: missing {missing}") from None
            raise

    def single_quote(self) -> str:
        self.pos += 1
        end = self.text.find("'", self.pos)
        if end < 0:
            raise ExpandError("unexpected end of statement while looking for matching single-quote")
        value = self.text[self.pos : end]
        self.pos = end + 1
        return value

    def double_quote(self) -> str:
        self.pos += 1
        out: list[str] = []
        while True:
            char = self.peek()
            if char == "":
                raise ExpandError(
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
            if not chars and char in SPECIAL_PARAMS:
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
            raise ExpandError("syntax error: missing '}'")
        if first in "{}:":
            raise ExpandError("syntax error: bad substitution")
        name = self.name()
        char = self.take()
        if char == "":
            raise ExpandError("syntax error: missing '}'")
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
        raise ExpandError(f"unsupported modifier ({modifier}) in substitution")

    def modifier(self, name: str, char: str, modifier: str, null_is_unset: bool) -> str:
        raw = char in "#%"
        if raw:
            self.buildkit_only = True
            if null_is_unset:
                raise ExpandError(f"unsupported modifier ({modifier}) in substitution")
        word = self.closed_by("}", raw, "'}'")
        value, is_set = self.lookup(name)
        empty = not is_set or (null_is_unset and value == "")
        if char == "-":
            return word if empty else value
        if char == "+":
            return "" if empty else word
        if char == "?":
            if not is_set:
                raise UnsetError(f"{name}: {word or 'is not allowed to be unset'}")
            if null_is_unset and value == "":
                raise UnsetError(f"{name}: {word or 'is not allowed to be empty'}")
            return value
        if char in "#%":
            greedy = word.startswith(char)
            if greedy:
                word = word[1:]
            return _trim_pattern(word, value, greedy, suffix=char == "%")
        raise ExpandError(f"unsupported modifier ({modifier}) in substitution")

    def replace(self, name: str) -> str:
        self.buildkit_only = True
        replace_all = self.peek() == "/"
        if replace_all:
            self.pos += 1
        pattern = self.closed_by("/", True, "'/' in ${}")
        replacement = self.closed_by("}", True, "'}'")
        value, _ = self.lookup(name)
        return _replace_pattern(pattern, replacement, value, replace_all)


def may_fail(text: str, escape: str) -> bool:
    """Whether expanding ``text`` can fail: only quotes, ``${...}`` and escapes can."""
    return "'" in text or '"' in text or "${" in text or escape in text


def expand(text: str, env: Mapping[str, str], escape: str) -> Expansion:
    """Expand one word as BuildKit's ProcessWordWithMatches; raises ExpandError."""
    if not any(char in text for char in ("$", "'", '"', escape)):
        return Expansion(text, frozenset(), frozenset(), False)
    lexer = _Lexer(text, env, escape)
    result = lexer.until("", False)
    return Expansion(
        result, frozenset(lexer.matched), frozenset(lexer.unmatched), lexer.buildkit_only
    )


def _pattern_tokens(pattern: str) -> list[tuple[int, str]]:
    tokens: list[tuple[int, str]] = []
    pos = 0
    while pos < len(pattern):
        char = pattern[pos]
        pos += 1
        if char == "*":
            if not tokens or tokens[-1][0] != STAR:
                tokens.append((STAR, ""))
        elif char == "?":
            tokens.append((ANY, ""))
        elif char == "\\":
            following = pattern[pos] if pos < len(pattern) else ""
            if following in ("}", "/"):
                continue
            if following not in ("*", "?", "\\"):
                raise ExpandError(f"invalid pattern ({pattern}) in substitution: invalid escape")
            tokens.append((LITERAL, following))
            pos += 1
        else:
            tokens.append((LITERAL, char))
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
            if kind == LITERAL:
                self.literal[char] = self.literal.get(char, 0) | bit
            elif kind == ANY:
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
                raise ExpandError("substitution pattern too complex")
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
    budget = [MAX_PATTERN_STEPS]
    if suffix:
        automaton = _Automaton(tokens[::-1])
        end = _match_end(automaton, value[::-1], 0, greedy, budget)
        return value if end < 0 else value[: len(value) - end]
    end = _match_end(_Automaton(tokens), value, 0, greedy, budget)
    return value if end < 0 else value[end:]


def _replace_pattern(pattern: str, replacement: str, value: str, replace_all: bool) -> str:
    automaton = _Automaton(_pattern_tokens(pattern))
    budget = [MAX_PATTERN_STEPS]
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
