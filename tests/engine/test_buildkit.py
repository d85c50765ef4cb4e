"""Dockerfiles in the style of Docker's own guides: BuildKit grades them as the student built them.

Each is a task of the lesson, written as Docker's Go and Python guides write it (cache and bind
mounts), or with an extra stage that nothing uses and that fails. On BuildKit each gets the
task's full score; under ``--builder classic`` the same file fails, saying BuildKit is needed.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests import baseimages
from tests.conftest import EXAMPLES

GO_GUIDE = """\
FROM golang:1.20 AS builder
WORKDIR /app
RUN --mount=type=cache,target=/go/pkg/mod \\
    --mount=type=bind,source=go.mod,target=go.mod \\
    go mod download -x
RUN --mount=type=cache,target=/go/pkg/mod \\
    --mount=type=bind,target=. \\
    CGO_ENABLED=0 go build -o /bin/myapp .

FROM scratch
COPY --from=builder /bin/myapp /myapp
CMD ["/myapp"]
"""

UNUSED_BROKEN_STAGE = """\
FROM golang:1.20 AS builder
WORKDIR /app
COPY . .
RUN CGO_ENABLED=0 go build -o myapp .

FROM golang:1.20 AS debug
RUN echo "a debugging stage nobody builds" && exit 1

FROM scratch
COPY --from=builder /app/myapp /myapp
CMD ["/myapp"]
"""

BIND_FROM_BUILDER = """\
FROM golang:1.20 AS builder
WORKDIR /app
COPY . .
RUN CGO_ENABLED=0 go build -o myapp .

FROM alpine:3.19
RUN --mount=type=bind,from=builder,source=/app/myapp,target=/tmp/myapp cp /tmp/myapp /myapp
CMD ["/myapp"]
"""

PIP_CACHE = """\
FROM python:3.11-slim AS builder
WORKDIR /app
COPY requirements.txt .
RUN --mount=type=cache,target=/root/.cache/pip pip install --user -r requirements.txt

FROM python:3.11-slim
WORKDIR /app
COPY --from=builder /root/.local /root/.local
COPY . .
ENV PATH=/root/.local/bin:$PATH
CMD ["python", "app.py"]
"""

CASES = {
    "go-guide-mounts": ("task1", GO_GUIDE, 25.0),
    "unused-broken-stage": ("task1", UNUSED_BROKEN_STAGE, 25.0),
    "mount-from-builder": ("task1", BIND_FROM_BUILDER, 25.0),
    "pip-cache-mount": ("task3", PIP_CACHE, 20.0),
}


def _check(repo: Path, task: str, builder: str, images: dict[str, str], out: Path) -> dict:
    command = [sys.executable, "-m", "grader", "check", repo, "--task", task]
    done = subprocess.run(
        [*command, "--builder", builder, *baseimages.image_map_args(images), "--json", out],
        check=False,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert done.returncode in (0, 1), done.stdout + done.stderr
    [submission] = json.loads(out.read_text())["submissions"]
    [result] = submission["tasks"]
    return result


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(CASES))
def test_buildkit_grades_it_as_docker_builds_it(tmp_path, lesson_images, case):
    task, dockerfile, full = CASES[case]
    repo = tmp_path / "repo"
    shutil.copytree(EXAMPLES / "model", repo)
    (repo / task / "Dockerfile").write_text(dockerfile)

    result = _check(repo, task, "buildkit", lesson_images, tmp_path / "bk.json")
    failed = [c["id"] + ": " + c["message"] for c in result["criteria"] if not c["passed"]]
    assert (result["score"], failed) == (full, [])
    assert result["build"]["builder"]["name"] == "buildkit"
    assert result["build"]["steps"], "BuildKit's steps are parsed"
    assert all(s["line"] for s in result["build"]["steps"]), result["build"]["steps"]

    classic = _check(repo, task, "classic", lesson_images, tmp_path / "classic.json")
    assert classic["score"] < full
    assert classic["build"] is None or classic["build"]["builder"]["name"] == "classic"
    said = json.dumps(classic)
    if case == "unused-broken-stage":  # the classic builder builds every stage
        assert classic["build"]["ok"] is False
        assert "exit 1" in classic["build"]["error"] or "returned a non-zero code" in said
    else:
        assert "requires-buildkit" in said or "requires BuildKit" in said
