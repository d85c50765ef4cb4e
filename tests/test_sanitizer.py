"""The sanitiser's table, its one regex, and each way of showing a neutralised run."""

from __future__ import annotations

import ast
import re
import sys
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from grader import sanitizer
from grader.checks.output import normalize
from grader.models.criteria import Normalize
from grader.sanitizer import (
    ESCAPE_SEQUENCE,
    NEUTRALISED,
    escaped,
    for_data,
    for_terminal,
    json_escaped,
    neutralise,
    pieces,
)

OSC8 = "\x1b]8;;http://example.invalid\x1b\\link\x1b]8;;\x1b\\"

# One sample per row of the table, each neutralised as a single run.
SAMPLES = {
    "CSI sequence": ["\x1b[31m", "\x1b[1;38;5;196m", "\x1b[?25l", "\x1b[2J", "\x1b[ q"],
    "OSC sequence": [
        "\x1b]0;title\x07",
        "\x1b]8;;http://example.invalid\x1b\\",
        "\x1b]52;c;eA==\x07",
    ],
    "control string": [
        "\x1bPq#0;2;0;0;0\x1b\\",
        "\x1bXsos\x1b\\",
        "\x1b^pm\x1b\\",
        "\x1b_apc\x1b\\",
    ],
    "other escape": ["\x1b7", "\x1b8", "\x1bc", "\x1bM", "\x1b(B", "\x1b#8", "\x1b="],
    "C0 control": ["\x00", "\x07", "\x08", "\r", "\x0b", "\x0c", "\x1b", "\x1f"],
    "DEL and C1 control": ["\x7f", "\x80", "\x85", "\x9b", "\x9d", "\x9f"],
    "bidi embedding or override": ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e"],
    "bidi isolate": ["\u2066", "\u2067", "\u2068", "\u2069"],
    "bidi mark": ["\u200e", "\u200f", "\u061c"],
    "zero-width or invisible": [
        "\u200b",
        "\u200c",
        "\u200d",
        "\u2060",
        "\u2064",
        "\ufeff",
        "\u180e",
    ],
    "line or paragraph separator": ["\u2028", "\u2029"],
    "tag character": ["\U000e0000", "\U000e0041", "\U000e007f"],
    "interlinear annotation": ["\ufff9", "\ufffa", "\ufffb"],
    "lone surrogate": ["\ud800", "\udc80", "\udfff"],
}


def runs(text):
    return list(pieces(text))


def test_the_table_is_one_documented_record_per_kind():
    names = [n.name for n in NEUTRALISED]
    assert names == list(SAMPLES)  # every kind has samples here, in the table's order
    assert len(set(names)) == len(names)
    for record in NEUTRALISED:
        assert record.why.strip()
        re.compile(f"[{record.pattern}]" if record.characters else record.pattern)
    with pytest.raises(AttributeError):
        NEUTRALISED[0].name = "x"  # frozen


def test_the_documentation_lists_the_same_table():
    doc = (Path(__file__).resolve().parents[1] / "docs" / "sanitiser.md").read_text()
    for record in NEUTRALISED:
        assert f"| {record.name} |" in doc


@pytest.mark.parametrize(("name", "sample"), [(n, s) for n, ss in SAMPLES.items() for s in ss])
def test_every_kind_is_neutralised_as_one_run(name, sample):
    # guillemets around it: an ASCII neighbour could make a lone ESC an escape sequence
    assert runs(f"«{sample}»") == [("«", False), (sample, True), ("»", False)]
    assert re.fullmatch(r"(\\(x..|u....|U........)|[ -~])+", for_terminal(sample))
    assert sample not in for_terminal(sample)
    assert sample not in for_data(sample)
    for_data(sample).encode("ascii")  # spelled out in printable ASCII


def test_ordinary_text_tab_and_newline_are_kept():
    text = "Hello, wörld! 中文 😀 e\u0301 \u00a0 tab\there\nnext line\n"
    assert runs(text) == [(text, False)]
    assert for_terminal(text) == text
    assert for_data(text) == text
    assert runs("") == []


def test_crlf_is_folded_first_and_a_lone_cr_is_neutralised():
    assert for_terminal("a\r\nb") == "a\nb"
    assert for_data("a\r\nb\r\n") == "a\nb\n"
    assert for_terminal("50%\r100%") == "50%\\x0d100%"
    assert for_terminal("a\r\r\nb") == "a\\x0d\nb"
    assert for_data("\n\r") == "\n\\u000d"


def test_escape_sequences_are_whole_units_and_osc8_links_show_their_target():
    assert runs(OSC8) == [
        ("\x1b]8;;http://example.invalid\x1b\\", True),
        ("link", False),
        ("\x1b]8;;\x1b\\", True),
    ]
    assert for_terminal(OSC8) == "\\x1b]8;;http://example.invalid\\x1b\\link\\x1b]8;;\\x1b\\"
    assert runs("\x1b[31m\x1b[0m") == [("\x1b[31m", True), ("\x1b[0m", True)]
    # neighbouring single characters are one run
    assert runs("x\u202e\u2066\x00y") == [("x", False), ("\u202e\u2066\x00", True), ("y", False)]


