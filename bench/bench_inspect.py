"""Benchmark of `grader.dockerfile.analyze`: typical lesson Dockerfiles and a large generated set.

Run as ``python bench/bench_inspect.py``. Prints the figures and writes them to
bench/results/inspect.json. Targets: under 1 ms per typical Dockerfile after start-up, and at
least 1,000 files per second in one process.

``--against REV`` also times the analysis of git revision REV on the same files, in the same
run (each tree in its own process, six turns each, taking turns at going first, the best of seven
passes per turn), and reports the ratio: a change to the analysis must not make it slower.
"""

from __future__ import annotations

import argparse
import io
import json
import platform
import random
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

if len(sys.argv) == 4 and sys.argv[1] == "--time-tree":  # a child timing another tree
    sys.path.insert(0, sys.argv[2])
else:
    sys.path.insert(0, str(ROOT))
START = time.perf_counter()
from grader.dockerfile import analyze  # noqa: E402 - the import is part of what start-up costs
from grader.models.analysis import Problem  # noqa: E402

IMPORTED = time.perf_counter()

CORPUS = ROOT / "tests" / "dockerfiles"
RESULTS = ROOT / "bench" / "results" / "inspect.json"
LESSON = sorted(CORPUS.glob("lesson-*.Dockerfile")) + [
    CORPUS / name
    for name in (
        "single-stage-go.Dockerfile",
        "test-stage-last.Dockerfile",
        "run-mount-from.Dockerfile",
        "heredoc-python.Dockerfile",
    )
]

BASES = ["golang:1.22", "node:20", "python:3.12-slim", "alpine:3.19", "debian:12", "scratch"]
STEPS = [
    "WORKDIR /app",
    "COPY . .",
    "COPY package*.json ./",
    "RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates \\\n"
    "    curl \\\n    && rm -rf /var/lib/apt/lists/*",
    "RUN go build -o /out/app ./cmd/app",
    "RUN npm ci && npm run build",
    "RUN pip install --user -r requirements.txt",
    "ENV PATH=/root/.local/bin:$PATH",
    "ARG VERSION=1.0",
    "LABEL org.opencontainers.image.version=$VERSION",
    "EXPOSE 8080",
    "USER 1000",
    'CMD ["/app"]',
    "CMD /app --serve",
    "RUN <<EOF sh\nset -e\necho building\nEOF",
    "# a comment",
]


def generated(count: int, seed: int = 24) -> list[str]:
    """Dockerfiles with 1-4 stages of 3-15 steps, some COPY --from an earlier stage."""
    rng = random.Random(seed)
    files = []
    for _ in range(count):
        lines = ["# syntax=docker/dockerfile:1", "ARG BASE=alpine:3.19"]
        stages = rng.randint(1, 4)
        for index in range(stages):
            base = rng.choice([*BASES, "${BASE}"] + [f"s{i}" for i in range(index)])
            lines.append(f"FROM {base} AS s{index}")
            lines.extend(rng.choice(STEPS) for _ in range(rng.randint(3, 15)))
            if index:
                lines.append(f"COPY --from=s{rng.randrange(index)} /out /out")
        files.append("\n".join(lines) + "\n")
    return files


def per_file(texts: list[str], rounds: int) -> list[float]:
    """Seconds per call for each text: the median over ``rounds`` calls."""
    out = []
    for text in texts:
        samples = []
        for _ in range(rounds):
            begin = time.perf_counter()
            analyze(text)
            samples.append(time.perf_counter() - begin)
        out.append(statistics.median(samples))
    return out


def _per_call(call, number: int = 20000) -> float:
    begin = time.perf_counter()
    for _ in range(number):
        call()
    return (time.perf_counter() - begin) / number


def _time_set(texts: list[str]) -> float:
    """CPU seconds to analyse every text once: on a shared machine, less noisy than the clock."""
    begin = time.process_time()
    for text in texts:
        analyze(text)
    return time.process_time() - begin


