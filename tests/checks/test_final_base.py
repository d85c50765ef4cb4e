import pytest

from grader.checks import final_base
from tests.checks.helpers import analysis, criterion, facts, task

C = criterion(
    check="final_base", allow=["scratch", "alpine*", "gcr.io/distroless/*"], deny=["alpine:edge"]
)
T = task(C)


@pytest.mark.parametrize(
    "base",
    [
        "scratch",
        "alpine",
        "alpine:3.19",
        "docker.io/library/alpine:3.19",
        "gcr.io/distroless/static-debian12:nonroot",
    ],
)
def test_allowed(base):
    a = analysis(("b", "golang:1.20", None), (None, base, None), depends_on=[0])
    outcome = final_base.evaluate(C, facts(T, analysis=a))
    assert outcome.passed, outcome.message
    assert outcome.message == f"the final image starts from {base}"


def test_a_toolchain_base_fails_and_lists_what_is_allowed():
    a = analysis(("b", "golang:1.20", None), (None, "golang:1.20", None), depends_on=[0])
    outcome = final_base.evaluate(C, facts(T, analysis=a))
    assert not outcome.passed
    assert outcome.message == (
        "the final image starts from golang:1.20; expected one of: scratch, alpine*, "
        "gcr.io/distroless/*"
    )


def test_from_a_stage_is_judged_by_what_that_stage_starts_from():
    # FROM builder, where builder is golang: the word "slim" in a stage name fools no one
    a = analysis(
        ("builder", "golang:1.20", None),
        ("slim", "builder", 0),
        final_base="golang:1.20",
        depends_on=[0],
    )
    outcome = final_base.evaluate(C, facts(T, analysis=a))
    assert not outcome.passed
    assert "line 5 builds on stage 'builder'" in outcome.message


def test_deny_wins_over_allow():
    a = analysis((None, "alpine:edge", None))
    outcome = final_base.evaluate(C, facts(T, analysis=a))
    assert not outcome.passed
    assert "does not allow (alpine:edge)" in outcome.message


def test_unresolvable_base():
    a = analysis((None, "x", None))
    a = a.model_copy(update={"final_base": None})
    assert not final_base.evaluate(C, facts(T, analysis=a)).passed
