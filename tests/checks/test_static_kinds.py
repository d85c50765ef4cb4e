"""dockerfile_lint and file_exists: the checks that need only the repository."""

from grader.checks import dockerfile_lint, file_exists, final_base, multi_stage
from grader.dockerfile import analyze
from grader.models.analysis import Problem
from tests.checks.helpers import analysis, criterion, facts, task


def test_lint_fails_on_a_chosen_rule_and_names_the_line():
    c = criterion(check="dockerfile_lint", rules=["copy-from-unknown-stage"])
    problems = [
        Problem(line=3, rule="latest-tag", severity="info", message="pin a version"),
        Problem(
            line=9,
            rule="copy-from-unknown-stage",
            severity="error",
            message="COPY --from=buildr names no stage",
        ),
    ]
    a = analysis((None, "x:1", None), problems=problems)
    outcome = dockerfile_lint.evaluate(c, facts(task(c), analysis=a))
    assert not outcome.passed
    assert outcome.message == "line 9: COPY --from=buildr names no stage [copy-from-unknown-stage]"
    assert outcome.evidence.line == 9


def test_lint_ignores_rules_not_chosen():
    c = criterion(check="dockerfile_lint", rules=["copy-from-unknown-stage"])
    problems = [Problem(line=3, rule="latest-tag", severity="info", message="pin a version")]
    a = analysis((None, "x", None), problems=problems)
    assert dockerfile_lint.evaluate(c, facts(task(c), analysis=a)).passed


def test_file_exists(tmp_path):
    (tmp_path / "task1").mkdir()
    (tmp_path / "task1" / "Dockerfile.single").write_text("FROM x\n")
    (tmp_path / "escape").symlink_to("/etc/hostname")
    c = criterion(check="file_exists", paths=["task1/Dockerfile.single"])
    assert file_exists.evaluate(c, facts(task(c), repo=tmp_path)).passed
    missing = criterion(check="file_exists", paths=["task1/Dockerfile.single", "escape", "task1"])
    outcome = file_exists.evaluate(missing, facts(task(missing), repo=tmp_path))
    assert not outcome.passed
    assert outcome.message == "missing from the repository: escape, task1"


def test_a_file_docker_refuses_fails_every_static_check_with_the_reason():
    a = analyze("# TODO: write the Dockerfile\n", path="task1/Dockerfile")
    assert a.error
    for kind, c in (
        (multi_stage, criterion(check="multi_stage")),
        (final_base, criterion(check="final_base", allow=["scratch"])),
        (dockerfile_lint, criterion(check="dockerfile_lint", rules=["copy-from-unknown-stage"])),
    ):
        outcome = kind.evaluate(c, facts(task(c), analysis=a))
        assert not outcome.passed
        assert outcome.message == f"Docker would refuse this Dockerfile: {a.error}"