def _tree_at(revision: str, where: Path) -> Path:
    """The package as it was at ``revision``, unpacked into ``where``."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", revision, "grader"],
        check=True,
        capture_output=True,
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(where, filter="data")
    return where


def _child(tree: Path, texts: Path) -> float:
    done = subprocess.run(
        [sys.executable, __file__, "--time-tree", str(tree), str(texts)],
        check=True,
        capture_output=True,
        text=True,
    )
    return float(done.stdout)


def against(revision: str, rounds: int = 6) -> dict[str, object]:
    """This tree's analysis against ``revision``'s on the generated set, in turns."""
    with tempfile.TemporaryDirectory() as scratch:
        texts = Path(scratch) / "texts.json"
        texts.write_text(json.dumps(generated(1000)))
        old = _tree_at(revision, Path(scratch) / "old")
        new_runs, old_runs = [], []
        for turn in range(rounds):  # ABBA: neither tree always goes first
            order = [(ROOT, new_runs), (old, old_runs)]
            for tree, runs in order if turn % 2 == 0 else order[::-1]:
                runs.append(_child(tree, texts))
    ratio = min(new_runs) / min(old_runs)
    return {
        "revision": revision,
        "files": 1000,
        "seconds_this_tree": round(min(new_runs), 3),
        "seconds_revision": round(min(old_runs), 3),
        "ratio": round(ratio, 3),
    }


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--time-tree":
        texts = json.loads(Path(sys.argv[3]).read_text())
        _time_set(texts[:50])  # warm up
        print(min(_time_set(texts) for _ in range(7)))  # the machine may be shared: the best
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", metavar="REV", help="also time git revision REV")
    options = parser.parse_args()
    lesson_texts = [path.read_text() for path in LESSON]
    first_begin = time.perf_counter()
    analyze(lesson_texts[0])
    first_call = time.perf_counter() - first_begin

    for text in lesson_texts:  # warm up
        analyze(text)
    typical = per_file(lesson_texts, rounds=200)

    big = generated(5000)
    runs = []
    for _ in range(3):  # best of three: the machine may be shared
        begin = time.perf_counter()
        for text in big:
            analyze(text)
        runs.append(time.perf_counter() - begin)
    elapsed = min(runs)

    # analyze builds its models with the validating constructors: pydantic-core does that
    # faster than model_construct, which runs in Python (measured here to keep it honest).
    problem = {"line": 3, "rule": "unused-stage", "severity": "warning", "message": "x" * 100}
    construct = _per_call(lambda: Problem.model_construct(**problem))
    validated = _per_call(lambda: Problem(**problem))

    results = {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "import_seconds": round(IMPORTED - START, 4),
        "first_call_seconds": round(first_call, 4),
        "typical": {
            "files": [path.name for path in LESSON],
            "median_ms": round(statistics.median(typical) * 1000, 3),
            "max_ms": round(max(typical) * 1000, 3),
            "target_ms": 1.0,
        },
        "generated": {
            "files": len(big),
            "total_lines": sum(text.count("\n") for text in big),
            "seconds": round(elapsed, 3),
            "seconds_each_run": [round(run, 3) for run in runs],
            "files_per_second": round(len(big) / elapsed),
            "mean_ms": round(elapsed / len(big) * 1000, 3),
            "target_files_per_second": 1000,
        },
        "problem_model_construct_us": round(construct * 1e6, 2),
        "problem_validating_init_us": round(validated * 1e6, 2),
    }
    print(f"import grader.dockerfile:  {results['import_seconds'] * 1000:.1f} ms")
    print(f"first analyze call:       {first_call * 1000:.1f} ms")
    print(
        f"typical lesson Dockerfile: median {results['typical']['median_ms']} ms, "
        f"max {results['typical']['max_ms']} ms (target < 1 ms)"
    )
    print(
        f"generated set: {len(big)} files in {elapsed:.2f} s (best of 3) = "
        f"{results['generated']['files_per_second']} files/s (target >= 1000)"
    )
    print(
        f"one Problem: model_construct {construct * 1e6:.2f} us, "
        f"validating constructor {validated * 1e6:.2f} us"
    )
    if options.against:
        compared = against(options.against)
        results["against"] = compared
        print(
            f"against {options.against}: {compared['seconds_this_tree']} CPU s here, "
            f"{compared['seconds_revision']} s there for {compared['files']} files "
            f"(ratio {compared['ratio']}; below 1 is faster)"
        )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
