"""Regenerate tests/data/lesson-2.4-class.json: a real class graded on the real engine.

Run from the repository root with an engine and the stand-in images:
    python -m tests.data.make_class_results
The class: a model answer, a single-stage one, a broken build, a late fix, a student whose
program prints markup and terminal escapes, and an unreachable repository. Tests of what is made
from results alone (reports, exports) read the file; regenerate it when the results model
changes (tests/test_schemas.py checks that it still validates).
"""

from __future__ import annotations

import shutil
import tempfile
from datetime import datetime, timezone
from pathlib import Path

import docker

from grader.batch import BatchOptions, grade_class
from grader.grading import GradeOptions
from grader.roster import read_roster
from grader.rubrics import load
from tests import baseimages
from tests.gitrepos import commit, make_repo

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "lesson-2.4"
TARGET = Path(__file__).with_name("lesson-2.4-class.json")
HOSTILE_MAIN = """package main

import "fmt"

func main() {
\tfmt.Println("<script>alert('pwned')</script>\\x1b[31mred\\x1b[0m & <b>bold</b>")
}
"""


def main() -> None:
    image_map = baseimages.ensure_all(docker.from_env(timeout=600))
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        make_repo(work / "alice", EXAMPLES / "model")
        commit(work / "alice", "all tasks", "2026-11-28T10:00:00Z")
        make_repo(work / "bob", EXAMPLES / "single-stage")
        commit(work / "bob", "single stage everywhere", "2026-11-29T18:30:00Z")
        make_repo(work / "carol", EXAMPLES / "model")
        dockerfile = work / "carol" / "task1" / "Dockerfile"
        dockerfile.write_text(dockerfile.read_text().replace("go build", "go biuld"))
        commit(work / "carol", "typo", "2026-11-30T09:00:00Z")
        make_repo(work / "dave", EXAMPLES / "model")
        commit(
            work / "dave",
            "first try",
            "2026-11-27T08:00:00Z",
            {"task2/Dockerfile": (EXAMPLES / "single-stage" / "task2" / "Dockerfile").read_text()},
        )
        shutil.copy(
            EXAMPLES / "model" / "task2" / "Dockerfile", work / "dave" / "task2" / "Dockerfile"
        )
        commit(work / "dave", "fixed after the deadline", "2026-12-02T10:00:00Z")
        make_repo(work / "mallory", EXAMPLES / "model")
        commit(work / "mallory", "hello", "2026-11-30T22:00:00Z", {"task1/main.go": HOSTILE_MAIN})
        roster = work / "roster.csv"
        roster.write_text(
            "student,repo,name,email,sis_id,lms_id,section\n"
            "alice,alice,Alice Archer,alice@example.edu,S001,lti-user-001,A\n"
            "bob,bob,Bob Baker,bob@example.edu,S002,lti-user-002,A\n"
            "carol,carol,Carol Cole,carol@example.edu,S003,lti-user-003,B\n"
            "dave,dave,Dave Dune,dave@example.edu,S004,,B\n"
            "mallory,mallory,Mallory <b>Max</b>,mallory@example.edu,S005,lti-user-005,B\n"
            "erin,https://127.0.0.1:9/erin.git,Erin Error,erin@example.edu,S006,lti-user-006,A\n"
        )
        options = BatchOptions(
            out=work / "out",
            submissions=work / "subs",
            grading=GradeOptions(image_map=image_map),
            deadline=datetime(2026, 12, 1, 23, 59, tzinfo=timezone.utc),
            jobs=2,
        )
        results = grade_class(load("lesson-2.4"), read_roster(roster), options)
    # the temporary paths mean nothing elsewhere
    rows = [
        row
        if row.repo.startswith("https://")
        else row.model_copy(
            update={"repo": f"https://git.example.edu/lesson-2.4/{row.student}.git"}
        )
        for row in results.submissions
    ]
    results = results.model_copy(update={"submissions": rows})
    TARGET.write_text(results.model_dump_json(indent=2) + "\n")
    print(
        f"wrote {TARGET}: {[(r.student, r.score, r.status, r.late) for r in results.submissions]}"
    )


if __name__ == "__main__":
    main()
