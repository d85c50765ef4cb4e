"""dive's CI rules (``.dive-ci``) as grader ``layer_efficiency`` criteria.

Read as dive v0.13.1 reads them (``cmd/ci.go``, ``runtime/ci/rule.go``): viper parses the file
as YAML with keys in any case, and takes each rule's value as text (``GetString``; a number
such as 0.95 becomes '0.95'):

- lowestEfficiency: min_efficiency, a fraction 0..1 (strconv.ParseFloat); the image passes at
  or above it.
- highestWastedBytes: max_wasted_bytes, a size (go-humanize ParseBytes: '20MB' is 20*1000^2,
  '20MiB' 20*1024^2, '20M' SI too, a bare number bytes, fractions of a byte dropped); the
  image passes at or below it (dive fails only above, whatever its sample file's comment says).
- highestUserWastedPercent: max_user_wasted, a fraction 0..1 of the bytes of the layers
  after the base image's; the image passes at or below it.

'disabled', exactly, switches a rule off ('off', 'false' or '' do not: dive reports them as
misconfigured). A rule the file leaves out, or gives no value, takes the default of ``dive
--ci``: lowestEfficiency 0.9, highestWastedBytes disabled, highestUserWastedPercent 0.1; a note
says so. A value dive calls misconfigured (unparsable, out of range; dive then fails the whole
run) is refused with dive's words. With points for each rule, every enabled rule is a criterion
of its own; with a total, one criterion holds them all.

Where grader is stricter, and why: keys dive does not read are refused naming them (dive
ignores them: its own sample file's 'plugins' and 'plugin1/rule1' are never read, so a typo
silently keeps a default); NaN, which dive's range check lets through so the rule never fails,
and hexadecimal floats, which Go reads, are refused.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal

import yaml

from grader.errors import ImportRefused
from grader.interop import Draft, Parsed, compose, go_int


@dataclass(frozen=True)
class _Rule:
    """One of dive's rules: its key, grader's field, dive's default, and a title for it."""

    key: str
    field: str
    default: str
    title: str


_RULES = (
    _Rule("lowestEfficiency", "min_efficiency", "0.9", "Layer efficiency at least {}"),
    _Rule("highestWastedBytes", "max_wasted_bytes", "disabled", "Wasted bytes at most {}"),
    _Rule(
        "highestUserWastedPercent",
        "max_user_wasted",
        "0.1",
        "Wasted share of the image's own layers at most {}",
    ),
)
_NULL = "tag:yaml.org,2002:null"
_NULLS = frozenset({"", "~", "null", "Null", "NULL"})
_INFINITIES = {".inf": "+Inf", "+.inf": "+Inf", "-.inf": "-Inf", ".nan": "NaN"}
_YAML_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
_DECIMAL = re.compile(r"[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?|[-+]?inf(inity)?", re.I)
_NAN = re.compile(r"[-+]?nan", re.IGNORECASE)
_HEX = re.compile(r"[-+]?0x.*", re.IGNORECASE)
_FRACTION = "write a decimal fraction from 0 to 1, or 'disabled'"
_SIZES = {
    "": 1,
    "b": 1,
    **{f"{p}b": 1000**n for n, p in enumerate("kmgtpe", 1)},
    **{p: 1000**n for n, p in enumerate("kmgtpe", 1)},
    **{f"{p}ib": 1024**n for n, p in enumerate("kmgtpe", 1)},
    **{f"{p}i": 1024**n for n, p in enumerate("kmgtpe", 1)},
}
_MISCONFIGURED = "dive reports the rule misconfigured and fails"


def drafts(raw: bytes, file: str, *, per_rule: bool) -> Parsed:
    """The criteria a .dive-ci gives: one per enabled rule, or one with them all."""
    reader = _Reader(file)
    node = compose(raw, file)
    top = reader.keys(node, "", ("rules",)) if node is not None else {}
    section, section_node = top.get("rules", ("rules", None))
    rules = reader.keys(section_node, section, tuple(rule.key for rule in _RULES))
    limits: list[tuple[_Rule, str, float | int, str]] = []
    for rule in _RULES:
        written, value_node = rules.get(rule.key.lower(), (rule.key, None))
        where = f"{section}.{written}"
        text = reader.text(value_node, where) if value_node is not None else None
        if text is None:
            text = rule.default
            reader.notes.append(f"{file}: {where}: not given: dive's default {text!r} applies")
        if text == "disabled":
            continue
        limit = reader.limit(rule, text, where)
        if limit is not None:
            limits.append((rule, where, limit, text))
    if reader.problems:
        raise ImportRefused(reader.problems)
    if not limits:
        raise ImportRefused([f"{file}: rules: no rule enabled: dive checks nothing"])
    if per_rule:
        found = [
            Draft(
                name=re.sub(r"([A-Z])", r" \1", rule.key),
                title=rule.title.format(text),
                origin=where,
                fields={"check": "layer_efficiency", rule.field: limit},
                sources={rule.field: where},
            )
            for rule, where, limit, text in limits
        ]
        return Parsed(tuple(found), tuple(reader.notes))
    fields: dict[str, object] = {"check": "layer_efficiency"}
    fields.update({rule.field: limit for rule, _, limit, _ in limits})
    sources = {rule.field: where for rule, where, _, _ in limits}
    title = "Layer efficiency (dive's CI rules)"
    return Parsed(
        (Draft("layer efficiency", title, "rules", fields, sources),), tuple(reader.notes)
    )


