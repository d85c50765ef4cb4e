"""Grading one submission: analyse, build, run and look into each task, then score every criterion.

This is the library API the command line calls (`grader check` here, `grader grade` for a class);
a Python user can call it just the same. Failures of one task never stop the others: a missing
Dockerfile or an oversized context fails that task's criteria with the reason, an engine failure
marks the submission ``error`` and keeps what could be scored without the engine.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from grader import __version__, imageref, repos, scoring
from grader.checks import CHECKS
from grader.checks.base import BuildSpec, Facts, ImageFacts, Needs, OtherBuild, Outcome
from grader.dockerfile import analyze_file, rewrite_images
from grader.errors import EngineError, EngineUnavailable, EnvironmentProblem, InputError
from grader.models.criteria import Criterion
from grader.models.results import Results, SubmissionInfo, SubmissionResult, TaskResult
from grader.models.rubric import Rubric, Task
from grader.rubrics import LoadedRubric

if TYPE_CHECKING:  # the engine's client (docker, requests) loads only when an engine is used,
    # so that the static self-check starts in a fraction of a second
    from grader.engine import BuildRequest, Engine

_EXCERPT_BYTES = 64 * 1024


@dataclass(frozen=True)
class GradeOptions:
    """What to grade and how; the command line's flags, as one value."""

    tasks: Sequence[str] = ()
    static_only: bool = False
    image_map: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Submission:
    """Who and what is graded, and the directory that holds the student's files."""

    info: SubmissionInfo
    path: Path


def selected_tasks(rubric: Rubric, wanted: Sequence[str]) -> list[Task]:
    """The rubric's tasks, or the ones asked for; an unknown id is an input error."""
    if not wanted:
        return list(rubric.tasks)
    known = {t.id for t in rubric.tasks}
    unknown = [t for t in wanted if t not in known]
    if unknown:
        raise InputError(
            f"--task {unknown[0]}: no such task in {rubric.assignment} "
            f"(tasks: {', '.join(t.id for t in rubric.tasks)})"
        )
    return [t for t in rubric.tasks if t.id in wanted]


def _inside(repo: Path, relative: str) -> Path:
    """``repo/relative``, refusing a path that a symlink leads out of the repository."""
    root = repo.resolve()
    path = (root / relative).resolve()
    if path != root and root not in path.parents:
        raise InputError(f"{relative}: leads outside the repository (a symlink?)")
    return path


