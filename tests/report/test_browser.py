"""The pages in a real browser: headless Chromium, driven over the DevTools protocol on a pipe.

Skipped when no Chromium is installed, unless GRADER_REQUIRE_BROWSER=1 (CI sets it and installs
Debian's ``chromium``), which turns a missing browser into a failure. GRADER_SCREENSHOTS=DIR
keeps full-page screenshots of the pages opened, for a person to look at.

Every page must also pass axe-core's WCAG 2.1 A and AA rules with no violation. axe-core is
pinned in ``axe/package-lock.json`` and installed by ``make test`` (``npm ci``); without it
the accessibility tests skip, or fail under GRADER_REQUIRE_BROWSER=1 like a missing browser.
"""

from __future__ import annotations

import os
import textwrap
from datetime import datetime, timezone
from pathlib import Path

import pytest

from grader.models.gradebook import Release
from grader.models.results import BuildResult, Evidence, ImageResult, Layer, RunResult
from grader.overrides import apply, parse_overrides
from grader.report import render_class_page, write_class_pages
from grader.results import read_results, with_similarity
from tests import factories as f
from tests.report.cdp import Browser, Page, find_chromium
from tests.report.conftest import CLASS_RESULTS

AXE = Path(__file__).resolve().parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"
WCAG_AA = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")
# Only what a failure message needs comes back: the 800-row dashboard has thousands of nodes.
RUN_AXE = f"""
axe.run(document, {{runOnly: {{type: "tag", values: {list(WCAG_AA)!r}}},
                    resultTypes: ["violations"]}})
  .then(r => r.violations.map(v => ({{
    id: v.id, impact: v.impact, help: v.help, count: v.nodes.length,
    targets: v.nodes.slice(0, 3).map(n => n.target.join(" ")),
    summary: v.nodes.length ? v.nodes[0].failureSummary : ""}})))
"""
# Closed <details> hide their content from axe: open them all, as a reader may.
OPEN_DETAILS = "document.querySelectorAll('details').forEach(d => { d.open = true; })"


def _required(message: str) -> None:
    """A skip, or a failure where CI promised the tool (GRADER_REQUIRE_BROWSER=1)."""
    if os.environ.get("GRADER_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{message}, and GRADER_REQUIRE_BROWSER=1")
    pytest.skip(message)


@pytest.fixture(scope="module")
def browser():
    executable = find_chromium()
    if executable is None:
        _required("no Chromium found (apt-get install chromium)")
    with Browser(executable) as running:
        yield running


@pytest.fixture(scope="module")
def axe_script() -> str:
    if not AXE.is_file():
        _required("no axe-core (make test installs it: npm ci --prefix tests/report/axe)")
    return AXE.read_text(encoding="utf-8")


def violations(page: Page, axe_script: str) -> list[dict]:
    """axe-core's WCAG 2.1 A and AA violations on the page, details opened."""
    page.evaluate(OPEN_DETAILS)
    page.load_script(axe_script, "axe.min.js")
    return page.evaluate(RUN_AXE)


def explain(found: list[dict]) -> str:
    """Rule, impact, how many nodes, a few of them, and what to fix: enough to act on."""
    return "\n".join(
        f"{v['id']} ({v['impact']}, {v['count']} nodes): {v['help']}\n"
        f"  e.g. {' | '.join(v['targets'])}\n{textwrap.indent(v['summary'], '    ')}"
        for v in found
    )


def assert_accessible(page: Page, axe_script: str, name: str) -> None:
    found = violations(page, axe_script)
    assert not found, f"{name}: axe-core found\n{explain(found)}"


