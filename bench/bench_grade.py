"""Grading a class at the speed of the engine: grader against the loop an instructor would write.

    python bench/bench_grade.py [--mix task1|lesson] [--students 12] [--identical 3] [--jobs 1 2]
                                [--builders buildkit classic]

Makes a synthetic class of lesson 2.4 submissions on the local stand-in base images (nothing is
pulled): every repository differs a little (a line of its own in each program, so the engine's
cache cannot hide the work), and ``--identical`` of them are exact copies of others, as when
students share a template. ``--mix task1`` is the Go task alone (CPU-bound compiles);
``--mix lesson`` is the whole lesson, a realistic mix: Go compiles, npm and pip installs (pip
downloads from PyPI), --target and baseline builds, runs. Then, one after the other, on fresh
copies of the class (a new nonce everywhere, so no run reuses another's cache):

1. the naive baseline: a shell loop of git clone, docker build, docker run, docker image
   inspect and docker rmi, one student after the other, doing what the rubric needs, its
   `docker build` being BuildKit (as on Docker 23 and newer: here the Debian 20.10 CLI with
   DOCKER_BUILDKIT=1, or ``--loop-cli``),
   and the same loop run that many at once over slices of the class (each ``--jobs`` past the
   first), which is the most a user's own parallel script could get from the machine;
2. ``grader grade --jobs 1``, 3. ``--jobs 2`` (each ``--jobs`` given) on each ``--builders``
   (BuildKit, then the classic builder at the first --jobs), with the lesson's rubric (for
   ``task1``, its first task) and no CPU cap beyond the machine's, as the loop has none.

Prints the overhead ratio (grader at one job over the loop), the parallel speedup, per-phase
times summed over the class (from results.json) and grader's peak memory; writes it all to
bench/results/grade-<mix>.json. Run it on an otherwise idle machine: the figures are wall-clock.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import docker

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests import baseimages  # noqa: E402 - the stand-in images live with the tests
from tests.gitrepos import commit, make_repo  # noqa: E402

MODEL = ROOT / "examples" / "lesson-2.4" / "model"
RUBRIC = ROOT / "rubrics" / "lesson-2.4.yaml"

# The loop does, per student, the builds and runs the rubric asks for.
NAIVE_TASK1 = """\
  build "$s-t1" "work/$s/task1" && run "$s-t1" && size "$s-t1"
"""
NAIVE_LESSON = (
    NAIVE_TASK1
    + """\
  build "$s-t2" "work/$s/task2" && run "$s-t2" && size "$s-t2"
  build "$s-t3" "work/$s/task3" && run "$s-t3" && size "$s-t3"
  build "$s-t4" "work/$s/task1" --target builder
  build "$s-t5" "work/$s/task1" -f "work/$s/task1/Dockerfile.single" && size "$s-t5"
"""
)
NAIVE = """\
#!/usr/bin/env bash
# What an instructor writes first: one student after the other, nothing in parallel.
set -u
build() { local tag=$1 dir=$2; shift 2; "$DOCKER" build -q -t "naive/$tag" "$@" "$dir" >/dev/null; }
run() { docker run --rm --network none "naive/$1" > "out/$1.txt"; }
size() { docker image inspect --format '{{.Size}}' "naive/$1" > "out/$1.size"; }
while IFS=, read -r s repo; do
  [ "$s" = student ] && continue
  rm -rf "work/$s"
  git clone -q --depth 1 "$repo" "work/$s"
%s  docker rmi -f $(docker images -q "naive/$s-*") >/dev/null 2>&1
done < "${ROSTER:-roster.csv}"
"""


def stand_in(text: str) -> str:
    """A Dockerfile with the lesson's public base images replaced by the local stand-ins."""
    for public, local in baseimages.IMAGE_MAP.items():
        text = re.sub(rf"(?m)^(FROM\s+){re.escape(public)}(\s|$)", rf"\g<1>{local}\g<2>", text)
    return text


