"""Grading one submission: analyse, build, run and look into each task, then score every criterion.

This is the library API the command line calls (`grader check` here, `grader grade` for a class);
a Python user can call it just the same. Failures of one task never stop the others: a missing
Dockerfile or an oversized context fails that task's criteria with the reason, an engine failure
marks the submission ``error`` and keeps what could be scored without the engine.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from grader import __version__, imagepolicy, imageref, repos, scoring
from grader.buildcontext import pack
from grader.checks import CHECKS
from grader.checks.base import BuildSpec, Facts, Needs, OtherBuild, Outcome
from grader.dockerfile import analyze, analyze_file, instructions, rewrite_images
from grader.errors import EngineError, EngineUnavailable, EnvironmentProblem, InputError
from grader.models.analysis import Analysis
from grader.models.criteria import Criterion
from grader.models.gradebook import Release
from grader.models.results import (
    BUILDER_TITLES,
    BuildResult,
    ImageFacts,
    Results,
    RunResult,
    SubmissionInfo,
    SubmissionResult,
    TaskResult,
)
from grader.models.rubric import Rubric, Task
from grader.probes import Probed, probe
from grader.rubrics import LoadedRubric
from grader.similarity import source_digests

if TYPE_CHECKING:  # the engine's client (docker, requests) loads only when an engine is used,
    # so that the static self-check starts in a fraction of a second
    from grader.engines import BuildRequest, Built, Engine, EngineOptions

_EXCERPT_BYTES = 64 * 1024


@dataclass(frozen=True)
class GradeOptions:
    """What to grade and how; the command line's flags, as one value."""

    tasks: Sequence[str] = ()
    static_only: bool = False
    image_map: Mapping[str, str] = field(default_factory=dict)
    builder: str = "auto"  # what the static checks assume when no engine builds
    refuse_images: Sequence[str] = ()  # patterns refused on top of the rubric's image policy


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
        *,
        stopwatch: Stopwatch,
        cache: BuildCache | None,
    ) -> None:
        self.rubric = rubric
        self.task = task
        self.submission = submission
        self.engine = engine
        self.options = options
        self.stopwatch = stopwatch
        self.cache = cache
        self.limits = rubric.limits_for(task)
        self.build_args = {**rubric.defaults.build_args, **task.build_args}
        self.image_map = {**rubric.defaults.image_map, **options.image_map}
        self.images = rubric.images_for(task).refusing(options.refuse_images)
        self.not_started: dict[BuildSpec, str] = {}  # builds the image policy refuses, and why

    def _request(self, spec: BuildSpec) -> tuple[BuildRequest, list[str]]:
        """Pack a build's context; also the base images its (rewritten) Dockerfile needs."""
        from grader.engines import BuildRequest  # noqa: PLC0415 - see the TYPE_CHECKING import

        path = _inside(self.submission.path, spec.dockerfile)
        if not path.is_file():
            raise InputError(f"{spec.dockerfile} is missing")
        original = _excerpt(path, limit=None)
        text = original
        if self.image_map:
            text = rewrite_images(original, self._substitute, build_args=self.build_args)
        with self.stopwatch.time("pack"):
            packed = pack(
                _inside(self.submission.path, spec.context),
                path,
                dockerfile_text=text.encode() if text != original else None,
                max_bytes=int(self.limits.context_max_bytes),
                max_files=self.limits.context_max_files,
            )
        request = BuildRequest(
            context=packed,
            name=f"{self.submission.info.student}-{self.task.id}",
            target=spec.target,
            build_args=self.build_args,
            platform=self.rubric.defaults.platform,
            instructions=instructions(text),
        )
        return request, _bases(text, spec.target, self.build_args)

    def _builder_name(self) -> str:
        """The builder that builds this task; static checks judge as BuildKit would."""
        if self.engine is None:
            return self.options.builder if self.options.builder != "auto" else "buildkit"
        return self.engine.builder.name

    def _substitute(self, reference: str) -> str | None:
        return substitute(reference, self.image_map)

    def grade(self) -> tuple[TaskResult, str | None]:
        """The task's result, and the engine failure that kept it from being graded, if any."""
        task = self.task
        needs = [CHECKS[c.check].needs(c, task) for c in task.criteria]
        wanted = Needs()
        for need in needs:
            wanted = wanted | need
        facts = Facts(repo=self.submission.path, task=task)
        text: str | None = None
        sources: dict[str, str] = {}
        task_error: str | None = None
        engine_error: str | None = None
        try:
            if task.dockerfile is not None:  # a quiz: its criteria read only the repository
                path = _inside(self.submission.path, task.dockerfile)
                if not path.is_file():
                    raise InputError(f"{task.dockerfile} is missing")
                with self.stopwatch.time("analyze"):
                    analysis = analyze_file(
                        path,
                        display=task.dockerfile,
                        target=task.target,
                        build_args=self.build_args,
                        builder=self._builder_name(),
                        images=self.images,
                    )
                    self.not_started = self._refused_builds(wanted, analysis)
                facts = dataclasses.replace(facts, analysis=analysis)
                main = self.not_started.get(self._main)
                if main is not None:
                    facts = dataclasses.replace(facts, build=_not_started(main))
                text = _excerpt(path)
                sources = source_digests(self.submission.path / task.context_dir, path)
                if self.engine is not None and wanted.engine:
                    facts = self._gather(facts, wanted)
        except InputError as exc:
            task_error = str(exc)
        except (EngineError, EnvironmentProblem) as exc:
            engine_error = str(exc)
        with self.stopwatch.time("score"):
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
            sources=sources,
            build=facts.build,
            image=image,
            run=facts.run,
            error=engine_error or task_error,
        )
        return result, engine_error

    @property
    def _main(self) -> BuildSpec:
        assert self.task.dockerfile is not None  # a task without one builds nothing
        return BuildSpec(self.task.dockerfile, self.task.context_dir, self.task.target)

    def _builds_of(self, need: Needs) -> list[BuildSpec]:
        """The builds a need takes: the task's own if it needs the image, and the others."""
        specs = ({self._main} if need.main_image else set()) | set(need.builds)
        return sorted(specs, key=repr)

    def _refused_builds(self, wanted: Needs, analysis: Analysis) -> dict[BuildSpec, str]:
        """The builds this task needs that must not start, each with why.

        The policy judges the whole file whatever the target, so the task's own analysis
        answers for every build of its Dockerfile; another Dockerfile (a baseline) is read here.
        """
        found: dict[BuildSpec, str] = {}
        for spec in self._builds_of(wanted):
            judged = analysis
            if spec.dockerfile != self.task.dockerfile:
                try:
                    judged = analyze_file(
                        _inside(self.submission.path, spec.dockerfile),
                        display=spec.dockerfile,
                        build_args=self.build_args,
                        images=self.images,
                    )
                except InputError:
                    continue  # missing: its build fails with that reason, as before
            refused = [p for p in judged.problems if p.rule == imagepolicy.RULE]
            if refused:
                which = ""
                if spec != self._main:
                    target = f", --target {spec.target}" if spec.target else ""
                    which = f" ({spec.dockerfile}{target})"
                more = f" (and {len(refused) - 1} more)" if len(refused) > 1 else ""
                found[spec] = (
                    f"the build{which} was not started: line {refused[0].line}: "
                    f"{imagepolicy.unlisted(refused[0].message)} [{imagepolicy.RULE}]{more}"
                )
        return found

    def _gather(self, facts: Facts, wanted: Needs) -> Facts:
        """Everything the engine can tell about this task.

        Or what an identical submission graded earlier in this run was told: the same contexts,
        settings and questions get the same answers.
        """
        task = self.task
        main = self._main
        first = [main] if wanted.main_image or main in wanted.builds else []
        specs = first + sorted(wanted.builds - {main}, key=repr)
        requests: dict[BuildSpec, tuple[BuildRequest, list[str]]] = {}
        try:
            for spec in specs:
                if spec not in self.not_started:  # refused: not even packed
                    requests[spec] = self._request(spec)
            key = _fingerprint(
                sorted(self.not_started.items(), key=repr),
                [(spec, request.context.digest) for spec, (request, _) in requests.items()],
                task.run.model_dump_json(),
                self.limits.model_dump_json(),
                sorted(wanted.paths),
                sorted(wanted.build_paths, key=repr),
                wanted.run,
                wanted.config,
                sorted(wanted.files),
                sorted(wanted.commands, key=repr),
                wanted.layers,
                sorted(self.build_args.items()),
                self.rubric.defaults.platform,
                self.engine.builder.model_dump_json() if self.engine is not None else None,
            )
            if self.cache is None:
                gathered = self._engine_work(main, requests, wanted)
            else:
                gathered, reused = self.cache.get(
                    key, lambda: self._engine_work(main, requests, wanted)
                )
                if reused:
                    gathered = gathered.reused()
        finally:
            for request, _ in requests.values():
                request.context.archive.close()
        return dataclasses.replace(
            facts,
            build=gathered.build,
            image=gathered.image,
            run=gathered.run,
            paths=gathered.probed.paths,
            builds=gathered.others,
            config=gathered.probed.config,
            files=gathered.probed.files,
            commands=gathered.probed.commands,
            efficiency=gathered.probed.efficiency,
            layers_error=gathered.probed.layers_error,
        )

    def _built(
        self, spec: BuildSpec, requests: Mapping[BuildSpec, tuple[BuildRequest, list[str]]]
    ) -> Built:
        """The build of ``spec``: not started if the image policy refuses it, else built."""
        from grader.engines import Built  # noqa: PLC0415 - see the TYPE_CHECKING import

        refused = self.not_started.get(spec)
        if refused is not None:
            return Built(result=_not_started(refused), image=None)
        return self._build(*requests[spec])

    def _build(self, request: BuildRequest, bases: list[str]) -> Built:
        """Build, once every base image is there (checked and pulled once per run)."""
        from grader.engines import Built  # noqa: PLC0415 - see the TYPE_CHECKING import

        assert self.engine is not None
        with self.stopwatch.time("build"):
            for base in bases:
                problem = self.engine.ensure_image(base, self.limits.build_timeout)
                if problem is not None:
                    error = f"the base image {base} is not available: {problem}"
                    result = BuildResult(ok=False, seconds=0, error=error, log_tail=error + "\n")
                    return Built(result=result, image=None)
            return self.engine.build(request, self.limits)

    def _engine_work(
        self,
        main: BuildSpec,
        requests: Mapping[BuildSpec, tuple[BuildRequest, list[str]]],
        wanted: Needs,
    ) -> _Gathered:
        assert self.engine is not None
        engine, task, limits, clock = self.engine, self.task, self.limits, self.stopwatch
        build = image = run = None
        main_built: Built | None = None
        probed = Probed()
        others: dict[BuildSpec, OtherBuild] = {}
        if main in requests or main in self.not_started:
            main_built = self._built(main, requests)
            build = main_built.result
            if main_built.image is not None:
                with clock.time("inspect"):
                    image = engine.image_facts(main_built.image)
                if wanted.run:
                    with clock.time("run"):
                        run = engine.run(main_built.image, task.run, limits)
                with clock.time("probe"):
                    probed = probe(engine, main_built.image, wanted, limits)
        for spec in sorted(wanted.builds, key=repr):
            # the task's own build serves a criterion that asks for that very build
            built = main_built if spec == main and main_built else self._built(spec, requests)
            size = None
            found: dict[str, bool] = {}
            if built.image is not None:
                if built is main_built and image is not None:
                    size = image.size_bytes
                else:
                    with clock.time("inspect"):
                        size = engine.image_facts(built.image, layers=False).size_bytes
                lookups = sorted(p for s, p in wanted.build_paths if s == spec)
                if lookups:
                    with clock.time("probe"):
                        found = engine.paths_exist(built.image, lookups)
            others[spec] = OtherBuild(result=built.result, size_bytes=size, paths=found)
        return _Gathered(build=build, image=image, run=run, others=others, probed=probed)

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
            refused = [self.not_started[s] for s in self._builds_of(need) if s in self.not_started]
            if refused:  # known without an engine, so --static-only says it too
                return Outcome(passed=False, message=refused[0], hint=imagepolicy.hint(self.images))
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


