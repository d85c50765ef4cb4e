"""A class of thousands on one machine: what grader's own work costs per row, and what it writes.

    python bench/bench_class.py [--students 500 2000] [--loop 25] [--jobs 2]

Every student's repository is a clone of one template repository (lesson 2.4's model answer),
so the first task1 build is real and every other one is reused: what is left is grader's own
work per row (clone, context hash, Dockerfile analysis, scoring, the journal line, the
student's pages). Each class size is graded in a process of its own (``--one``), through the
library as ``grader grade --task task1`` calls it, and measured there:

- seconds per row, over the rows after the first (the one real build is left out);
- bytes written per row: the journal's lines, results.json, and every page, counted as they are
  written; it must stay the same whatever the size of the class (before the journal, a class of
  800 wrote 2,558 MB, growing with the square of the class);
- peak memory (max RSS) of the process;
- the dashboard of the whole class: seconds to render and write it, and its size.

And against what a user would write instead, in the same run: the loop of ``git clone``,
``docker build`` (BuildKit, as `docker build` on Docker 23+: here Debian's 20.10 CLI with
DOCKER_BUILDKIT=1, or ``--loop-cli``), ``docker run`` and ``docker image inspect`` per student,
on ``--loop`` students of the same class (its builds all cached too), as seconds per row.
Writes bench/results/class.json.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import docker  # noqa: E402

from grader.batch import BatchOptions, grade_class  # noqa: E402
from grader.grading import GradeOptions  # noqa: E402
from grader.models.results import Results, SubmissionResult  # noqa: E402
from grader.report import PageWriter  # noqa: E402
from grader.roster import read_roster  # noqa: E402
from grader.rubrics import load  # noqa: E402
from grader.store import Journal  # noqa: E402
from tests import baseimages  # noqa: E402 - the stand-in images live with the tests
from tests.gitrepos import commit, make_repo  # noqa: E402

MODEL = ROOT / "examples" / "lesson-2.4" / "model"

LOOP = """\
#!/usr/bin/env bash
# What an instructor writes: clone, build (BuildKit), run, size, one student after the other.
set -eu
while IFS=, read -r s repo; do
  [ "$s" = student ] && continue
  rm -rf "work/$s"
  git clone -q "$repo" "work/$s"
  DOCKER_BUILDKIT=1 "$DOCKER" build -q -t "loop/$s" "work/$s/task1" >/dev/null
  docker run --rm --network none "loop/$s" > "out/$s.txt"
  docker image inspect --format '{{.Size}}' "loop/$s" > "out/$s.size"
  docker rmi -f "loop/$s" >/dev/null 2>&1
done < roster.csv
"""


class CountingPages(PageWriter):
    """The report's page writer, counting what it writes and how long the dashboard takes."""

    def __init__(self, out: Path) -> None:
        super().__init__(out)
        self.bytes = 0
        self.dashboard_seconds = 0.0
        self.dashboard_bytes = 0

    def student(self, results: Results, row: SubmissionResult, stem: str) -> None:
        before = len(self.written)
        super().student(results, row, stem)
        self.bytes += sum(path.stat().st_size for path in self.written[before:])

    def dashboard(self, results: Results) -> None:
        started = time.perf_counter()
        super().dashboard(results)
        self.dashboard_seconds = time.perf_counter() - started
        self.dashboard_bytes = self.written[-1].stat().st_size
        self.bytes += self.dashboard_bytes


def make_class(work: Path, students: int) -> Path:
    template = make_repo(work / "template", MODEL)
    commit(template, "the template", "2026-11-20T10:00:00Z")
    lines = ["student,repo"] + [f"s{n:05d},{template}" for n in range(students)]
    roster = work / "roster.csv"
    roster.write_text("\n".join(lines) + "\n")
    return roster


