"""Facts for check tests, built by hand: checks are pure, no engine or parser needed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import TypeAdapter

from grader.checks.base import Facts
from grader.models.analysis import Analysis, Stage
from grader.models.criteria import Criterion
from grader.models.results import BuildResult, ImageFacts, RunResult
from grader.models.rubric import Task

CRITERION: TypeAdapter[Any] = TypeAdapter(Criterion)


def criterion(**fields: Any) -> Any:
    return CRITERION.validate_python({"points": 4, **fields})


def task(*criteria: Any) -> Task:
    return Task(id="task1", title="T", dockerfile="task1/Dockerfile", criteria=list(criteria))


def analysis(
    *stages: tuple[str | None, str, int | None],
    depends_on: list[int] | None = None,
    final_base: str | None = None,
    multi_stage: bool | None = None,
    problems=(),
) -> Analysis:
    built = [
        Stage(index=i, name=name, base=base, base_stage=base_stage, line=1 + 4 * i)
        for i, (name, base, base_stage) in enumerate(stages)
    ]
    deps = depends_on if depends_on is not None else []
    return Analysis(
        dockerfile="task1/Dockerfile",
        stage_count=len(built),
        stages=built,
        final_stage=len(built) - 1 if built else None,
        final_base=final_base if final_base is not None else (built[-1].base if built else None),
        multi_stage=multi_stage if multi_stage is not None else (len(built) > 1 and bool(deps)),
        depends_on=deps,
        problems=list(problems),
        error=None,
    )


def facts(
    the_task: Task,
    *,
    analysis: Analysis | None = None,
    size: int | None = None,
    run: RunResult | None = None,
    paths: dict[str, bool] | None = None,
    repo: Path = Path("."),
    builds=None,
) -> Facts:
    return Facts(
        repo=repo,
        task=the_task,
        analysis=analysis,
        build=BuildResult(ok=True, seconds=1.0, log_tail=""),
        image=ImageFacts(size_bytes=size) if size is not None else None,
        run=run,
        paths=paths or {},
        builds=builds or {},
    )


def run(stdout: str = "", *, exit_code: int | None = 0, **extra: Any) -> RunResult:
    return RunResult(exit_code=exit_code, stdout=stdout, seconds=0.1, **extra)
