import pytest

from grader.checks import output
from grader.models.criteria import Normalize
from tests.checks.helpers import criterion, facts, run, task


def judge(c, r):
    return output.evaluate(c, facts(task(c), run=r))


def test_exact_output_with_the_trailing_newline_ignored():
    c = criterion(check="output", equals="Hello from Go multi-stage!")
    outcome = judge(c, run("Hello from Go multi-stage!\n"))
    assert outcome.passed
    assert outcome.message == 'stdout "Hello from Go multi-stage!", as expected'


def test_wrong_output_shows_both():
    c = criterion(check="output", equals="Hello")
    outcome = judge(c, run("Hallo\n"))
    assert not outcome.passed
    assert outcome.message == 'stdout was "Hallo"; expected "Hello"'
    assert outcome.evidence.expected == "Hello"
    assert outcome.evidence.actual == "Hallo"


def test_exit_code_is_checked_too():
    c = criterion(check="output", equals="Hello")
    outcome = judge(c, run("Hello\n", exit_code=3))
    assert not outcome.passed
    assert outcome.message == "exit status 3; expected 0"


@pytest.mark.parametrize(
    ("fields", "stdout", "passed"),
    [
        ({"contains": "requests"}, "Hello (requests 2.31.0)", True),
        ({"regex": r"requests \d+\.\d+\.\d+"}, "Hello (requests 2.31.0)", True),
        ({"regex": r"^requests"}, "Hello (requests 2.31.0)", False),
        ({"equals": "hello", "normalize": {"ignore_case": True}}, "HELLO\n", True),
        ({"equals": "a b", "normalize": {"collapse_whitespace": True}}, " a \n\t b \n", True),
        ({"equals": "Hello"}, "\x1b[32mHello\x1b[0m\n", True),
        ({"equals": "Hello", "normalize": {"strip_ansi": False}}, "\x1b[32mHello\x1b[0m", False),
        ({"equals": "Hello"}, "Hello\r\n", True),
        ({"exit_code": 2}, "anything", False),
        ({"last_line": "Hello"}, "> app@1.0.0 start\n> node dist/index.js\n\nHello\n", True),
        ({"last_line": "Hello"}, "Hello\nError: boom\n", False),
        ({"last_line": "Hello"}, "", False),
    ],
)
def test_matching_and_normalisation(fields, stdout, passed):
    assert judge(criterion(check="output", **fields), run(stdout)).passed is passed


def test_stderr_and_both_streams():
    c = criterion(check="output", stream="stderr", equals="oops")
    assert judge(c, run("", stderr="oops\n")).passed
    both = criterion(check="output", stream="both", contains="out\nerr")
    assert judge(both, run("out\n", stderr="err\n")).passed


def test_a_program_that_did_not_run_timed_out_or_ran_out_of_memory():
    c = criterion(check="output", equals="Hello")
    assert (
        "did not run: no such file" in judge(c, run(exit_code=None, error="no such file")).message
    )
    assert "still running after 0.1 s" in judge(c, run(timed_out=True, exit_code=137)).message
    assert "ran out of memory" in judge(c, run(oom_killed=True, exit_code=137)).message


def test_long_output_is_shortened_in_the_message_but_kept_in_the_evidence():
    c = criterion(check="output", equals="Hello")
    outcome = judge(c, run("x" * 10_000))
    assert len(outcome.message) < 300
    assert len(outcome.evidence.actual) == 4000


def test_normalize_defaults():
    assert output.normalize("  a\r\n", Normalize()) == "a"


def test_last_line_message():
    c = criterion(check="output", last_line="Hello")
    outcome = judge(c, run("Hello\nError: boom\n"))
    assert outcome.message == 'the last line of stdout was "Error: boom"; expected "Hello"'
    assert outcome.evidence.expected == "last line: Hello"
