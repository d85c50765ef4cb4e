"""A term of one assignment on the real engine: grade, override, extend, regrade, release, export.

The class is small and built on busybox, so the whole term takes seconds per step. Each step is
the command line an instructor types, and each assertion reads what they would read: results.json,
the students' copies and the exported files.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from tests import baseimages
from tests.engine.helpers import BUSYBOX, finish, grade, grader, rows
from tests.gitrepos import commit, make_repo

pytestmark = pytest.mark.slow

DEADLINE = "2026-12-01T23:59:00Z"

RUBRIC = f"""\
assignment: term
title: A term of one assignment
defaults:
  image_map: {{"{BUSYBOX}": "{baseimages.BUSYBOX}"}}
release:
  at: 2030-01-01T00:00:00Z
  before: score
tasks:
  - id: app
    title: The app
    dockerfile: Dockerfile
    criteria:
      - {{check: multi_stage, points: 4}}
      - {{id: greets, check: output, points: 4, contains: hello}}
      - {{id: secret, check: output, points: 2, contains: "hello from", hidden: true,
          title: The hidden greeting}}
"""

TEMPLATE = """\
FROM {base} AS {stage}
RUN echo 'echo hello from app' > /greet.sh
FROM {base}
COPY --from={stage} /greet.sh /greet.sh
CMD ["sh", "/greet.sh"]
"""

DISGUISED = """\
# my own work, honestly
from {base} as maker

run echo 'echo hello from app' > /greet.sh
from {base}
copy --from=maker \\
     /greet.sh /greet.sh
cmd ["sh", "/greet.sh"]
"""

OVERRIDES = """\
students:
  alice:
    - task: app
      criterion: greets
      points: 3
      reason: Prints "hallo"; a typo, not a misunderstanding.
    - adjustment: 1
      reason: Came to office hours with a good question.
      private: true
    - comment: Next time, try a second stage for the build.
