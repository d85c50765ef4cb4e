"""The gradebook brought up to date without regrading: overrides, release, similarity.

`grader report` and `grader export` call this on a results.json: the instructor's latest
overrides are applied, a `--release` given on the command line is recorded, and the similarity
report is made again. The file is rewritten (atomically) only when something changed, so the
record, the pages and the exports always agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from grader import overrides
from grader.grading import now
from grader.models.gradebook import Release, ReleaseLevel
from grader.models.results import Results
from grader.results import read_results, with_similarity, write_results


@dataclass(frozen=True)
class ReleaseChange:
    """What the command line asks of the release: a new moment (None: never), a new level."""

    at: datetime | None = None
    never: bool = False
    before: ReleaseLevel | None = None

    def applied_to(self, release: Release) -> Release:
        """``release`` with this change made."""
        update: dict[str, object] = {}
        if self.at is not None or self.never:
            update["at"] = None if self.never else self.at
            update["held"] = self.never
        if self.before is not None:
            update["before"] = self.before
        return release.model_copy(update=update) if update else release


@dataclass(frozen=True)
class Refreshed:
    """The results as they now stand, and what the overrides file had to say about them."""

    results: Results
    problems: list[str]
    changed: bool  # the scores, overrides or release differ from the file's


def refresh(
    results_path: Path,
    *,
    overrides_path: Path | None = None,
    release: ReleaseChange | None = None,
    write: bool = True,
) -> Refreshed:
    """Apply the overrides file (by default the one beside the results) and the release change.

    With ``write``, the similarity report is made again too and results.json is rewritten when
    anything changed; without, the file is left as it is (exports read, they do not record).
    """
    results = read_results(results_path)
    path = overrides_path or overrides.beside(results_path)
    loaded = None
    if overrides_path is not None or path.exists():
        loaded = overrides.read_overrides(path)
    updated, problems = overrides.apply(results, loaded, moment=now(), previous=None)
    if release is not None:
        updated = updated.model_copy(update={"release": release.applied_to(updated.release)})
    changed = (updated.submissions, updated.release, updated.overrides_sha256) != (
        results.submissions,
        results.release,
        results.overrides_sha256,
    )
    if write:
        updated = with_similarity(updated)
        if updated != results:
            write_results(results_path, updated)
    return Refreshed(results=updated, problems=problems, changed=changed)
