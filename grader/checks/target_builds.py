"""target_builds: a named stage builds on its own with --target, and holds what it should."""

from __future__ import annotations

from pathlib import PurePosixPath

from grader.checks.base import BuildSpec, CheckKind, Facts, Needs, Outcome
from grader.models.criteria import TargetBuilds
from grader.models.results import Evidence
from grader.models.rubric import Task


def spec(criterion: TargetBuilds, task: Task) -> BuildSpec:
    """The build this criterion asks for."""
    dockerfile = criterion.dockerfile or task.dockerfile
    assert dockerfile is not None  # a task without a Dockerfile has no target_builds (Task)
    context = (
        task.context_dir if criterion.dockerfile is None else str(PurePosixPath(dockerfile).parent)
    )
    return BuildSpec(dockerfile=dockerfile, context=context, target=criterion.target)


def needs(criterion: TargetBuilds, task: Task) -> Needs:
    """A build with --target, and lookups in its image."""
    build = spec(criterion, task)
    return Needs(
        dockerfile=True,
        builds=frozenset({build}),
        build_paths=frozenset((build, p) for p in criterion.paths_present),
    )


def evaluate(criterion: TargetBuilds, facts: Facts) -> Outcome:
    """Did it build, and is everything there."""
    build = spec(criterion, facts.task)
    other = facts.builds.get(build)
    analysis = facts.analysis if criterion.dockerfile in (None, facts.task.dockerfile) else None
    if analysis is not None and criterion.target.lower() not in {
        s.name for s in analysis.stages if s.name
    }:
        names = ", ".join(s.name for s in analysis.stages if s.name) or "none"
        return Outcome.fail(
            f"there is no stage named '{criterion.target}' (named stages: {names}); "
            f"name the build stage with FROM ... AS {criterion.target}",
            Evidence(expected=criterion.target, actual=names),
        )
    if other is None:
        return Outcome.fail(f"--target {criterion.target} was not built")
    if not other.result.ok:
        return Outcome.fail(
            f"--target {criterion.target} does not build: {other.result.error}",
            Evidence(expected="a successful build", actual=other.result.error),
        )
    missing = [p for p in criterion.paths_present if not other.paths.get(p, False)]
    if missing:
        return Outcome.fail(
            f"--target {criterion.target} builds, but its image lacks {', '.join(missing)}",
            Evidence(
                expected=", ".join(criterion.paths_present), actual=f"missing: {', '.join(missing)}"
            ),
        )
    held = f" and holds {', '.join(criterion.paths_present)}" if criterion.paths_present else ""
    return Outcome.ok(f"--target {criterion.target} builds{held}")


KIND = CheckKind[TargetBuilds](title="Builds with --target", needs=needs, evaluate=evaluate)
