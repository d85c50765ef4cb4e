"""Student repositories with real git: the commit the deadline allows, and nothing run."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from grader import repos
from grader.errors import RepositoryError
from tests.gitrepos import commit, git, make_repo

DEADLINE = datetime(2026, 12, 1, 23, 59, tzinfo=timezone.utc)


@pytest.fixture
def student(tmp_path):
    repo = make_repo(tmp_path / "origin")
    first = commit(repo, "start", "2026-11-20T10:00:00Z", {"task1/Dockerfile": "FROM scratch\n"})
    second = commit(repo, "on time", "2026-12-01T20:00:00Z", {"notes.txt": "v2"})
    return repo, first, second


def test_first_clone_is_shallow_without_a_deadline(student, tmp_path):
    repo, _, second = student
    # (git ignores --depth for plain local paths, which it hardlinks instead)
    checkout = repos.fetch(f"file://{repo}", tmp_path / "work", deadline=None)
    assert checkout.commit == second
    assert not checkout.late
    assert checkout.time == datetime(2026, 12, 1, 20, 0, tzinfo=timezone.utc)
    assert (tmp_path / "work" / ".git" / "shallow").exists()
    assert (tmp_path / "work" / "notes.txt").read_text() == "v2"


def test_the_newest_commit_before_the_deadline_and_late_when_newer_exist(student, tmp_path):
    repo, _, second = student
    checkout = repos.fetch(str(repo), tmp_path / "work", deadline=DEADLINE)
    assert (checkout.commit, checkout.late) == (second, False)
    late = commit(repo, "after the deadline", "2026-12-02T09:00:00Z", {"notes.txt": "v3"})
    checkout = repos.fetch(str(repo), tmp_path / "work", deadline=DEADLINE)
    assert checkout.commit == second
    assert checkout.late
    assert checkout.newest == late
    assert (tmp_path / "work" / "notes.txt").read_text() == "v2"


def test_newest_policy_grades_the_late_commit(student, tmp_path):
    repo, _, _ = student
    late = commit(repo, "late", "2026-12-03T09:00:00Z")
    checkout = repos.fetch(str(repo), tmp_path / "work", deadline=DEADLINE, newest=True)
    assert (checkout.commit, checkout.late) == (late, True)


def test_fetch_after_clone_picks_up_new_commits_and_drops_stray_files(student, tmp_path):
    repo, _, _ = student
    work = tmp_path / "work"
    repos.fetch(str(repo), work, deadline=None)
    (work / "stray.o").write_text("left by someone")
    newer = commit(repo, "more", "2026-11-30T10:00:00Z", {"extra.txt": "x"})
    checkout = repos.fetch(str(repo), work, deadline=None)
    assert checkout.commit == newer
    assert not (work / "stray.o").exists()
    assert (work / "extra.txt").exists()


def test_no_commit_before_the_deadline(student, tmp_path):
    repo, _, _ = student
    early = datetime(2026, 11, 1, tzinfo=timezone.utc)
    with pytest.raises(RepositoryError, match="no commit at or before the deadline"):
        repos.fetch(str(repo), tmp_path / "work", deadline=early)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("https://127.0.0.1:9/nobody.git", "Failed to connect"),
        ("/nonexistent/repo", "does not exist"),
        ("ext::sh -c touch% /tmp/pwned", "refused: not a plain git address"),
    ],
)
def test_unreachable_or_hostile_addresses_are_one_line_errors(tmp_path, url, message):
    with pytest.raises(RepositoryError) as info:
        repos.fetch(url, tmp_path / "work", deadline=None, timeout=60)
    assert str(info.value).startswith(f"{url}: ")
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_hooks_never_run_and_submodules_are_not_fetched(student, tmp_path, monkeypatch):
    repo, _, _ = student
    # a template hook of the grading machine's git, and a submodule pointing elsewhere
    templates = tmp_path / "templates" / "hooks"
    templates.mkdir(parents=True)
    marker = tmp_path / "hook-ran"
    hook = templates / "post-checkout"
    hook.write_text(f"#!/bin/sh\ntouch {marker}\n")
    hook.chmod(0o755)
    other = make_repo(tmp_path / "elsewhere")
    commit(other, "secret", "2026-11-01T00:00:00Z", {"secret.txt": "not for graders"})
    git(repo, "-c", "protocol.file.allow=always", "submodule", "add", "-q", str(other), "vendor")
    commit(repo, "with submodule", "2026-11-30T00:00:00Z")
    monkeypatch.setenv("GIT_TEMPLATE_DIR", str(templates.parent))
    work = tmp_path / "work"
    repos.fetch(str(repo), work, deadline=None)
    assert not marker.exists()
    assert (work / ".gitmodules").exists()
    assert not (work / "vendor" / "secret.txt").exists()


def test_revision_of_a_working_copy(student, tmp_path):
    repo, _, second = student
    revision = repos.revision(repo)
    assert revision is not None
    assert revision.commit == second
    assert not revision.dirty
    (repo / "new.txt").write_text("x")
    assert repos.revision(repo).dirty
    assert repos.revision(tmp_path) is None