class _TaskGrader:
    """Gathers the facts of one task, then scores it."""

    def __init__(
        self,
        rubric: Rubric,
        task: Task,
        submission: Submission,
        engine: Engine | None,
        options: GradeOptions,
    ) -> None:
        self.rubric = rubric
        self.task = task
        self.submission = submission
        self.engine = engine
        self.options = options
        self.limits = rubric.limits_for(task)
        self.build_args = {**rubric.defaults.build_args, **task.build_args}
        self.image_map = {**rubric.defaults.image_map, **options.image_map}

    def _request(self, dockerfile: str, context: str, target: str | None) -> BuildRequest:
        from grader.engine import BuildRequest  # noqa: PLC0415 - see the TYPE_CHECKING import

        path = _inside(self.submission.path, dockerfile)
        if not path.is_file():
            raise InputError(f"{dockerfile} is missing")
        text: bytes | None = None
        if self.image_map:
            original = path.read_bytes().decode("utf-8", errors="replace")
            rewritten = rewrite_images(original, self._substitute, build_args=self.build_args)
            if rewritten != original:
                text = rewritten.encode()
        return BuildRequest(
            context=_inside(self.submission.path, context),
            dockerfile=path,
            name=f"{self.submission.info.student}-{self.task.id}",
            dockerfile_text=text,
            target=target,
            build_args=self.build_args,
            platform=self.rubric.defaults.platform,
        )

    def _substitute(self, reference: str) -> str | None:
        key = _image_key(reference)
        for source, replacement in self.image_map.items():
            if key is not None and key == _image_key(source):
                return replacement
        return None

    def grade(self) -> tuple[TaskResult, str | None]:
        """The task's result, and the engine failure that kept it from being graded, if any."""
        task = self.task
        needs = [CHECKS[c.check].needs(c, task) for c in task.criteria]
        wanted = Needs()
        for need in needs:
            wanted = wanted | need
        facts = Facts(repo=self.submission.path, task=task)
        text: str | None = None
        task_error: str | None = None
        engine_error: str | None = None
        try:
            path = _inside(self.submission.path, task.dockerfile)
            if not path.is_file():
                raise InputError(f"{task.dockerfile} is missing")
            analysis = analyze_file(
                path, display=task.dockerfile, target=task.target, build_args=self.build_args
            )
            facts = Facts(repo=facts.repo, task=task, analysis=analysis)
            text = _excerpt(path)
            if self.engine is not None and wanted.engine:
                facts = self._gather(facts, wanted)
        except InputError as exc:
            task_error = str(exc)
        except (EngineError, EnvironmentProblem) as exc:
            engine_error = str(exc)
        results = [
            scoring.criterion_result(
                criterion,
                CHECKS[criterion.check].title,
                self._judge(criterion, need, facts, task_error, engine_error),
            )
            for criterion, need in zip(task.criteria, needs, strict=True)
        ]
        image = None
        if facts.image is not None and facts.analysis is not None:
            image = scoring.image_result(facts.image, facts.analysis)
        result = scoring.task_result(
            task,
            results,
            analysis=facts.analysis,
            dockerfile_text=text,
            build=facts.build,
            image=image,
            run=facts.run,
            error=engine_error or task_error,
        )
        return result, engine_error

    def _gather(self, facts: Facts, wanted: Needs) -> Facts:
        assert self.engine is not None
        engine, task, limits = self.engine, self.task, self.limits
        build = image = run = None
        paths: dict[str, bool] = {}
        main = BuildSpec(task.dockerfile, task.context_dir, task.target)
        others: dict[BuildSpec, OtherBuild] = {}
        if wanted.main_image:
            built = engine.build(self._request(*_spec_args(main)), limits)
            build = built.result
            if built.image is not None:
                measured = engine.image_facts(built.image)
                image = ImageFacts(size_bytes=measured.size_bytes, layers=measured.layers)
                if wanted.run:
                    run = engine.run(built.image, task.run, limits)
                if wanted.paths:
                    paths = engine.paths_exist(built.image, sorted(wanted.paths))
        for spec in sorted(wanted.builds, key=repr):
            if spec == main and build is not None:
                others[spec] = OtherBuild(
                    result=build,
                    size_bytes=image.size_bytes if image else None,
                    paths=paths,
                )
                continue
            built = engine.build(self._request(*_spec_args(spec)), limits)
            size = None
            found: dict[str, bool] = {}
            if built.image is not None:
                size = engine.image_facts(built.image).size_bytes
                lookups = sorted(p for s, p in wanted.build_paths if s == spec)
                if lookups:
                    found = engine.paths_exist(built.image, lookups)
            others[spec] = OtherBuild(result=built.result, size_bytes=size, paths=found)
        return Facts(
            repo=facts.repo,
            task=task,
            analysis=facts.analysis,
            build=build,
            image=image,
            run=run,
            paths=paths,
            builds=others,
        )

    def _judge(
        self,
        criterion: Criterion,
        need: Needs,
        facts: Facts,
        task_error: str | None,
        engine_error: str | None,
    ) -> Outcome:
        if need.dockerfile and facts.analysis is None:
            return Outcome.fail(task_error or f"{self.task.dockerfile} is missing")
        if need.engine:
            if engine_error is not None:
                return Outcome(passed=False, checked=False, message=f"not checked: {engine_error}")
            if task_error is not None:
                return Outcome.fail(task_error)
            if self.engine is None:
                return Outcome(
                    passed=False,
                    checked=False,
                    message="not checked: it needs the Docker Engine",
                )
            if need.main_image and (facts.build is None or not facts.build.ok):
                why = facts.build.error if facts.build is not None else "it was not built"
                return Outcome.fail(f"the image did not build: {why}")
        return CHECKS[criterion.check].evaluate(criterion, facts)


def _excerpt(path: Path) -> str:
    """The Dockerfile's text for the feedback: the first 64 KiB, undecodable bytes replaced."""
    with path.open("rb") as handle:
        return handle.read(_EXCERPT_BYTES).decode("utf-8", errors="replace")


def _image_key(reference: str) -> tuple[str, str, str | None] | None:
    """What makes two spellings one image: ``golang:1.20`` is ``docker.io/library/golang:1.20``."""
    try:
        ref = imageref.parse(reference)
    except ValueError:
        return None
    return ref.name, ref.tag or ("" if ref.digest else "latest"), ref.digest


