"""Other tools' test files read as grader criteria: container-structure-test and dive's .dive-ci.

Instructors who already test their images with container-structure-test, or gate them with
dive's CI rules, keep those files: ``grader import`` prints the criteria they mean, and a
task's ``criteria_from`` takes them when the rubric is loaded. Each format is one module here,
registered once in :data:`FORMATS` and found by name; it turns every field of its file into
criterion fields or refuses the field in one line naming it (``FILE: commandTests[2].name:
...``), so nothing the instructor wrote is silently left unchecked. This module gives the
results their ids (slugs of the tests' names) and points, and validates them as criteria.
"""

from __future__ import annotations

import importlib
import re
import unicodedata
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from pathlib import Path
from types import MappingProxyType
from typing import Any, Protocol, cast

import yaml
from pydantic import TypeAdapter, ValidationError

from grader.errors import ImportRefused, InputError
from grader.models.criteria import Criterion
from grader.models.rubric import CriteriaFormat
from grader.sanitizer import for_terminal

FORMATS: Mapping[CriteriaFormat, str] = MappingProxyType(
    {
        "container-structure-test": "grader.interop.container_structure_test",
        "dive-ci": "grader.interop.dive_ci",
    }
)
"""Each format's name (as ``grader import`` and ``criteria_from`` say it) and its module."""

MAX_FILE_BYTES = 1024**2
_ID_LENGTH = 64
_CRITERION: TypeAdapter[Criterion] = TypeAdapter(Criterion)


@dataclass(frozen=True)
class Draft:
    """One criterion a file gives, before it has an id and points."""

    name: str  # the test's own name: slugged into the id
    title: str
    origin: str  # where in the file, e.g. "commandTests[2]"
    fields: Mapping[str, Any]  # 'check' and the kind's fields
    # grader's field -> the file's, for messages; 'x[]': a list whose items match ours one to one
    sources: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Parsed:
    """What a format module read from a file: its criteria, and notes about what was dropped."""

    drafts: tuple[Draft, ...]
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class ImportedCriterion:
    """A criterion as rubric data (what YAML shows), and the test of the file it came from."""

    criterion: Mapping[str, Any]
    origin: str


@dataclass(frozen=True)
class Imported:
    """The criteria a file gives, in the file's order, and the notes to show the instructor."""

    criteria: tuple[ImportedCriterion, ...]
    notes: tuple[str, ...]


class _Format(Protocol):
    def drafts(self, raw: bytes, file: str, *, per_rule: bool) -> Parsed: ...


