"""Grading a whole class: roster in, one row per student out, whatever happens to any of them.

Each student is a job: clone or fetch the repository, pick the commit the deadline allows, then
grade it. Clones run ahead of the grading, in a pool of their own, so the engine never waits for
the network; grading jobs run in parallel on the engines (one, or several with --docker-host),
sharing the engine's layer cache and, for identical submissions, the work itself. A job that
fails becomes an error row with the reason; the batch goes on. Results are written after every
finished row (atomically), so an interrupted batch keeps what it finished, and a rerun skips
rows whose commit, rubric and grader version are unchanged.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol

from grader import __version__, overrides, repos
from grader.engines import Engine, EngineOptions, open_engine
from grader.errors import GraderError, InputError, ResultsError
from grader.grading import (
    BuildCache,
    GradeOptions,
    Stopwatch,
    Submission,
    describe_builder,
    error_row,
    grade_submission,
    now,
    results_for,
    selected_tasks,
)
from grader.models.gradebook import Release
from grader.models.results import BuilderInfo, Results, SubmissionInfo, SubmissionResult
from grader.overrides import LoadedOverrides
from grader.results import read_results, with_similarity, write_results
from grader.roster import DeadlineSource, Student
from grader.rubrics import LoadedRubric

_GIT_TIMEOUT = 600.0
# What a reused row takes from this run's checkout : the same commit, graded the same way, can
# still be late in another way (a newer commit pushed since) or have a new note.
_PROVENANCE = frozenset(("late", "deadline_source", "deadline_note"))


class Observer(Protocol):
    """What a progress display hears; every call comes from the thread doing the work."""

    def started(self, total: int) -> None:
        """The batch starts: how many rows it will produce."""

    def working(self, student: str, doing: str) -> None:
        """A job moved on (cloning, a task, ...)."""

    def finished(self, row: SubmissionResult, *, reused: bool) -> None:
        """A row is final."""

    def building(self, lines: Sequence[str]) -> None:
        """The engines and builders the batch grades on, a line each."""


@dataclass(frozen=True)
class BatchOptions:
    """Everything `grader grade` was asked, as one value (the command line is a thin layer)."""

    out: Path
    submissions: Path
    grading: GradeOptions = field(default_factory=GradeOptions)
    deadline: datetime | None = None
    jobs: int = 0
    only: Sequence[str] = ()
    force: bool = False
    keep: bool = False
    docker_hosts: Sequence[str] = ()
    builder: EngineOptions = field(default_factory=EngineOptions)  # builder and client
    shard: tuple[int, int] | None = None  # (i, n): the i-th of n slices of the roster, from 1
    overrides: LoadedOverrides | None = None  # applied to every row as it is recorded
    release: Release | None = None  # instead of the rubric's


def default_jobs(memory_per_job: int) -> int:
    """As many parallel jobs as cores, but no more than memory holds at each job's cap."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    try:
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        memory = memory_per_job * (cores or 1)
    return max(1, min(cores or 1, memory // max(memory_per_job, 1)))


def _previous(path: Path, loaded: LoadedRubric) -> Results | None:
    if not path.exists():
        return None
    try:
        results = read_results(path)
    except ResultsError:
        return None  # not ours or damaged: regrade everything, and overwrite it
    if results.assignment != loaded.rubric.assignment:
        raise InputError(
            f"{path}: holds results of {results.assignment}, not {loaded.rubric.assignment}; "
            "choose another --out"
        )
    return results


def _info(student: Student, **provenance: object) -> SubmissionInfo:
    return SubmissionInfo.model_validate(
        {
            "student": student.id,
            "name": student.name,
            "email": student.email,
            "sis_id": student.sis_id,
            "lms_id": student.lms_id,
            "section": student.section,
            "repo": student.repo,
            **provenance,
        }
    )


class _Batch:
    def __init__(
        self,
        loaded: LoadedRubric,
        roster: Sequence[Student],
        options: BatchOptions,
        observer: Observer | None,
    ) -> None:
        self.loaded = loaded
        self.roster = list(roster)
        self.options = options
        self.observer = observer
        self.results_path = options.out / "results.json"
        self.previous = _previous(self.results_path, loaded)
        self.rows: dict[str, SubmissionResult] = {}
        self.builders: list[BuilderInfo] = []  # of the engines this run grades on
        self.lock = threading.Lock()
        self.cache = BuildCache()
        self.recorded: set[str] = set()  # rows this run made, their overrides applied already
        if self.previous is not None:
            known = {s.id for s in self.roster}
            self.rows = {r.student: r for r in self.previous.submissions if r.student in known}

    def _reusable(self, student: str, info: SubmissionInfo) -> SubmissionResult | None:
        previous, row = self.previous, self.rows.get(student)
        forced = self.options.force or student in self.options.only
        if forced or previous is None or row is None or info.commit is None:
            return None
        same_run = (
            previous.rubric_sha256 == self.loaded.sha256 and previous.grader_version == __version__
        )
        same_row = row.status == "graded" and (row.commit, row.deadline, row.grace_days) == (
            info.commit,
            info.deadline,
            info.grace_days,
        )
        if same_run and same_row and self._same_builder(row):
            return row
        return None

    def _same_builder(self, row: SubmissionResult) -> bool:
        """Whether the row was built as this run would build it (builder, client, engine)."""
        built = {
            t.build.builder.model_dump_json() for t in row.tasks if t.build and t.build.builder
        }
        return built <= {b.model_dump_json() for b in self.builders}

    def deadline_of(self, student: Student) -> tuple[datetime | None, DeadlineSource | None]:
        """The deadline that applies to a student, and where it comes from."""
        if student.deadline is not None:
            try:
                return student.deadline.resolve(self.options.deadline)
            except ValueError as exc:
                raise InputError(f"roster line {student.line}: {student.id}: {exc}") from None
        return self.options.deadline, "class" if self.options.deadline else None

    def _checkout(self, student: Student) -> tuple[Path, SubmissionInfo]:
        deadline, source = self.deadline_of(student)
        policy = self.loaded.rubric.late_policy
        grace = policy.grace_days if student.grace_days is None else student.grace_days
        when = {
            "deadline": deadline,
            "deadline_source": source,
            "deadline_note": student.deadline_note,
            "grace_days": grace,
        }
        local = None if student.is_url else Path(student.repo)
        if local is not None and local.is_dir() and not (local / ".git").exists():
            return local, _info(student, **when)  # a plain folder (an LMS download): in place
        assignment = self.loaded.rubric.assignment
        dest = self.options.submissions / assignment / student.id
        newest = policy.grade == "newest"
        # the grace days are days late without penalty: with no penalty policy, when the
        # newest commit before the deadline is graded, they move the cut-off
        cutoff = deadline + timedelta(days=grace) if deadline and not newest else deadline
        checkout = repos.fetch(
            student.repo, dest, deadline=cutoff, newest=newest, timeout=_GIT_TIMEOUT
        )
        late_days = 0
        if deadline is not None and checkout.time > deadline:
            late = checkout.time - deadline
            late_days = late.days + (1 if late.seconds or late.microseconds else 0)
        info = _info(
            student,
            commit=checkout.commit,
            commit_time=checkout.time,
            late=checkout.late or late_days > 0,
            late_days=late_days,
            **when,
        )
        return dest, info

    def fetch(self, student: Student) -> tuple[Path, SubmissionInfo, float]:
        """Clone or fetch, ahead of the grading; returns the checkout and how long it took."""
        if self.observer is not None:
            self.observer.working(student.id, "fetching")
        started = time.monotonic()
        path, info = self._checkout(student)
        return path, info, time.monotonic() - started

    def job(
        self,
        student: Student,
        fetched: Future[tuple[Path, SubmissionInfo, float]],
        engines: EnginePool,
    ) -> tuple[SubmissionResult, bool]:
        def tell(doing: str) -> None:
            if self.observer is not None:
                self.observer.working(student.id, doing)

        try:
            path, info, fetch_seconds = fetched.result()
        except GraderError as exc:
            return error_row(self.loaded, _info(student), self.options.grading, str(exc)), False
        reused = self._reusable(student.id, info)
        if reused is not None:
            return reused.model_copy(update=info.model_dump(include=set(_PROVENANCE))), True
        clock = Stopwatch()
        clock.totals["fetch"] = round(fetch_seconds, 3)
        with engines.acquire() as engine, engine.scope():
            row = grade_submission(
                self.loaded,
                Submission(info=info, path=path),
                engine,
                self.options.grading,
                tell,
                stopwatch=clock,
                cache=self.cache,
            )
        return row, False

    def record(self, row: SubmissionResult, *, reused: bool) -> None:
        earlier = self.rows.get(row.student)
        row = overrides.apply_row(
            row,
            self.options.overrides,
            earlier=earlier.overrides if earlier is not None else (),
            moment=now(),
        )
        with self.lock:
            self.rows[row.student] = row
            self.recorded.add(row.student)
            write_results(self.results_path, self.results())
        if self.observer is not None:
            self.observer.finished(row, reused=reused)

    def results(self) -> Results:
        order = {s.id: i for i, s in enumerate(self.roster)}
        rows = sorted(self.rows.values(), key=lambda r: order.get(r.student, len(order)))
        return results_for(
            self.loaded,
            rows,
            deadline=self.options.deadline,
            release=self.options.release,
            overrides_sha256=self.options.overrides.sha256 if self.options.overrides else None,
        )


class EnginePool:
    """The engines a batch grades on; each job takes the least busy one."""

    def __init__(self, engines: Sequence[Engine]) -> None:
        self.engines = tuple(engines)
        self._busy = [0] * len(self.engines)
        self._lock = threading.Lock()

    @contextlib.contextmanager
    def acquire(self) -> Iterator[Engine]:
        """The least busy engine, for one job."""
        with self._lock:
            index = self._busy.index(min(self._busy))
            self._busy[index] += 1
        try:
            yield self.engines[index]
        finally:
            with self._lock:
                self._busy[index] -= 1

    def cancel(self) -> None:
        """Stop what every engine has in flight, at once."""
        for engine in self.engines:
            engine.cancel()

    def close(self) -> None:
        """Stop and clean up every engine."""
        for engine in self.engines:
            engine.close()


def in_shard(roster: Sequence[Student], shard: tuple[int, int] | None) -> list[Student]:
    """The students of one slice of the roster: every n-th, from the i-th (stable, by order)."""
    if shard is None:
        return list(roster)
    index, count = shard
    if not 1 <= index <= count:
        raise InputError(f"--shard {index}/{count}: the slice must be between 1 and {count}")
    return [s for position, s in enumerate(roster) if position % count == index - 1]


def grade_class(
    loaded: LoadedRubric,
    roster: Sequence[Student],
    options: BatchOptions,
    observer: Observer | None = None,
) -> Results:
    """Grade the students of the roster (all, the ``only`` ones, or a shard); the results."""
    selected_tasks(loaded.rubric, options.grading.tasks)
    unknown = [s for s in options.only if s not in {r.id for r in roster}]
    if unknown:
        raise InputError(f"--only {unknown[0]}: not on the roster")
    mine = in_shard(roster, options.shard)
    batch = _Batch(loaded, mine, options, observer)
    todo = [s for s in mine if not options.only or s.id in options.only]
    for student in todo:
        batch.deadline_of(student)  # an extension without a class deadline: say so first
    jobs = options.jobs or default_jobs(int(loaded.rubric.defaults.limits.memory))
    if observer is not None:
        observer.started(len(todo))
    hosts: list[str | None] = [*options.docker_hosts] or [None]
    per_engine = max(1, -(-jobs // len(hosts)))
    with contextlib.ExitStack() as stack:
        engines = EnginePool(
            [
                stack.enter_context(
                    open_engine(
                        dataclasses.replace(
                            options.builder, docker_host=host, keep=options.keep, jobs=per_engine
                        )
                    )
                )
                for host in hosts
            ]
        )
        batch.builders = [engine.builder for engine in engines.engines]
        if observer is not None:
            observer.building([describe_builder(engine) for engine in engines.engines])
        fetching = stack.enter_context(
            ThreadPoolExecutor(max_workers=min(8, 2 * jobs), thread_name_prefix="fetch")
        )
        grading = stack.enter_context(
            ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="grade")
        )
        fetched = {student.id: fetching.submit(batch.fetch, student) for student in todo}
        pending: dict[Future[tuple[SubmissionResult, bool]], Student] = {
            grading.submit(batch.job, student, fetched[student.id], engines): student
            for student in todo
        }
        try:
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    student = pending.pop(future)
                    try:
                        row, reused = future.result()
                    except Exception as exc:  # one submission must never stop the class
                        reason = (
                            str(exc)
                            if isinstance(exc, GraderError)
                            else (f"internal error: {type(exc).__name__}: {exc}")
                        )
                        row = error_row(loaded, _info(student), options.grading, reason)
                        reused = False
                    batch.record(row, reused=reused)
        except BaseException:
            # Ctrl-C: cancel what the engines have in flight (those jobs end with Interrupted,
            # and no row is made of them), drop what has not started, let the pools drain, and
            # then the engines remove what the run made. The rows already recorded are on disk.
            engines.cancel()
            for future in pending:
                future.cancel()
            for fetch in fetched.values():
                fetch.cancel()
            raise
    # rows the run did not regrade (other shards' students, --only) get today's overrides too
    for kept, row in batch.rows.items():
        if kept not in batch.recorded:
            batch.rows[kept] = overrides.apply_row(row, options.overrides, moment=now())
    results = with_similarity(
        batch.results(),
        loaded.rubric.similarity.threshold,
        task_order=[task.id for task in loaded.rubric.tasks],
    )
    write_results(batch.results_path, results)
    return results
