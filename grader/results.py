"""Reading, writing and merging results files."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from pydantic import ValidationError
from pydantic_core import PydanticSerializationError

from grader.errors import InputError, ResultsError
from grader.files import read_input, write_text_atomic
from grader.models.results import Results, SubmissionResult
from grader.models.rubric import Similarity
from grader.similarity import similarity

_MAX_RESULTS_BYTES = 1024 * 1024 * 1024


def to_json(results: Results) -> str:
    """A results document as indented JSON text, whatever strings it holds.

    Text from outside is decoded with replacement, but a string built in code can still hold a
    lone surrogate, which UTF-8 cannot encode: such a document is written with ASCII escapes.
    """
    try:
        return results.model_dump_json(indent=2) + "\n"
    except PydanticSerializationError:
        return json.dumps(results.model_dump(mode="json"), indent=2, ensure_ascii=True) + "\n"


def write_results(path: Path, results: Results) -> int:
    """Save a results document as indented JSON; the bytes written."""
    text = to_json(results)
    write_text_atomic(path, text)
    return len(text.encode("utf-8", "surrogatepass"))


def read_results(path: Path) -> Results:
    """Load a results document, refusing anything that is not one of ours."""
    raw = read_input(path, what="results file", limit=_MAX_RESULTS_BYTES, error=ResultsError)
    try:
        return Results.model_validate_json(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "top level"
        raise ResultsError(
            f"{path}: not a grader results file ({where}: {first['msg']}; "
            f"{exc.error_count()} problem{'s' if exc.error_count() != 1 else ''})"
        ) from None


def with_similarity(
    results: Results, threshold: float | None = None, task_order: Sequence[str] | None = None
) -> Results:
    """The results with their similarity report, for the instructor's dashboard.

    Without ``threshold``, the one the results were last reported with, else the rubric's default.
    """
    if threshold is None:
        made = results.similarity
        threshold = made.threshold if made is not None else Similarity().threshold
    report = similarity(results, threshold=threshold, task_order=task_order)
    return results.model_copy(update={"similarity": report})


def merge(parts: Sequence[Results]) -> Results:
    """One class from the results of its shards (or of separate runs of one assignment).

    They must come from one rubric and one grader version; a student in several parts keeps
    the row graded last.
    """
    if not parts:
        raise InputError("merge: no results to merge")
    first = parts[0]
    rows: dict[str, SubmissionResult] = {}
    for part in parts:
        for attribute in ("assignment", "rubric_sha256", "grader_version", "deadline"):
            if getattr(part, attribute) != getattr(first, attribute):
                raise InputError(
                    f"merge: the results differ in {attribute} ({getattr(first, attribute)} "
                    f"and {getattr(part, attribute)}); grade them with one rubric and grader"
                )
        for row in part.submissions:
            kept = rows.get(row.student)
            if kept is None or (row.graded_at or first.graded_at) >= (
                kept.graded_at or first.graded_at
            ):
                rows[row.student] = row
    return first.model_copy(
        update={
            "graded_at": max(part.graded_at for part in parts),
            "submissions": sorted(rows.values(), key=lambda r: r.student),
        }
    )