def student_files(mix: str, note: str) -> dict[str, str]:
    """The model answer, with a line of its own in each program and stand-in base images."""
    tasks = ["task1"] if mix == "task1" else ["task1", "task2", "task3"]
    files: dict[str, str] = {}
    for path in sorted(MODEL.rglob("*")):
        relative = path.relative_to(MODEL).as_posix()
        if not path.is_file() or relative.split("/")[0] not in tasks:
            continue
        text = path.read_text()
        if path.name.startswith("Dockerfile"):
            text = stand_in(text)
        elif path.suffix == ".go":
            text += f"\n// {note}\n"
        elif path.suffix in (".py", ".js"):
            text += f"\n// {note}\n" if path.suffix == ".js" else f"\n# {note}\n"
        files[relative] = text
    return files


def make_class(where: Path, mix: str, students: int, identical: int) -> Path:
    nonce = secrets.token_hex(4)
    lines = ["student,repo"]
    for n in range(students):
        repo = make_repo(where / f"s{n:03d}")
        twin = n - students + identical  # the last `identical` ones copy the first ones
        note = f"run {nonce}, student {twin if twin >= 0 else n}"
        commit(repo, "work", "2026-11-20T00:00:00Z", student_files(mix, note))
        lines.append(f"s{n:03d},file://{repo}")
    roster = where / "roster.csv"
    roster.write_text("\n".join(lines) + "\n")
    return roster


