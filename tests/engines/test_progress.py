"""BuildKit's progress, read into steps: output recorded from the 20.10 CLI, and buildx's JSON."""

from __future__ import annotations

import base64
import json

from grader.dockerfile import instructions
from grader.engines.progress import Progress

DOCKERFILE = """\
FROM grader-test/busybox:latest AS builder
RUN echo line1; echo err >&2; exit 3

FROM scratch
COPY --from=builder /x /x
"""

# `DOCKER_BUILDKIT=1 docker build --progress=plain` (Debian's 20.10 CLI), as it printed it.
FAILED = """\
#1 [internal] load build definition from Dockerfile
#1 sha256:e2070f4717e03bc03c296de871e09d3de436bc72875049717e3eea6757b5fc15
#1 transferring dockerfile: 157B done
#1 DONE 0.0s

#4 [builder 1/2] FROM docker.io/grader-test/busybox:latest
#4 sha256:25d17c67582f9e3f38c2d964c73ff90ab48fe6b461f321ae4cff4c2df6a8fc97
#4 CACHED

#5 [builder 2/2] RUN echo line1; echo err >&2; exit 3
#5 sha256:a189f1e70167b98222206d0cee120fe4848a196f4ff0986d2a585dc4df4a3bc5
#5 0.210 line1
#5 0.210 err
#5 ERROR: executor failed running [/bin/sh -c echo line1; echo err >&2; exit 3]: exit code: 3
------
 > [builder 2/2] RUN echo line1; echo err >&2; exit 3:
------
executor failed running [/bin/sh -c echo line1; echo err >&2; exit 3]: exit code: 3
"""

PASSED = """\
#5 [stage-1 1/1] COPY --from=builder /x /x
#5 DONE 0.4s

#6 exporting to image
#6 naming to docker.io/grader-run/x:1 done
#6 DONE 0.0s
"""


def _read(text: str, *, ok: bool) -> Progress:
    progress = Progress(instructions(DOCKERFILE))
    for line in text.splitlines(keepends=True):
        progress.plain(line)
    progress.finish(ok=ok, canceled=False)
    return progress


def test_a_failed_step_is_placed_on_its_line_with_its_output():
    progress = _read(FAILED, ok=False)
    steps = progress.steps.steps()
    assert [(s.stage, s.step, s.line, s.status) for s in steps] == [
        ("builder", "1/2", 1, "cached"),
        ("builder", "2/2", 2, "failed"),
    ]
    assert steps[1].output_tail.splitlines()[:2] == ["line1", "err"]
    assert progress.error == (
        "[builder 2/2] RUN echo line1; echo err >&2; exit 3: executor failed running "
        "[/bin/sh -c echo line1; echo err >&2; exit 3]: exit code: 3"
    )


def test_an_unnamed_stage_is_found_by_its_index_and_internal_vertices_are_no_steps():
    progress = _read(PASSED, ok=True)
    [step] = progress.steps.steps()
    assert (step.stage, step.line, step.status, step.seconds) == ("stage-1", 5, "done", 0.4)
    assert progress.error is None


def test_buildx_raw_json_gives_the_same_steps():
    digest = "sha256:" + "a" * 64
    lines = [
        {"vertexes": [{"digest": "sha256:" + "b" * 64, "name": "[internal] load .dockerignore"}]},
        {
            "vertexes": [
                {
                    "digest": digest,
                    "name": "[builder 2/2] RUN echo line1; echo err >&2; exit 3",
                    "started": "2026-12-01T10:00:00.100000000Z",
                }
            ]
        },
        {"logs": [{"vertex": digest, "stream": 1, "data": base64.b64encode(b"line1\n").decode()}]},
        {
            "vertexes": [
                {
                    "digest": digest,
                    "name": "[builder 2/2] RUN echo line1; echo err >&2; exit 3",
                    "started": "2026-12-01T10:00:00.100000000Z",
                    "completed": "2026-12-01T10:00:00.350000000Z",
                    "error": "process did not complete successfully: exit code: 3",
                }
            ]
        },
    ]
    progress = Progress(instructions(DOCKERFILE))
    shown = "".join(progress.rawjson(json.dumps(line) + "\n") for line in lines)
    progress.finish(ok=False, canceled=False)
    [step] = progress.steps.steps()
    assert (step.stage, step.line, step.status) == ("builder", 2, "failed")
    assert "line1" in step.output_tail
    assert "line1" in shown  # the log keeps what the step printed, as text
    assert progress.error is not None
    assert progress.error.endswith("exit code: 3")


def test_a_canceled_build_ends_its_running_steps_as_canceled():
    progress = Progress(instructions(DOCKERFILE))
    progress.plain("#5 [builder 2/2] RUN echo line1; echo err >&2; exit 3\n")
    progress.finish(ok=False, canceled=True)
    [step] = progress.steps.steps()
    assert step.status == "canceled"
