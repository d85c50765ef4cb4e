"""Student repositories through GitPython; ``git.exc`` is translated here and goes no further."""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import git
import git.exc

from grader.errors import (
    EnvironmentProblem,
    GraderError,
    InputError,
    RepositoryError,
    counterpart,
)

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
    target = counterpart(exc, _TRANSLATION)
    if target is None:
        raise exc
    return target(f"{where}: {_detail(exc)}")


def _detail(exc: BaseException) -> str:
    """What git said, without GitPython's wrapping: its fatal/error lines when there are any."""
    text = str(getattr(exc, "stderr", "") or exc).strip()
    if text.startswith("stderr:"):
        text = text[len("stderr:") :].strip().strip("'")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    important = [line for line in lines if line.startswith(("fatal:", "error:", "Timeout:"))]
    return " ".join(" ".join(important or lines).split()) or type(exc).__name__


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


# Git must never wait for a person or for a dead server: no prompts, no hooks, slow transfers
# abandoned, and every command killed after a deadline.
_GIT_ENV = {
    "GIT_TERMINAL_PROMPT": "0",
    "GIT_ASKPASS": "/bin/false",
    "SSH_ASKPASS": "/bin/false",
    "GIT_SSH_COMMAND": (
        "ssh -o BatchMode=yes -o ConnectTimeout=30 -o StrictHostKeyChecking=accept-new"
    ),
    "GIT_HTTP_LOW_SPEED_LIMIT": "1000",
    "GIT_HTTP_LOW_SPEED_TIME": "60",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_LFS_SKIP_SMUDGE": "1",
}
_NO_HOOKS = ["-c", "core.hooksPath=/dev/null", "-c", "protocol.ext.allow=never"]


@dataclass(frozen=True)
class Checkout:
    """The working copy to grade and how it relates to the deadline."""

    path: Path
    commit: str
    time: datetime
    late: bool
    newest: str
    newest_time: datetime


def _git(args: list[str], *, cwd: Path | None, timeout: float, where: str) -> str:
    command = git.Git(str(cwd) if cwd else None)
    try:
        output = command.execute(
            ["git", *_NO_HOOKS, *args],
            kill_after_timeout=timeout,
            env={**os.environ, **_GIT_ENV},
            with_extended_output=False,
            stdout_as_string=True,
        )
    except (git.exc.GitError, ValueError) as exc:
        raise translate(exc, where) from exc
    return str(output).strip()


def _commit_time(path: Path, commit: str, where: str, timeout: float) -> datetime:
    stamp = _git(["show", "-s", "--format=%cI", commit], cwd=path, timeout=timeout, where=where)
    return datetime.fromisoformat(stamp).astimezone(timezone.utc)


def fetch(
    url: str,
    dest: Path,
    *,
    deadline: datetime | None,
    newest: bool = False,
    timeout: float = 600,
) -> Checkout:
    """Clone or fetch a student repository and check out the commit to grade.

    The commit is the newest at or before ``deadline`` on the default branch, or the newest of
    all when there is no deadline or ``newest`` asks for it (a late policy with a penalty). A
    clone goes into ``dest`` the first time, a fetch afterwards; hooks never run, submodules
    are never fetched, and the clone is shallow unless a deadline needs history.
    """
    try:
        git.Git.check_unsafe_protocols(url)  # ext:: and friends run commands
    except git.exc.UnsafeProtocolError as exc:
        raise RepositoryError(f"{url}: refused: not a plain git address") from exc
    history = deadline is not None
    where = url
    if (dest / ".git").is_dir() and _same_remote(dest, url, timeout):
        shallow = (dest / ".git" / "shallow").exists()
        depth = ["--depth=1"] if not history else (["--unshallow"] if shallow else [])
        _git(
            ["fetch", "--force", "--prune", "--no-recurse-submodules", *depth, "origin"],
            cwd=dest,
            timeout=timeout,
            where=where,
        )
        _git(["remote", "set-head", "origin", "--auto"], cwd=dest, timeout=timeout, where=where)
    else:
        if dest.exists():
            shutil.rmtree(dest)
        dest.parent.mkdir(parents=True, exist_ok=True)
        depth = [] if history else ["--depth=1"]
        _git(
            [
                "clone",
                "--no-checkout",
                "--single-branch",
                "--no-recurse-submodules",
                *depth,
                "--",
                url,
                str(dest),
            ],
            cwd=None,
            timeout=timeout,
            where=where,
        )
    head = _git(
        ["rev-parse", "--verify", "refs/remotes/origin/HEAD^{commit}"],
        cwd=dest,
        timeout=timeout,
        where=where,
    )
    head_time = _commit_time(dest, head, where, timeout)
    chosen = head
    if deadline is not None and not newest:
        chosen = _git(
            ["rev-list", "-n1", f"--until={deadline.isoformat()}", "refs/remotes/origin/HEAD"],
            cwd=dest,
            timeout=timeout,
            where=where,
        )
        if not chosen:
            raise RepositoryError(
                f"{where}: no commit at or before the deadline {deadline.isoformat()}"
            )
    _git(["checkout", "--force", "--detach", chosen], cwd=dest, timeout=timeout, where=where)
    _git(["clean", "-ffdxq"], cwd=dest, timeout=timeout, where=where)
    chosen_time = head_time if chosen == head else _commit_time(dest, chosen, where, timeout)
    late = chosen != head if not newest else (deadline is not None and chosen_time > deadline)
    return Checkout(
        path=dest, commit=chosen, time=chosen_time, late=late, newest=head, newest_time=head_time
    )


def _same_remote(dest: Path, url: str, timeout: float) -> bool:
    try:
        current = _git(["remote", "get-url", "origin"], cwd=dest, timeout=timeout, where=str(dest))
    except GraderError:
        return False
    return current == url