@dataclass
class _Reader:
    """A .dive-ci's nodes read as viper reads them, collecting refusals."""

    file: str
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def refuse(self, where: str, message: str) -> None:
        self.problems.append(
            f"{self.file}: {where}: {message}" if where else f"{self.file}: {message}"
        )

    def keys(
        self, node: yaml.Node | None, where: str, names: tuple[str, ...]
    ) -> dict[str, tuple[str, yaml.Node]]:
        """The mapping's values by lower-case key (viper's), with the key as written."""
        if node is None or node.tag == _NULL:
            return {}
        if not isinstance(node, yaml.MappingNode):
            self.refuse(where, f"must be a mapping (of {', '.join(names)})")
            return {}
        found: dict[str, tuple[str, yaml.Node]] = {}
        known = {name.lower() for name in names}
        for key_node, value in node.value:
            key = str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else "?"
            path = f"{where}.{key}" if where else key
            if key.lower() not in known:
                self.refuse(path, f"unknown key: dive reads only {', '.join(names)} here")
            elif key.lower() in found:
                self.refuse(path, "given twice (dive reads keys in any case)")
            else:
                found[key.lower()] = (key, value)
        return found

    def text(self, node: yaml.Node, where: str) -> str | None:
        """The value as viper's GetString gives it; None for no value (the default applies)."""
        if not isinstance(node, yaml.ScalarNode):
            self.refuse(where, "must be a single value")
            return ""
        text = str(node.value)
        if node.style is not None:
            return text  # quoted: a string as written
        if text in _NULLS:
            return None
        if text in ("true", "True", "TRUE", "false", "False", "FALSE"):
            return text.lower()
        number = go_int(text)
        if number is not None:
            return str(number)
        if text.lower() in _INFINITIES:
            return _INFINITIES[text.lower()]
        plain = text.replace("_", "")
        if _YAML_FLOAT.fullmatch(plain):
            shown = format(Decimal(repr(float(plain))), "f")
            return shown.rstrip("0").rstrip(".") if "." in shown else shown
        return text

    def limit(self, rule: _Rule, text: str, where: str) -> float | int | None:
        """The rule's threshold, or None after refusing what dive calls misconfigured."""
        if rule.field == "max_wasted_bytes":
            size, problem = _parse_bytes(text)
            if problem:
                self.refuse(where, f"invalid config value ('{text}'): {problem}; {_MISCONFIGURED}")
            return size
        if _NAN.fullmatch(text):
            self.refuse(
                where, f"'{text}' passes dive's range check, so the rule never fails: {_FRACTION}"
            )
            return None
        if _HEX.fullmatch(text):
            self.refuse(where, f"'{text}' is hexadecimal: {_FRACTION}")
            return None
        if not _DECIMAL.fullmatch(text):
            self.refuse(where, f"invalid config value ('{text}'): not a number; {_MISCONFIGURED}")
            return None
        value = float(text)
        if not 0 <= value <= 1:
            self.refuse(
                where,
                f"{rule.key} config value is outside allowed range (0-1), given '{text}'; "
                f"{_MISCONFIGURED}",
            )
            return None
        return value


def _parse_bytes(text: str) -> tuple[int | None, str | None]:
    """go-humanize's ParseBytes: digits and dots, then an optional unit in any case."""
    digits = 0
    for char in text:
        if not (char == "." or unicodedata.category(char) == "Nd"):
            break
        digits += 1
    number, unit = text[:digits], text[digits:].strip().lower()
    if not re.fullmatch(r"[0-9]+\.?[0-9]*|\.[0-9]+", number):
        return None, "not a number"
    if unit not in _SIZES:
        return None, f"unhandled size name: {unit}"
    size = float(number) * _SIZES[unit]
    if size >= 2.0**64:
        return None, f"too large: {text}"
    return int(size), None
