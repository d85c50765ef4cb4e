"""The pages in a real browser: headless Chromium, driven over the DevTools protocol on a pipe.

Skipped when no Chromium is installed, unless GRADER_REQUIRE_BROWSER=1 (CI sets it and installs
Debian's ``chromium``), which turns a missing browser into a failure. GRADER_SCREENSHOTS=DIR
keeps full-page screenshots of the pages opened, for a person to look at.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from grader.report import write_class_pages
from tests.report.cdp import Browser, find_chromium


@pytest.fixture(scope="module")
def browser():
    executable = find_chromium()
    if executable is None:
        if os.environ.get("GRADER_REQUIRE_BROWSER") == "1":
            pytest.fail(
                "no Chromium found, and GRADER_REQUIRE_BROWSER=1 (apt-get install chromium)"
            )
        pytest.skip("no Chromium found (apt-get install chromium)")
    with Browser(executable) as running:
        yield running


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
