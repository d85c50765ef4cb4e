"""Grading a class through a queue: one job per submission, graded by workers on their engines.

``grader grade --queue redis://HOST`` enqueues a job per student (the rubric's text, the shared
options and the student's deadline travel with it) and gathers the rows into the same
``ClassRun`` a local batch uses, so results.json, the journal and the pages are the same. Each
``grader worker --queue ...`` grades jobs on its own engine, cloning the repositories itself.

RQ on Redis, with JSON as the wire format: nothing a worker sends is unpickled, and the rows are
validated as results models when they arrive. Jobs are at-least-once and rows idempotent: a
job sent twice grades the same commit the same way, and a worker that finds the commit, the
deadline and its builder unchanged answers "unchanged" for the row the submitter already has.

A worker is RQ's ``SimpleWorker`` (the job runs in the worker's process, so its engine, its
connection pool and a batch's cache of identical builds outlive a job) with a heartbeat thread: RQ
keeps a job "started" for its whole timeout unless something renews it, so without the thread
a killed worker's job would wait out its timeout before another took it. With it, the job is
abandoned ``HEARTBEAT_TTL`` seconds after its worker stops, and RQ's own retry hands it on.
"""

from __future__ import annotations

import base64
import contextlib
import contextvars
import dataclasses
import secrets
import socket
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import redis
from pydantic import ValidationError
from rq import Queue, Retry, SimpleWorker
from rq.exceptions import DeserializationError, InvalidJobOperation, NoSuchJobError
from rq.job import Job, JobStatus
from rq.registry import StartedJobRegistry
from rq.serializers import JSONSerializer

from grader.batch import (
    GIT_TIMEOUT,
    BatchOptions,
    ClassRun,
    Due,
    Observer,
    ReuseKey,
    checkout,
    failed_row,
    info_of,
    prepare,
)
from grader.engines import Engine, EngineOptions, open_engine
from grader.errors import EnvironmentProblem, GraderError, InputError, Interrupted
from grader.grading import (
    BuildCache,
    GradeOptions,
    Submission,
    describe_builder,
    error_row,
    grade_submission,
)
from grader.models.results import Results, SubmissionInfo, SubmissionResult
from grader.roster import Student
from grader.rubrics import LoadedRubric, parse

QUEUE = "grader"
HEARTBEAT_TTL = 20  # seconds after its worker's last sign of life that a job is abandoned
_HEARTBEAT_EVERY = 5.0
_POLL = 0.5
_WORKERS_EVERY = 2.0
_RETRIES = 2  # RQ's own, for a job whose worker died or that raised: three tries in all
_RESENDS = 3  # ours, for a job Redis lost (a restart without persistence)
_REDIS_WAIT = 300.0  # how long the submitter waits for Redis to come back
_RESULT_TTL = 7 * 24 * 3600
_CACHED_BATCHES = 4
_SCHEMES = ("redis://", "rediss://", "unix://")
# The worker a job runs on: RQ calls a job function with the job's arguments only, and the
# function needs the worker's engine. Set once per worker process, on its main thread.
_WORKER: contextvars.ContextVar[WorkerContext] = contextvars.ContextVar("grader_worker")


def connect(url: str, *, socket_timeout: float | None = 30.0) -> redis.Redis:
    """A connection to the queue's Redis, checked; one line naming the URL if none answers."""
    if not url.startswith(_SCHEMES):
        raise InputError(f"--queue {url}: not a Redis URL (redis://HOST[:PORT][/DB])")
    try:
        connection = redis.Redis.from_url(
            url, socket_connect_timeout=5, socket_timeout=socket_timeout
        )
        connection.ping()
    except (redis.RedisError, ValueError, OSError) as exc:
        raise EnvironmentProblem(f"no Redis answers at {url}: {exc}") from None
    return connection


def _queue(connection: redis.Redis) -> Queue:
    return Queue(QUEUE, connection=connection, serializer=JSONSerializer)


