"""Student pages of the graded fixture class: what a student needs to act on is on the page."""

from __future__ import annotations

import re

import pytest

from grader.models.results import BuilderInfo, BuildResult
from grader.report import render_student_page, write_class_pages
from grader.report.html import _Renderer
from tests import factories as f
from tests.report.conftest import outline, submission_of


def page(results, student, *, instructor=False) -> str:
    return render_student_page(results, submission_of(results, student), instructor=instructor)


def highlighted(html: str) -> list[tuple[int, str]]:
    """(line number, text) of every highlighted Dockerfile line."""
    found = re.findall(r'class="cl hl"><span class="ln">(\d+)</span><code><mark>(.*?)</mark>', html)
    return [(int(n), text) for n, text in found]


def test_model_answer_shows_full_marks_and_no_hints(klass):
    html = page(klass, "alice")
    assert "100 / 100" in html
    assert "25 / 25" in html
    assert "Hint:" not in html
    assert 'class="build-failure"' not in html
    assert "9d7ac9a4a17a" in html  # the commit graded
    assert 'datetime="2026-11-28T10:00:00+00:00"' in html
    assert "late" not in re.sub(r"<style>.*?</style>", "", html, flags=re.S).lower().replace(
        "translate", ""
    )


def test_per_task_scores_link_to_their_sections(klass):
    html = page(klass, "bob")
    doc = outline(html)
    anchors = [a["href"] for a in doc.all("a") if (a.get("href") or "").startswith("#")]
    assert len(anchors) == 5
    assert all(href[1:] in doc.ids for href in anchors)
    for points in ("8 / 25", "10.18 / 20", "9.54 / 20", "0 / 15", "5 / 20", "32.72 / 100"):
        assert points in html


def test_single_stage_highlights_the_from_line_with_the_hint(klass):
    html = page(klass, "bob")
    assert (1, "FROM golang:1.20") in highlighted(html)
    assert "the only stage: what builds the app also ships it" in html
    assert "the final stage starts from golang:1.20: this is what ships" in html
    assert "Compile in a first stage (FROM golang:1.20 AS builder)" in html  # the rubric's hint


def test_image_size_is_a_bar_against_the_limit(klass):
    html = page(klass, "bob")
    gauges = re.findall(r'<svg [^>]*class="chart gauge".*?</svg>', html, flags=re.S)
    assert gauges
    first = gauges[0]
    assert "543.6 MB, over the limit of 20.0 MB" in first  # the <desc>
    assert "limit 20.0 MB" in first
    assert 'class="fail"' in first
    alice = page(klass, "alice")
    assert "1.8 MB, within the limit of 20.0 MB" in alice


def test_layers_say_where_the_megabytes_come_from(klass):
    html = page(klass, "bob")
    assert "541.5 MB come from the base image golang:1.20 (5 layers)" in html
    assert "2.1 MB from the 4 instructions of your final stage" in html
    assert "RUN go build -o myapp ." in html
    assert "line 4" in html  # the RUN layer is traced to its Dockerfile line
    # the image was too big: the layer table is open
    assert re.search(r"<details open>\s*<summary>All 9 layers", html)
    alice = page(klass, "alice")
    assert "The base image scratch adds nothing" in alice
    assert re.search(r"<details>\s*<summary>All 2 layers", alice)


def test_broken_build_names_the_step_the_line_and_the_log(klass):
    html = page(klass, "carol")
    assert "The image did not build" in html
    assert "Step 4/7 failed: <code>RUN CGO_ENABLED=0 go biuld -o myapp .</code>" in html
    assert "returned a non-zero code: 2" in html
    assert (5, "RUN CGO_ENABLED=0 go biuld -o myapp .") in highlighted(html)
    assert "Step 4/7 failed here" in html
    # the log's tail, with the failing step marked and its colour codes made visible
    assert '<span class="fl first">Step 4/7 : RUN CGO_ENABLED=0 go biuld -o myapp .</span>' in html
    assert '<span class="ctl" title="control character">\\x1b[91m</span>go biuld' in html
    # criteria that needed the image say so once, without unrelated hints
    assert html.count("No image to check: the build failed (see above).") >= 3
    assert "If it is hundreds of MB" not in html


def test_failed_target_build_points_at_the_line(klass):
    html = page(klass, "carol")
    assert "Step 4/7 failed here" in html


def test_wrong_output_is_a_diff_and_nothing_runs(klass):
    html = page(klass, "mallory")
    assert "<del>Hello from Go multi-stage!</del>" in html
    printed = "&lt;script&gt;alert(&#39;pwned&#39;)&lt;/script&gt;red &amp; &lt;b&gt;bold&lt;/b&gt;"
    assert f"<ins>{printed}</ins>" in html
    assert "<script" not in html
    assert "<b>" not in html
    assert "Mallory &lt;b&gt;Max&lt;/b&gt;" in html
    # the raw output, escape sequences shown as text, never as control bytes
    assert '<span class="ctl" title="control character">\\x1b[31m</span>red' in html
    assert "\x1b" not in html
    assert re.search(r"<details open>\s*<summary>Output of the final image", html)