def _spec_args(spec: BuildSpec) -> tuple[str, str, str | None]:
    return spec.dockerfile, spec.context, spec.target


def grade_submission(
    loaded: LoadedRubric,
    submission: Submission,
    engine: Engine | None,
    options: GradeOptions,
    on_task: Callable[[str], None] | None = None,
) -> SubmissionResult:
    """Grade every selected task of one submission; never raises for the submission's content.

    ``on_task`` hears the id of each task as its grading starts (progress displays).
    """
    started = time.monotonic()
    rubric = loaded.rubric
    tasks: list[TaskResult] = []
    engine_errors: list[str] = []
    for task in selected_tasks(rubric, options.tasks):
        if on_task is not None:
            on_task(task.id)
        result, engine_error = _TaskGrader(rubric, task, submission, engine, options).grade()
        tasks.append(result)
        if engine_error is not None:
            engine_errors.append(f"{task.id}: {engine_error}")
    return scoring.submission_result(
        submission.info,
        tasks,
        error="; ".join(engine_errors) or None,
        policy=rubric.late_policy,
        graded_at=now(),
        seconds=time.monotonic() - started,
    )


def error_row(
    loaded: LoadedRubric, info: SubmissionInfo, options: GradeOptions, error: str
) -> SubmissionResult:
    """The row of a submission that could not be graded at all (a clone failed, say)."""
    tasks = selected_tasks(loaded.rubric, options.tasks)
    return scoring.submission_result(info, [], error=error, graded_at=now()).model_copy(
        update={"max_score": scoring.points(sum(t.max_score for t in tasks))}
    )


def now() -> datetime:
    """The time as results record it: UTC, whole seconds."""
    return datetime.now(timezone.utc).replace(microsecond=0)


def results_for(
    loaded: LoadedRubric, submissions: list[SubmissionResult], deadline: datetime | None = None
) -> Results:
    """Wrap submission rows into a results document for this rubric."""
    return Results(
        assignment=loaded.rubric.assignment,
        title=loaded.rubric.title,
        rubric_sha256=loaded.sha256,
        grader_version=__version__,
        graded_at=now(),
        deadline=deadline,
        submissions=submissions,
    )


@dataclass(frozen=True)
class CheckOutcome:
    """What `grader check` produced.

    One-submission results, what --keep left behind, and why only the static checks ran when
    no engine answered.
    """

    results: Results
    kept: list[str] = field(default_factory=list)
    no_engine: str | None = None

    @property
    def exit_status(self) -> int:
        """0 when every criterion that was checked passed, 1 if one failed, 2 without engine."""
        submission = self.results.submissions[0]
        if self.no_engine is not None or submission.status == "error":
            return 2
        return 1 if scoring.failed_count(submission) else 0


def check_repository(
    path: Path,
    loaded: LoadedRubric,
    options: GradeOptions,
    *,
    student: str | None = None,
    keep: bool = False,
    docker_host: str | None = None,
    fall_back: bool = False,
) -> CheckOutcome:
    """Grade one working copy, as a student checking their own work (or an instructor, one).

    With ``fall_back``, a missing engine is not an error: the static checks run and the outcome
    says why the others did not.
    """
    if not path.is_dir():
        raise InputError(f"{path}: not a directory")
    selected_tasks(loaded.rubric, options.tasks)
    revision = repos.revision(path)
    info = SubmissionInfo(
        student=student or path.resolve().name,
        repo=str(path.resolve()),
        commit=revision.commit if revision else None,
        commit_time=revision.time if revision else None,
    )
    submission = Submission(info=info, path=path)
    if options.static_only:
        row = grade_submission(loaded, submission, None, options)
        return CheckOutcome(results=results_for(loaded, [row]))
    from grader.engine import Engine  # noqa: PLC0415 - see the TYPE_CHECKING import

    try:
        engine = Engine(base_url=docker_host, keep=keep).__enter__()
    except EngineUnavailable as exc:
        if not fall_back:
            raise
        row = grade_submission(loaded, submission, None, options)
        return CheckOutcome(results=results_for(loaded, [row]), no_engine=str(exc))
    with engine:
        row = grade_submission(loaded, submission, engine, options)
    return CheckOutcome(results=results_for(loaded, [row]), kept=engine.kept)
