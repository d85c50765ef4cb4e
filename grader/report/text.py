r"""Student-controlled text made safe to show on a page: escaped, and neutralised runs visible.

What is neutralised is the sanitiser's one table (``grader.sanitizer``); here it is only shown
the page's way: spelled out (``\x1b[31m``) inside a marked ``<span class="ctl">``, so the
feedback shows exactly what the program printed and a reader can tell it from typed text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from markupsafe import Markup, escape

from grader.sanitizer import escaped, for_terminal, pieces

DASH = "\u2013"  # en dash, for ranges and for "nothing here"
MINUS = "\u2212"
_SPAN = Markup('<span class="ctl" title="control character">{}</span>')


def plain(text: str) -> str:
    r"""Text with every neutralised run spelled out (``\x1b[31m``), for attributes and labels."""
    return for_terminal(text)


def visible(text: str) -> Markup:
    """Escaped markup in which each neutralised run shows as marked-up text, never raw."""
    return Markup("").join(
        _SPAN.format(escaped(run)) if hidden else escape(run) for run, hidden in pieces(text)
    )


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