def job_timeout(loaded: LoadedRubric, tasks: Sequence[str]) -> int:
    """The most a job may take: a clone, and every task's builds and runs at their limits.

    The rubric's limits bound each build and run; this is the backstop for everything else.
    """
    total = GIT_TIMEOUT + 60.0
    for task in loaded.rubric.tasks:
        if tasks and task.id not in tasks:
            continue
        limits = loaded.rubric.limits_for(task)
        total += limits.build_timeout + limits.run_timeout * (len(task.criteria) + 1)
    return int(total)


def payload(
    loaded: LoadedRubric,
    student: Student,
    due: Due,
    grading: GradeOptions,
    reuse: ReuseKey | None,
    *,
    batch: str = "",
) -> dict[str, Any]:
    """One job's argument, JSON all through: the worker needs nothing else to grade the row."""
    return {
        "batch": batch,
        "rubric": {"source": loaded.source, "raw": base64.b64encode(loaded.raw).decode()},
        "student": {
            name: getattr(student, name)
            for name in ("id", "repo", "line", "name", "email", "sis_id", "lms_id", "section")
        },
        "due": {
            "deadline": due.deadline.isoformat() if due.deadline else None,
            "source": due.source,
            "note": due.note,
            "grace_days": due.grace_days,
        },
        "grading": {
            "tasks": list(grading.tasks),
            "image_map": dict(grading.image_map),
            "builder": grading.builder,
            "refuse_images": list(grading.refuse_images),
        },
        "reuse": None
        if reuse is None
        else {
            "commit": reuse.commit,
            "deadline": reuse.deadline.isoformat() if reuse.deadline else None,
            "grace_days": reuse.grace_days,
            "builders": sorted(reuse.builders),
        },
    }


@dataclass(frozen=True)
class _Job:
    """A job's argument, read back on the worker."""

    loaded: LoadedRubric
    student: Student
    due: Due
    grading: GradeOptions
    reuse: ReuseKey | None


def _when(text: object) -> datetime | None:
    return datetime.fromisoformat(str(text)) if text else None


def _read_payload(document: Mapping[str, Any], rubrics: dict[str, LoadedRubric]) -> _Job:
    """The job a payload describes; its rubric parsed once per worker."""
    rubric = document["rubric"]
    raw = base64.b64decode(rubric["raw"])
    key = f"{rubric['source']}\0{raw.hex()}"
    if key not in rubrics:
        rubrics[key] = parse(raw, str(rubric["source"]))
    due, grading, reuse = document["due"], document["grading"], document["reuse"]
    return _Job(
        loaded=rubrics[key],
        student=Student(**document["student"]),
        due=Due(_when(due["deadline"]), due["source"], due["note"], int(due["grace_days"])),
        grading=GradeOptions(
            tasks=tuple(grading["tasks"]),
            image_map=dict(grading["image_map"]),
            builder=str(grading["builder"]),
            refuse_images=tuple(grading["refuse_images"]),
        ),
        reuse=None
        if reuse is None
        else ReuseKey(
            str(reuse["commit"]),
            _when(reuse["deadline"]),
            int(reuse["grace_days"]),
            frozenset(reuse["builders"]),
        ),
    )


@dataclass
class WorkerContext:
    """What a worker keeps between jobs: its engine, identical builds, rubrics it has read."""

    engine: Engine
    submissions: Path  # where this worker clones
    say: Callable[[str], None] = print
    rubrics: dict[str, LoadedRubric] = field(default_factory=dict)
    caches: dict[str, BuildCache] = field(default_factory=dict)

    def cache_for(self, batch: str) -> BuildCache:
        """One batch's identical builds, as a local batch shares them.

        Never across batches: a worker lives for a term, and a base image or a fix in grader
        between two batches must not be hidden by facts gathered before it. Kept for the last
        few batches, as two submitters' batches may interleave.
        """
        if batch not in self.caches:
            while len(self.caches) >= _CACHED_BATCHES:
                del self.caches[next(iter(self.caches))]
            self.caches[batch] = BuildCache()
        return self.caches[batch]