def _not_started(why: str) -> BuildResult:
    return BuildResult(ok=False, seconds=0, refused=True, error=why, log_tail="")


def _excerpt(path: Path, limit: int | None = _EXCERPT_BYTES) -> str:
    """The Dockerfile's text (for the feedback: the first 64 KiB), undecodable bytes replaced."""
    with path.open("rb") as handle:
        return handle.read(-1 if limit is None else limit).decode("utf-8", errors="replace")


def _bases(text: str, target: str | None, build_args: Mapping[str, str]) -> list[str]:
    """The images a build pulls: external FROM bases and COPY --from images, not scratch."""
    analysis = analyze(text, target=target, build_args=build_args)
    found = [s.base for s in analysis.stages if s.base and s.base_stage is None]
    found += [image for s in analysis.stages for image in s.external_images]
    return sorted({image for image in found if image != "scratch"})


def _fingerprint(*parts: object) -> str:
    return hashlib.sha256(repr(parts).encode("utf-8", "surrogateescape")).hexdigest()


@dataclass(frozen=True)
class _Gathered:
    """What the engine told about one task: the part of Facts an identical submission shares."""

    build: BuildResult | None
    image: ImageFacts | None
    run: RunResult | None
    others: Mapping[BuildSpec, OtherBuild]
    probed: Probed = field(default_factory=Probed)

    def reused(self) -> _Gathered:
        """The same facts, their builds marked as reused."""
        mark = {"reused": True}
        return _Gathered(
            build=self.build.model_copy(update=mark) if self.build else None,
            image=self.image,
            run=self.run,
            probed=self.probed,
            others={
                spec: OtherBuild(
                    result=other.result.model_copy(update=mark),
                    size_bytes=other.size_bytes,
                    paths=other.paths,
                )
                for spec, other in self.others.items()
            },
        )