def timed(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> tuple[float, int]:
    """Wall time of a command and the peak memory (KiB) of its largest process."""
    with tempfile.TemporaryFile() as errors:
        started = time.perf_counter()
        process = subprocess.Popen(
            command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=errors, env=env
        )
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - started
        if status != 0:
            errors.seek(0)
            raise RuntimeError(f"{command[:4]} failed: {errors.read().decode()[-2000:]}")
    return elapsed, usage.ru_maxrss


def naive(
    mix: str, students: int, identical: int, scratch: Path, cli: str, loops: int = 1
) -> float:
    """The loop's wall time; with ``loops`` > 1, that many loops at once over slices of the class
    (what `xargs -P` would give: the best a user's own parallel script could do)."""
    where = scratch / f"naive-{secrets.token_hex(3)}"
    where.mkdir()
    make_class(where, mix, students, identical)  # writes where/roster.csv, which the loop reads
    (where / "work").mkdir()
    (where / "out").mkdir()
    (where / "naive.sh").write_text(NAIVE % (NAIVE_TASK1 if mix == "task1" else NAIVE_LESSON))
    header, *rows = (where / "roster.csv").read_text().splitlines()
    for n in range(loops):
        (where / f"roster-{n}.csv").write_text("\n".join([header, *rows[n::loops]]) + "\n")
    env = {**os.environ, "DOCKER": cli, "DOCKER_BUILDKIT": "1"}
    started = time.perf_counter()
    running = [
        subprocess.Popen(
            ["bash", "naive.sh"],
            cwd=where,
            env={**env, "ROSTER": f"roster-{n}.csv"},
            stdout=subprocess.DEVNULL,
        )
        for n in range(loops)
    ]
    assert all(process.wait() == 0 for process in running), "the loop failed"
    elapsed = time.perf_counter() - started
    outputs = list((where / "out").glob("*-t1.txt"))
    assert len(outputs) == students, f"the loop graded {len(outputs)} of {students}"
    return elapsed


def rubric_for(where: Path) -> Path:
    """The lesson's rubric with the CPU cap lifted to the machine's, as the loop has no cap."""
    text = RUBRIC.read_text().replace("cpus: 1.0", f"cpus: {os.cpu_count() or 1}.0")
    path = where / "lesson.yaml"
    path.write_text(text)
    return path


def graded(
    mix: str, students: int, identical: int, jobs: int, scratch: Path, builder: str
) -> dict[str, object]:
    where = scratch / f"grader-{jobs}-{secrets.token_hex(3)}"
    where.mkdir()
    roster = make_class(where, mix, students, identical)
    command = [
        sys.executable,
        "-m",
        "grader",
        "grade",
        "--rubric",
        str(rubric_for(where)),
        "--roster",
        str(roster),
        "--jobs",
        str(jobs),
        "--out",
        str(where / "out"),
        "--submissions",
        str(where / "subs"),
        "--builder",
        builder,
    ]
    if mix == "task1":
        command += ["--task", "task1"]
    elapsed, peak_kib = timed(command, ROOT)
    results = json.loads((where / "out" / "results.json").read_text())
    rows = results["submissions"]
    assert len(rows) == students, "rows are missing"
    wrong = [
        (
            r["student"],
            r["error"],
            [c["message"] for t in r["tasks"] for c in t["criteria"] if not c["passed"]],
        )
        for r in rows
        if r["score"] != r["max_score"]
    ]
    assert not wrong, f"grading went wrong: {wrong[:3]}"
    phases: dict[str, float] = {}
    for row in rows:
        for phase, seconds in (row.get("timings") or {}).items():
            phases[phase] = round(phases.get(phase, 0.0) + seconds, 3)
    reused = sum(1 for r in rows for t in r["tasks"] if t["build"] and t["build"].get("reused"))
    return {
        "seconds": round(elapsed, 2),
        "peak_rss_mb": round(peak_kib / 1024, 1),
        "phases_s": phases,
        "tasks_reused": reused,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mix", choices=["task1", "lesson"], default="task1")
    parser.add_argument("--students", type=int, default=12)
    parser.add_argument("--identical", type=int, default=3)
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--builders", nargs="+", default=["buildkit", "classic"])
    parser.add_argument("--loop-cli", default="/usr/bin/docker", help="A CLI that drives BuildKit.")
    args = parser.parse_args()
    client = docker.from_env(timeout=600)
    if args.mix == "task1":
        baseimages.ensure(client, [baseimages.IMAGE_MAP["golang:1.20"]])
    else:
        baseimages.ensure_all(client)
    with tempfile.TemporaryDirectory(prefix="grader-bench-") as scratch:
        figures: dict[str, object] = {
            "mix": args.mix,
            "students": args.students,
            "identical": args.identical,
            "cores": os.cpu_count(),
            "naive_buildkit_s": round(
                naive(args.mix, args.students, args.identical, Path(scratch), args.loop_cli), 2
            ),
        }
        for loops in args.jobs[1:]:  # the same loop, that many at once: the machine's own limit
            seconds = naive(
                args.mix, args.students, args.identical, Path(scratch), args.loop_cli, loops
            )
            figures[f"naive_buildkit_{loops}_at_once_s"] = round(seconds, 2)
        for builder in args.builders:
            for jobs in args.jobs if builder == args.builders[0] else args.jobs[:1]:
                figures[f"grader_{builder}_jobs{jobs}"] = graded(
                    args.mix, args.students, args.identical, jobs, Path(scratch), builder
                )
    for builder in args.builders:
        one = figures.get(f"grader_{builder}_jobs1")
        if not isinstance(one, dict):
            continue
        ratio = float(one["seconds"]) / float(figures["naive_buildkit_s"])
        figures[f"{builder}_overhead_ratio"] = round(ratio, 3)
        for jobs in args.jobs[1:]:
            other = figures.get(f"grader_{builder}_jobs{jobs}")
            if isinstance(other, dict):
                speedup = float(one["seconds"]) / float(other["seconds"])
                figures[f"{builder}_speedup_jobs{jobs}"] = round(speedup, 2)
    for loops in args.jobs[1:]:
        at_once = figures.get(f"naive_buildkit_{loops}_at_once_s")
        if isinstance(at_once, float):
            speedup = float(figures["naive_buildkit_s"]) / at_once
            figures[f"naive_speedup_{loops}_at_once"] = round(speedup, 2)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    figures["bench_peak_rss_mb"] = round(peak / 1024, 1)
    print(json.dumps(figures, indent=2))
    out = ROOT / "bench" / "results" / f"grade-{args.mix}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
