r"""What in a student's text is never shown raw, and how each output shows it instead.

Escaping stops markup; it does not stop what a terminal, a browser or a gradebook does with
the characters themselves. An escape sequence recolours, moves the cursor, retitles the window
or hides a link behind other words; a bidirectional override or isolate reorders the text after
it (Trojan Source, CVE-2021-42574); zero-width and tag characters hide text; a lone surrogate
cannot even be written as UTF-8. Feedback must show exactly what the program printed, so each
of these is spelled out (``\x1b[31m``, ``\u202e``) rather than obeyed or dropped.

:data:`NEUTRALISED` is the one list of what is spelled out; every output (terminal, HTML pages,
the students' JSON, LMS exports) picks only *how* a neutralised run is shown: :func:`escaped`
for the terminal and HTML, :func:`json_escaped` for data. ``docs/sanitiser.md`` says which
output uses which. Pure and standard library only, so anything may import it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

# Bodies of escape sequences stop at the next ESC (and OSC at BEL), and are bounded, so each
# match attempt reads at most to the next ESC: hostile input costs time linear in its length.
_PARAMETERS = 64
_STRING = 4096


@dataclass(frozen=True)
class Neutralised:
    """One kind of text that is never shown raw: a name, its regex, and why."""

    name: str
    pattern: str  # a regular expression; for ``characters``, the inside of a character class
    characters: bool  # True: single characters (runs are merged); False: a whole sequence
    why: str


NEUTRALISED: tuple[Neutralised, ...] = (
    Neutralised(
        "CSI sequence",
        rf"\x1b\[[0-?]{{0,{_PARAMETERS}}}[ -/]{{0,{_PARAMETERS}}}[@-~]",
        False,
        "ESC [ params final: colours, cursor moves, clearing the screen",
    ),
    Neutralised(
        "OSC sequence",
        rf"\x1b\][^\x07\x1b]{{0,{_STRING}}}(?:\x07|\x1b\\)",
        False,
        "ESC ] ... BEL or ESC \\: window titles, clipboard writes, OSC 8 hyperlinks that show "
        "one text and go elsewhere",
    ),
    Neutralised(
        "control string",
        rf"\x1b[PX^_][^\x1b]{{0,{_STRING}}}\x1b\\",
        False,
        "DCS, SOS, PM, APC (ESC P|X|^|_ ... ESC \\): device commands some terminals obey",
    ),
    Neutralised(
        "other escape",
        r"\x1b[ -/]{1,8}[0-~]|\x1b[0-~]",
        False,
        "ESC x and ESC ( B: cursor save and restore, terminal reset, character sets",
    ),
    Neutralised(
        "C0 control",
        r"\x00-\x08\x0b-\x1f",
        True,
        "NUL, BEL, backspace, CR (overwrites the line; CRLF is first folded to LF), lone ESC; "
        "newline and tab are kept",
    ),
    Neutralised(
        "DEL and C1 control",
        r"\x7f-\x9f",
        True,
        "U+007F-U+009F: DEL, and one-character forms of CSI and OSC some terminals obey",
    ),
    Neutralised(
        "bidi embedding or override",
        r"\u202a-\u202e",
        True,
        "U+202A-U+202E (LRE RLE PDF LRO RLO): reorder the text after them",
    ),
    Neutralised(
        "bidi isolate",
        r"\u2066-\u2069",
        True,
        "U+2066-U+2069 (LRI RLI FSI PDI): reorder the text after them",
    ),
    Neutralised(
        "bidi mark",
        r"\u200e\u200f\u061c",
        True,
        "U+200E U+200F U+061C (LRM RLM ALM): invisible, change the order of what is around",
    ),
    Neutralised(
        "zero-width or invisible",
        r"\u200b-\u200d\u2060-\u2064\ufeff\u180e",
        True,
        "U+200B-U+200D, U+2060-U+2064, U+FEFF, U+180E: text that shows nothing, so two "
        "different strings look alike",
    ),
    Neutralised(
        "line or paragraph separator",
        r"\u2028\u2029",
        True,
        "U+2028 U+2029: a line break that line-based readers and JSON-in-script do not expect",
    ),
    Neutralised(
        "tag character",
        r"\U000e0000-\U000e007f",
        True,
        "U+E0000-U+E007F: invisible copies of ASCII, used to hide instructions in text",
    ),
    Neutralised(
        "interlinear annotation",
        r"\ufff9-\ufffb",
        True,
        "U+FFF9-U+FFFB: mark text a renderer may hide or show elsewhere",
    ),
    Neutralised(
        "lone surrogate",
        r"\ud800-\udfff",
        True,
        "U+D800-U+DFFF: half a UTF-16 pair, not text, and UTF-8 cannot encode it",
    ),
)

ESCAPE_SEQUENCE = re.compile("|".join(n.pattern for n in NEUTRALISED if not n.characters))
"""A whole ANSI/ECMA-48 escape sequence, for checks that compare output without them."""

_PATTERN = re.compile(
    f"{ESCAPE_SEQUENCE.pattern}|[{''.join(n.pattern for n in NEUTRALISED if n.characters)}]+"
)

Show = Callable[[str], str]


def pieces(text: str) -> Iterator[tuple[str, bool]]:
    """Runs of ``text`` (CRLF folded to LF) and whether each is neutralised.

    An escape sequence is one run of its own; neighbouring neutralised characters are one run.
    """
    text = text.replace("\r\n", "\n")
    position = 0
    for match in _PATTERN.finditer(text):
        if match.start() > position:
            yield text[position : match.start()], False
        yield match.group(), True
        position = match.end()
    if position < len(text):
        yield text[position:], False


def neutralise(text: str, show: Show) -> str:
    """``text`` with every neutralised run replaced by ``show(run)``."""
    return "".join(show(run) if hidden else run for run, hidden in pieces(text))


def escaped(run: str) -> str:
    r"""Python's spelling: printable ASCII kept, else ``\x1b``, ``\u202e``, ``\U000e0041``."""
    return "".join(_spell(c, byte=True) for c in run)


def json_escaped(run: str) -> str:
    r"""JSON's spelling, for CSV and JSON: printable ASCII kept, else ``\u001b``, ``\U000e0041``."""
    return "".join(_spell(c, byte=False) for c in run)


def _spell(character: str, *, byte: bool) -> str:
    code = ord(character)
    if 0x20 <= code <= 0x7E:
        return character
    if byte and code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def for_terminal(text: str) -> str:
    r"""Text a terminal shows as written and never obeys: ``\x1b[31m`` spelled out."""
    return neutralise(text, escaped)


def for_data(text: str) -> str:
    r"""Text for feedback in CSV and JSON (LMS comments): ``\u001b[31m`` spelled out."""
    return neutralise(text, json_escaped)
