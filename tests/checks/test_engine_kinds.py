"""target_builds, size_reduction and paths: judged from facts the engine gathered."""

from grader.checks import paths, size_reduction, target_builds
from grader.checks.base import BuildSpec, OtherBuild
from grader.models.results import BuildResult
from tests.checks.helpers import analysis, criterion, facts, task

OK = BuildResult(ok=True, seconds=1, log_tail="")
FAILED = BuildResult(ok=False, seconds=1, log_tail="", error="Step 2/4 : RUN go build: exit 1")
A = analysis(("builder", "golang:1.20", None), (None, "scratch", None), depends_on=[0])


def test_paths_absent_and_present():
    absent = criterion(check="paths_absent", paths=["/usr/local/go/bin/go", "/usr/bin/gcc"])
    f = facts(task(absent), paths={"/usr/local/go/bin/go": True, "/usr/bin/gcc": False})
    outcome = paths.evaluate_absent(absent, f)
    assert not outcome.passed
    assert outcome.message == "the final image still holds /usr/local/go/bin/go"
    present = criterion(check="paths_present", paths=["/myapp"])
    assert paths.evaluate_present(present, facts(task(present), paths={"/myapp": True})).passed
    assert not paths.evaluate_present(present, facts(task(present), paths={})).passed
    assert paths.needs(absent, task(absent)).main_image


def target_facts(c, other, a=A):
    t = task(c)
    return facts(t, analysis=a, builds={target_builds.spec(c, t): other})


def test_target_builds_with_its_paths():
    c = criterion(check="target_builds", target="builder", paths_present=["/usr/local/go/bin/go"])
    spec = target_builds.spec(c, task(c))
    assert spec == BuildSpec("task1/Dockerfile", "task1", "builder")
    good = OtherBuild(result=OK, size_bytes=1, paths={"/usr/local/go/bin/go": True})
    assert target_builds.evaluate(c, target_facts(c, good)).passed
    lacking = OtherBuild(result=OK, size_bytes=1, paths={"/usr/local/go/bin/go": False})
    assert (
        "lacks /usr/local/go/bin/go" in target_builds.evaluate(c, target_facts(c, lacking)).message
    )
    broken = OtherBuild(result=FAILED)
    assert "does not build: Step 2/4" in target_builds.evaluate(c, target_facts(c, broken)).message


def test_target_builds_names_the_stages_there_are():
    c = criterion(check="target_builds", target="build")
    outcome = target_builds.evaluate(c, target_facts(c, OtherBuild(result=FAILED)))
    assert not outcome.passed
    assert outcome.message.startswith("there is no stage named 'build' (named stages: builder)")


def test_size_reduction():
    c = criterion(check="size_reduction", baseline="task1/Dockerfile.single", min_factor=10)
    spec = size_reduction.spec(c)
    assert spec == BuildSpec("task1/Dockerfile.single", "task1", None)
    t = task(c)
    big = {spec: OtherBuild(result=OK, size_bytes=830_000_000)}
    outcome = size_reduction.evaluate(c, facts(t, size=2_000_000, builds=big))
    assert outcome.passed
    assert outcome.message == (
        "task1/Dockerfile.single is 830.0 MB, task1/Dockerfile is 2.0 MB: 415.0x smaller"
    )
    assert outcome.evidence.measured == 415.0
    small = {spec: OtherBuild(result=OK, size_bytes=10_000_000)}
    assert not size_reduction.evaluate(c, facts(t, size=2_000_000, builds=small)).passed
    broken = {spec: OtherBuild(result=FAILED)}
    outcome = size_reduction.evaluate(c, facts(t, size=2_000_000, builds=broken))
    assert outcome.message.startswith("the baseline task1/Dockerfile.single does not build")
