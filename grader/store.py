"""A batch's results store: an append-only journal of finished rows beside results.json.

Rewriting results.json after every row made a class cost the square of its size (800 students
wrote 2.5 GB for a 6 MB file). Instead each finished row is one JSON line appended to
``results.journal.jsonl`` and flushed, so the cost of a row is the row; results.json, still the
contract, is written once when the batch ends (also on Ctrl-C), and the journal removed. A batch
killed outright leaves the journal, and the next run takes its rows up: the journal is read
over results.json, the later line winning.

JSON Lines over SQLite: a line is the row's own results.json form, readable with any tool, and
appending needs no lock between processes because only the batch's one thread writes it. Each
line carries the assignment, rubric hash and grader version it was graded under, since a resumed
run may grade under another rubric than the rows it takes up.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from pydantic import ValidationError

from grader.errors import InputError, ResultsError
from grader.models.results import Results, SubmissionResult
from grader.results import read_results, write_results

JOURNAL = "results.journal.jsonl"
_MAX_LINE_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class Provenance:
    """What a row was graded under: a row is reused only under the same."""

    assignment: str
    rubric_sha256: str
    grader_version: str


@dataclass(frozen=True)
class Kept:
    """A row found in results.json or the journal, with what it was graded under."""

    row: SubmissionResult
    provenance: Provenance


def journal_path(results_path: Path) -> Path:
    """Where the journal of a results file is."""
    return results_path.with_name(JOURNAL)


def _journal_lines(path: Path) -> Iterator[tuple[int, dict[str, object]]]:
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        return
    except OSError as exc:
        raise ResultsError(f"{path}: cannot read the journal: {exc.strerror or exc}") from exc
    with handle:
        for number, line in enumerate(handle, start=1):
            if len(line) > _MAX_LINE_BYTES or not line.endswith(b"\n"):
                continue  # the torn last line of a killed batch: that row is graded again
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if isinstance(entry, dict):
                yield number, entry


def kept_rows(results_path: Path, assignment: str) -> dict[str, Kept]:
    """Every row a batch into this folder finished, by student: results.json, then the journal.

    A results file or journal of another assignment is refused (another ``--out`` is wanted);
    a damaged results file is ignored (its students are graded again, and it is overwritten).
    """
    kept: dict[str, Kept] = {}
    if results_path.exists():
        try:
            results = read_results(results_path)
        except ResultsError:
            results = None
        if results is not None:
            _same_assignment(results_path, results.assignment, assignment)
            provenance = Provenance(
                results.assignment, results.rubric_sha256, results.grader_version
            )
            kept = {row.student: Kept(row, provenance) for row in results.submissions}
    path = journal_path(results_path)
    for number, entry in _journal_lines(path):
        try:
            provenance = Provenance(
                str(entry["assignment"]), str(entry["rubric_sha256"]), str(entry["grader_version"])
            )
            row = SubmissionResult.model_validate(entry["row"])
        except (KeyError, ValidationError):
            continue  # not a line of ours: never a reason to lose the others
        _same_assignment(path, provenance.assignment, assignment, line=number)
        kept[row.student] = Kept(row, provenance)
    return kept


def _same_assignment(path: Path, found: str, wanted: str, *, line: int | None = None) -> None:
    if found != wanted:
        where = f"{path}:{line}" if line is not None else str(path)
        raise InputError(f"{where}: holds results of {found}, not {wanted}; choose another --out")


class Journal:
    """The journal a batch appends to: one flushed line per finished row, from one thread.

    Flushed, not synced, per row: a killed grader loses nothing the kernel has, and a row costs
    no disk round trip; ``close`` syncs.
    """

    def __init__(self, results_path: Path, provenance: Provenance) -> None:
        self.results_path = results_path
        self.path = journal_path(results_path)
        self.provenance = provenance
        self.bytes_written = 0
        self._handle: IO[bytes] | None = None

    def append(self, row: SubmissionResult) -> None:
        """Record one finished row."""
        line = {
            "assignment": self.provenance.assignment,
            "rubric_sha256": self.provenance.rubric_sha256,
            "grader_version": self.provenance.grader_version,
            "row": row.model_dump(mode="json"),
        }
        data = (json.dumps(line, ensure_ascii=True, separators=(",", ":")) + "\n").encode()
        try:
            if self._handle is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._handle = self.path.open("ab")
            self._handle.write(data)
            self._handle.flush()
        except OSError as exc:
            raise InputError(f"{self.path}: cannot write: {exc.strerror or exc}") from exc
        self.bytes_written += len(data)

    def close(self) -> None:
        """Sync and close; the journal stays until ``finish``."""
        if self._handle is not None:
            try:
                self._handle.flush()
                os.fsync(self._handle.fileno())
            finally:
                self._handle.close()
                self._handle = None

    def finish(self, results: Results) -> int:
        """Write results.json whole, then drop the journal it now holds; the bytes written."""
        self.close()
        text_bytes = write_results(self.results_path, results)
        self.path.unlink(missing_ok=True)
        self.bytes_written += text_bytes
        return self.bytes_written
