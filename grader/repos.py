"""Student repositories through GitPython; ``git.exc`` is translated here and goes no further."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import git
import git.exc

from grader.errors import EnvironmentProblem, GraderError, InputError, RepositoryError

# Every exception class GitPython defines in git.exc, mapped explicitly (a test enumerates the
# module, so a new upstream class fails the suite until it is placed here).
_TRANSLATION: Mapping[type[BaseException], type[GraderError]] = {
    git.exc.GitError: RepositoryError,
    git.exc.InvalidGitRepositoryError: RepositoryError,
    git.exc.WorkTreeRepositoryUnsupported: RepositoryError,
    git.exc.NoSuchPathError: InputError,
    git.exc.UnsafeProtocolError: RepositoryError,
    git.exc.UnsafeOptionError: RepositoryError,
    git.exc.CommandError: RepositoryError,
    git.exc.GitCommandNotFound: EnvironmentProblem,
    git.exc.GitCommandError: RepositoryError,
    git.exc.CheckoutError: RepositoryError,
    git.exc.CacheError: RepositoryError,
    git.exc.UnmergedEntriesError: RepositoryError,
    git.exc.HookExecutionError: RepositoryError,
    git.exc.RepositoryDirtyError: RepositoryError,
    git.exc.ODBError: RepositoryError,
    git.exc.InvalidDBRoot: RepositoryError,
    git.exc.ParseError: RepositoryError,
    git.exc.BadName: RepositoryError,
    git.exc.BadObject: RepositoryError,
    git.exc.BadObjectType: RepositoryError,
    git.exc.AmbiguousObjectName: RepositoryError,
    git.exc.UnsupportedOperation: RepositoryError,
    ValueError: RepositoryError,
}


def translate(exc: BaseException, where: str) -> GraderError:
    """The ``grader.errors`` counterpart of a GitPython exception, naming the repository."""
    if isinstance(exc, GraderError):
        return exc
    for klass in type(exc).__mro__:
        target = _TRANSLATION.get(klass)
        if target is not None:
            detail = " ".join(str(getattr(exc, "stderr", "") or exc).split())
            return target(f"{where}: {detail or type(exc).__name__}")
    raise exc


@dataclass(frozen=True)
class Revision:
    """The commit a working copy is at."""

    commit: str
    time: datetime
    dirty: bool


def revision(path: Path) -> Revision | None:
    """The commit of the git repository at ``path``; None when it is not a repository."""
    try:
        repo = git.Repo(path, search_parent_directories=False)
    except (git.exc.InvalidGitRepositoryError, git.exc.NoSuchPathError):
        return None
    except (git.exc.GitError, ValueError) as exc:
        raise translate(exc, str(path)) from exc
    try:
        with repo:
            if not repo.head.is_valid():
                return None
            head = repo.head.commit
            return Revision(
                commit=head.hexsha,
                time=head.committed_datetime.astimezone(timezone.utc),
                dirty=repo.is_dirty(untracked_files=True),
            )
    except (git.exc.GitError, ValueError) as exc:
        raise translate(exc, str(path)) from exc