def one(students: int, jobs: int) -> dict[str, object]:
    """Grade one class in this process; its figures."""
    image_map = baseimages.ensure_all(docker.from_env(timeout=600))
    with tempfile.TemporaryDirectory(prefix="bench-class-") as scratch:
        work = Path(scratch)
        roster = read_roster(make_class(work, students))
        out = work / "out"
        pages = CountingPages(out)
        journal_bytes = [0]
        append = Journal.append

        def counted(self: Journal, row: SubmissionResult) -> None:
            before = self.bytes_written
            append(self, row)
            journal_bytes[0] += self.bytes_written - before

        # the journal's own count, per line: grading hides its store, and a bench may look in
        Journal.append = counted  # type: ignore[method-assign]
        options = BatchOptions(
            out=out,
            submissions=work / "subs",
            grading=GradeOptions(tasks=("task1",), image_map=image_map),
            jobs=jobs,
            pages=pages,
        )
        started = time.perf_counter()
        results = grade_class(load("lesson-2.4"), roster, options)
        seconds = time.perf_counter() - started
        rows = results.submissions
        first = max(row.seconds or 0.0 for row in rows)  # the one real build
        results_bytes = (out / "results.json").stat().st_size
        written = journal_bytes[0] + results_bytes + pages.bytes
        return {
            "students": students,
            "jobs": jobs,
            "graded": sum(1 for row in rows if row.status == "graded"),
            "reused_builds": sum(
                1 for row in rows for t in row.tasks if t.build and t.build.reused
            ),
            "seconds": round(seconds, 2),
            "first_row_seconds": round(first, 2),
            "seconds_per_row": round((seconds - first) / max(students - 1, 1), 4),
            "journal_bytes": journal_bytes[0],
            "results_json_bytes": results_bytes,
            "page_bytes": pages.bytes,
            "bytes_per_row": round(written / students),
            "dashboard_seconds": round(pages.dashboard_seconds, 3),
            "dashboard_bytes": pages.dashboard_bytes,
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        }


def loop(students: int, cli: str) -> dict[str, float]:
    """The user's loop on ``students`` clones of the same template, its builds cached."""
    with tempfile.TemporaryDirectory(prefix="bench-loop-") as scratch:
        work = Path(scratch)
        make_class(work, students)
        (work / "work").mkdir()
        (work / "out").mkdir()
        (work / "loop.sh").write_text(LOOP)
        image_map = baseimages.ensure_all(docker.from_env(timeout=600))
        dockerfile = work / "template" / "task1" / "Dockerfile"
        text = dockerfile.read_text()
        for public, local in image_map.items():  # the stand-ins, as grader's image map does
            text = text.replace(f"FROM {public}", f"FROM {local}")
        dockerfile.write_text(text)
        commit(work / "template", "stand-in bases", "2026-11-20T11:00:00Z")
        env = {**os.environ, "DOCKER": cli}
        subprocess.run(["bash", "loop.sh"], cwd=work, check=True, env=env)  # warm the cache
        started = time.perf_counter()
        subprocess.run(["bash", "loop.sh"], cwd=work, check=True, env=env)
        seconds = time.perf_counter() - started
        printed = {(work / "out" / f"s{n:05d}.txt").read_text() for n in range(students)}
        assert len(printed) == 1, printed  # every student's program printed the same
        assert printed.pop().strip(), "the loop's programs printed nothing"
        return {
            "students": students,
            "seconds": round(seconds, 2),
            "seconds_per_row": round(seconds / students, 4),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, nargs="+", default=[500, 2000])
    parser.add_argument("--loop", type=int, default=25, help="students of the user's loop")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument(
        "--loop-cli", default="/usr/bin/docker", help="A docker CLI that drives BuildKit."
    )
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one(args.one, args.jobs)))
        return
    runs = []
    for students in args.students:
        done = subprocess.run(
            [sys.executable, __file__, "--one", str(students), "--jobs", str(args.jobs)],
            check=True,
            capture_output=True,
            text=True,
        )
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
        print(json.dumps(runs[-1]), flush=True)
    user = loop(args.loop, args.loop_cli)
    print(json.dumps({"loop": user}), flush=True)
    per_row = {run["students"]: run["bytes_per_row"] for run in runs}
    report = {
        "grader": runs,
        "loop": user,
        "loop_over_grader_per_row": round(
            user["seconds_per_row"] / float(runs[-1]["seconds_per_row"]), 1
        ),
        "bytes_per_row_by_class_size": per_row,
    }
    target = ROOT / "bench" / "results" / "class.json"
    target.parent.mkdir(exist_ok=True)
    target.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