def test_late_submission_says_what_was_graded(klass):
    html = page(klass, "dave")
    assert 'class="badge late"' in html
    assert "the last commit before it was graded" in html
    assert "2026-12-01 23:59 UTC" in html


def test_grading_error_is_shown_without_tasks(klass):
    html = page(klass, "erin")
    assert "Grading error:" in html
    assert "Failed to connect to 127.0.0.1 port 9" in html
    assert "0 / 100" in html


@pytest.mark.parametrize("student", ["alice", "bob", "carol", "dave", "mallory", "erin"])
def test_pages_are_self_contained_and_accessible(klass, student):
    for instructor in (False, True):
        html = page(klass, student, instructor=instructor)
        doc = outline(html)
        assert not doc.all("script")
        assert not [a for a in doc.all("link")]
        assert "http://" not in html.replace("http://www.w3.org/2000/svg", "")
        assert "https://" not in html.replace("https://127.0.0.1:9/erin.git", "")
        policy = doc.all("meta")[1]
        assert policy["http-equiv"] == "Content-Security-Policy"
        assert "default-src 'none'" in (policy["content"] or "")
        assert len(doc.ids) == len(set(doc.ids)), "ids must be unique"
        for svg in doc.all("svg"):
            if svg.get("aria-hidden") == "true":
                continue
            assert svg["role"] == "img"
            assert all(ref in doc.ids for ref in (svg["aria-labelledby"] or "").split())
        for th in doc.all("th"):
            assert th.get("scope") == "col"
        assert doc.all("html")[0]["lang"] == "en"


def test_instructor_copy_is_marked_and_links_back():
    results = f.results([f.hostile_submission()])
    html = _Renderer().student(
        results, results.submissions[0], instructor=True, back_href="../index.html"
    )
    assert "instructor&#39;s copy" in html
    assert '<a href="../index.html">' in html
    assert "<title>mallory · Lesson 2.4: Multi-stage builds · instructor&#39;s copy</title>" in html


def test_hidden_criteria_leave_task_totals_too():
    task = f.task(
        "task1", [f.criterion("seen", True, 3), f.criterion("secret", False, 2, hidden=True)]
    )
    results = f.results([f.submission("zoe", [task])])
    student = render_student_page(results, results.submissions[0])
    instructor = render_student_page(results, results.submissions[0], instructor=True)
    assert "3 / 5" not in student  # neither the total nor the task's points count it
    assert student.count("3 / 3") >= 3
    assert "Secret" not in student
    assert "1 more criteria are graded after the deadline" in student
    assert "3 / 5" in instructor


def test_late_penalty_comes_off_the_students_total():
    task = f.task("task1", [f.criterion("a", True, 10)])
    late = f.submission(
        "yan",
        [task],
        late=True,
        late_days=2,
        penalty=2.0,
        commit="c" * 40,
        commit_time=f.results([]).graded_at,
    )
    late = late.model_copy(update={"score": 8.0})
    results = f.results([late]).model_copy(
        update={"deadline": f.results([]).graded_at.replace(day=1)}
    )
    html = render_student_page(results, late)
    assert "8 / 10" in html
    assert "Late penalty: 2 points." in html
    assert "The commit graded was made after the deadline (2 days late)." in html


def test_terminal_escapes_in_messages_and_names_are_visible():
    criterion = f.criterion("out", False, 1, message="got \x1b[2J\x1b]0;title\x07 \u202e gnp.exe")
    results = f.results([f.submission("x", [f.task("t", [criterion])], name="A\x1b[1mB")])
    html = render_student_page(results, results.submissions[0])
    assert "\x1b" not in html
    assert "\u202e" not in html
    assert "\\x1b[2J" in html
    assert "\\x1b]0;title\\x07" in html
    assert "\\u202e" in html
    assert 'A<span class="ctl" title="control character">\\x1b[1m</span>B' in html


def test_text_that_is_not_unicode_still_writes(tmp_path):
    criterion = f.criterion("out", False, 1, message="half a pair: \ud800")
    dockerfile = "FROM alpine\nRUN echo \ud800\n"
    task = f.task("t", [criterion], dockerfile_text=dockerfile)
    write_class_pages(f.results([f.submission("x", [task])]), tmp_path)
    html = (tmp_path / "students" / "x.html").read_text(encoding="utf-8")
    assert "\\ud800" in html


def test_the_instructors_copy_says_what_built_each_task():
    info = BuilderInfo(
        name="buildkit",
        client="docker 20.10.24 (/usr/bin/docker, DOCKER_BUILDKIT=1)",
        engine="Docker Engine 20.10.24",
        enforced=["timeout", "network"],
    )
    build = BuildResult(ok=True, seconds=1, log_tail="", builder=info, reused=True)
    results = f.results(
        [f.submission("ann", [f.task("task1", [f.criterion("a", True)], build=build)])]
    )
    instructor = render_student_page(results, results.submissions[0], instructor=True)
    assert (
        "Built with BuildKit through docker 20.10.24 (/usr/bin/docker, DOCKER_BUILDKIT=1) on "
        "Docker Engine 20.10.24 (reused from an identical submission); build limits held: "
        "timeout, network."
    ) in instructor
    assert "Built with" not in render_student_page(
        results, results.submissions[0], instructor=False
    )
