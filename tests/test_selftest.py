"""The rubric self-test: expectations parsed, judged against hand-built results, and run for real.

Judging needs no engine, so results come from ``tests/factories``; ``run_selftest`` grades with
``static_only`` on a tiny rubric whose checks read only the Dockerfile.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from grader import grading
from grader.errors import InputError
from grader.grading import GradeOptions
from grader.rubrics import LoadedRubric, load, parse
from grader.selftest import (
    Expectation,
    Finding,
    SelfTestReport,
    judge,
    parse_expectation,
    render,
    run_selftest,
)
from tests.factories import HOSTILE, criterion, submission, task

# --- parsing ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def lesson() -> LoadedRubric:
    return load("lesson-2.4")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("full=examples/model", Expectation("full", Path("examples/model"))),
        ("below:40=naive", Expectation("below", Path("naive"), percent=40)),
        ("below:37.5=naive", Expectation("below", Path("naive"), percent=37.5)),
        ("below:40%=naive", Expectation("below", Path("naive"), percent=40)),
        ("at-least:0=x", Expectation("at-least", Path("x"), percent=0)),
        ("at-least:100=x", Expectation("at-least", Path("x"), percent=100)),
        (
            "passes:task1/multi-stage=model",
            Expectation("passes", Path("model"), criterion="task1/multi-stage"),
        ),
        (
            "fails:task1/no-toolchain=naive",
            Expectation("fails", Path("naive"), criterion="task1/no-toolchain"),
        ),
        ("full=odd=name", Expectation("full", Path("odd=name"))),  # the first '=' ends the kind
    ],
)
def test_every_form_parses(lesson, text, expected):
    assert parse_expectation(text, lesson.rubric) == expected
    assert parse_expectation(text) == expected  # without a rubric, the criterion is unchecked


@pytest.mark.parametrize(
    ("text", "written"),
    [
        ("full=examples/model/", "full=examples/model"),
        ("below:40.0=naive", "below:40=naive"),
        ("at-least:37.5=x", "at-least:37.5=x"),
        ("passes:task1/multi-stage=model", "passes:task1/multi-stage=model"),
    ],
)
def test_an_expectation_is_written_back_as_typed(text, written):
    assert parse_expectation(text).text == written


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("ful=model", "unknown kind 'ful' (did you mean full?)"),
        ("perfect=model", "unknown kind 'perfect'"),
        ("below:101=naive", "101 is not a percent from 0 to 100"),
        ("below:-5=naive", "-5 is not a percent from 0 to 100"),
        ("below:1e3=naive", "below needs a percent of the maximum: below:N=DIR"),
        ("at-least:lots=naive", "at-least needs a percent of the maximum"),
        ("below=naive", "below needs a percent of the maximum"),
        ("full:100=model", "full takes nothing after it"),
        ("passes:multi-stage=model", "passes needs a criterion: passes:TASK/CRITERION=DIR"),
        ("fails:task1/a/b=model", "fails needs a criterion"),
        ("passes:task1/=model", "passes needs a criterion"),
        ("full", "no directory: give KIND=DIR"),
        ("full=", "no directory"),
        ("below:40", "no directory"),
    ],
)
def test_bad_text_is_one_line_naming_it_and_the_forms(text, problem):
    with pytest.raises(InputError) as info:
        parse_expectation(text)
    message = str(info.value)
    assert message.startswith(f"--expect {text}: ")
    assert problem in message
    assert "forms: full=DIR, below:N=DIR, at-least:N=DIR, passes:TASK/CRITERION=DIR" in message
    assert "\n" not in message


def test_text_that_is_not_printable_stays_on_one_line():
    with pytest.raises(InputError) as info:
        parse_expectation("full\nok=x")
    assert "\n" not in str(info.value)
    assert "'full\\nok=x'" in str(info.value)


def test_an_unknown_criterion_suggests_the_closest(lesson):
    with pytest.raises(InputError) as info:
        parse_expectation("passes:task1/multistage=model", lesson.rubric)
    message = str(info.value)
    assert (
        "no criterion task1/multistage in lesson-2.4 (did you mean task1/multi-stage?)" in message
    )
    assert "\n" not in message


def test_an_unknown_criterion_without_a_close_one_lists_the_task_or_the_tasks(lesson):
    with pytest.raises(InputError, match=r"\(task1 has task1/multi-stage, task1/final-base"):
        parse_expectation("fails:task1/zzzzzzzz=model", lesson.rubric)
    with pytest.raises(InputError, match=r"\(tasks: task1, task2, task3, task4, task5, quiz\)"):
        parse_expectation("fails:nothing/zzzzzzzz=model", lesson.rubric)


def test_an_expectation_built_by_hand_is_checked_too():
    with pytest.raises(ValueError, match="a percent goes with below and at-least only"):
        Expectation("full", Path("x"), percent=50)
    with pytest.raises(ValueError, match="a percent is 0 to 100"):
        Expectation("below", Path("x"), percent=120)
    with pytest.raises(ValueError, match="a criterion goes with passes and fails only"):
        Expectation("passes", Path("x"))
    with pytest.raises(ValueError, match="TASK/CRITERION"):
        Expectation("fails", Path("x"), criterion="size")


# --- judging ---------------------------------------------------------------------------------


def model_losing_one_point():
    """A model answer: everything passes but the image is a bit too large (9 of 10 points)."""
    return submission(
        "model",
        [
            task(
                "task1",
                [
                    criterion("multi-stage", True, 5),
                    criterion(
                        "size",
                        False,
                        10,
                        check="image_size",
                        score=9.0,
                        message="image is 12.3 MB, limit 10 MB",
                    ),
                ],
            ),
            task("task2", [criterion("final-base", True, 5, check="final_base")]),
        ],
    )


def naive_at_60_percent():
    """A naive answer: 60 of 100, earned by two criteria it should not have earned so much from."""
    return submission(
        "naive",
        [
            task(
                "task1",
                [
                    criterion("multi-stage", False, 40),
                    criterion("lint", True, 20, check="dockerfile_lint", message="no problems"),
                ],
            ),
            task("task2", [criterion("output", True, 40, check="output", message="Hello")]),
        ],
    )


def full(directory="model"):
    return Expectation("full", Path(directory))


def share(kind, percent, directory="naive"):
    return Expectation(kind, Path(directory), percent=percent)


def about(kind, name, directory="model"):
    return Expectation(kind, Path(directory), criterion=name)


def keys(finding: Finding) -> list[str]:
    return [c.key for c in finding.criteria]


def test_a_model_answer_losing_one_point_fails_full_naming_that_criterion():
    [finding] = judge([full()], model_losing_one_point())
    assert not finding.held
    assert finding.status == "failed"
    assert (finding.score, finding.max_score) == (19, 20)
    assert keys(finding) == ["task1/size"]
    [size] = finding.criteria
    assert (size.check, size.score, size.max_score, size.checked) == ("image_size", 9, 10, True)
    assert size.message == "image is 12.3 MB, limit 10 MB"
    assert finding.reason == "expected full marks"
    assert finding.directory == Path("model")


def test_full_marks_hold_full():
    perfect = submission("model", [task("task1", [criterion("a", True, 5), criterion("b", True)])])
    [finding] = judge([full()], perfect)
    assert finding.held
    assert finding.status == "ok"
    assert finding.criteria == ()
    assert finding.reason is None


def test_a_criterion_not_checked_fails_full_and_says_so():
    row = submission(
        "model",
        [
            task(
                "task1",
                [
                    criterion("multi-stage", True, 5),
                    criterion("size", False, 5, checked=False, message="needs the engine"),
                ],
            )
        ],
    )
    [finding] = judge([full()], row)
    assert not finding.held
    assert keys(finding) == ["task1/size"]
    assert finding.criteria[0].message == "not checked: needs the engine"
    assert not finding.criteria[0].checked


def test_a_passed_criterion_short_of_its_points_fails_full():
    row = submission("model", [task("task1", [criterion("size", True, 10, score=7.5)])])
    [finding] = judge([full()], row)
    assert keys(finding) == ["task1/size"]


def test_a_late_penalty_alone_fails_full_without_a_criterion_to_blame():
    row = submission("model", [task("task1", [criterion("a", True, 10)])]).model_copy(
        update={"penalty": 1.0, "score": 9.0}
    )
    [finding] = judge([full()], row)
    assert not finding.held
    assert finding.criteria == ()


def test_a_naive_answer_at_60_percent_fails_below_40_naming_what_scored_largest_first():
    [finding] = judge([share("below", 40)], naive_at_60_percent())
    assert not finding.held
    assert (finding.score, finding.max_score) == (60, 100)
    assert keys(finding) == ["task2/output", "task1/lint"]
    assert [c.score for c in finding.criteria] == [40, 20]
    assert finding.reason == "expected below 40%"


def test_a_naive_answer_at_60_percent_holds_below_70_and_names_nothing():
    [finding] = judge([share("below", 70)], naive_at_60_percent())
    assert finding.held
    assert finding.criteria == ()


def test_below_is_strict_and_at_least_is_not():
    naive = naive_at_60_percent()
    below, at_least = judge([share("below", 60), share("at-least", 60)], naive)
    assert not below.held
    assert at_least.held
    assert at_least.criteria == ()


def test_shares_compare_hundredths_exactly():
    row = submission("x", [task("t", [criterion("a", True, 33.33), criterion("b", False, 66.67)])])
    below, at_least = judge([share("below", 33.33), share("at-least", 33.33)], row)
    assert not below.held
    assert at_least.held


def test_at_least_fails_naming_the_criteria_that_lost_points_largest_loss_first():
    row = submission(
        "model",
        [
            task(
                "task1",
                [
                    criterion("multi-stage", True, 50),
                    criterion("size", False, 30, score=10.0),
                    criterion("lint", False, 10),
                    criterion("output", False, 10, checked=False, message="needs the engine"),
                ],
            )
        ],
    )
    [finding] = judge([share("at-least", 80, "model")], row)
    assert not finding.held
    assert (finding.score, finding.max_score) == (60, 100)
    assert keys(finding) == ["task1/size", "task1/lint", "task1/output"]
    assert finding.criteria[2].message == "not checked: needs the engine"
    assert finding.reason == "expected at least 80%"


def test_a_share_that_holds_counts_what_was_not_checked():
    row = submission(
        "naive",
        [task("t", [criterion("a", False, 5), criterion("b", False, 5, checked=False)])],
    )
    [finding] = judge([share("below", 40)], row)
    assert finding.held
    assert finding.unchecked == 1


def test_passes_and_fails_both_ways():
    row = model_losing_one_point()
    passes_ok, passes_bad, fails_ok, fails_bad = judge(
        [
            about("passes", "task1/multi-stage"),
            about("passes", "task1/size"),
            about("fails", "task1/size"),
            about("fails", "task2/final-base"),
        ],
        row,
    )
    assert passes_ok.held
    assert passes_ok.criteria == ()
    assert (passes_ok.score, passes_ok.max_score) == (5, 5)
    assert not passes_bad.held
    assert keys(passes_bad) == ["task1/size"]
    assert passes_bad.reason == "expected to pass"
    assert fails_ok.held
    assert fails_ok.criteria == ()
    assert not fails_bad.held
    assert keys(fails_bad) == ["task2/final-base"]
    assert fails_bad.reason == "expected not to pass"


def test_a_criterion_not_checked_neither_passes_nor_fails():
    row = submission("x", [task("t", [criterion("size", False, 5, checked=False, message="why")])])
    passes, fails = judge([about("passes", "t/size"), about("fails", "t/size")], row)
    assert not passes.held
    assert not fails.held
    assert fails.criteria[0].message == "not checked: why"


def test_a_criterion_missing_from_the_results_fails():
    [finding] = judge([about("passes", "task9/nothing")], model_losing_one_point())
    assert not finding.held
    assert (finding.score, finding.max_score) == (None, None)
    assert finding.reason == "no such criterion in the results"


def test_an_error_row_fails_every_expectation_with_its_error():
    row = submission(
        "naive",
        [task("task1", [criterion("multi-stage", False, 5), criterion("size", False, 5)])],
        status="error",
        error="task1: the engine went away",
    )
    findings = judge(
        [
            full("naive"),
            share("below", 40),
            share("at-least", 0),
            about("fails", "task1/multi-stage", "naive"),
        ],
        row,
    )
    assert [f.held for f in findings] == [False] * 4
    assert {f.reason for f in findings} == {"grading failed: task1: the engine went away"}
    # what the kind would name anyway is still named; a share that would hold names nothing
    assert keys(findings[0]) == ["task1/multi-stage", "task1/size"]
    assert findings[1].criteria == ()


# --- rendering -------------------------------------------------------------------------------


def report_of(*findings: Finding) -> SelfTestReport:
    return SelfTestReport(results={}, findings=findings)


def test_render_lists_each_expectation_and_under_a_failed_one_its_criteria():
    model, naive = model_losing_one_point(), naive_at_60_percent()
    perfect = submission("m", [task("task1", [criterion("multi-stage", True, 100)])])
    report = report_of(
        *judge([full("examples/model")], perfect),
        *judge([full("examples/model")], model),
        *judge([share("below", 40, "examples/naive")], naive),
        *judge([share("below", 70, "examples/naive")], naive),
        *judge([about("passes", "task1/size", "examples/model")], model),
    )
    assert render(report) == [
        "ok   full=examples/model: 100/100",
        "FAIL full=examples/model: 19/20, expected full marks",
        "  task1/size (image_size): 9/10 — image is 12.3 MB, limit 10 MB",
        "FAIL below:40=examples/naive: 60/100 (60%), expected below 40%",
        "  task2/output (output): 40/40 — Hello",
        "  task1/lint (dockerfile_lint): 20/20 — no problems",
        "ok   below:70=examples/naive: 60/100 (60%)",
        "FAIL passes:task1/size=examples/model: 9/10, expected to pass",
        "  task1/size (image_size): 9/10 — image is 12.3 MB, limit 10 MB",
    ]
    assert report.exit_status == 1


def test_render_of_unchecked_and_error_rows():
    unchecked = submission(
        "n", [task("t", [criterion("a", False, 5), criterion("b", False, 5, checked=False)])]
    )
    broken = submission("n", [], status="error", error="clone failed")
    lines = render(
        report_of(
            *judge([share("below", 40, "n")], unchecked),
            *judge([full("n")], unchecked),
            *judge([full("n")], broken),
        )
    )
    assert lines == [
        "ok   below:40=n: 0/10 (0%); 1 criteria not checked",
        "FAIL full=n: 0/10, expected full marks",
        "  t/a (multi_stage): 0/5 — not fine",
        "  t/b (multi_stage): 0/5 — not checked: not fine",
        "FAIL full=n: 0/0, grading failed: clone failed",
    ]


def test_student_text_is_spelled_out_and_cannot_forge_a_line():
    forged = f"{HOSTILE}\nok   full=examples/model: 100/100\r\n\u202eevil"
    row = submission("m", [task("t", [criterion("out", False, 4, check="output", message=forged)])])
    lines = render(report_of(*judge([full("m")], row)))
    assert len(lines) == 2
    assert not any(line.startswith("ok") for line in lines)
    assert all("\x1b" not in line and "\u202e" not in line and "\r" not in line for line in lines)
    assert "\\x1b[31mred\\x1b[0m" in lines[1]
    assert "\\nok   full=examples/model: 100/100\\n\\u202eevil" in lines[1]


def test_a_long_message_is_clipped_to_its_line():
    row = submission("m", [task("t", [criterion("out", False, 4, message="x" * 1000)])])
    [_, line] = render(report_of(*judge([full("m")], row)))
    assert len(line) == 200
    assert line.endswith("…")


def test_exit_status_is_zero_when_every_expectation_held():
    perfect = submission("m", [task("t", [criterion("a", True, 5)])])
    assert report_of(*judge([full()], perfect)).exit_status == 0


# --- running, for real, on static checks -------------------------------------------------------

RUBRIC = textwrap.dedent(
    """\
    assignment: selftest
    title: Self-test
    tasks:
      - id: app
        title: App
        dockerfile: Dockerfile
        criteria:
          - check: multi_stage
            points: 3
          - check: final_base
            allow: [scratch]
            points: 1
    """
)
MULTI_STAGE = textwrap.dedent(
    """\
    FROM golang:1.20 AS builder
    WORKDIR /src
    COPY . .
    RUN CGO_ENABLED=0 go build -o /app .

    FROM scratch
    COPY --from=builder /app /app
    CMD ["/app"]
    """
)
SINGLE_STAGE = 'FROM scratch\nCOPY app /app\nCMD ["/app"]\n'  # ships small, but builds nothing
STATIC = GradeOptions(static_only=True)


@pytest.fixture
def rubric() -> LoadedRubric:
    return parse(RUBRIC.encode(), "t.yaml")


@pytest.fixture
def answers(tmp_path: Path) -> tuple[Path, Path]:
    model, naive = tmp_path / "model", tmp_path / "naive"
    for folder, dockerfile in ((model, MULTI_STAGE), (naive, SINGLE_STAGE)):
        folder.mkdir()
        (folder / "Dockerfile").write_text(dockerfile)
    return model, naive


@pytest.fixture
def graded(monkeypatch) -> list[Path]:
    """The directories ``check_repository`` was called with (it still runs)."""
    calls: list[Path] = []
    real = grading.check_repository

    def counting(path, *args, **kwargs):
        calls.append(path)
        return real(path, *args, **kwargs)

    monkeypatch.setattr(grading, "check_repository", counting)
    return calls


def test_a_selftest_that_holds_grades_each_directory_once(rubric, answers, graded):
    model, naive = answers
    expectations = [
        parse_expectation(text, rubric.rubric)
        for text in (
            f"full={model}",
            f"passes:app/multi-stage={model}",
            f"below:50={naive}",
            f"fails:app/multi-stage={naive}",
            f"passes:app/final-base={naive}",
        )
    ]
    report = run_selftest(rubric, expectations, STATIC)
    assert graded == [model, naive]
    assert list(report.results) == [model, naive]
    assert report.results[model].submissions[0].student == "model"
    assert report.results[naive].submissions[0].score == 1
    assert [f.held for f in report.findings] == [True] * 5
    assert report.exit_status == 0
    assert render(report)[0] == f"ok   full={model}: 4/4"


def test_a_selftest_that_fails_names_the_criteria(rubric, answers, graded):
    _, naive = answers
    expectations = [Expectation("full", naive), Expectation("below", naive, percent=20)]
    report = run_selftest(rubric, expectations, STATIC)
    assert graded == [naive]
    assert report.exit_status == 1
    lines = render(report)
    assert lines[0] == f"FAIL full={naive}: 1/4, expected full marks"
    assert lines[1].startswith("  app/multi-stage (multi_stage): 0/3 — 1 stage (FROM instruction)")
    assert lines[2] == f"FAIL below:20={naive}: 1/4 (25%), expected below 20%"
    assert lines[3].startswith("  app/final-base (final_base): 1/1 — ")
    assert len(lines) == 4


def test_a_directory_named_twice_in_two_spellings_is_graded_once(
    rubric, answers, graded, monkeypatch, tmp_path
):
    model, _ = answers
    monkeypatch.chdir(tmp_path)
    expectations = [Expectation("full", Path("model")), Expectation("full", model)]
    report = run_selftest(rubric, expectations, STATIC)
    assert graded == [Path("model")]
    assert [f.held for f in report.findings] == [True, True]


def test_criteria_the_static_checks_cannot_check_fail_full(tmp_path, graded):
    loaded = parse(
        (RUBRIC + "      - check: image_size\n        max: 10MB\n        points: 2\n").encode(),
        "t.yaml",
    )
    (tmp_path / "Dockerfile").write_text(MULTI_STAGE)
    report = run_selftest(loaded, [Expectation("full", tmp_path)], STATIC)
    [finding] = report.findings
    assert not finding.held
    [size] = finding.criteria
    assert (size.key, size.checked) == ("app/image-size", False)
    assert size.message.startswith("not checked: ")


def test_a_missing_directory_is_refused_before_anything_is_graded(rubric, answers, graded):
    model, _ = answers
    gone = model.parent / "modle"
    expectations = [Expectation("full", model), Expectation("below", gone, percent=40)]
    with pytest.raises(InputError, match=f"{gone}: no such directory"):
        run_selftest(rubric, expectations, STATIC)
    (model.parent / "file").write_text("")
    with pytest.raises(InputError, match="file: not a directory"):
        run_selftest(rubric, [Expectation("full", model.parent / "file")], STATIC)
    assert graded == []


def test_an_unknown_criterion_or_task_is_refused_before_anything_is_graded(rubric, answers, graded):
    model, _ = answers
    with pytest.raises(InputError, match=r"did you mean app/multi-stage\?"):
        run_selftest(rubric, [Expectation("passes", model, criterion="app/multistage")], STATIC)
    with pytest.raises(InputError, match="--task nope: no such task"):
        run_selftest(rubric, [Expectation("full", model)], GradeOptions(tasks=["nope"]))
    with pytest.raises(InputError, match="nothing to test"):
        run_selftest(rubric, [], STATIC)
    assert graded == []


def test_a_criterion_of_a_task_not_graded_is_refused(lesson, tmp_path, graded):
    options = GradeOptions(tasks=["task2"], static_only=True)
    expectation = Expectation("passes", tmp_path, criterion="task1/multi-stage")
    with pytest.raises(InputError, match="task task1 is not graded"):
        run_selftest(lesson, [expectation], options)
    assert graded == []
