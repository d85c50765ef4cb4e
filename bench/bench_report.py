"""Report rendering for a large class: time and peak memory.

    python bench/bench_report.py [--students 500]

Builds a class of N results from the real graded fixture (tests/data/lesson-2.4-class.json,
six students with every kind of row), renders the dashboard and then writes every page
(dashboard, students' and instructor's copies) into a temporary folder, in a fresh process so
that the peak resident memory is this work's alone; the similarity report is made first, as
`grader report` does. Targets: the dashboard for 500 students in
under 2 s with under 200 MB. Prints the figures and writes bench/results/report.json.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from grader.report import render_class_page, write_class_pages
from grader.results import read_results, with_similarity

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "data" / "lesson-2.4-class.json"


def measure(students: int) -> dict[str, float]:
    started = time.perf_counter()
    klass = read_results(FIXTURE)
    rows = [
        row.model_copy(update={"student": f"{row.student}{i:04d}"})
        for i in range(students // len(klass.submissions) + 1)
        for row in klass.submissions
    ][:students]
    big = klass.model_copy(update={"submissions": rows})
    before_similarity = time.perf_counter()
    big = with_similarity(big, 0.9)  # every row is a copy of one of six: six big clusters
    loaded = time.perf_counter()
    html = render_class_page(big)
    dashboard = time.perf_counter()
    with tempfile.TemporaryDirectory() as out:
        pages = write_class_pages(big, Path(out))
    finished = time.perf_counter()
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "students": students,
        "build_results_s": round(before_similarity - started, 3),
        "similarity_s": round(loaded - before_similarity, 3),
        "clusters": len(big.similarity.clusters) if big.similarity else 0,
        "dashboard_s": round(dashboard - loaded, 3),
        "dashboard_bytes": len(html),
        "all_pages_s": round(finished - dashboard, 3),
        "pages": len(pages),
        "peak_rss_mb": round(peak_kib / 1024, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=500)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.students)))
        return
    done = subprocess.run(
        [sys.executable, __file__, "--child", "--students", str(args.students)],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    figures = json.loads(done.stdout)
    figures["dashboard_target_met"] = figures["dashboard_s"] < 2 and figures["peak_rss_mb"] < 200
    for key, value in figures.items():
        print(f"{key:>22}: {value}")
    out = ROOT / "bench" / "results" / "report.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
