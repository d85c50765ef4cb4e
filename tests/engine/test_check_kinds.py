"""Every check kind on the real engine, with a rubric of its own on the 2 MB busybox image.

The whole rubric is graded on each backend: BuildKit and classic on the Docker Engine, buildah
on Podman.
"""

from __future__ import annotations

import textwrap

import pytest

from grader.engines import EngineOptions
from grader.grading import GradeOptions, check_repository
from grader.rubrics import parse
from tests.engine.helpers import BUSYBOX

DOCKERFILE = """\
FROM {image} AS builder
RUN mkdir -p /out && printf '#!/bin/sh\\nread name\\necho "hello $name"\\n' > /out/greet \\
 && chmod +x /out/greet

FROM {image}
COPY --from=builder /out/greet /usr/local/bin/greet
CMD ["greet"]
"""
BASELINE = """\
FROM {image}
RUN mkdir -p /out && dd if=/dev/zero of=/out/ballast bs=1M count=30 2>/dev/null
CMD ["sh"]
"""
RUBRIC = """\
assignment: kinds
title: Every check kind
defaults:
  image_map: {{"{image}": "{stand_in}"}}
tasks:
  - id: app
    title: The greeting app
    dockerfile: app/Dockerfile
    run:
      stdin: "world\\n"
    criteria:
      - {{check: multi_stage, points: 1}}
      - {{check: final_base, points: 1, allow: ["{image_repo}*"], deny: ["golang*"]}}
      - {{check: image_size, points: 2, max: 1MB, zero_at: 3MB}}
      - {{check: output, points: 1, equals: "hello world"}}
      - {{id: regex, check: output, points: 1, regex: '^hello \\w+$'}}
      - {{check: paths_present, points: 1, paths: [/usr/local/bin/greet]}}
      - {{check: paths_absent, points: 1, paths: [/out, /usr/local/go]}}
      - {{id: shell-absent, check: paths_absent, points: 1, paths: [/bin/sh]}}
      - {{check: target_builds, points: 1, target: builder, paths_present: [/out/greet]}}
      - {{check: size_reduction, points: 1, baseline: app/Dockerfile.single, min_factor: 5}}
      - {{check: dockerfile_lint, points: 1, rules: [copy-from-unknown-stage]}}
      - {{check: file_exists, points: 1, paths: [app/Dockerfile.single]}}
"""


BACKENDS = ("buildkit", "classic", "buildah")


@pytest.fixture(scope="module", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> EngineOptions:
    """Where the rubric is graded: a builder, on Podman's service for buildah."""
    if request.param == "buildah":
        return EngineOptions(builder="buildah", docker_host=request.getfixturevalue("podman_url"))
    return EngineOptions(builder=request.param)


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory, busybox_image: str, backend: EngineOptions):
    repo = tmp_path_factory.mktemp("kinds") / "student"
    (repo / "app").mkdir(parents=True)
    (repo / "app" / "Dockerfile").write_text(DOCKERFILE.format(image=BUSYBOX))
    (repo / "app" / "Dockerfile.single").write_text(BASELINE.format(image=BUSYBOX))
    rubric_text = RUBRIC.format(
        image=BUSYBOX, stand_in=busybox_image, image_repo=BUSYBOX.split(":", maxsplit=1)[0]
    )
    loaded = parse(textwrap.dedent(rubric_text).encode(), "kinds.yaml")
    outcome = check_repository(repo, loaded, GradeOptions(), engine_options=backend)
    [task] = outcome.results.submissions[0].tasks
    assert task.build is not None
    assert task.build.builder is not None
    assert task.build.builder.name == backend.builder
    return outcome, {c.id: c for c in task.criteria}, task


def test_every_kind_judges_a_real_image(graded):
    outcome, found, _ = graded
    passed = {cid for cid, c in found.items() if c.passed}
    assert passed == {
        "multi-stage",
        "final-base",
        "output",
        "regex",
        "paths-present",
        "paths-absent",
        "target-builds",
        "size-reduction",
        "dockerfile-lint",
        "file-exists",
    }, {cid: c.message for cid, c in found.items()}
    assert outcome.exit_status == 1  # two criteria fail on purpose


def test_partial_credit_and_evidence_from_the_engine(graded):
    _, found, task = graded
    size = found["image-size"]
    assert task.image is not None
    measured = task.image.size_bytes
    assert 1_000_000 < measured < 3_000_000  # busybox is about 2 MB: partial credit
    assert 0 < size.score < size.max_score
    assert size.evidence.measured == measured
    assert found["shell-absent"].message == "the final image still holds /bin/sh"
    assert "x smaller" in found["size-reduction"].message
    assert found["size-reduction"].evidence.measured >= 5
    assert task.run is not None
    assert task.run.stdout == "hello world\n"


def test_a_target_build_that_is_the_task_build_itself(tmp_path, busybox_image, backend):
    repo = tmp_path / "student"
    (repo / "app").mkdir(parents=True)
    (repo / "app" / "Dockerfile").write_text(DOCKERFILE.format(image=BUSYBOX))
    rubric = textwrap.dedent(
        """\
        assignment: same
        title: The task's own target
        tasks:
          - id: app
            title: Builder only
            dockerfile: app/Dockerfile
            target: builder
            criteria:
              - {check: target_builds, points: 1, target: builder, paths_present: [/out/greet]}
        """
    )
    loaded = parse(rubric.encode(), "same.yaml")
    options = GradeOptions(image_map={BUSYBOX: busybox_image})
    outcome = check_repository(repo, loaded, options, engine_options=backend)
    [criterion] = outcome.results.submissions[0].tasks[0].criteria
    assert criterion.passed, criterion.message
