"""Grading a class at the speed of the engine: grader against the loop an instructor would write.

    python bench/bench_grade.py [--students 12] [--identical 3] [--jobs 1 2]

Makes a synthetic class of lesson 2.4 task 1 submissions (a multi-stage Go build on the local
stand-in image, so nothing is pulled): every repository differs a little (its own line in
main.go, so the engine's cache cannot hide the compile), and ``--identical`` of them are exact
copies of another, as when students share a template. Then, one after the other, on fresh
copies of the class (a new nonce in every file, so no run reuses another's cache):

1. the naive baseline: a shell loop of git clone, docker build, docker run, docker image
   inspect and docker rmi, one student after the other;
2. ``grader grade --jobs 1`` and 3. ``--jobs 2`` (each ``--jobs`` given), with a rubric doing the
   same work (build, size, run, output) and no CPU cap beyond the machine's.

Prints the overhead ratio (grader at one job over the loop), the parallel speedup, per-phase
times summed over the class (from results.json), and grader's peak memory; writes it all to
bench/results/grade.json. Run it on an otherwise idle machine: the figures are wall-clock.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import secrets
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import docker

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests import baseimages  # noqa: E402 - the stand-in images live with the tests
from tests.gitrepos import commit, make_repo  # noqa: E402

GO = f"{baseimages.NAMESPACE}/golang:1.20"
DOCKERFILE = f"""\
FROM {GO} AS builder
WORKDIR /app
COPY . .
RUN CGO_ENABLED=0 go build -o myapp .

FROM scratch
COPY --from=builder /app/myapp /myapp
CMD ["/myapp"]
"""
MAIN = """\
package main

import "fmt"

// {note}
func main() {{
\tfmt.Println("Hello from Go multi-stage!")
}}
"""
RUBRIC = f"""\
assignment: bench
title: Bench
defaults:
  limits: {{cpus: {os.cpu_count() or 1}}}
tasks:
  - id: task1
    title: Go
    dockerfile: task1/Dockerfile
    criteria:
      - {{check: multi_stage, points: 1}}
      - {{check: image_size, points: 1, max: 20MB}}
      - {{check: output, points: 1, equals: "Hello from Go multi-stage!"}}
"""
NAIVE = """\
#!/usr/bin/env bash
# What an instructor writes first: one student after the other, nothing in parallel.
set -u
while IFS=, read -r student repo; do
  [ "$student" = student ] && continue
  rm -rf "work/$student"
  git clone -q --depth 1 "$repo" "work/$student"
  if docker build -q -t "naive/$student" "work/$student/task1" >/dev/null; then
    docker run --rm --network none "naive/$student" > "out/$student.txt"
    docker image inspect --format '{{.Size}}' "naive/$student" > "out/$student.size"
    docker rmi -f "naive/$student" >/dev/null
  fi
done < roster.csv
"""


def make_class(where: Path, students: int, identical: int) -> Path:
    nonce = secrets.token_hex(4)
    lines = ["student,repo"]
    for n in range(students):
        repo = make_repo(where / f"s{n:03d}")
        twin = n - students + identical  # the last `identical` ones copy the first ones
        note = f"run {nonce}, student {twin if twin >= 0 else n}"
        files = {
            "task1/Dockerfile": DOCKERFILE,
            "task1/go.mod": "module example.com/hello\n\ngo 1.20\n",
            "task1/main.go": MAIN.format(note=note),
        }
        commit(repo, "work", "2026-11-20T00:00:00Z", files)
        lines.append(f"s{n:03d},file://{repo}")
    roster = where / "roster.csv"
    roster.write_text("\n".join(lines) + "\n")
    return roster


def timed(command: list[str], cwd: Path) -> tuple[float, int]:
    """Wall time of a command and the peak memory (KiB) of its largest process."""
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    if status != 0:
        raise RuntimeError(
            f"{command[:3]} failed: {process.stderr.read().decode()[-2000:] if process.stderr else ''}"
        )
    return elapsed, usage.ru_maxrss


def naive(students: int, identical: int, scratch: Path) -> float:
    where = scratch / f"naive-{secrets.token_hex(3)}"
    where.mkdir()
    roster = make_class(where, students, identical)
    (where / "work").mkdir()
    (where / "out").mkdir()
    (where / "naive.sh").write_text(NAIVE)
    shutil.copy(roster, where / "roster.csv")
    elapsed, _ = timed(["bash", "naive.sh"], where)
    outputs = list((where / "out").glob("*.txt"))
    assert len(outputs) == students, f"the loop graded {len(outputs)} of {students}"
    return elapsed


def graded(students: int, identical: int, jobs: int, scratch: Path) -> dict[str, object]:
    where = scratch / f"grader-{jobs}-{secrets.token_hex(3)}"
    where.mkdir()
    roster = make_class(where, students, identical)
    rubric = where / "bench.yaml"
    rubric.write_text(textwrap.dedent(RUBRIC))
    command = [
        sys.executable,
        "-m",
        "grader",
        "grade",
        "--rubric",
        str(rubric),
        "--roster",
        str(roster),
        "--jobs",
        str(jobs),
        "--out",
        str(where / "out"),
        "--submissions",
        str(where / "subs"),
    ]
    elapsed, peak_kib = timed(command, ROOT)
    results = json.loads((where / "out" / "results.json").read_text())
    rows = results["submissions"]
    assert len(rows) == students and all(r["score"] == 3.0 for r in rows), "grading went wrong"
    phases: dict[str, float] = {}
    for row in rows:
        for phase, seconds in (row.get("timings") or {}).items():
            phases[phase] = round(phases.get(phase, 0.0) + seconds, 3)
    reused = sum(1 for r in rows for t in r["tasks"] if t["build"] and t["build"].get("reused"))
    return {
        "seconds": round(elapsed, 2),
        "peak_rss_mb": round(peak_kib / 1024, 1),
        "phases_s": phases,
        "builds_reused": reused,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=12)
    parser.add_argument("--identical", type=int, default=3)
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    baseimages.ensure(docker.from_env(timeout=600), [GO])
    with tempfile.TemporaryDirectory(prefix="grader-bench-") as scratch:
        figures: dict[str, object] = {
            "students": args.students,
            "identical": args.identical,
            "cores": os.cpu_count(),
            "naive_s": round(naive(args.students, args.identical, Path(scratch)), 2),
        }
        for jobs in args.jobs:
            figures[f"grader_jobs{jobs}"] = graded(
                args.students, args.identical, jobs, Path(scratch)
            )
    one = figures.get("grader_jobs1")
    if isinstance(one, dict):
        figures["overhead_ratio"] = round(float(one["seconds"]) / float(figures["naive_s"]), 3)
        for jobs in args.jobs[1:]:
            other = figures[f"grader_jobs{jobs}"]
            assert isinstance(other, dict)
            figures[f"speedup_jobs{jobs}"] = round(
                float(one["seconds"]) / float(other["seconds"]), 2
            )
    figures["bench_peak_rss_mb"] = round(
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1
    )
    print(json.dumps(figures, indent=2))
    out = ROOT / "bench" / "results" / "grade.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