@pytest.fixture(scope="module")
def site(klass, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("site")
    write_class_pages(klass, out)
    return out


def shoot(page, name: str) -> None:
    folder = os.environ.get("GRADER_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(Path(folder) / f"{name}.png")


def test_dashboard_loads_cleanly_and_sorts(browser, site):
    page = browser.open(site / "index.html")
    shoot(page, "dashboard")
    assert page.problems() == []
    assert page.evaluate("document.querySelector('table.sortable').dataset.sorter") == "ready"
    rows = "Array.from(document.querySelectorAll('table.sortable tbody tr'))"
    order = f"{rows}.map(r => r.cells[0].dataset.sort)"
    assert page.evaluate(order) == ["alice", "bob", "carol", "dave", "mallory", "erin"]
    buttons = "Array.from(document.querySelectorAll('table.sortable th button'))"
    score = f"{buttons}.find(b => b.textContent === 'Score')"
    page.evaluate(f"{score}.click()")
    assert page.evaluate(order) == ["erin", "bob", "carol", "dave", "mallory", "alice"]
    assert page.evaluate(f"{score}.closest('th').getAttribute('aria-sort')") == "ascending"
    page.evaluate(f"{score}.click()")
    assert page.evaluate(order)[0] == "alice"
    assert page.evaluate("document.getElementById('sort-status').textContent") == (
        "Sorted by Score, descending."
    )
    # every chart is drawn at a real size
    charts = "Array.from(document.querySelectorAll('svg.chart'))"
    sizes = page.evaluate(f"{charts}.map(s => s.getBoundingClientRect().width)")
    assert len(sizes) >= 3
    assert min(sizes) > 300
    assert page.problems() == []


@pytest.mark.parametrize("student", ["alice", "bob", "carol", "mallory"])
def test_student_pages_load_cleanly(browser, site, student):
    page = browser.open(site / "students" / f"{student}.html")
    shoot(page, student)
    assert page.problems() == []
    assert page.evaluate("document.scripts.length") == 0
    assert page.evaluate("document.title").startswith(student)


def test_hostile_output_is_text_in_the_browser(browser, site):
    page = browser.open(site / "students" / "mallory.html")
    text = page.evaluate("document.body.innerText")
    assert "<script>alert('pwned')</script>" in text
    assert "\\x1b[31mred" in text
    assert "Mallory <b>Max</b>" in text
    assert page.evaluate("document.querySelectorAll('b, script').length") == 0
    page = browser.open(site / "index.html")
    assert page.evaluate("document.querySelectorAll('b').length") == 0
    assert page.evaluate("document.scripts.length") == 1


def test_problems_are_seen_when_there_are_some(browser, tmp_path):
    """The check above means something: an error and a refused script are both caught."""
    bad = tmp_path / "bad.html"
    bad.write_text(
        '<!doctype html><html lang="en"><head><meta http-equiv="Content-Security-Policy" '
        "content=\"default-src 'none'\"><title>bad</title></head><body>"
        "<script>console.error('boom')</script></body></html>"
    )
    page = browser.open(bad)
    problems = page.problems()
    assert any("Content Security Policy" in p or "Content-Security-Policy" in p for p in problems)
    noisy = tmp_path / "noisy.html"
    noisy.write_text("<!doctype html><title>n</title><script>console.error('boom'); x.y</script>")
    problems = browser.open(noisy).problems()
    assert any("boom" in p for p in problems)
    assert any(p.startswith("Uncaught") for p in problems)


# -- accessibility: axe-core's WCAG 2.1 A and AA rules --------------------------------------


def large_class(count: int = 800):
    """A class as big as a large course: every kind of row the dashboard draws, many times."""
    rows = []
    for i in range(count):
        student = f"s{i:04d}"
        if i % 97 == 5:
            rows.append(f.submission(student, [], status="error", error="clone failed"))
            continue
        tasks = [
            f.task(
                f"task{t}", [f.criterion(f"c{t}a", (i + t) % 3 != 0), f.criterion(f"c{t}b", True)]
            )
            for t in range(1, 6)
        ]
        rows.append(
            f.submission(
                student,
                tasks,
                name=f"Student Number {i}",
                commit=f"{i:012x}",
                commit_time=datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc),
                late=i % 41 == 3,
            )
        )
    return f.results(rows)


def long_output_class():
    """One student whose build log, run output, Dockerfile and diff are long, and wide."""
    wide = "x" * 400 + " " + "-" * 300  # one word longer than any window
    steps = ["FROM alpine", *(f"RUN echo step {n}" for n in range(2, 39)), f"RUN echo {wide}"]
    steps.append("RUN false")
    log = "\n".join(
        [f"Step {n}/40 : {line}" for n, line in enumerate(steps, 1)]
        + ["The command '/bin/sh -c false' returned a non-zero code: 1"]
    )
    broken = f.task(
        "task1",
        [f.criterion("builds", False, 4, check="builds")],
        build=BuildResult(ok=False, seconds=9, log_tail=log, error="Step 40/40 : RUN false"),
        dockerfile_text="\n".join(steps) + "\n",
    )
    stdout = "\n".join(f"line {n}: {wide if n % 25 == 0 else 'ok'}" for n in range(300))
    noisy = f.task(
        "task2",
        [
            f.criterion(
                "output",
                False,
                4,
                check="output",
                evidence=Evidence(expected=f"line 0: {wide[:-1]}", actual=stdout),
            )
        ],
        build=BuildResult(ok=True, seconds=2, log_tail="done"),
        run=RunResult(exit_code=0, stdout=stdout, stderr="warning: " + wide, seconds=0.5),
        # layers that no Dockerfile explains: drawn as "unknown", the lightest bars
        image=ImageResult(
            size_bytes=80_000_000,
            final_base=None,
            layers=[
                Layer(created_by="/bin/sh -c #(nop) ADD file:abc in / ", size_bytes=50_000_000),
                Layer(created_by="/bin/sh -c apk add curl", size_bytes=30_000_000),
            ],
        ),
    )
    return f.results([f.submission("verbose", [broken, noisy])])


@pytest.fixture(scope="module")
def long_site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("long")
    write_class_pages(long_output_class(), out)
    return out


@pytest.fixture(scope="module")
def large_dashboard(tmp_path_factory) -> Path:
    """Only the dashboard: its 1600 links need not lead anywhere for axe."""
    path = tmp_path_factory.mktemp("large") / "index.html"
    path.write_text(render_class_page(large_class()), encoding="utf-8")
    return path


def test_large_dashboard_passes_axe(browser, axe_script, large_dashboard):
    page = browser.open(large_dashboard)
    assert page.evaluate("document.querySelectorAll('table.students tbody tr').length") == 800
    assert_accessible(page, axe_script, "index.html, 800 students")


@pytest.mark.parametrize("width", [1200, 390])
def test_fixture_dashboard_passes_axe_sorted_or_not(browser, axe_script, site, width):
    page = browser.open(site / "index.html", width=width)
    assert_accessible(page, axe_script, "index.html")
    page.evaluate("document.querySelector('table.sortable th button').click()")
    assert page.evaluate("document.querySelectorAll('th[aria-sort]').length") == 1
    assert_accessible(page, axe_script, "index.html, sorted")


@pytest.mark.parametrize("folder", ["students", "instructor"])
@pytest.mark.parametrize("width", [1200, 390])
def test_every_copy_passes_axe(browser, axe_script, klass, site, folder, width):
    pages = sorted((site / folder).glob("*.html"))
    assert len(pages) == len(klass.submissions)
    failures = []
    for path in pages:
        found = violations(browser.open(path, width=width), axe_script)
        if found:
            failures.append(f"{folder}/{path.name}:\n{explain(found)}")
    assert not failures, "axe-core found\n" + "\n".join(failures)


@pytest.mark.parametrize("width", [1200, 390])
def test_long_output_passes_axe(browser, axe_script, long_site, width):
    page = browser.open(long_site / "instructor" / "verbose.html", width=width)
    page.evaluate(OPEN_DETAILS)
    # what scrolls is the <pre>, or the region around it
    scrolling = (
        "Array.from(document.querySelectorAll('pre')).map(p => p.closest('.scroll') || p)"
        ".filter(e => e.scrollHeight > e.clientHeight)"
    )
    assert page.evaluate(f"{scrolling}.length") >= 2  # the build log and the output
    # it can take the focus (a <div> without tabindex cannot), and shows it
    page.evaluate(f"{scrolling}[0].focus()")
    focused = "document.activeElement"
    assert page.evaluate(f"{scrolling}[0] === {focused}")
    assert page.evaluate(f"{focused}.matches(':focus-visible')")
    style = f"getComputedStyle({focused})"
    assert page.evaluate(f"[{style}.outlineStyle, {style}.outlineWidth]") == ["solid", "3px"]
    assert_accessible(page, axe_script, "instructor/verbose.html")


# axe cannot tell what is under an SVG <text> (it reports "incomplete"): measure it here.
ON_BAR_CONTRAST = """
(() => {
  const lum = color => {
    const [r, g, b] = color.match(/[\\d.]+/g).slice(0, 3).map(v => {
      v = Number(v) / 255;
      return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const inside = (box, x, y) =>
    box.x <= x && x <= box.x + box.width && box.y <= y && y <= box.y + box.height;
  return Array.from(document.querySelectorAll("svg text.on-bar")).map(text => {
    const box = text.getBBox();
    const [x, y] = [box.x + box.width / 2, box.y + box.height / 2];
    const bar = Array.from(text.ownerSVGElement.querySelectorAll("rect:not(.track)"))
      .reverse().find(rect => inside(rect.getBBox(), x, y));
    const [a, b] = [text, bar].map(e => lum(getComputedStyle(e).fill));
    return [bar.getAttribute("class") + ": " + text.textContent,
            (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05)];
  });
})()
"""


def test_text_on_bars_has_contrast(browser, site, long_site):
    """WCAG 1.4.3: 4.5 to 1 for the 12-unit labels written on chart bars, of every colour."""
    pages = [*sorted((site / "instructor").glob("*.html")), long_site / "instructor/verbose.html"]
    measured = [m for path in pages for m in browser.open(path).evaluate(ON_BAR_CONTRAST)]
    drawn_on = {label.split(":")[0] for label, _ in measured}
    assert {"pass", "fail", "seg own", "seg base", "seg unknown"} <= drawn_on
    low = [f"{label} ({ratio:.2f})" for label, ratio in measured if ratio < 4.5]
    assert not low, "too little contrast: " + "; ".join(low)


def test_axe_finds_violations_when_there_are_some(browser, axe_script, tmp_path):
    """The check above means something: a bad page yields the violations expected."""
    bad = tmp_path / "bad.html"
    bad.write_text(
        '<!doctype html><html lang="en"><head><meta http-equiv="Content-Security-Policy" '
        "content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">"
        "<title>bad</title></head><body><main>"
        '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">'
        '<a href="#x" aria-label="instructor\'s copy">full</a>'
        '<pre style="max-height: 2rem; overflow: auto">1\n2\n3\n4\n5\n6</pre>'
        "</main></body></html>"
    )
    found = {v["id"]: v for v in violations(browser.open(bad), axe_script)}
    assert {"image-alt", "label-content-name-mismatch", "scrollable-region-focusable"} <= set(found)
    assert found["image-alt"]["targets"] == ["img"]
    assert "image-alt (critical, 1 nodes)" in explain(list(found.values()))


GRADEBOOK = b"""\
students:
  alice:
    - {task: task1, criterion: output, verdict: failed, reason: "Prints the greeting twice."}
    - {task: task1, criterion: no-such-check, points: 1, reason: "stale on purpose"}
    - {adjustment: 2, reason: "Office hours", private: true}
    - {comment: "Clear stages; keep it up.", task: task1}
  bob:
    - {comment: "See me about task 2."}
"""


def gradebook_class(release: Release):
    """The fixture class with overrides (one flagged), an extension, similarity, a release."""
    klass = read_results(CLASS_RESULTS)
    done, _ = apply(klass, parse_overrides(GRADEBOOK, "overrides.yaml"), moment=RELEASED)
    rows = [
        row.model_copy(
            update={"deadline": DEADLINE, "deadline_source": "extension", "deadline_note": "DSP"}
        )
        if row.student == "bob"
        else row
        for row in done.submissions
    ]
    done = done.model_copy(update={"submissions": rows, "release": release})
    return with_similarity(done, 0.9)


RELEASED = datetime(2026, 11, 30, tzinfo=timezone.utc)
DEADLINE = datetime(2026, 12, 3, 23, 59, tzinfo=timezone.utc)


@pytest.fixture(scope="module", params=["before", "after"])
def gradebook_site(request, tmp_path_factory) -> Path:
    """Pages with every part of the gradebook, before the release (score only) and after."""
    at = datetime(2030, 1, 1, tzinfo=timezone.utc) if request.param == "before" else RELEASED
    out = tmp_path_factory.mktemp(f"gradebook-{request.param}")
    write_class_pages(gradebook_class(Release(at=at, before="score")), out)
    return out


@pytest.mark.parametrize("width", [1200, 390])
def test_the_gradebook_parts_pass_axe(browser, axe_script, gradebook_site, width):
    dashboard = browser.open(gradebook_site / "index.html", width=width)
    assert dashboard.evaluate("document.querySelectorAll('#flagged li').length") == 1
    assert dashboard.evaluate("!!document.getElementById('similar')")
    assert_accessible(dashboard, axe_script, "index.html with overrides and similarity")
    failures = []
    for path in sorted(gradebook_site.glob("*/*.html")):
        page = browser.open(path, width=width)
        page.evaluate(OPEN_DETAILS)
        found = violations(page, axe_script)
        if found:
            failures.append(f"{path.parent.name}/{path.name}:\n{explain(found)}")
    assert not failures, "axe-core found\n" + "\n".join(failures)
    alice = browser.open(gradebook_site / "students" / "alice.html").evaluate(
        "document.body.innerText"
    )
    released = gradebook_site.name.startswith("gradebook-after")
    assert ("Clear stages; keep it up." in alice) is released
    assert "Office hours" not in alice
    instructor = browser.open(gradebook_site / "instructor" / "alice.html")
    text = instructor.evaluate("document.body.innerText")
    assert "Office hours" in text
    assert "no criterion task1/no-such-check" in text