def grade_job(document: dict[str, Any]) -> dict[str, Any]:
    """The job: clone, then grade unless unchanged; the row (or "unchanged") as JSON.

    A submission's own failure is its row (an error row), never a failed job: a failed job is
    retried, and retrying a broken submission only costs time.
    """
    context = _WORKER.get()
    job = _read_payload(document, context.rubrics)
    started = time.monotonic()
    try:
        path, info = checkout(job.student, job.due, job.loaded, context.submissions)
    except GraderError as exc:
        row = error_row(job.loaded, info_of(job.student), job.grading, str(exc))
        return {"row": row.model_dump(mode="json")}
    if job.reuse is not None and job.reuse.matches(info, [context.engine.builder]):
        context.say(f"{job.student.id}: unchanged ({info.commit})")
        return {"unchanged": info.model_dump(mode="json")}
    with context.engine.scope():
        row = grade_submission(
            job.loaded,
            Submission(info=info, path=path),
            context.engine,
            job.grading,
            lambda doing: None,
            cache=context.cache_for(str(document.get("batch", ""))),
        )
    context.say(
        f"{job.student.id}: {row.status} {row.score:g}/{row.max_score:g} "
        f"in {time.monotonic() - started:.1f} s"
    )
    return {"row": row.model_dump(mode="json")}


class GraderWorker(SimpleWorker):
    """RQ's in-process worker, with a heartbeat while a job runs and a stop that interrupts it."""

    stopping = False  # set by a stop request: the loop then ends for good

    def get_heartbeat_ttl(self, job: Job, working_time: float = 0.0) -> int:
        """Short, since the heartbeat thread renews it every few seconds."""
        return HEARTBEAT_TTL

    def execute_job(self, job: Job, queue: Queue) -> None:
        """Run the job here, renewing its heartbeat from a thread until it ends."""
        done = threading.Event()

        def beat() -> None:
            while not done.wait(_HEARTBEAT_EVERY):
                execution = getattr(self, "execution", None)
                if execution is None:
                    continue
                try:
                    self.maintain_heartbeats(job, execution)
                except (redis.RedisError, OSError):
                    continue  # Redis away for a moment: the next beat tries again

        thread = threading.Thread(target=beat, name="heartbeat", daemon=True)
        thread.start()
        try:
            super().execute_job(job, queue)
        finally:
            done.set()
            thread.join()

    def _shutdown(self) -> None:
        """A stop (SIGTERM, Ctrl-C) interrupts the job in hand, which RQ then hands on.

        RQ's warm shutdown would finish the job first: a build can take minutes, and another
        worker can have it at once.
        """
        self.stopping = True
        busy = self.get_current_job_id() is not None
        super()._shutdown()  # type: ignore[no-untyped-call]
        if busy:
            raise Interrupted("the worker was stopped; its job goes to another worker")


@dataclass(frozen=True)
class WorkerOptions:
    """What `grader worker` was asked."""

    url: str
    submissions: Path
    engine: EngineOptions = field(default_factory=EngineOptions)
    name: str | None = None
    burst: bool = False  # stop when the queue is empty


def run_worker(options: WorkerOptions, say: Callable[[str], None] = print) -> None:
    """Take jobs until stopped (or, with ``burst``, until the queue is empty).

    RQ's loop ends on any error it does not expect, such as Redis going away in the middle of
    a job's bookkeeping; a worker should outlive that, so the loop is started again once Redis
    answers, with the same engine.
    """
    connect(options.url)  # one line, not a traceback, when no Redis answers
    name = options.name or f"{socket.gethostname()}-{secrets.token_hex(3)}"
    with open_engine(dataclasses.replace(options.engine, jobs=1)) as engine:
        say(f"worker {name}: {describe_builder(engine)}; jobs from {options.url}")
        _WORKER.set(WorkerContext(engine=engine, submissions=options.submissions, say=say))
        while True:
            connection = _wait_for_redis(options.url, socket_timeout=None)
            worker = GraderWorker(
                [_queue(connection)],
                connection=connection,
                serializer=JSONSerializer,
                name=f"{name}-{secrets.token_hex(2)}",
            )
            worker.work(burst=options.burst, logging_level="WARNING")
            if worker.stopping or options.burst:
                return
            say(f"worker {name}: lost Redis at {options.url}; taking jobs again once it answers")


