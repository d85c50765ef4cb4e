"""Evidence pieces on their own: excerpts, diffs, build failures, layers, visible text, charts."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from grader.models.analysis import Analysis, Problem, Stage
from grader.models.results import BuildResult, Evidence, Layer
from grader.report import evidence as ev
from grader.report import svg
from grader.report.text import moment, plain, visible
from grader.units import format_bytes
from tests import factories as f

INHERITING = """\
FROM golang:1.20 AS builder
WORKDIR /app
COPY . .
RUN go build -o /app/myapp .

FROM builder AS final
CMD ["/app/myapp"]
"""


def stage(index, name, base, line, base_stage=None):
    return Stage(index=index, name=name, base=base, base_stage=base_stage, line=line)


def analysis(stages, final, *, problems=()):
    return Analysis(
        dockerfile="task1/Dockerfile",
        stage_count=len(stages),
        stages=stages,
        final_stage=final,
        final_base="golang:1.20",
        multi_stage=False,
        depends_on=[],
        problems=list(problems),
        error=None,
    )


def test_visible_spells_out_controls_and_escapes_markup():
    assert visible("a<b>") == "a&lt;b&gt;"
    shown = visible("x\x1b[31my\x07\r\nz\tw")
    assert "\x1b" not in shown
    assert "\x07" not in shown
    assert "\\x1b[31m" in shown
    assert "\\x07" in shown
    assert "\nz\tw" in shown  # newlines and tabs stay
    assert plain("\u202eabc") == "\\u202eabc"
    assert moment(f.results([]).graded_at).text == "2026-12-02 08:00 UTC"


def test_excerpt_shows_short_files_whole_and_long_ones_around_the_mark():
    text = "\n".join(f"RUN echo {n}" for n in range(1, 61))
    long = ev.excerpt(text, [ev.Mark(30, 30, "here")], label="Dockerfile")
    numbers = [r.number for r in long.rows]
    assert numbers == [None, 27, 28, 29, 30, 31, 32, 33, None]
    assert [r.note for r in long.rows if r.highlight] == ["here"]
    assert long.label == "Dockerfile, line 30 highlighted"
    short = ev.excerpt("FROM a\nRUN b\n", [ev.Mark(2, 2, "x")], label="D")
    assert [r.number for r in short.rows] == [1, 2]
    assert ev.excerpt("FROM a\n", [ev.Mark(9, 9, "beyond the end")], label="D") is None


def test_final_base_follows_from_stage_back_to_the_image():
    found = ev.instructions(INHERITING)
    stages = [stage(0, "builder", "golang:1.20", 1), stage(1, "final", "builder", 6, 0)]
    criterion = f.criterion("final-base", False, check="final_base")
    marks = ev.criterion_marks(criterion, analysis(stages, 1), found)
    assert [(m.start, m.note) for m in marks] == [
        (6, "the final stage starts from builder, so it inherits everything in it"),
        (1, "stage 'builder' starts from golang:1.20: this is what ships"),
    ]


def test_lint_problems_are_highlighted_with_their_message():
    problem = Problem(line=3, rule="copy-from-unknown-stage", severity="error", message="no such")
    criterion = f.criterion(
        "lint",
        False,
        check="dockerfile_lint",
        evidence=Evidence(expected="no copy-from-unknown-stage", actual="x", line=3),
    )
    stages = [stage(0, None, "alpine", 1)]
    marks = ev.criterion_marks(criterion, analysis(stages, 0, problems=[problem]), [])
    assert [(m.start, m.note) for m in marks] == [(3, "copy-from-unknown-stage: no such")]


def test_continuation_lines_are_highlighted_together():
    text = "FROM alpine\nRUN apk add \\\n    curl\nCMD x\n"
    found = ev.instructions(text)
    assert [(i.keyword, i.line, i.end_line) for i in found] == [
        ("FROM", 1, 1),
        ("RUN", 2, 3),
        ("CMD", 4, 4),
    ]
    assert ev.instructions("") == []
    for odd in ("\x00garbage", "FROM a\nRUN <<EOF\nx\n", "FROM a\n\\", "\ud800"):
        ev.instructions(odd)  # whatever a student wrote, it never raises


def test_diff_marks_the_changed_characters():
    diff = ev.output_diff("Hello from Go multi-stage!", "Hello from Go multistage!\nextra")
    sides = [line.side for line in diff.lines]
    assert sides == ["expected", "actual", "actual"]
    changed = [p.text for p in diff.lines[0].pieces if p.changed]
    assert changed == ["-"]
    assert ev.output_diff("matches: /x/", "y") is None
    last = ev.output_diff("last line: Hello", "> npm start\n\nHallo\n")
    assert "last line" in last.caption
    assert [line.side for line in last.lines] == ["expected", "actual"]
    nothing = ev.output_diff("Hello", "")
    assert nothing.lines[-1].pieces[0].text == "(nothing)"


def test_build_failure_without_a_step_still_explains():
    build = BuildResult(ok=False, seconds=600, timed_out=True, log_tail="Step 1/2 : RUN sleep 1e9")
    failure = ev.build_failure(build, "FROM a\nRUN sleep 1e9\n", [], label="D")
    assert failure.timed_out
    assert failure.step is None
    assert failure.reason == "the build timed out"
    long_log = "\n".join(f"line {n}" for n in range(500))
    build = BuildResult(ok=False, seconds=1, log_tail=long_log, log_truncated=True, error="boom")
    failure = ev.build_failure(build, None, [], label="D")
    assert len(failure.log) == 60
    assert failure.log_note == "the last 60 of 500 lines; the log was cut in the middle"


def test_layers_match_the_final_stage_or_are_shown_plainly():
    found = ev.instructions(INHERITING)
    stages = [stage(0, "builder", "golang:1.20", 1), stage(1, "final", "builder", 6, 0)]
    layers = [
        Layer(created_by="Imported from -", size_bytes=500_000_000),
        Layer(created_by="/bin/sh -c #(nop) WORKDIR /app", size_bytes=0),
        Layer(created_by="/bin/sh -c #(nop) COPY dir:" + "a" * 64 + " in . ", size_bytes=300),
        Layer(created_by="|1 X=1 /bin/sh -c go build -o /app/myapp .", size_bytes=2_000_000),
        Layer(created_by='/bin/sh -c #(nop) CMD ["/app/myapp"]', size_bytes=0),
    ]
    breakdown = ev.layer_breakdown(
        layers, analysis(stages, 1), found, size_bytes=502_000_300, chart_id="c"
    )
    assert [r.origin for r in breakdown.rows] == ["base", "own", "own", "own", "own"]
    assert [r.line for r in breakdown.rows] == [None, 2, 3, 4, 7]
    assert breakdown.rows[2].instruction == "COPY dir:aaaaaaaaaaaa… in ."
    assert breakdown.rows[3].instruction == "RUN go build -o /app/myapp ."
    assert "500.0 MB come from the base image golang:1.20 (1 layer)" in breakdown.summary
    # a history that does not agree with the file: no claim about where layers come from
    other = ev.layer_breakdown(layers[:2], analysis(stages, 1), found, size_bytes=1, chart_id="d")
    assert {r.origin for r in other.rows} == {"unknown"}
    assert other.summary.startswith("2 layers; the largest, 500.0 MB")
    assert ev.layer_instruction("RUN /bin/sh -c apk add x # buildkit") == "RUN apk add x"


def parse(markup: str) -> ET.Element:
    return ET.fromstring(markup)  # well-formed XML, or this raises


def test_charts_are_well_formed_labelled_and_escaped():
    ns = "{http://www.w3.org/2000/svg}"
    hostile = "<script>&\"'"
    charts = [
        svg.histogram(
            [svg.Bin(hostile, 3), svg.Bin("b", 0)],
            chart_id="h",
            title=hostile,
            desc=hostile,
            x_label=hostile,
            y_label="n",
        ),
        svg.rate_bars(
            [svg.RateRow(hostile, 1, 1, 1), svg.RateRow("none", 0, 0, 0)],
            chart_id="r",
            title="t",
            desc="d",
        ),
        svg.strip_plot(
            [
                svg.StripRow(hostile, [svg.StripPoint(5e6, hostile, False)], 2e7),
                svg.StripRow("empty", [], None),
            ],
            chart_id="s",
            title="t",
            desc="d",
            fmt=format_bytes,
            x_label="x",
        ),
        svg.gauge(3.0, 10.0, better="higher", fmt=str, chart_id="g", title=hostile),
        svg.stacked_bar(
            [svg.Segment(1, "own", hostile, short=hostile)], chart_id="b", title="t", desc="d"
        ),
    ]
    for markup in charts:
        root = parse(markup)
        assert root.get("role") == "img"
        title, desc = root.find(f"{ns}title"), root.find(f"{ns}desc")
        assert title is not None
        assert desc is not None
        assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
        assert "<script>" not in markup
        assert root.find(f".//{ns}script") is None
    meter = parse(svg.meter(1.5))
    assert meter.get("aria-hidden") == "true"
    assert meter.findall(f"{ns}rect")[1].get("width") == "120"  # clamped to full
