"""Variants of the class fixture for the export tests: hidden criteria, hostile names."""

from __future__ import annotations

from pathlib import Path

from grader.models.results import Results, SubmissionResult

CLASS = Path(__file__).resolve().parents[1] / "data" / "lesson-2.4-class.json"
HOSTILE_NAMES = {
    "alice": 'Archer, "Ali" Alice',
    "bob": "Bob\nBaker",
    "carol": "=cmd|' /C calc'!A0",
    "mallory": "@SUM(1+1)*cmd|' /C calc'!A0",
}


def row(results: Results, student: str) -> SubmissionResult:
    return next(s for s in results.submissions if s.student == student)


def with_rows(results: Results, **updates: dict[str, object]) -> Results:
    """The class with some rows' fields replaced: with_rows(r, alice={"lms_id": None})."""
    submissions = [
        s.model_copy(update=updates[s.student]) if s.student in updates else s
        for s in results.submissions
    ]
    return results.model_copy(update={"submissions": submissions})


def with_hidden(results: Results, student: str, criterion_ids: set[str]) -> Results:
    """The class with some of one student's criteria hidden."""
    target = row(results, student)
    tasks = [
        t.model_copy(
            update={
                "criteria": [
                    c.model_copy(update={"hidden": c.id in criterion_ids}) for c in t.criteria
                ]
            }
        )
        for t in target.tasks
    ]
    return with_rows(results, **{student: {"tasks": tasks}})