def _wait_for_redis(url: str, *, socket_timeout: float | None = 30.0) -> redis.Redis:
    deadline = time.monotonic() + _REDIS_WAIT
    while True:
        try:
            return connect(url, socket_timeout=socket_timeout)
        except EnvironmentProblem:
            if time.monotonic() > deadline:
                raise
            time.sleep(1.0)


@dataclass
class _Sent:
    student: Student
    sends: int = 1


class _Gatherer:
    """The submitting side: sends a job per student and records each row as its answer comes.

    A job leaves ``jobs`` only once its row is recorded: whatever happens to Redis before
    then, the job is sent again.
    """

    def __init__(self, run: ClassRun, url: str, batch: str) -> None:
        self.run = run
        self.url = url
        self.batch = batch
        self.connection = connect(url)
        self.queue = _queue(self.connection)
        self.timeout = job_timeout(run.loaded, run.options.grading.tasks)
        self.jobs: dict[str, _Sent] = {}
        self._workers_at = 0.0

    def send(self, student: Student, sends: int = 1) -> None:
        job_id = f"grader-{self.batch}-{secrets.token_hex(8)}"
        document = payload(
            self.run.loaded,
            student,
            self.run.due[student.id],
            self.run.options.grading,
            self.run.reuse_key(student.id),
            batch=self.batch,
        )
        self.queue.enqueue(
            grade_job,
            document,
            job_id=job_id,
            job_timeout=self.timeout,
            result_ttl=_RESULT_TTL,
            failure_ttl=_RESULT_TTL,
            retry=Retry(max=_RETRIES),
            description=f"grade {student.id}",
        )
        self.jobs[job_id] = _Sent(student, sends)

    def gather(self) -> None:
        """Send every job, then poll until each has its row."""
        for student in self.run.todo:
            self.send(student)
        while self.jobs:
            try:
                self._poll()
            except (redis.ConnectionError, redis.TimeoutError):
                self.connection = _wait_for_redis(self.url)
                self.queue = _queue(self.connection)
                continue
            time.sleep(_POLL)

    def _poll(self) -> None:
        StartedJobRegistry(queue=self.queue).cleanup()  # abandoned jobs: retried by RQ
        ids = list(self.jobs)
        # each job's status alone (a job's hash holds its payload, the rubric's text): a class
        # of thousands is polled without moving the payloads again
        with self.connection.pipeline(transaction=False) as pipeline:
            for job_id in ids:
                pipeline.hget(Job.key_for(job_id), "status")
            statuses = pipeline.execute()
        for job_id, raw in zip(ids, statuses, strict=True):
            sent = self.jobs[job_id]
            status = _status(raw)
            if status is None:
                self._again(job_id, sent, "its job was lost by Redis")
            elif status in (
                JobStatus.FINISHED,
                JobStatus.FAILED,
                JobStatus.STOPPED,
                JobStatus.CANCELED,
            ):
                self._ended(job_id, sent, status)
        self._show_workers()

    def _ended(self, job_id: str, sent: _Sent, status: JobStatus) -> None:
        try:
            job = Job.fetch(job_id, connection=self.connection, serializer=JSONSerializer)
        except (NoSuchJobError, InvalidJobOperation, DeserializationError):
            self._again(job_id, sent, "its job was lost by Redis")
            return
        if status == JobStatus.FINISHED:
            self._answer(job_id, sent, job)
            return
        result = job.latest_result()
        reason = _last_line(result.exc_string if result else None) or f"the job was {status.value}"
        self._record(job_id, failed_row(self.run, sent.student, _JobFailed(reason)))

    def _answer(self, job_id: str, sent: _Sent, job: Job) -> None:
        answer = job.return_value()
        try:
            if isinstance(answer, dict) and "unchanged" in answer:
                info = SubmissionInfo.model_validate(answer["unchanged"])
                if self.run.reuse_key(sent.student.id) is None:
                    raise ValueError("unchanged, but nothing was kept")
                row, reused = self.run.again(sent.student.id, info), True
            elif isinstance(answer, dict) and "row" in answer:
                row, reused = SubmissionResult.model_validate(answer["row"]), False
            else:
                self._again(job_id, sent, "its answer was lost by Redis")
                return
        except (ValidationError, ValueError) as exc:
            reason = f"a worker's answer is not a row: {_last_line(str(exc))}"
            row, reused = failed_row(self.run, sent.student, _JobFailed(reason)), False
        if row.student != sent.student.id:
            reason = f"a worker answered for {row.student!r}"
            row, reused = failed_row(self.run, sent.student, _JobFailed(reason)), False
        self._record(job_id, row, reused=reused)

    def _record(self, job_id: str, row: SubmissionResult, *, reused: bool = False) -> None:
        self.run.record(row, reused=reused)
        del self.jobs[job_id]
        # tidying only (its keys expire anyway): RQ 3.0's delete raises ValueError for a job
        # one of whose executions died with its worker, and InvalidJobOperation for one Redis
        # lost between our read and the delete
        with contextlib.suppress(NoSuchJobError, InvalidJobOperation, ValueError, redis.RedisError):
            Job(job_id, connection=self.connection, serializer=JSONSerializer).delete()

    def _again(self, job_id: str, sent: _Sent, why: str) -> None:
        """Send a lost job again (before forgetting the old one: Redis may fail the send)."""
        if sent.sends >= _RESENDS:
            reason = f"{why} {sent.sends} times; not sent again"
            self.run.record(failed_row(self.run, sent.student, _JobFailed(reason)), reused=False)
        else:
            self.send(sent.student, sent.sends + 1)
        del self.jobs[job_id]

    def _show_workers(self) -> None:
        observer = self.run.observer
        if observer is None or time.monotonic() - self._workers_at < _WORKERS_EVERY:
            return
        self._workers_at = time.monotonic()
        students = {job_id: sent.student.id for job_id, sent in self.jobs.items()}
        observer.workers(list(_worker_lines(self.queue, students)))

    def cancel(self) -> None:
        """Ctrl-C: what is queued is cancelled; a job in hand ends on its worker, unrecorded."""
        try:
            for job_id in list(self.jobs):
                with contextlib.suppress(NoSuchJobError, InvalidJobOperation):
                    job = Job.fetch(job_id, connection=self.connection, serializer=JSONSerializer)
                    if job.get_status(refresh=False) in (JobStatus.QUEUED, JobStatus.DEFERRED):
                        job.cancel()
        except redis.RedisError:
            pass  # Redis away: its jobs are gone with it


