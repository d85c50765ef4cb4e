"""Grading a whole class: roster in, one row per student out, whatever happens to any of them.

Each student is a job: clone or fetch the repository, pick the commit the deadline allows, then
grade it. Clones run ahead of the grading, in a pool of their own, so the engine never waits for
the network; grading jobs run in parallel on the engines (one, or several with --docker-host),
sharing the engine's layer cache and, for identical submissions, the work itself. A job that
fails becomes an error row with the reason; the batch goes on.

What a finished row costs is the row: it is appended to the journal (``grader.store``) and its
student's pages are written; results.json and the dashboard are written once, at the end (also
on Ctrl-C, without the pages). An interrupted or killed batch keeps what it finished, and a rerun
skips rows whose commit, rubric, grader version and builder are unchanged. ``ClassRun`` is that
bookkeeping, shared with the queue (``grader.taskqueue``), which grades the same rows elsewhere.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol

from grader import __version__, overrides, repos
from grader.engines import Engine, EngineOptions, open_engine
from grader.errors import GraderError, InputError
from grader.files import stems_for
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
from grader.models.rubric import LatePolicy
from grader.overrides import LoadedOverrides
from grader.results import with_similarity
from grader.roster import DeadlineSource, Student
from grader.rubrics import LoadedRubric
from grader.store import Journal, Kept, Provenance, kept_rows

GIT_TIMEOUT = 600.0
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

    def workers(self, lines: Sequence[str]) -> None:
        """The queue's workers as they are now, a line each (queue mode only)."""


class Pages(Protocol):
    """Writes a class's pages (the reports do; grading does not import them)."""

    def student(self, results: Results, row: SubmissionResult, stem: str) -> None:
        """One student's pages, as their row is final."""

    def dashboard(self, results: Results) -> None:
        """The class's dashboard, once, at the end."""


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
    pages: Pages | None = None  # written as rows finish, and the dashboard at the end


def default_jobs(memory_per_job: int) -> int:
    """As many parallel jobs as cores, but no more than memory holds at each job's cap."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    try:
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        memory = memory_per_job * (cores or 1)
    return max(1, min(cores or 1, memory // max(memory_per_job, 1)))


def info_of(student: Student, **provenance: object) -> SubmissionInfo:
    """A row's account of who was graded, with what the checkout found."""
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


@dataclass(frozen=True)
class Due:
    """When a student's work is due, and why then; it travels with a queued job."""

    deadline: datetime | None = None
    source: DeadlineSource | None = None
    note: str | None = None
    grace_days: int = 0


def due(student: Student, class_deadline: datetime | None, policy: LatePolicy) -> Due:
    """The deadline that applies to a student: their own, else the class's."""
    grace = policy.grace_days if student.grace_days is None else student.grace_days
    if student.deadline is not None:
        try:
            deadline, source = student.deadline.resolve(class_deadline)
        except ValueError as exc:
            raise InputError(f"roster line {student.line}: {student.id}: {exc}") from None
        return Due(deadline, source, student.deadline_note, grace)
    return Due(class_deadline, "class" if class_deadline else None, student.deadline_note, grace)


def checkout(
    student: Student, when: Due, loaded: LoadedRubric, submissions: Path
) -> tuple[Path, SubmissionInfo]:
    """Clone or fetch the student's repository and check out the commit the deadline allows."""
    given = {
        "deadline": when.deadline,
        "deadline_source": when.source,
        "deadline_note": when.note,
        "grace_days": when.grace_days,
    }
    local = None if student.is_url else Path(student.repo)
    if local is not None and local.is_dir() and not (local / ".git").exists():
        return local, info_of(student, **given)  # a plain folder (an LMS download): in place
    policy = loaded.rubric.late_policy
    dest = submissions / loaded.rubric.assignment / student.id
    newest = policy.grade == "newest"
    deadline = when.deadline
    # the grace days are days late without penalty: with no penalty policy, when the newest
    # commit before the deadline is graded, they move the cut-off
    cutoff = deadline + timedelta(days=when.grace_days) if deadline and not newest else deadline
    found = repos.fetch(student.repo, dest, deadline=cutoff, newest=newest, timeout=GIT_TIMEOUT)
    late_days = 0
    if deadline is not None and found.time > deadline:
        late = found.time - deadline
        late_days = late.days + (1 if late.seconds or late.microseconds else 0)
    info = info_of(
        student,
        commit=found.commit,
        commit_time=found.time,
        late=found.late or late_days > 0,
        late_days=late_days,
        **given,
    )
    return dest, info


