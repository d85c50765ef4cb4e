"""`grader init`: a student's starting layout for an assignment, with the CI that checks it."""

from __future__ import annotations

from importlib import resources
from importlib.abc import Traversable
from pathlib import Path

from grader.errors import InputError

# Where the package keeps each assignment's starter files, and the CI files every starter gets.
_CI_FILES = {
    ".github/workflows/grader.yml": "github-grader.yml",
    ".gitlab-ci.yml": "gitlab-ci.yml",
}


def starters() -> list[str]:
    """Assignments that have a starter layout."""
    folder = resources.files("grader") / "starters"
    return sorted(entry.name for entry in folder.iterdir() if entry.is_dir())


def _files(folder: Traversable, prefix: str = "") -> dict[str, bytes]:
    found: dict[str, bytes] = {}
    for entry in folder.iterdir():
        name = f"{prefix}{entry.name}"
        if entry.is_dir():
            found |= _files(entry, f"{name}/")
        elif not entry.name.endswith((".pyc", ".pyo")):
            found[name] = entry.read_bytes()
    return found


def starter_files(assignment: str) -> dict[str, bytes]:
    """Relative path -> content of the starter layout of ``assignment``."""
    if assignment not in starters():
        raise InputError(
            f"{assignment}: no starter layout (starters: {', '.join(starters()) or 'none'})"
        )
    files = _files(resources.files("grader") / "starters" / assignment)
    ci = resources.files("grader") / "ci"
    for target, source in _CI_FILES.items():
        files[target] = (ci / source).read_bytes()
    return files


def init(dest: Path, assignment: str, *, force: bool = False) -> list[Path]:
    """Write the starter layout into ``dest``; never overwrites a file unless ``force``."""
    files = starter_files(assignment)
    existing = sorted(name for name in files if (dest / name).exists())
    if existing and not force:
        shown = ", ".join(existing[:5]) + (
            f" and {len(existing) - 5} more" if len(existing) > 5 else ""
        )
        raise InputError(f"{dest}: would overwrite {shown}; use --force to replace them")
    written = []
    for name, content in sorted(files.items()):
        path = dest / name
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
        except OSError as exc:
            raise InputError(f"{path}: cannot write: {exc.strerror or exc}") from exc
        written.append(path)
    return written
