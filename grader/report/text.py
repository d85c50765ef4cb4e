r"""Student-controlled text made safe to show: escaped, and with control characters visible.

Autoescaping stops markup; it does not stop a terminal escape sequence or a bidirectional
override from hiding or reordering what a reader sees. Those are spelled out (``\x1b[31m``)
so the feedback shows exactly what the program printed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone

from markupsafe import Markup, escape

# Whole escape sequences first (CSI colours and cursor moves, OSC titles and links), so each shows
# as one unit; then lone control characters (not tab or newline) and the invisible Unicode
# controls that reorder or hide text (bidirectional marks, overrides and isolates).
_CONTROL = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"
    r"|\x1b\][^\x07\x1b]{0,256}(?:\x07|\x1b\\)?"
    r"|\x1b[@-Z\\-_]"
    r"|[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]"
    r"|[\ud800-\udfff]"  # lone surrogates: not text, and not encodable when the page is written
)
DASH = "\u2013"  # en dash, for ranges and for "nothing here"
MINUS = "\u2212"
_SPAN = Markup('<span class="ctl" title="control character">{}</span>')


def spell(sequence: str) -> str:
    r"""``"\x1b[31m"`` -> the 8 characters ``\x1b[31m``: printable ones kept, the rest coded."""
    return "".join(
        c if " " <= c <= "~" else f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}"
        for c in sequence
    )


def plain(text: str) -> str:
    """Text with every control sequence spelled out, for attributes and one-line labels."""
    return _CONTROL.sub(lambda m: spell(m.group()), text.replace("\r\n", "\n"))


def visible(text: str) -> Markup:
    """Escaped markup in which each control sequence shows as marked-up text, never raw."""
    text = text.replace("\r\n", "\n")
    if _CONTROL.search(text) is None:
        return escape(text)
    parts: list[str] = []
    position = 0
    for match in _CONTROL.finditer(text):
        parts.append(escape(text[position : match.start()]))
        parts.append(_SPAN.format(spell(match.group())))
        position = match.end()
    parts.append(escape(text[position:]))
    return Markup("").join(parts)


def shorten(text: str, limit: int) -> str:
    """At most ``limit`` characters, an ellipsis marking the cut."""
    return text if len(text) <= limit else text[: max(limit - 1, 0)] + "…"


@dataclass(frozen=True)
class Moment:
    """A time as a machine reads it (``iso``) and as a person does (``text``, in UTC)."""

    iso: str
    text: str


def moment(when: datetime) -> Moment:
    """UTC for everyone: a class spans time zones, and feedback must agree with the deadline."""
    utc = when.astimezone(timezone.utc) if when.tzinfo else when.replace(tzinfo=timezone.utc)
    return Moment(iso=utc.isoformat(), text=utc.strftime("%Y-%m-%d %H:%M UTC"))
