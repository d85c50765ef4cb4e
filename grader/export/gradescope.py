"""Gradescope autograder results: one results.json per submission.

Format: Gradescope's "Autograder Specifications", output format section. One test per rubric
criterion with an explicit passed/failed status (a partly scored criterion is failed); the
top-level score is the submission's, which "overrides the total of tests", so a late penalty
shows. Every text is sent as ``text``: the default for the top-level output is simple_format,
which would render a student's program output as HTML. Hidden criteria get the visibility the
options ask for (``after_due_date`` or ``hidden``); the spec warns that hidden tests also hide
the total from students until then. Each task's final image size is a leaderboard column
(smaller ranks higher). Every text, names and metadata included, goes through the sanitiser
(``plain_text``): shown spelled out, and never a lone surrogate that would stop the file.

Two uses. Inside a Gradescope autograder, where one submission is graded, call
:func:`write_autograder_results` (or ``grader export --format gradescope --out
/autograder/results/results.json``). For a class, :func:`export` writes
``DIR/<student>/results.json``.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from grader.errors import InputError
from grader.export.common import (
    ExportNote,
    ExportOptions,
    ExportResult,
    check_scores,
    deadline_text,
    late_text,
    override_lines,
    plain_text,
    points,
)
from grader.files import write_text_atomic
from grader.models.exports import (
    GradescopeLeaderboardEntry,
    GradescopeResults,
    GradescopeTest,
    Visibility,
)
from grader.models.results import Results, SubmissionResult, TaskResult
from grader.release import Level, StudentCopy, student_copy
from grader.roster import STUDENT_ID

AUTOGRADER_RESULTS = Path("/autograder/results/results.json")
_OUTPUT_LIMIT = 64 * 1024


def _visibility(hidden: bool, level: Level, options: ExportOptions) -> Visibility:
    """Before the release a test shows what the release level allows; after it, everything."""
    if level == "full":
        return "visible"
    if level in ("received", "score"):
        return "hidden"
    return options.hidden if hidden else "visible"


def _tests(
    task_index: int, task: TaskResult, options: ExportOptions, level: Level
) -> list[GradescopeTest]:
    tests = []
    for index, criterion in enumerate(task.criteria, start=1):
        output = criterion.message.strip()
        if not criterion.checked:
            output = f"Not checked: {output}"
        if not criterion.passed and criterion.hint and criterion.hint.strip():
            output += f"\n\nHint: {criterion.hint.strip()}"
        tests.append(
            GradescopeTest(
                name=plain_text(f"{task.id}: {criterion.title}"),
                name_format="text",
                number=f"{task_index}.{index}",
                score=criterion.score,
                max_score=criterion.max_score,
                status="passed" if criterion.passed else "failed",
                output=plain_text(output)[:_OUTPUT_LIMIT],
                output_format="text",
                tags=[plain_text(task.id), criterion.check],
                visibility=_visibility(criterion.hidden, level, options),
            )
        )
    return tests


def _summary(results: Results, row: SubmissionResult, copy: StudentCopy) -> str:
    if copy.shows_score:
        lines = [f"{results.title}: {points(row.score)} / {points(row.max_score)} points"]
    else:
        lines = [f"{results.title}: received"]
    if row.status == "error":
        lines += [
            f"Grading could not complete: {row.error or 'no reason recorded'}",
            "This is not a grade for your work; it will be graded again.",
        ]
    if row.commit:
        lines.append(f"Commit graded: {row.commit[:12]}")
    lines += [t for t in (deadline_text(row), late_text(row)) if t]
    if row.penalty and copy.shows_score:
        lines.append("The score is after the penalty; the tests show points before it.")
    lines += override_lines(copy)
    if copy.shows_criteria:
        lines += [f"{task.id}: {task.error}" for task in row.tasks if task.error]
    return plain_text("\n".join(lines))[:_OUTPUT_LIMIT]


def gradescope_results(
    results: Results, row: SubmissionResult, options: ExportOptions
) -> GradescopeResults:
    """One submission in Gradescope's results.json format."""
    check_scores(row)
    copy = student_copy(results, row, datetime.now(timezone.utc))
    extra = {
        "assignment": plain_text(results.assignment),
        "student": plain_text(row.student),
        "rubric_sha256": results.rubric_sha256,
        "grader_version": results.grader_version,
        "status": row.status,
    }
    if row.commit:
        extra["commit"] = plain_text(row.commit)
    return GradescopeResults(
        score=row.score,
        execution_time=None if row.seconds is None else round(row.seconds),
        output=_summary(results, row, copy),
        output_format="text",
        test_output_format="text",
        test_name_format="text",
        visibility="hidden" if copy.level == "received" else "visible",
        stdout_visibility="hidden",
        extra_data=extra,
        tests=[
            test
            for i, task in enumerate(row.tasks, start=1)
            for test in _tests(i, task, options, copy.level)
        ],
        leaderboard=[
            GradescopeLeaderboardEntry(
                name=plain_text(f"{task.id} image size (MB)"),
                value=round(task.image.size_bytes / 1_000_000, 2),
                order="asc",
            )
            for task in row.tasks
            if task.image is not None
        ],
    )


def _json(document: GradescopeResults) -> str:
    return document.model_dump_json(indent=2, exclude_none=True) + "\n"


def _notes(row: SubmissionResult) -> list[ExportNote]:
    notes = []
    if row.status == "error":
        notes.append(
            ExportNote(
                row.student,
                excluded=False,
                reason=f"grading failed; written with score {points(row.score)} and the reason "
                "in the output, so the student sees why",
            )
        )
    late = late_text(row)
    if late:
        notes.append(ExportNote(row.student, excluded=False, reason=late))
    return notes


def write_autograder_results(
    results: Results, path: Path = AUTOGRADER_RESULTS, options: ExportOptions | None = None
) -> Path:
    """Inside a Gradescope autograder run: the one graded submission as ``path``.

    ``results`` is what ``grader check --json`` wrote for /autograder/submission.
    """
    if len(results.submissions) != 1:
        raise InputError(
            f"{path}: a Gradescope autograder result holds one submission; the results hold "
            f"{len(results.submissions)} (write a directory instead)"
        )
    row = results.submissions[0]
    return write_text_atomic(
        path, _json(gradescope_results(results, row, options or ExportOptions()))
    )


def export(results: Results, out: Path, options: ExportOptions) -> ExportResult:
    """``out/<student>/results.json`` per submission; a ``.json`` ``out`` for a single one."""
    if out.suffix.lower() == ".json" and not out.is_dir():
        path = write_autograder_results(results, out, options)
        return ExportResult([path], _notes(results.submissions[0]))
    written: list[Path] = []
    notes: list[ExportNote] = []
    seen: set[str] = set()
    for row in results.submissions:
        if not STUDENT_ID.match(row.student) or row.student in seen:
            raise InputError(
                f"submission {row.student!r}: student id cannot name a folder of its own "
                "(letters, digits and . _ @ + -, once each)"
            )
        seen.add(row.student)
        document = gradescope_results(results, row, options)
        written.append(write_text_atomic(out / row.student / "results.json", _json(document)))
        notes += _notes(row)
    return ExportResult(written, notes)
