"""The semantics the static analysis relies on, proven on the real engine (classic builder).

Each test builds a tiny Dockerfile on grader-test/busybox and checks both what the engine did and
that `analyze` reads the file the same way. Everything a build leaves behind (the image, the
untagged images of earlier stages) is removed in `finally`.
"""

from __future__ import annotations

import contextlib
import io
import re
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass, field

import docker
import docker.errors
import pytest

from grader.dockerfile import analyze

pytestmark = pytest.mark.engine

LABEL = {"grader.test": "1"}
_STEP_IMAGE = re.compile(r"^ ---> ([0-9a-f]{12})$")


@dataclass
class Build:
    """What one classic build printed and made."""

    log: list[str] = field(default_factory=list)
    error: str | None = None
    image_id: str | None = None
    made: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def client() -> Iterator[docker.DockerClient]:
    client = docker.from_env(timeout=300)
    yield client
    client.close()


def _context(dockerfile: str) -> io.BytesIO:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, data in (("Dockerfile", dockerfile.encode()), ("a", b"a\n")):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    buffer.seek(0)
    return buffer


def _build(client: docker.DockerClient, dockerfile: str) -> Build:
    result = Build()
    try:
        for chunk in client.api.build(
            fileobj=_context(dockerfile),
            custom_context=True,
            rm=True,
            forcerm=True,
            pull=False,
            decode=True,
            labels=LABEL,
        ):
            for line in chunk.get("stream", "").splitlines():
                result.log.append(line)
                match = _STEP_IMAGE.match(line)
                if match:
                    result.made.append(match.group(1))
            if "error" in chunk:
                result.error = chunk["error"]
            if "aux" in chunk and "ID" in chunk["aux"]:
                result.image_id = chunk["aux"]["ID"]
    except docker.errors.APIError as error:
        result.error = str(error.explanation or error)
    return result


def _cleanup(client: docker.DockerClient, build: Build, keep: str) -> None:
    """Remove every untagged image the build made (its stages too), never the base image."""
    base = client.images.get(keep).id
    for image_id in reversed([*build.made, *([build.image_id] if build.image_id else [])]):
        try:
            image = client.images.get(image_id)
        except docker.errors.ImageNotFound:
            continue
        if image.id == base or image.tags:
            continue
        with contextlib.suppress(docker.errors.APIError):  # still in use: not ours to force
            client.images.remove(image.id, noprune=False)


@contextlib.contextmanager
def _built(client: docker.DockerClient, dockerfile: str, keep: str) -> Iterator[Build]:
    """A build, whose leftovers are removed when the block ends, however it ends."""
    build = _build(client, dockerfile)
    try:
        yield build
    finally:
        _cleanup(client, build, keep)


def _rules(text: str, builder: str = "buildkit") -> list[str]:
    """The rules analyze reports, less the tag advice (the test image is :latest on purpose)
    and the image policy (grader-test/ is never allowed in a student's Dockerfile)."""
    problems = analyze(text, builder=builder).problems
    ignored = ("latest-tag", "untagged-base", "image-not-allowed")
    return [p.rule for p in problems if p.rule not in ignored]


def _labels(client: docker.DockerClient, build: Build) -> dict[str, str]:
    assert build.error is None, build.error
    assert build.image_id is not None
    return client.images.get(build.image_id).labels or {}


def test_two_unrelated_froms_build_only_the_last(
    client: docker.DockerClient, busybox_image: str
) -> None:
    text = f"FROM {busybox_image}\nLABEL first=1\nFROM {busybox_image}\nLABEL second=2\n"
    with _built(client, text, busybox_image) as build:
        labels = _labels(client, build)
        assert labels.get("second") == "2"
        assert "first" not in labels
    analysis = analyze(text)
    assert analysis.multi_stage is False
    assert analysis.final_stage == 1
    assert _rules(text) == ["unused-stage"]


def test_later_stage_in_copy_from_is_an_image(
    client: docker.DockerClient, busybox_image: str
) -> None:
    text = (
        f"FROM {busybox_image} AS one\nCOPY --from=two /a /a\n"
        f"FROM {busybox_image} AS two\nRUN echo two > /a\n"
    )
    with _built(client, text, busybox_image) as build:
        assert build.error is not None
        # The classic builder looks "two" up as an image (and fails: no such image, no registry).
        assert build.error.startswith("invalid from flag value two:"), build.error
    analysis = analyze(text)
    assert analysis.stages[0].external_images == ["two"]
    assert analysis.stages[0].uses == []
    assert "copy-from-unknown-stage" in _rules(text)


def test_copy_from_index_not_earlier_is_refused(
    client: docker.DockerClient, busybox_image: str
) -> None:
    text = f"FROM {busybox_image} AS one\nCOPY --from=1 /a /a\nFROM {busybox_image} AS two\n"
    with _built(client, text, busybox_image) as build:
        assert build.error is not None
        assert "invalid from flag value 1" in build.error
    assert analyze(text).error is not None


def test_stage_named_like_an_image_shadows_it(
    client: docker.DockerClient, busybox_image: str
) -> None:
    text = f"FROM {busybox_image} AS node\nLABEL from=stage\nFROM node\nRUN true\n"
    with _built(client, text, busybox_image) as build:
        assert _labels(client, build).get("from") == "stage"
    analysis = analyze(text)
    assert analysis.stages[1].base_stage == 0
    assert analysis.final_base == busybox_image


def test_classic_builder_matches_from_stage_case_insensitively(
    client: docker.DockerClient, busybox_image: str
) -> None:
    text = f"FROM {busybox_image} AS one\nLABEL s=one\nFROM ONE\n"
    with _built(client, text, busybox_image) as build:
        assert _labels(client, build).get("s") == "one"
    analysis = analyze(text)
    assert analysis.stages[1].base_stage == 0
    assert _rules(text) == ["from-stage-name-case"]


def test_classic_builder_refuses_buildkit_only_features(
    client: docker.DockerClient, busybox_image: str
) -> None:
    mount = (
        f"FROM {busybox_image} AS one\nFROM {busybox_image}\nRUN --mount=from=one,target=/m true\n"
    )
    heredoc = f"FROM {busybox_image}\nRUN <<EOF sh\nfrom pathlib import Path\nEOF\n"
    duplicate = f"FROM {busybox_image} AS a\nFROM {busybox_image} AS a\n"
    for text, refusal in (
        (mount, "requires BuildKit"),
        (heredoc, "FROM requires either one or three arguments"),
        (duplicate, "already used"),
    ):
        with _built(client, text, busybox_image) as build:
            assert build.error is not None
            assert refusal in build.error, build.error
    assert _rules(mount, "classic") == ["requires-buildkit"]
    assert _rules(heredoc, "classic") == ["requires-buildkit"]
    assert _rules(mount) == _rules(heredoc) == []  # BuildKit builds both
    assert "DuplicateStageName" in _rules(duplicate)


def test_arg_inside_a_stage_is_not_visible_to_a_later_from(
    client: docker.DockerClient, busybox_image: str
) -> None:
    text = f"FROM {busybox_image}\nARG IMG={busybox_image}\nFROM ${{IMG}}\n"
    with _built(client, text, busybox_image) as build:
        assert build.error is not None
        assert "should not be blank" in build.error
    assert "should not be blank" in (analyze(text).error or "")
