"""The instructor's overrides, applied on top of the automatic score; a regrade keeps them.

Applying is a pure function of a row and the file: the row is first taken back to what grader
scored (each overridden criterion keeps grader's own verdict in ``automatic``), then every
entry for the student is applied in order. So applying twice changes nothing, an entry removed
from the file is undone, and a regrade, which brings new automatic verdicts, is followed by the
same overrides. An entry that no longer fits (its criterion is gone, its points exceed the
criterion's, grader's own verdict changed since it was written) is recorded with a ``flag`` and
reported, never an error: one stale line must not stop a batch. What counts as "since it was
written" is the automatic verdict when the entry was first applied (``seen``), carried from
one results.json to the next for as long as the entry is unchanged; editing it confirms it.
"""

from __future__ import annotations

import difflib
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from grader import scoring, yamldoc
from grader.errors import OverridesError
from grader.files import read_input
from grader.models.gradebook import Adjustment, Comment, CriterionOverride, Overrides
from grader.models.results import (
    AppliedOverride,
    Automatic,
    CriterionResult,
    Results,
    SubmissionResult,
)
from grader.units import format_points

FILE_NAME = "overrides.yaml"
_MAX_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True)
class LoadedOverrides:
    """A validated overrides file, the line of each entry, and its hash for results.json."""

    overrides: Overrides
    source: str
    sha256: str
    lines: Mapping[tuple[str, int], int]  # (student, entry index) -> line

    def line(self, student: str, index: int) -> int | None:
        """The line an entry starts on."""
        return self.lines.get((student, index))


def _label(container: str | int | None, item: dict[Any, Any], index: int) -> str | None:
    if container == "students" or container is None:
        return None
    return f"student '{container}', entry {index + 1}"


def read_overrides(path: Path) -> LoadedOverrides:
    """Load and validate an overrides file; ``OverridesError`` lists every problem by line."""
    raw = read_input(path, what="overrides file", limit=_MAX_BYTES, error=OverridesError)
    return parse_overrides(raw, str(path))


def parse_overrides(raw: bytes, source: str) -> LoadedOverrides:
    """Validate overrides text (YAML or JSON) that came from ``source``."""
    document = yamldoc.compose(raw, source, OverridesError)
    overrides = yamldoc.validate(
        Overrides,
        document,
        error=OverridesError,
        label=_label,
        shape="an overrides file is a mapping with 'students'",
        tag="entry kind",
    )
    lines = {
        (student, index): document.line(("students", student, index)) or 0
        for student, entries in overrides.students.items()
        for index in range(len(entries))
    }
    return LoadedOverrides(
        overrides=overrides, source=source, sha256=hashlib.sha256(raw).hexdigest(), lines=lines
    )


def automatic(row: SubmissionResult) -> SubmissionResult:
    """The row as grader scored it, without any override (rows never overridden: as they are)."""
    if row.automatic_score is None and not row.overrides:
        return row
    tasks = []
    for task in row.tasks:
        criteria = [
            c.model_copy(update={"passed": c.automatic.passed, "score": c.automatic.score})
            if c.automatic is not None
            else c
            for c in task.criteria
        ]
        criteria = [c.model_copy(update={"automatic": None}) for c in criteria]
        tasks.append(task.model_copy(update={"criteria": criteria}))
    return _totals(row, tasks, adjustment=0.0).model_copy(
        update={"automatic_score": None, "overrides": []}
    )


def _totals(row: SubmissionResult, tasks: list[Any], *, adjustment: float) -> SubmissionResult:
    tasks = [
        t.model_copy(update={"score": scoring.points(sum(c.score for c in t.criteria))})
        for t in tasks
    ]
    raw = scoring.points(sum(t.score for t in tasks))
    fraction = row.penalty_fraction
    if row.penalty and not fraction and row.max_score:  # a row from before fractions were kept
        fraction = row.penalty / row.max_score
    return row.model_copy(
        update={
            "tasks": tasks,
            "penalty": scoring.late_penalty(raw, row.max_score, fraction),
            "score": scoring.total(raw, row.max_score, fraction, adjustment),
            "adjustment": scoring.points(adjustment),
        }
    )


