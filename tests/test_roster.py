"""Rosters: grader's own CSV and GitHub Classroom exports, every problem with its line."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from grader.errors import InputError
from grader.roster import read_roster


def roster(tmp_path: Path, text: str, name: str = "roster.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_grader_roster_with_optional_columns(tmp_path):
    path = roster(
        tmp_path,
        "student,repo,name,email,sis_id,lms_id,section,team\n"
        "alice,https://git.example.org/alice.git,Alice A,a@example.edu,S1,L1,A,red\n"
        "bob,repos/bob,,,,,,\n"
        "\n",
    )
    alice, bob = read_roster(path)
    assert alice.id == "alice"
    assert alice.is_url
    assert (alice.name, alice.email, alice.sis_id, alice.lms_id, alice.section) == (
        "Alice A",
        "a@example.edu",
        "S1",
        "L1",
        "A",
    )
    assert alice.extra == {"team": "red"}
    assert alice.line == 2
    assert not bob.is_url
    assert bob.repo == str(tmp_path / "repos" / "bob")  # relative to the roster
    assert bob.name is None


def test_semicolons_and_a_bom_are_fine(tmp_path):
    path = roster(tmp_path, "\ufeffstudent;repo\nalice;git@github.com:org/alice.git\n")
    [alice] = read_roster(path)
    assert alice.repo == "git@github.com:org/alice.git"
    assert alice.is_url


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the roster is empty"),
        ("student,repo\n", "the roster has no students"),
        ("student,url\nalice,x\n", "line 1: missing column 'repo' (columns: student, url)"),
        ("name\nAlice\n", "line 1: missing columns 'student', 'repo'"),
        ("student,repo\nalice,a\nbob,b\nalice,c\n", "line 4: student 'alice' is already on line 2"),
        ("student,repo\nAlice Smith,a\n", "line 2: student id 'Alice Smith' must be letters"),
        ("student,repo\n,a\n", "line 2: no student id"),
        ("student,repo\nalice,\n", "line 2: student 'alice' has no repository"),
        ("student,repo\nalice,a,extra\n", "line 2: more cells than columns"),
    ],
)
def test_problems_name_the_file_and_line(tmp_path, text, message):
    path = roster(tmp_path, text)
    with pytest.raises(InputError) as info:
        read_roster(path)
    assert str(info.value).startswith(f"{path}: ")
    assert message in str(info.value)


def test_not_a_file(tmp_path):
    with pytest.raises(InputError, match="cannot read the roster"):
        read_roster(tmp_path / "missing.csv")


CLASSROOM = (
    "identifier,github_username,github_id,name\n"
    "s1001,alice-gh,111,Alice A\n"
    "s1002,bob-gh,222,Bob B\n"
)


def test_github_classroom_export_with_a_template(tmp_path):
    path = roster(tmp_path, CLASSROOM)
    template = "https://github.com/course/lesson-2-4-{github_username}"
    alice, bob = read_roster(path, repo_template=template)
    assert alice.id == "alice-gh"
    assert alice.repo == "https://github.com/course/lesson-2-4-alice-gh"
    assert alice.sis_id == "s1001"
    assert bob.name == "Bob B"


def test_github_classroom_export_needs_a_template_or_urls(tmp_path):
    path = roster(tmp_path, CLASSROOM)
    with pytest.raises(InputError, match="needs --repo-template"):
        read_roster(path)
    with pytest.raises(InputError, match="--repo-template: no column 'login'"):
        read_roster(path, repo_template="https://host/{login}")
    urls = roster(
        tmp_path,
        "github_username,roster_identifier,student_repository_url\n"
        "carol,c@example.edu,https://github.com/course/lesson-carol\n",
        "grades.csv",
    )
    [carol] = read_roster(urls)
    assert carol.repo == "https://github.com/course/lesson-carol"
    assert carol.sis_id == "c@example.edu"


def test_template_for_grader_rosters_too(tmp_path):
    path = roster(tmp_path, "student,name\nalice,Alice\n")
    [alice] = read_roster(path, repo_template="file:///srv/repos/{student}.git")
    assert alice.repo == "file:///srv/repos/alice.git"


CLASS_DEADLINE = datetime(2026, 12, 1, 23, 59, tzinfo=timezone(timedelta(hours=1)))


def test_own_deadlines_extensions_and_grace_days(tmp_path):
    path = roster(
        tmp_path,
        "student,repo,deadline,deadline_note,grace_days\n"
        "alice,a,2d,DSP accommodation,\n"
        "bob,b,2026-12-05,,2\n"
        "carol,c,2026-12-04T12:00Z,,\n"
        "dave,d,,,0\n"
        "erin,e,+1d12h,,\n",
    )
    alice, bob, carol, dave, erin = read_roster(path)
    assert alice.deadline.resolve(CLASS_DEADLINE) == (
        CLASS_DEADLINE + timedelta(days=2),
        "extension",
    )
    assert alice.deadline_note == "DSP accommodation"
    assert alice.grace_days is None
    # a date alone takes the class deadline's time of day and zone
    assert bob.deadline.resolve(CLASS_DEADLINE) == (
        datetime(2026, 12, 5, 23, 59, tzinfo=timezone(timedelta(hours=1))),
        "roster",
    )
    assert bob.grace_days == 2
    assert carol.deadline.resolve(None) == (
        datetime(2026, 12, 4, 12, 0, tzinfo=timezone.utc),
        "roster",
    )
    assert dave.deadline is None
    assert dave.grace_days == 0
    assert erin.deadline.extension == timedelta(days=1, hours=12)
    assert "deadline" not in alice.extra
    with pytest.raises(ValueError, match="the extension '2d' needs a class deadline"):
        alice.deadline.resolve(None)


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ("deadline\nalice,a,tomorrow", "line 2: deadline 'tomorrow' is not an ISO-8601 date"),
        ("deadline\nalice,a,2026-13-01", "line 2: deadline '2026-13-01' is not an ISO-8601"),
        ("grace_days\nalice,a,-1", "line 2: grace_days '-1' is not a whole number of days"),
        ("grace_days\nalice,a,two", "line 2: grace_days 'two' is not a whole number"),
    ],
)
def test_bad_deadline_cells_name_the_line(tmp_path, cell, message):
    header, row = cell.split("\n")
    path = roster(tmp_path, f"student,repo,{header}\n{row}\n")
    with pytest.raises(InputError, match=message):
        read_roster(path)
