"""paths_absent / paths_present: files in the final image, looked up without running it."""

from __future__ import annotations

from grader.checks.base import CheckKind, Facts, Needs, Outcome
from grader.models.criteria import PathsAbsent, PathsPresent
from grader.models.image import FileFacts
from grader.models.results import Evidence
from grader.models.rubric import Task


def needs(criterion: PathsAbsent | PathsPresent, task: Task) -> Needs:
    """Lookups in the built image; each path's stat when mode or owner is asked."""
    if isinstance(criterion, PathsPresent) and criterion.needs_stat:
        return Needs(build=True, files=frozenset((p, 0) for p in criterion.paths))
    return Needs(build=True, paths=frozenset(criterion.paths))


_EXECUTABLE = {"owner": 0o100, "group": 0o010, "other": 0o001, "any": 0o111}


def _mismatches(criterion: PathsPresent, found: FileFacts) -> list[str]:
    """How one present path differs from the mode and owner asked.

    container-structure-test's tests, with octal modes as well as Go's mode strings.
    """
    wrong: list[str] = []
    mode = criterion.mode
    if mode is not None:
        if mode.isdigit():
            if found.mode != int(mode, 8):
                wrong.append(f"mode {found.mode:04o}, expected {int(mode, 8):04o}")
        elif found.mode_string != mode:
            wrong.append(f"mode {found.mode_string}, expected {mode}")
    if criterion.uid is not None and found.uid != criterion.uid:
        wrong.append(f"owner uid {found.uid}, expected {criterion.uid}")
    if criterion.gid is not None and found.gid != criterion.gid:
        wrong.append(f"group gid {found.gid}, expected {criterion.gid}")
    who = criterion.executable_by
    if who is not None and not (found.mode or 0) & _EXECUTABLE[who]:
        wrong.append(f"not executable by {who} ({found.mode_string})")
    return wrong


def _evaluate_stats(criterion: PathsPresent, facts: Facts) -> Outcome:
    asked = [
        f"mode {criterion.mode}" if criterion.mode else "",
        f"uid {criterion.uid}" if criterion.uid is not None else "",
        f"gid {criterion.gid}" if criterion.gid is not None else "",
        f"executable by {criterion.executable_by}" if criterion.executable_by else "",
    ]
    expected = f"{', '.join(criterion.paths)}: {', '.join(a for a in asked if a)}"
    problems: list[str] = []
    shown: list[str] = []
    for path in criterion.paths:
        found = facts.files.get(path)
        if found is None or not found.exists:
            problems.append(f"{path} is missing")
            shown.append(f"{path}: missing")
            continue
        if found.mode is None:  # there, but the engine could not stat it (a symlink loop)
            problems.append(f"{path}: {found.error or 'cannot be looked at'}")
            shown.append(f"{path}: {found.error or 'no stat'}")
            continue
        shown.append(f"{path}: {found.mode_string} uid {found.uid} gid {found.gid}")
        problems += [f"{path}: {w}" for w in _mismatches(criterion, found)]
    evidence = Evidence(expected=expected, actual="\n".join(shown))
    if problems:
        more = f" (and {len(problems) - 2} more)" if len(problems) > 2 else ""
        return Outcome.fail("; ".join(problems[:2]) + more, evidence)
    return Outcome.ok(f"{', '.join(criterion.paths)} in the final image, as asked", evidence)


def evaluate_absent(criterion: PathsAbsent, facts: Facts) -> Outcome:
    """Everything listed must be missing."""
    found = [p for p in criterion.paths if facts.paths.get(p, False)]
    evidence = Evidence(expected=f"none of {', '.join(criterion.paths)}", actual=", ".join(found))
    if found:
        return Outcome.fail(f"the final image still holds {', '.join(found)}", evidence)
    return Outcome.ok(f"none of {', '.join(criterion.paths)} in the final image", evidence)


def evaluate_present(criterion: PathsPresent, facts: Facts) -> Outcome:
    """Everything listed must be there (with the mode and owner asked)."""
    if criterion.needs_stat:
        return _evaluate_stats(criterion, facts)
    missing = [p for p in criterion.paths if not facts.paths.get(p, False)]
    evidence = Evidence(
        expected=", ".join(criterion.paths), actual=f"missing: {', '.join(missing)}"
    )
    if missing:
        return Outcome.fail(f"the final image lacks {', '.join(missing)}", evidence)
    return Outcome.ok(f"{', '.join(criterion.paths)} in the final image")


ABSENT = CheckKind[PathsAbsent](
    title="Left out of the image", needs=needs, evaluate=evaluate_absent
)
PRESENT = CheckKind[PathsPresent](title="In the image", needs=needs, evaluate=evaluate_present)