def _sha(entry: CriterionOverride | Adjustment | Comment) -> str:
    return hashlib.sha256(entry.model_dump_json().encode()).hexdigest()


def _suggest(wanted: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(wanted, list(known), n=1)
    return f" (did you mean {close[0]}?)" if close else ""


class _Applier:
    """One row's entries, applied in order onto its automatic criteria."""

    def __init__(
        self, row: SubmissionResult, earlier: Sequence[AppliedOverride], moment: datetime
    ) -> None:
        self.row = row
        self.earlier = {o.entry_sha256: o for o in earlier}
        self.moment = moment
        self.criteria: dict[tuple[str, str], CriterionResult] = {
            (t.id, c.id): c for t in row.tasks for c in t.criteria
        }
        self.adjustment = 0.0
        self.records: list[AppliedOverride] = []
        self.decided: dict[tuple[str, str], int] = {}  # criterion -> index in records

    def add(self, entry: CriterionOverride | Adjustment | Comment, line: int | None) -> None:
        sha = _sha(entry)
        before = self.earlier.get(sha)
        common: dict[str, Any] = {
            "at": entry.at or (before.at if before else self.moment),
            "line": line,
            "entry_sha256": sha,
        }
        if isinstance(entry, CriterionOverride):
            self.records.append(self._criterion(entry, before, common))
        elif isinstance(entry, Adjustment):
            self.adjustment += entry.adjustment
            self.records.append(
                AppliedOverride(
                    kind="adjustment",
                    adjustment=entry.adjustment,
                    reason=entry.reason,
                    comment=entry.comment,
                    private=entry.private,
                    applied=True,
                    **common,
                )
            )
        else:
            flag = None
            if entry.task is not None and entry.task not in {t.id for t in self.row.tasks}:
                known = [t.id for t in self.row.tasks]
                flag = f"no task {entry.task!r} in the results{_suggest(entry.task, known)}"
            self.records.append(
                AppliedOverride(
                    kind="comment",
                    task=entry.task,
                    comment=entry.comment,
                    applied=flag is None,
                    flag=flag,
                    **common,
                )
            )

    def _criterion(
        self, entry: CriterionOverride, before: AppliedOverride | None, common: dict[str, Any]
    ) -> AppliedOverride:
        key = (entry.task, entry.criterion)
        fields: dict[str, Any] = {
            "kind": "points" if entry.points is not None else "verdict",
            "task": entry.task,
            "criterion": entry.criterion,
            "points": entry.points,
            "verdict": entry.verdict,
            "reason": entry.reason,
            "comment": entry.comment,
            "private": entry.private,
            **common,
        }
        found = self.criteria.get(key)
        if found is None:
            known = [f"{t}/{c}" for t, c in self.criteria]
            wanted = f"{entry.task}/{entry.criterion}"
            why = "grading failed before any task" if not known else "it is not in the results"
            return AppliedOverride(
                applied=False,
                flag=f"no criterion {wanted}: {why}{_suggest(wanted, known)}",
                **fields,
            )
        mine = found.automatic or Automatic(passed=found.passed, score=found.score)
        seen = before.seen if before is not None and before.seen is not None else mine
        flag = None
        if seen != mine:
            flag = (
                f"grader's own verdict changed since this override was written "
                f"({_verdict(seen)} then, {_verdict(mine)} now); edit the entry to confirm it"
            )
        if entry.points is not None and entry.points > found.max_score:
            return AppliedOverride(
                applied=False,
                seen=seen,
                flag=f"{scoring.points(entry.points)} points is more than the criterion's "
                f"{scoring.points(found.max_score)}",
                **fields,
            )
        score = found.max_score if entry.verdict == "passed" else entry.points or 0.0
        self.criteria[key] = found.model_copy(
            update={
                "passed": entry.verdict == "passed" if entry.verdict else score >= found.max_score,
                "score": scoring.points(score),
                "automatic": mine,
            }
        )
        replaced = self.decided.get(key)
        if replaced is not None:
            self.records[replaced] = self.records[replaced].model_copy(
                update={"applied": False, "flag": f"replaced by entry {len(self.records) + 1}"}
            )
        self.decided[key] = len(self.records)
        return AppliedOverride(applied=True, seen=seen, flag=flag, **fields)

    def result(self) -> SubmissionResult:
        tasks = [
            t.model_copy(update={"criteria": [self.criteria[(t.id, c.id)] for c in t.criteria]})
            for t in self.row.tasks
        ]
        changed = self.adjustment != 0 or any(c.automatic for c in self.criteria.values())
        row = _totals(self.row, tasks, adjustment=self.adjustment)
        return row.model_copy(
            update={
                "overrides": self.records,
                "automatic_score": self.row.score if changed else None,
            }
        )


def _verdict(result: Automatic) -> str:
    return f"{'passed' if result.passed else 'failed'}, {format_points(result.score)}"


def apply_row(
    row: SubmissionResult,
    loaded: LoadedOverrides | None,
    *,
    earlier: Sequence[AppliedOverride] = (),
    moment: datetime,
) -> SubmissionResult:
    """The row with the file's entries for its student applied (and no others).

    ``earlier`` are the records of an earlier grading of the same row, for ``at`` and ``seen``.
    """
    base = automatic(row)
    entries = loaded.overrides.students.get(row.student, []) if loaded is not None else []
    if not entries:
        return base
    applier = _Applier(base, [*row.overrides, *earlier], moment)
    for index, entry in enumerate(entries):
        applier.add(entry, loaded.line(row.student, index) if loaded is not None else None)
    return applier.result()


def apply(
    results: Results,
    loaded: LoadedOverrides | None,
    *,
    moment: datetime,
    previous: Results | None = None,
) -> tuple[Results, list[str]]:
    """The results with the overrides applied to every row, and a line for each problem.

    Raises ``OverridesError`` when the file is for another assignment.
    """
    if loaded is not None:
        named = loaded.overrides.assignment
        if named is not None and named != results.assignment:
            raise OverridesError(
                loaded.source,
                [
                    f"line 1: the overrides are for {named!r}, the results for "
                    f"{results.assignment!r}"
                ],
            )
    earlier = {r.student: r.overrides for r in previous.submissions} if previous else {}
    rows = [
        apply_row(row, loaded, earlier=earlier.get(row.student, ()), moment=moment)
        for row in results.submissions
    ]
    updated = results.model_copy(
        update={
            "submissions": rows,
            "overrides_sha256": loaded.sha256 if loaded is not None else None,
        }
    )
    return updated, problems(updated, loaded)


def problems(results: Results, loaded: LoadedOverrides | None) -> list[str]:
    """Lines for the terminal: each flagged entry, and students the results do not hold."""
    if loaded is None:
        return []
    lines = []
    for row in results.submissions:
        for record in row.overrides:
            if record.flag:
                where = f"line {record.line}: " if record.line else ""
                lines.append(f"{loaded.source}: {where}{row.student}: {record.flag}")
    known = {r.student for r in results.submissions}
    for student in loaded.overrides.students:
        if student not in known:
            line = loaded.line(student, 0)
            where = f"line {line}: " if line else ""
            lines.append(
                f"{loaded.source}: {where}student {student!r} has no row in the results"
                f"{_suggest(student, known)}; nothing applied"
            )
    return lines


def beside(results_path: Path) -> Path:
    """Where a class's overrides file is by default: next to its results.json."""
    return results_path.parent / FILE_NAME