"""


def one_commit(path: Path, dockerfile: str, date: str = "2026-11-28T12:00:00Z") -> str:
    repo = make_repo(path)
    commit(repo, "work", date, {"Dockerfile": dockerfile})
    return str(repo)


def late_fixer(path: Path) -> tuple[str, str]:
    """Wrong before the class deadline, fixed a day after it."""
    repo = make_repo(path)
    wrong = TEMPLATE.format(base=BUSYBOX, stage="b").replace("hello from app", "hallo from b")
    early = commit(repo, "first try", "2026-11-30T12:00:00Z", {"Dockerfile": wrong})
    right = TEMPLATE.format(base=BUSYBOX, stage="b").replace("hello from app", "hello from b")
    fixed = commit(repo, "fixed", "2026-12-02T12:00:00Z", {"Dockerfile": right})
    return early, fixed


def test_a_whole_term(tmp_path, busybox_image):
    rubric = tmp_path / "term.yaml"
    rubric.write_text(RUBRIC)
    one_commit(tmp_path / "alice", f'FROM {BUSYBOX}\nCMD ["echo", "hallo world"]\n')
    _, bob_fixed = late_fixer(tmp_path / "bob")
    frank_early, _ = late_fixer(tmp_path / "frank")
    one_commit(tmp_path / "carol", TEMPLATE.format(base=BUSYBOX, stage="build"))
    one_commit(tmp_path / "dave", DISGUISED.format(base=BUSYBOX))
    one_commit(tmp_path / "erin", f'FROM {BUSYBOX}\nCMD ["echo", "hello"]\n')
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "student,repo,lms_id,email,deadline,deadline_note\n"
        "alice,alice,101,alice@example.edu,,\n"
        "bob,bob,102,bob@example.edu,2d,Medical certificate\n"
        "frank,frank,103,frank@example.edu,,\n"
        "carol,carol,104,carol@example.edu,,\n"
        "dave,dave,105,dave@example.edu,,\n"
        "erin,erin,106,erin@example.edu,,\n"
    )
    out = tmp_path / "out"
    out.mkdir()
    (out / "overrides.yaml").write_text(OVERRIDES)

    # 1. grade, with the overrides already written and every export asked for
    exports = "gradescope,lti-ags,canvas-csv,moodle-csv"
    code, _, err = finish(
        grade(tmp_path, rubric, roster, "--deadline", DEADLINE, "--export", exports)
    )
    assert code == 0, err
    graded = rows(out)
    alice = graded["alice"]
    assert alice["automatic_score"] == 0
    assert alice["score"] == 4  # greets 3 by the instructor, +1
    [greets] = [c for c in alice["tasks"][0]["criteria"] if c["id"] == "greets"]
    assert greets["automatic"] == {"passed": False, "score": 0.0}
    assert [o["kind"] for o in alice["overrides"]] == ["points", "adjustment", "comment"]
    decided = [o["at"] for o in alice["overrides"]]

    # the extension: bob's deadline is two days later, so his fix is graded, on time
    assert graded["bob"]["deadline_source"] == "extension"
    assert graded["bob"]["deadline"].startswith("2026-12-03T23:59")
    assert graded["bob"]["deadline_note"] == "Medical certificate"
    assert graded["bob"]["commit"] == bob_fixed
    assert graded["bob"]["late"] is False
    assert graded["bob"]["score"] == 10
    # frank has the same history and no extension: his first try is graded, and he is late
    assert graded["frank"]["deadline_source"] == "class"
    assert graded["frank"]["commit"] == frank_early
    assert graded["frank"]["late"] is True
    assert graded["frank"]["score"] == 4

    # similarity: carol and dave share a template (renamed stage, comments, case, a
    # continuation); erin's is another answer
    results = json.loads((out / "results.json").read_text())
    clusters = results["similarity"]["clusters"]
    [shared] = [c for c in clusters if "carol" in c["students"]]
    assert shared["students"] == ["carol", "dave"]
    assert shared["identical"] is True
    assert not any("erin" in c["students"] or "alice" in c["students"] for c in clusters)
    dashboard = (out / "index.html").read_text()
    assert "carol" in dashboard.split("Similar submissions")[1]

    # before the release (2030), the students' copies hold the score and nothing more
    own = json.loads((out / "students" / "alice.json").read_text())
    assert own["shows"] == "score"
    assert own["submissions"][0]["score"] == 4
    assert "criteria" not in own["submissions"][0]["tasks"][0]
    page = (out / "students" / "alice.html").read_text()
    for secret in ("hallo", "office hours", "Next time", "The hidden greeting", "similar"):
        assert secret not in page
    student_bob = (out / "students" / "bob.html").read_text()
    assert "Medical certificate" not in student_bob
    assert "Medical certificate" in (out / "instructor" / "bob.html").read_text()
    for copy in (out / "students").glob("*.json"):
        assert "similarity" not in json.loads(copy.read_text())

    # every export carries the instructor's score
    assert_exports_say(out, {"alice": 4, "bob": 10, "frank": 4}, pending=True)

    # 2. regrade everything: the automatic part is recomputed, the overrides are kept
    code, _, err = finish(grade(tmp_path, rubric, roster, "--deadline", DEADLINE, "--force"))
    assert code == 0, err
    again = rows(out)["alice"]
    assert again["graded_at"] >= alice["graded_at"]
    assert again["score"] == 4
    assert [o["at"] for o in again["overrides"]] == decided
    assert all(o["flag"] is None for o in again["overrides"])

    # 3. release now: the students' copies are rendered again, without regrading
    done = grader("report", out / "results.json", "--release", "now")
    code, _, err = finish(done)
    assert code == 0, err
    assert rows(out)["alice"]["graded_at"] == again["graded_at"]
    own = json.loads((out / "students" / "alice.json").read_text())
    assert own["shows"] == "full"
    page = (out / "students" / "alice.html").read_text()
    for shown in (
        "a typo, not a misunderstanding",
        "Next time, try a second stage",
        "The hidden greeting",
    ):
        assert shown in page
    assert "office hours" not in page  # a private reason stays the instructor's
    assert "office hours" in (out / "instructor" / "alice.html").read_text()

    # 4. export after the release: final grades
    for fmt in exports.split(","):
        code, _, err = finish(
            grader("export", out / "results.json", "--format", fmt, "--out", out / f"export-{fmt}")
        )
        assert code == 0, err
    assert_exports_say(out, {"alice": 4, "bob": 10, "frank": 4}, pending=False)


def assert_exports_say(out: Path, scores: dict[str, float], *, pending: bool) -> None:
    emails = {s: f"{s}@example.edu" for s in scores}
    ids = {"alice": "101", "bob": "102", "frank": "103"}
    for student, score in scores.items():
        gradescope = json.loads((out / "export-gradescope" / student / "results.json").read_text())
        assert gradescope["score"] == score
    lti = {s["userId"]: s for s in json.loads((out / "export-lti-ags" / "scores.json").read_text())}
    for student, score in scores.items():
        body = lti[ids[student]]
        assert body["scoreGiven"] == score
        assert body["gradingProgress"] == ("PendingManual" if pending else "FullyGraded")
    with (out / "export-canvas-csv" / "canvas-grades.csv").open(encoding="utf-8-sig") as handle:
        canvas = {row[0]: row[-1] for row in csv.reader(handle)}
    for student, score in scores.items():
        assert canvas[student] == f"{score:g}"
    with (out / "export-moodle-csv" / "moodle-grades.csv").open() as handle:
        moodle = {row[next(iter(row))]: row for row in csv.DictReader(handle)}
    for student, score in scores.items():
        assert list(moodle[emails[student]].values())[1] == f"{score:g}"
    feedback = list(moodle[emails["alice"]].values())[2]
    assert ("a typo, not a misunderstanding" in feedback) is not pending