@dataclass(frozen=True)
class ReuseKey:
    """What makes a finished row still true: the same commit, deadline, grace and builders."""

    commit: str
    deadline: datetime | None
    grace_days: int
    builders: frozenset[str]  # each as its JSON

    @classmethod
    def of(cls, row: SubmissionResult) -> ReuseKey | None:
        """The key of a graded row; None for an error row or one without a commit."""
        if row.status != "graded" or row.commit is None:
            return None
        built = frozenset(
            t.build.builder.model_dump_json() for t in row.tasks if t.build and t.build.builder
        )
        return cls(row.commit, row.deadline, row.grace_days, built)

    def matches(self, info: SubmissionInfo, builders: Iterable[BuilderInfo]) -> bool:
        """Whether this checkout, built by these builders, would make the same row."""
        same = (self.commit, self.deadline, self.grace_days) == (
            info.commit,
            info.deadline,
            info.grace_days,
        )
        return same and self.builders <= {b.model_dump_json() for b in builders}


class ClassRun:
    """One batch's rows: what is kept from before, what is recorded, and what is written."""

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
        self.provenance = Provenance(loaded.rubric.assignment, loaded.sha256, __version__)
        known = {s.id for s in self.roster}
        self.kept: dict[str, Kept] = {
            student: kept
            for student, kept in kept_rows(self.results_path, loaded.rubric.assignment).items()
            if student in known
        }
        self.rows: dict[str, SubmissionResult] = {s: k.row for s, k in self.kept.items()}
        self.todo = [s for s in self.roster if not options.only or s.id in options.only]
        self.due = {s.id: due(s, options.deadline, loaded.rubric.late_policy) for s in self.todo}
        # every student who will have a row at the end, in the dashboard's order: the pages
        # written now and the dashboard's links then take their names from the same list
        having = {s.id for s in self.todo} | set(self.rows)
        ids = [s.id for s in self.roster if s.id in having]
        self.stems = dict(zip(ids, stems_for(ids), strict=True))
        self.builders: list[BuilderInfo] = []  # of the engines this run grades on
        self.journal = Journal(self.results_path, self.provenance)
        self.recorded: set[str] = set()  # rows this run made, their overrides applied already
        self.lock = threading.Lock()

    def reuse_key(self, student: str) -> ReuseKey | None:
        """The key a checkout must match for the kept row to stand, unless it is regraded."""
        kept = self.kept.get(student)
        forced = self.options.force or student in self.options.only
        if forced or kept is None or kept.provenance != self.provenance:
            return None
        return ReuseKey.of(kept.row)

    def reused(self, student: str, info: SubmissionInfo) -> SubmissionResult | None:
        """The kept row, with this checkout's provenance, when it still stands."""
        key = self.reuse_key(student)
        if key is None or not key.matches(info, self.builders):
            return None
        return self.again(student, info)

    def again(self, student: str, info: SubmissionInfo) -> SubmissionResult:
        """The kept row of an unchanged submission, with this checkout's provenance."""
        row = self.kept[student].row
        return row.model_copy(update=info.model_dump(include=set(_PROVENANCE)))

    def header(self, rows: list[SubmissionResult]) -> Results:
        return results_for(
            self.loaded,
            rows,
            deadline=self.options.deadline,
            release=self.options.release,
            overrides_sha256=self.options.overrides.sha256 if self.options.overrides else None,
        )

    def record(self, row: SubmissionResult, *, reused: bool) -> None:
        """A row is final: into the journal, its pages written, the display told."""
        earlier = self.rows.get(row.student)
        row = overrides.apply_row(
            row,
            self.options.overrides,
            earlier=earlier.overrides if earlier is not None else (),
            moment=now(),
        )
        with self.lock:
            self.journal.append(row)
            self.rows[row.student] = row
            self.recorded.add(row.student)
        if self.options.pages is not None:
            self.options.pages.student(self.header([row]), row, self.stems[row.student])
        if self.observer is not None:
            self.observer.finished(row, reused=reused)

    def results(self) -> Results:
        """Every row so far, in roster order."""
        order = {s.id: i for i, s in enumerate(self.roster)}
        with self.lock:
            rows = sorted(self.rows.values(), key=lambda r: order.get(r.student, len(order)))
        return self.header(rows)

    def finish(self, *, pages: bool = True) -> Results:
        """Write results.json whole (the journal then goes) and, with ``pages``, the rest.

        Rows this run did not record (other shards' students, everyone else under --only) get
        today's overrides and their pages here; the dashboard is written once, last.
        """
        with self.lock:
            for student, row in self.rows.items():
                if student not in self.recorded:
                    self.rows[student] = overrides.apply_row(
                        row, self.options.overrides, moment=now()
                    )
        results = with_similarity(
            self.results(),
            self.loaded.rubric.similarity.threshold,
            task_order=[task.id for task in self.loaded.rubric.tasks],
        )
        self.journal.finish(results)
        if pages and self.options.pages is not None:
            for row in results.submissions:
                if row.student not in self.recorded:
                    self.options.pages.student(results, row, self.stems[row.student])
            self.options.pages.dashboard(results)
        return results