def test_broken_sequences_never_swallow_text():
    # an unterminated OSC is a two-character escape, and what follows stays text
    assert runs("\x1b]0;title") == [("\x1b]", True), ("0;title", False)]
    # a lone ESC, at the end or before something that is no escape
    assert runs("a\x1b") == [("a", False), ("\x1b", True)]
    assert runs("\x1b\u00e9") == [("\x1b", True), ("\u00e9", False)]
    # a CSI without a final byte
    assert runs("\x1b[12;") == [("\x1b[", True), ("12;", False)]
    # bounded: an OSC body longer than the bound is not one sequence, yet no ESC gets through
    long = "\x1b]0;" + "t" * 10_000 + "\x07"
    assert len(runs(long)) == 3
    assert "\x1b" not in for_terminal(long)
    assert "\x07" not in for_terminal(long)


@pytest.mark.parametrize(
    "hostile",
    [
        "\x1b[" * 500_000,
        "\x1b[" + "0" * 1_000_000,
        "\x1b]" * 500_000,
        "\x1b]" + "a" * 1_000_000,
        "\x1b]8;;" * 200_000,
        "\x1bP" * 500_000,
        "\x1b_" + "a" * 1_000_000,
        "\x1b " * 500_000,
        "\x00" * 1_000_000,
        "\r\n" * 500_000,
        ("\u202e\x1b[31m\udc80" + OSC8) * 22_000,
    ],
    ids=lambda s: repr(s[:6]),
)
def test_hostile_megabyte_takes_linear_time(hostile):
    assert len(hostile) >= 1_000_000
    started = time.perf_counter()
    shown = for_data(hostile)
    ESCAPE_SEQUENCE.sub("", hostile)
    # quadratic work on a megabyte would take hours; linear takes well under a second
    assert time.perf_counter() - started < 10
    shown.encode("utf-8")
    assert "\x1b" not in shown


def test_terminal_spelling():
    assert escaped("\x1b[31m") == "\\x1b[31m"
    assert escaped("\x00\x7f\x9b") == "\\x00\\x7f\\x9b"
    assert escaped("\u202e\u2066") == "\\u202e\\u2066"
    assert escaped("\U000e0041") == "\\U000e0041"
    assert escaped("\udc80") == "\\udc80"
    assert for_terminal("a\x1b[31mb\x07\tc\n") == "a\\x1b[31mb\\x07\tc\n"


def test_data_spelling():
    assert json_escaped("\x1b[31m") == "\\u001b[31m"
    assert json_escaped("\x00\x9b") == "\\u0000\\u009b"
    assert json_escaped("\u202e") == "\\u202e"
    assert json_escaped("\U000e0041") == "\\U000e0041"
    assert json_escaped("\udc80") == "\\udc80"
    assert for_data(f"x{OSC8}") == (
        "x\\u001b]8;;http://example.invalid\\u001b\\link\\u001b]8;;\\u001b\\"
    )


def test_neutralise_takes_any_presentation():
    assert neutralise("a\x1b[1mb\u202ec", lambda run: f"<{len(run)}>") == "a<4>b<1>c"


def test_escape_sequence_pattern_is_what_strip_ansi_removes():
    text = "\x1b[1;31mred\x1b[0m\x1b]0;t\x07 \x1b7x\x1b8 \x1bPdcs\x1b\\ " + OSC8 + "\x00"
    assert ESCAPE_SEQUENCE.sub("", text) == "red x  link\x00"  # lone controls are not sequences
    how = Normalize(strip_ansi=True, strip=False, collapse_whitespace=False, ignore_case=False)
    assert normalize(text, how) == "red x  link\x00"


# any characters, with the pieces of escape sequences and every sample often among them
SPECIAL = sorted({c for samples in SAMPLES.values() for s in samples for c in s} | set("\r\n\t\\"))


@given(st.text(alphabet=st.one_of(st.characters(), st.sampled_from(SPECIAL)), max_size=200))
def test_nothing_neutralised_survives_either_presentation(text):
    for shown in (for_terminal(text), for_data(text)):
        assert all(not hidden for _, hidden in pieces(shown))
        shown.encode("utf-8")
    assert "".join(run for run, _ in pieces(text)) == text.replace("\r\n", "\n")
    assert for_data(for_data(text)) == for_data(text)


def test_the_module_needs_only_the_standard_library():
    tree = ast.parse(Path(sanitizer.__file__).read_text())
    imported = {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    } | {
        (node.module or "").split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
    }
    assert imported <= set(sys.stdlib_module_names) | {"__future__"}