def read(path: Path, shown: str) -> bytes:
    """A test file's bytes, at most :data:`MAX_FILE_BYTES`; ``shown`` names it in messages."""
    try:
        if not path.exists():
            raise ImportRefused([f"{shown}: no such file"])
        if not path.is_file():
            raise ImportRefused([f"{shown}: not a file"])
        with path.open("rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise ImportRefused([f"{shown}: cannot read: {exc.strerror or exc}"]) from exc
    if len(raw) > MAX_FILE_BYTES:
        raise ImportRefused([f"{shown}: larger than 1 MiB, too large to be a test file"])
    return raw


def compose(raw: bytes, file: str) -> yaml.Node | None:
    """The file's YAML (or JSON) nodes, which keep each scalar as written; None when empty.

    The peers type their values themselves (Go's YAML and JSON decoders), so the formats read
    nodes rather than PyYAML's values: ``0755`` or ``yes`` stay the text they are to Go.
    """
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportRefused([f"{file}: not UTF-8 text (byte {exc.start})"]) from None
    try:
        return yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ImportRefused([f"{file}: {where}not valid YAML: {problem}"]) from None


def convert(
    format_name: str,
    raw: bytes,
    file: str,
    *,
    points: float | None = None,
    total: float | None = None,
    id_prefix: str | None = None,
) -> Imported:
    """The criteria a test file gives, each with ``points`` or an even share of ``total``.

    Raises :class:`ImportRefused` listing every field that cannot be imported.
    """
    if (points is None) == (total is None):
        raise ValueError("give points or total, not both or neither")
    module = _module(format_name)
    parsed = module.drafts(raw, file, per_rule=points is not None)
    if not parsed.drafts:
        raise ImportRefused([f"{file}: no tests: nothing to check"])
    count = len(parsed.drafts)
    shares = [points] * count if points is not None else split_points(cast(float, total), count)
    shares = [int(share) if float(share).is_integer() else share for share in shares]
    criteria: list[ImportedCriterion] = []
    problems: list[str] = []
    for draft, criterion_id, share in zip(
        parsed.drafts, criterion_ids(parsed.drafts, id_prefix), shares, strict=True
    ):
        data = {
            "id": criterion_id,
            "title": draft.title,
            "check": draft.fields["check"],
            "points": share,
            **{name: value for name, value in draft.fields.items() if name != "check"},
        }
        problems += _invalid(data, draft, file)
        criteria.append(ImportedCriterion(data, draft.origin))
    if problems:
        raise ImportRefused(problems)
    return Imported(tuple(criteria), parsed.notes)


def _module(format_name: str) -> _Format:
    if format_name not in FORMATS:
        raise InputError(f"{format_name}: no such format (formats: {', '.join(FORMATS)})")
    return cast(_Format, importlib.import_module(FORMATS[cast(CriteriaFormat, format_name)]))


def _invalid(data: Mapping[str, Any], draft: Draft, file: str) -> list[str]:
    """What grader's models refuse in a criterion, each named by the file's own field."""
    try:
        _CRITERION.validate_python(dict(data))
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            loc = [part for part in error["loc"] if part != data["check"]]
            where = draft.sources.get(str(loc[0]) if loc else "", draft.origin)
            if where.endswith("[]"):  # a list item by item like ours: name the item
                index = loc[1] if len(loc) > 1 and isinstance(loc[1], int) else None
                where = where[:-2] + ("" if index is None else f"[{index}]")
            message = str(error["msg"]).removeprefix("Value error, ")
            problems.append(f"{file}: {where}: {message}")
        return problems
    return []


def split_points(total: float, count: int) -> list[float]:
    """``total`` in ``count`` even shares rounded to cents, the last taking what remains.

    Computed in decimal, so the shares add up to ``total`` exactly as written.
    """
    whole = Decimal(repr(float(total)))
    share = (whole / count).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    if share * (count - 1) > whole:  # tiny totals: rounding up would leave the last negative
        share = (whole / count).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
    return [float(share)] * (count - 1) + [float(whole - share * (count - 1))]


def slug(name: str) -> str:
    """A test's name as an id: ASCII letters and digits, lower case, '-' between words."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")


def criterion_ids(drafts: Sequence[Draft], prefix: str | None = None) -> list[str]:
    """One id per draft: the prefix and the slug of its name, '-2', '-3' added to repeats."""
    head = "" if not prefix else prefix if prefix[-1] in "-_." else f"{prefix}-"
    taken: set[str] = set()
    ids = []
    for draft in drafts:
        base = (head + (slug(draft.name) or str(draft.fields["check"]).replace("_", "-")))[
            :_ID_LENGTH
        ].rstrip("-_.")
        candidate, number = base, 2
        while candidate in taken:
            suffix = f"-{number}"
            candidate = base[: _ID_LENGTH - len(suffix)].rstrip("-_.") + suffix
            number += 1
        taken.add(candidate)
        ids.append(candidate)
    return ids


class _Dumper(yaml.SafeDumper):
    """Block mappings, and lists of plain values in flow style, as people write command: [...]."""


def _represent_list(dumper: yaml.SafeDumper, data: list[Any]) -> yaml.Node:
    flow = all(not isinstance(item, (list, dict)) for item in data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


_Dumper.add_representer(list, _represent_list)


def dump_yaml(data: Any) -> str:
    """YAML people read and grader reads back exactly, never showing a terminal raw controls.

    Non-ASCII text stays readable unless it holds what the sanitizer neutralises (escape
    sequences, bidi overrides, invisible characters): then every such character is escaped.
    """
    for readable in (True, False):
        text = yaml.dump(
            data,
            Dumper=_Dumper,
            sort_keys=False,
            allow_unicode=readable,
            default_flow_style=False,
            width=2**16,
        )
        if for_terminal(text) == text:
            break
    return text


# How Go's decoders (yaml.v2 and v3, encoding/json) type a scalar: the peers are Go programs.
_GO_INT = re.compile(r"([-+]?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)")
_NULL = "tag:yaml.org,2002:null"
_YAML_TRUE = frozenset({"y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"})
_YAML_FALSE = frozenset(
    {"n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"}
)


def go_text(node: yaml.Node | None, *, json: bool = False) -> str | None:
    """A text field as Go decodes it, or None: yaml.v2 takes any scalar as written, JSON strings."""
    if node is None or node.tag == _NULL:
        return ""
    if isinstance(node, yaml.ScalarNode) and (not json or node.tag == "tag:yaml.org,2002:str"):
        return str(node.value)
    return None


def go_bool(node: yaml.Node | None, *, json: bool = False) -> bool | None:
    """A bool field as Go decodes it: yaml.v2 knows y/n, yes/no, on/off; JSON true/false."""
    if node is None or node.tag == _NULL:
        return False
    if isinstance(node, yaml.ScalarNode) and node.style is None:
        true, false = ({"true"}, {"false"}) if json else (_YAML_TRUE, _YAML_FALSE)
        if node.value in true | false:
            return node.value in true
    return None


def go_int(text: str, *, json: bool = False) -> int | None:
    """The int Go's YAML decoders read from a plain scalar (strconv.ParseInt, base 0, '_' out).

    0x, 0o and 0b prefixes and YAML 1.1 octal (0755) included; ``json``: JSON's integers only.
    """
    if json:
        return int(text) if re.fullmatch(r"-?(0|[1-9][0-9]*)", text) else None
    match = _GO_INT.fullmatch(text.replace("_", ""))
    if match is None:
        return None
    sign, digits = match.groups()
    prefix = digits[:2].lower()
    if prefix in ("0x", "0o", "0b"):
        value = int(digits[2:], {"0x": 16, "0o": 8, "0b": 2}[prefix])
    else:
        value = int(digits, 8 if digits.startswith("0") else 10)
    return -value if sign == "-" else value


# Go's RE2 (the peers are Go programs) against Python's re, which grader searches with.
_GO_REJECTS = "Go rejects it, so the test always fails there"
_ESCAPES = {
    "z": "Go's \\z (end of text) is \\Z in Python",
    "Z": f"\\Z is Python's; {_GO_REJECTS}",
    "Q": "\\Q...\\E (literal text) is Go's only",
    "E": "\\Q...\\E (literal text) is Go's only",
    "C": "\\C (any byte) is Go's only",
    "p": "\\p{...} (a Unicode class) is Go's only",
    "P": "\\P{...} (a Unicode class) is Go's only",
    "u": f"\\u is Python's; {_GO_REJECTS} (write the character itself)",
    "U": f"\\U is Python's; {_GO_REJECTS} (write the character itself)",
    "N": f"\\N{{...}} is Python's; {_GO_REJECTS} (write the character itself)",
}
_BACKREFERENCE = "\\1 to \\9 are backreferences in Python; Go has none (\\12 is octal there)"
_GROUPS = (
    (("=", "!", "<=", "<!"), f"lookarounds are Python's; {_GO_REJECTS}"),
    (("P=",), f"(?P=name) backreferences are Python's; {_GO_REJECTS}"),
    ((">",), f"atomic groups are Python's; {_GO_REJECTS}"),
    (("(",), f"conditional groups are Python's; {_GO_REJECTS}"),
    (("#",), f"(?#...) comments are Python's; {_GO_REJECTS}"),
    (("<",), "(?<name>...) is Go's only; write (?P<name>...), which both read"),
)
_FLAGS = re.compile(r"([A-Za-z]*)(?:-([A-Za-z]*))?([:)])")
_REPEAT = re.compile(r"\{(\d*)(,(\d*))?\}")
_POSSESSIVE = f"possessive quantifiers are Python's; {_GO_REJECTS}"
_DOLLAR = (
    "'$' matches only at the very end in Go, but also before a final newline in Python: "
    "start the pattern with (?m) to mean the end of a line, or drop the '$'"
)


def regex_problem(pattern: str, *, lines: bool) -> str | None:
    r"""Why a Go RE2 pattern cannot be searched with Python's ``re`` as it is, or None.

    The peers are Go programs; grader searches with Python's ``re``. A pattern must compile in
    Python, and these are refused because the two read them differently or only one reads
    them: ``$`` without (?m) when ``lines`` (the text may end with a newline, as output and
    files do; Go's ``$`` is the very end only, Python's also before a final newline), ``\z``,
    ``\Z``, ``\Q..\E``, ``\C``, ``\p{..}``, ``\x{..}``, ``\u``, ``\N{..}``,
    ``\1``..``\9``, ``[\b]``, POSIX classes (``[[:alpha:]]``), flags but i, m and s
    (``(?U)`` is "ungreedy" in Go, "Unicode" in Python), lookarounds, atomic groups,
    conditionals, comments, ``(?<name>..)``, possessive quantifiers, ``{,n}`` (literal text in
    Go) and counts over 1000. ``\d``, ``\w``, ``\s`` and ``\b`` are ASCII in Go and Unicode
    in Python; they agree on ASCII text, so they are accepted.
    """
    problem = _go_only(pattern, lines=lines)
    if problem is not None:
        return problem
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # FutureWarning on '[[' and the like: literal in both
        try:
            re.compile(pattern)
        except re.error as exc:
            return f"not a regular expression Python reads: {exc}"
    return None


def _go_only(pattern: str, *, lines: bool) -> str | None:
    """The first construct Go and Python read differently, or that only one of them reads."""
    multiline = [False]  # per open group: whether (?m) is on
    i = 0
    while i < len(pattern):
        char, problem = pattern[i], None
        if char == "\\":
            problem, i = _escape(pattern[i + 1 : i + 3]), i + 2
        elif char == "[":
            i, problem = _class(pattern, i)
        elif char == "(":
            i, problem = _group(pattern, i, multiline)
        elif char == "{":
            i, problem = _repeat(pattern, i)
        elif char == "$" and lines and not multiline[-1]:
            problem = _DOLLAR
        else:
            if char == ")" and len(multiline) > 1:
                multiline.pop()
            if char in "*+?" and pattern[i + 1 : i + 2] == "+":
                problem = _POSSESSIVE
            i += 1
        if problem:
            return problem
    return None


def _repeat(pattern: str, start: int) -> tuple[int, str | None]:
    """After a ``{n,m}`` at ``start`` (or its '{' alone when it is literal text)."""
    match = _REPEAT.match(pattern, start)
    if match is None:
        return start + 1, None
    low, comma, high = match.groups()
    if not low:
        if comma:
            return start, "{,n} repeats 0 to n times in Python but is literal text in Go"
        return match.end(), None  # '{}' is literal in both
    if any(n and int(n) > 1000 for n in (low, high)):
        return start, f"Go repeats at most 1000 times; {_GO_REJECTS}"
    if pattern[match.end() : match.end() + 1] == "+":
        return start, _POSSESSIVE
    return match.end(), None


def _escape(escape: str) -> str | None:
    letter = escape[:1]
    if letter in _ESCAPES:
        return _ESCAPES[letter]
    if letter in "123456789" and letter:
        return _BACKREFERENCE
    if escape == "x{":
        return "\\x{...} is Go's; Python writes \\xhh (or the character itself)"
    return None


def _class(pattern: str, start: int) -> tuple[int, str | None]:
    """The end of the character class at ``start``, and what in it Go reads otherwise."""
    i = start + 1
    if pattern[i : i + 1] == "^":
        i += 1
    if pattern[i : i + 1] == "]":
        i += 1  # a ']' first is literal in both
    while i < len(pattern) and pattern[i] != "]":
        if pattern[i] == "\\":
            escape = pattern[i + 1 : i + 3]
            if escape[:1] == "b":
                return i, f"[\\b] is a backspace in Python; {_GO_REJECTS}"
            problem = _escape(escape)
            if problem:
                return i, problem
            i += 2
        elif re.match(r"\[:\^?[a-z]+:\]", pattern[i:]):
            return i, "POSIX classes such as [[:alpha:]] are Go's; Python reads them as a set"
        else:
            i += 1
    return i + 1, None


def _group(pattern: str, start: int, multiline: list[bool]) -> tuple[int, str | None]:
    """After the group opening at ``start``; (?m) turned on or off is tracked in ``multiline``."""
    if not pattern.startswith("(?", start):
        multiline.append(multiline[-1])
        return start + 1, None
    rest = pattern[start + 2 :]
    if rest.startswith("P<"):
        multiline.append(multiline[-1])
        return start + 4, None
    for openings, problem in _GROUPS:
        if rest.startswith(openings):
            return start, problem
    match = _FLAGS.match(rest)
    if match is None:
        multiline.append(multiline[-1])
        return start + 2, None  # Python's compile says what is wrong
    on, off, end = match.group(1), match.group(2) or "", match.group(3)
    if "U" in on + off:
        return start, "(?U) makes repeats lazy in Go; in Python U means Unicode"
    unknown = sorted(set(on + off) - set("ims"))
    if unknown:
        return start, f"the flag {unknown[0]!r} is Python's; {_GO_REJECTS}"
    state = True if "m" in on else False if "m" in off else multiline[-1]
    if end == ")":
        multiline[-1] = state  # from here to the end of the enclosing group
    else:
        multiline.append(state)
    return start + 2 + match.end(), None