def _status(raw: bytes | str | None) -> JobStatus | None:
    """A job's status; None for a job Redis lost (or kept only what a heartbeat wrote of it)."""
    text = raw.decode() if isinstance(raw, bytes) else raw
    try:
        return JobStatus(text) if text else None
    except ValueError:
        return None


def _worker_lines(queue: Queue, students: Mapping[str, str]) -> Iterator[str]:
    for worker in sorted(SimpleWorker.all(queue=queue), key=lambda w: w.name):
        current = worker.get_current_job_id()
        student = students.get(current) if current else None
        doing = f"grading {student}" if student else "idle"
        yield f"worker {worker.name}: {doing}"


class _JobFailed(GraderError):
    """A job that ended without a row: the reason becomes the student's error row."""


def _last_line(text: str | None) -> str:
    lines = [line.strip() for line in (text or "").strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""


def grade_class(
    loaded: LoadedRubric,
    roster: Sequence[Student],
    options: BatchOptions,
    url: str,
    observer: Observer | None = None,
) -> Results:
    """Grade through the queue at ``url``: the same rows and files as ``batch.grade_class``."""
    run = prepare(loaded, roster, options, observer)
    gatherer = _Gatherer(run, url, secrets.token_hex(4))
    if observer is not None:
        observer.started(len(run.todo))
        observer.building([f"queue {url}: the workers build, each on its own engine"])
    try:
        gatherer.gather()
    except BaseException:
        gatherer.cancel()
        run.finish(pages=False)
        raise
    return run.finish()
