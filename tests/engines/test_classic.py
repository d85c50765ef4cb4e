"""The /build message stream read into steps: Docker's classic builder and buildah's, recorded."""

from __future__ import annotations

from grader.dockerfile import instructions
from grader.engines.classic import _BuildLog

DOCKERFILE = """\
FROM grader-test/busybox
RUN echo before-fail
RUN echo to-stderr >&2; echo to-stdout; exit 7
CMD ["sh"]
"""

# Podman 4.3.1's /build, as it streamed this Dockerfile.
BUILDAH = [
    {"stream": "STEP 1/4: FROM grader-test/busybox\n"},
    {"stream": "STEP 2/4: RUN echo before-fail\n"},
    {"stream": "before-fail\n"},
    {"stream": "--> 0bc6e056eb7\n"},
    {"stream": "STEP 3/4: RUN echo to-stderr >&2; echo to-stdout; exit 7\n"},
    {"stream": "to-stderr\n"},
    {"stream": "to-stdout\n"},
    {
        "error": 'building at STEP "RUN echo to-stderr >&2; echo to-stdout; exit 7": while '
        "running runtime: exit status 7\n"
    },
]

# Docker 20.10's classic builder.
CLASSIC = [
    {"stream": "Step 1/4 : FROM grader-test/busybox\n"},
    {"stream": " ---> 91da8995193b\n"},
    {"stream": "Step 2/4 : RUN echo before-fail\n"},
    {"stream": " ---> Using cache\n"},
    {"stream": " ---> 3a1b2c3d4e5f\n"},
    {"stream": "Step 3/4 : RUN echo to-stderr >&2; echo to-stdout; exit 7\n"},
    {"stream": " ---> Running in 0123456789ab\n"},
    {"stream": "to-stdout\n"},
    {
        "error": "The command '/bin/sh -c echo to-stderr >&2; echo to-stdout; exit 7' returned "
        "a non-zero code: 7"
    },
]


def _read(messages: list[dict[str, object]]) -> _BuildLog:
    log = _BuildLog(100_000, instructions(DOCKERFILE))
    for message in messages:
        log.message(message)
    log.close()
    return log


def test_buildah_steps_are_placed_and_its_layers_are_ours_to_remove():
    log = _read(BUILDAH)
    steps = log.steps.steps()
    assert [(s.step, s.line, s.status) for s in steps] == [
        ("1/4", 1, "done"),
        ("2/4", 2, "done"),
        ("3/4", 3, "failed"),
    ]
    assert "to-stdout" in steps[2].output_tail
    assert log.created == ["0bc6e056eb7"]  # the RUN's layer: removed with the build
    assert log.error is not None
    assert "exit status 7" in log.error


def test_classic_steps_say_what_came_from_cache():
    log = _read(CLASSIC)
    steps = log.steps.steps()
    assert [(s.step, s.line, s.status) for s in steps] == [
        ("1/4", 1, "done"),
        ("2/4", 2, "cached"),
        ("3/4", 3, "failed"),
    ]
    assert log.created == []  # the FROM's image is the base's, the cached step's was there
    assert log.step == "Step 3/4 : RUN echo to-stderr >&2; echo to-stdout; exit 7"