class BuildCache:
    """Engine facts of identical submissions, shared by the jobs of one batch.

    Students who share a template submit identical tasks: the first one is built and run, and
    the others, asking the same questions about the same contexts, get its answers (their
    builds say ``reused``). A job that asks while the first is still at work waits for it.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[threading.Event, list[_Gathered]]] = {}

    def get(self, key: str, compute: Callable[[], _Gathered]) -> tuple[_Gathered, bool]:
        """The facts for ``key``, computed by the first to ask; and whether they were reused."""
        with self._lock:
            entry = self._entries.get(key)
            first = entry is None
            if entry is None:
                entry = (threading.Event(), [])
                self._entries[key] = entry
        done, value = entry
        if first:
            try:
                value.append(compute())
            finally:
                if not value:  # it failed: forget it, so that the next one tries again
                    with self._lock:
                        del self._entries[key]
                done.set()
            return value[0], False
        done.wait()
        if value:
            return value[0], True
        return self.get(key, compute)


class Stopwatch:
    """Where the time of one submission goes: seconds per phase, summed over its tasks."""

    def __init__(self) -> None:
        self.totals: dict[str, float] = {}

    @contextlib.contextmanager
    def time(self, phase: str) -> Iterator[None]:
        """Add the time the block takes to ``phase``."""
        started = time.monotonic()
        try:
            yield
        finally:
            elapsed = time.monotonic() - started
            self.totals[phase] = round(self.totals.get(phase, 0.0) + elapsed, 3)


def substitute(reference: str, image_map: Mapping[str, str]) -> str | None:
    """The image to build with instead of ``reference``, if the map names one."""
    key = _image_key(reference)
    for source, replacement in image_map.items():
        if key is not None and key == _image_key(source):
            return replacement
    return None


def base_images(
    loaded: LoadedRubric,
    folders: Sequence[Path],
    image_map: Mapping[str, str],
    refuse_images: Sequence[str] = (),
) -> list[str]:
    """Every base image the rubric's builds would need for these working copies, mapped.

    For `grader prefetch`: pull them once, before a class is graded (or an exam starts). A
    Dockerfile that names an image the policy refuses would not be built: nothing of it is
    pulled.
    """
    rubric = loaded.rubric
    found: set[str] = set()
    for folder in folders:
        for task in rubric.tasks:
            args = {**rubric.defaults.build_args, **task.build_args}
            specs = [(task.dockerfile, task.target)] if task.dockerfile else []
            for criterion in task.criteria:
                if criterion.check == "size_reduction":
                    specs.append((criterion.baseline, None))
                elif criterion.check == "target_builds":
                    dockerfile = criterion.dockerfile or task.dockerfile
                    if dockerfile:
                        specs.append((dockerfile, criterion.target))
            for dockerfile, target in specs:
                path = folder / dockerfile
                if not path.is_file():
                    continue
                text = _excerpt(path, limit=None)
                policy = rubric.images_for(task).refusing(refuse_images)
                judged = analyze(text, target=target, build_args=args, images=policy)
                if any(p.rule == imagepolicy.RULE for p in judged.problems):
                    continue
                if image_map:
                    text = rewrite_images(
                        text, lambda ref: substitute(ref, image_map), build_args=args
                    )
                found.update(_bases(text, target, args))
    return sorted(found)


def _image_key(reference: str) -> tuple[str, str, str | None] | None:
    """What makes two spellings one image: ``golang:1.20`` is ``docker.io/library/golang:1.20``."""
    try:
        ref = imageref.parse(reference)
    except ValueError:
        return None
    return ref.name, ref.tag or ("" if ref.digest else "latest"), ref.digest


def grade_submission(
    loaded: LoadedRubric,
    submission: Submission,
    engine: Engine | None,
    options: GradeOptions,
    on_task: Callable[[str], None] | None = None,
    *,
    stopwatch: Stopwatch | None = None,
    cache: BuildCache | None = None,
) -> SubmissionResult:
    """Grade every selected task of one submission; never raises for the submission's content.

    ``on_task`` hears the id of each task as its grading starts (progress displays);
    ``stopwatch`` collects where the time went; ``cache`` shares engine work between identical
    submissions of one batch.
    """
    started = time.monotonic()
    clock = stopwatch or Stopwatch()
    rubric = loaded.rubric
    tasks: list[TaskResult] = []
    engine_errors: list[str] = []
    for task in selected_tasks(rubric, options.tasks):
        if on_task is not None:
            on_task(task.id)
        grader = _TaskGrader(
            rubric, task, submission, engine, options, stopwatch=clock, cache=cache
        )
        result, engine_error = grader.grade()
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
        timings=clock.totals,
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
    loaded: LoadedRubric,
    submissions: list[SubmissionResult],
    deadline: datetime | None = None,
    *,
    release: Release | None = None,
    overrides_sha256: str | None = None,
) -> Results:
    """Wrap submission rows into a results document for this rubric.

    ``release`` replaces the rubric's (the command line's --release).
    """
    return Results(
        assignment=loaded.rubric.assignment,
        title=loaded.rubric.title,
        rubric_sha256=loaded.sha256,
        grader_version=__version__,
        graded_at=now(),
        deadline=deadline,
        release=release if release is not None else loaded.rubric.release,
        overrides_sha256=overrides_sha256,
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
    built_with: str | None = None  # the builder, client and engine, in words

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
    engine_options: EngineOptions | None = None,
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
    # a self-check is the student's own: what the instructor releases when is not about it
    own = Release()
    if options.static_only:
        row = grade_submission(loaded, submission, None, options)
        return CheckOutcome(results=results_for(loaded, [row], release=own))
    from grader.engines import EngineOptions, open_engine  # noqa: PLC0415 - see TYPE_CHECKING

    try:
        engine = open_engine(engine_options or EngineOptions()).__enter__()
    except EngineUnavailable as exc:
        if not fall_back:
            raise
        row = grade_submission(loaded, submission, None, options)
        return CheckOutcome(results=results_for(loaded, [row], release=own), no_engine=str(exc))
    with engine:
        built_with = describe_builder(engine)
        row = grade_submission(loaded, submission, engine, options)
    return CheckOutcome(
        results=results_for(loaded, [row], release=own), kept=engine.kept, built_with=built_with
    )


def describe_builder(engine: Engine) -> str:
    """One line for the terminal: what builds, through what, on what; and why not better."""
    info = engine.builder
    line = f"building with {BUILDER_TITLES[info.name]}"
    if info.client and info.name == "buildkit":
        line += f" through {info.client}"
    line += f" on {info.engine}"
    if engine.passed_over:
        line += f" ({engine.passed_over})"
    return line