class _Local:
    """The jobs of a batch graded here, on the engines this process opened."""

    def __init__(self, run: ClassRun, engines: EnginePool) -> None:
        self.run = run
        self.engines = engines
        self.cache = BuildCache()

    def fetch(self, student: Student) -> tuple[Path, SubmissionInfo, float]:
        """Clone or fetch, ahead of the grading; returns the checkout and how long it took."""
        if self.run.observer is not None:
            self.run.observer.working(student.id, "fetching")
        started = time.monotonic()
        run = self.run
        path, info = checkout(student, run.due[student.id], run.loaded, run.options.submissions)
        return path, info, time.monotonic() - started

    def job(
        self, student: Student, fetched: Future[tuple[Path, SubmissionInfo, float]]
    ) -> tuple[SubmissionResult, bool]:
        run = self.run

        def tell(doing: str) -> None:
            if run.observer is not None:
                run.observer.working(student.id, doing)

        try:
            path, info, fetch_seconds = fetched.result()
        except GraderError as exc:
            return error_row(run.loaded, info_of(student), run.options.grading, str(exc)), False
        reused = run.reused(student.id, info)
        if reused is not None:
            return reused, True
        clock = Stopwatch()
        clock.totals["fetch"] = round(fetch_seconds, 3)
        with self.engines.acquire() as engine, engine.scope():
            row = grade_submission(
                run.loaded,
                Submission(info=info, path=path),
                engine,
                run.options.grading,
                tell,
                stopwatch=clock,
                cache=self.cache,
            )
        return row, False


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


def prepare(
    loaded: LoadedRubric,
    roster: Sequence[Student],
    options: BatchOptions,
    observer: Observer | None,
) -> ClassRun:
    """A batch's rows, before anything is cloned: every input problem is said here."""
    selected_tasks(loaded.rubric, options.grading.tasks)
    unknown = [s for s in options.only if s not in {r.id for r in roster}]
    if unknown:
        raise InputError(f"--only {unknown[0]}: not on the roster")
    return ClassRun(loaded, in_shard(roster, options.shard), options, observer)


def failed_row(run: ClassRun, student: Student, exc: BaseException) -> SubmissionResult:
    """The row of a job that raised: one submission must never stop the class."""
    reason = (
        str(exc) if isinstance(exc, GraderError) else f"internal error: {type(exc).__name__}: {exc}"
    )
    return error_row(run.loaded, info_of(student), run.options.grading, reason)


def grade_class(
    loaded: LoadedRubric,
    roster: Sequence[Student],
    options: BatchOptions,
    observer: Observer | None = None,
) -> Results:
    """Grade the students of the roster (all, the ``only`` ones, or a shard); the results."""
    run = prepare(loaded, roster, options, observer)
    todo = run.todo
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
        run.builders = [engine.builder for engine in engines.engines]
        if observer is not None:
            observer.building([describe_builder(engine) for engine in engines.engines])
        local = _Local(run, engines)
        fetching = stack.enter_context(
            ThreadPoolExecutor(max_workers=min(8, 2 * jobs), thread_name_prefix="fetch")
        )
        grading = stack.enter_context(
            ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="grade")
        )
        fetched = {student.id: fetching.submit(local.fetch, student) for student in todo}
        pending: dict[Future[tuple[SubmissionResult, bool]], Student] = {
            grading.submit(local.job, student, fetched[student.id]): student for student in todo
        }
        try:
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    student = pending.pop(future)
                    try:
                        row, reused = future.result()
                    except Exception as exc:  # one submission must never stop the class
                        row, reused = failed_row(run, student, exc), False
                    run.record(row, reused=reused)
        except BaseException:
            # Ctrl-C: cancel what the engines have in flight (those jobs end with Interrupted,
            # and no row is made of them), drop what has not started, let the pools drain, and
            # then the engines remove what the run made. The rows recorded are in results.json.
            engines.cancel()
            for future in pending:
                future.cancel()
            for fetch in fetched.values():
                fetch.cancel()
            run.finish(pages=False)
            raise
    return run.finish()
