from grader.checks import multi_stage
from tests.checks.helpers import analysis, criterion, facts, task

C = criterion(check="multi_stage")
T = task(C)


def test_a_real_multi_stage_build_passes_and_says_what_it_uses():
    a = analysis(("builder", "golang:1.20", None), (None, "scratch", None), depends_on=[0])
    outcome = multi_stage.evaluate(C, facts(T, analysis=a))
    assert outcome.passed
    assert outcome.message == "2 stages; the final stage (line 5) uses stage 'builder'"


def test_one_stage_fails():
    outcome = multi_stage.evaluate(C, facts(T, analysis=analysis((None, "golang:1.20", None))))
    assert not outcome.passed
    assert outcome.message.startswith("1 stage (FROM instruction); a multi-stage build needs")
    assert outcome.evidence.line == 1


def test_two_unrelated_froms_fail():
    a = analysis(("builder", "golang:1.20", None), (None, "alpine", None), depends_on=[])
    outcome = multi_stage.evaluate(C, facts(T, analysis=a))
    assert not outcome.passed
    assert "uses nothing from an earlier one" in outcome.message
    assert "COPY --from=<stage>" in outcome.message


def test_min_stages():
    c = criterion(check="multi_stage", min_stages=3)
    a = analysis(("a", "x:1", None), (None, "scratch", None), depends_on=[0])
    assert not multi_stage.evaluate(c, facts(task(c), analysis=a)).passed
