"""Every output path carries a student's hostile text neutralised: not raw, and not dropped.

One results document holds the payload in a student's output (run stdout and stderr, a
criterion's message and evidence), a Dockerfile line (the task's text, a lint problem, an
evidence line) and the error messages; each test reads what one output wrote and asserts that
no raw character of the payload is in it and that every one is there in its neutralised form.
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

from rich.console import Console

from grader.export import ExportOptions, export
from grader.models.analysis import Analysis, Problem, Stage
from grader.models.results import Evidence, Results, RunResult
from grader.report.html import render_class_page, write_class_pages
from grader.report.progress import BatchDisplay
from grader.report.terminal import print_submission
from tests import factories as f

OSC8 = "\x1b]8;;http://example.invalid\x1b\\link\x1b]8;;\x1b\\"
# Each piece between guillemets, so a test can find it whole whatever an output puts around it.
RAW = ("\u202e", "\u2066", "\x1b[31m", OSC8, "\x00", "\udc80")
PAYLOAD = "".join(f"«{piece}»" for piece in RAW)
RAW_CHARACTERS = ("\u202e", "\u2066", "\x1b", "\x00", "\udc80")

TERMINAL = (
    "\\u202e",
    "\\u2066",
    "\\x1b[31m",
    "\\x1b]8;;http://example.invalid\\x1b\\link\\x1b]8;;\\x1b\\",
    "\\x00",
    "\\udc80",
)
DATA = (
    "\\u202e",
    "\\u2066",
    "\\u001b[31m",
    "\\u001b]8;;http://example.invalid\\u001b\\link\\u001b]8;;\\u001b\\",
    "\\u0000",
    "\\udc80",
)


def _span(spelled: str) -> str:
    return f'<span class="ctl" title="control character">{spelled}</span>'


HTML = (
    _span("\\u202e"),
    _span("\\u2066"),
    _span("\\x1b[31m"),
    _span("\\x1b]8;;http://example.invalid\\x1b\\") + "link" + _span("\\x1b]8;;\\x1b\\"),
    _span("\\x00"),
    _span("\\udc80"),
)


def hostile_results() -> Results:
    """A graded row full of the payload, and an errored one whose reason and name carry it."""
    dockerfile = f"FROM alpine\nRUN echo {PAYLOAD}\n"
    analysis = Analysis(
        dockerfile="task1/Dockerfile",
        stage_count=1,
        stages=[Stage(index=0, name=None, base="alpine", base_stage=None, line=1)],
        final_stage=0,
        final_base="alpine",
        multi_stage=False,
        depends_on=[],
        problems=[Problem(line=2, rule="odd-echo", severity="error", message=PAYLOAD)],
        error=None,
    )
    output = f.criterion(
        "output",
        False,
        4,
        check="output",
        message=f"stdout was {PAYLOAD}",
        hint=f"print Hello, not {PAYLOAD}",
        evidence=Evidence(expected="Hello", actual=PAYLOAD),
    )
    lint = f.criterion(
        "lint",
        False,
        1,
        check="dockerfile_lint",
        message=f"line 2: {PAYLOAD}",
        evidence=Evidence(expected="no odd-echo", actual=PAYLOAD, line=2),
    )
    task = f.task(
        "task1",
        [output, lint],
        dockerfile_text=dockerfile,
        analysis=analysis,
        run=RunResult(exit_code=0, stdout=PAYLOAD, stderr=PAYLOAD, seconds=0.2),
        error=f"task error: {PAYLOAD}",
    )
    graded = f.submission(
        "mallory",
        [task],
        name=f"Mallory {PAYLOAD}",
        section=f"Section {PAYLOAD}",
        email="mallory@example.invalid",
        lms_id="1001",
        seconds=1.5,
    )
    failed = f.submission(
        "eve",
        [],
        status="error",
        error=f"grading error: {PAYLOAD}",
        name=f"Eve {PAYLOAD}",
        email="eve@example.invalid",
        lms_id="1002",
    )
    failed = failed.model_copy(update={"max_score": graded.max_score})
    return f.results([graded, failed])


def strings(value: object) -> list[str]:
    """Every string of a parsed JSON document, keys too."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in [k, *strings(v)]]
    if isinstance(value, list):
        return [s for v in value for s in strings(v)]
    return []


def read(path: Path) -> str:
    """A written file as text: it must be valid UTF-8, so it cannot hold a lone surrogate."""
    return path.read_bytes().decode("utf-8")


def assert_neutralised(text: str, forms: tuple[str, ...]) -> None:
    for character in RAW_CHARACTERS:
        assert character not in text, f"raw {character!r} written"
    for form in forms:
        assert f"«{form}»" in text, f"{form} not carried"


def assert_json_neutralised(path: Path, forms: tuple[str, ...]) -> None:
    """The file and the strings it parses to: JSON escaping would hide a raw character."""
    text = read(path)
    assert_neutralised(text, tuple(json.dumps(form)[1:-1] for form in forms))
    documents = (
        [json.loads(line) for line in text.splitlines()]
        if path.suffix == ".jsonl"
        else [json.loads(text)]
    )
    assert_neutralised("\n".join(s for d in documents for s in strings(d)), forms)


def test_terminal(tmp_path):
    results = hostile_results()
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=True, width=100)
    print_submission(console, results.submissions[0])
    display = BatchDisplay(console)
    display.started(2)
    for row in results.submissions:
        display.finished(row, reused=False)
    display.summary()
    text = buffer.getvalue()
    text.encode("utf-8")
    # rich's own colours are the only escape sequences, and none comes from the payload
    assert re.sub(r"\x1b\[[0-9;]*m", "", text).count("\x1b") == 0
    assert "«\x1b" not in text
    plain = re.sub(r"\x1b\[[0-9;]*m", "", text)
    assert_neutralised(plain, TERMINAL)
    assert f"task error: «{TERMINAL[0]}»" in plain
    assert f"Dockerfile line 2: RUN echo «{TERMINAL[0]}»" in plain
    assert f"found:    «{TERMINAL[0]}»" in plain
    assert f"error eve: grading error: «{TERMINAL[0]}»" in plain  # the progress summary


def test_student_html(tmp_path):
    write_class_pages(hostile_results(), tmp_path)
    page = read(tmp_path / "students" / "mallory.html")
    assert_neutralised(page, HTML)
    assert "RUN echo «" + HTML[0] in page  # the Dockerfile line
    assert "odd-echo: «\\u202e»" in page  # the lint problem: plain text, through finalize


def test_instructor_html(tmp_path):
    write_class_pages(hostile_results(), tmp_path)
    page = read(tmp_path / "instructor" / "mallory.html")
    assert_neutralised(page, HTML)
    assert f"<pre>«{HTML[0]}»" in page  # the run's output


def test_dashboard(tmp_path):
    results = hostile_results()
    write_class_pages(results, tmp_path)
    page = read(tmp_path / "index.html")
    assert page == render_class_page(results)
    assert_neutralised(page, HTML)
    assert f"grading error: «{HTML[0]}»" in page  # the errored row
    assert f"Eve «{HTML[0]}»" in page  # its name


def test_students_json(tmp_path):
    write_class_pages(hostile_results(), tmp_path)
    for stem in ("mallory", "eve"):
        assert_json_neutralised(tmp_path / "students" / f"{stem}.json", DATA)
    mallory = json.loads(read(tmp_path / "students" / "mallory.json"))
    run = mallory["submissions"][0]["tasks"][0]["run"]
    assert run["stdout"] == "".join(f"«{form}»" for form in DATA)


def test_gradescope(tmp_path):
    written = export(hostile_results(), "gradescope", tmp_path / "gs", ExportOptions())
    assert len(written) == 2
    for path in written:
        assert_json_neutralised(path, DATA)


def test_lti(tmp_path):
    written = export(hostile_results(), "lti-ags", tmp_path / "lti", ExportOptions())
    scores = [p for p in written if p.name.startswith("scores")]
    assert len(scores) == 2
    for path in scores:
        assert_json_neutralised(path, DATA)
    comments = [s["comment"] for s in json.loads(read(tmp_path / "lti" / "scores.json"))]
    assert all(f"«{DATA[2]}»" in c for c in comments)  # the graded row's and the errored one's


def test_canvas(tmp_path):
    # Canvas's import CSV carries grades only, no feedback: the payload goes through the text
    # cells a student controls, the name and the section.
    (path,) = export(hostile_results(), "canvas-csv", tmp_path / "c.csv", ExportOptions())
    text = read(path)
    assert_neutralised(text, DATA)
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    mallory = next(r for r in rows if r[0].startswith("Mallory"))
    assert mallory[0] == "Mallory " + "".join(f"«{form}»" for form in DATA)
    assert mallory[4] == "Section " + "".join(f"«{form}»" for form in DATA)


def test_moodle(tmp_path):
    (path,) = export(hostile_results(), "moodle-csv", tmp_path / "m.csv", ExportOptions())
    text = read(path)
    assert_neutralised(text, DATA)
    rows = list(csv.reader(io.StringIO(text)))
    feedback = rows[1][2]
    assert f"task error: «{DATA[0]}»" in feedback
    assert f"stdout was «{DATA[0]}»" in feedback
