"""Image references parsed and matched as Docker's distribution/reference does."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grader.imageref import ImageRef, matches, parse

SHA = "sha256:" + "0123456789abcdef" * 4


@pytest.mark.parametrize(
    ("ref", "expected", "familiar", "canonical"),
    [
        ("alpine", ImageRef("docker.io", "library/alpine"), "alpine", "docker.io/library/alpine"),
        (
            "alpine:3.19",
            ImageRef("docker.io", "library/alpine", "3.19"),
            "alpine:3.19",
            "docker.io/library/alpine:3.19",
        ),
        (
            "docker.io/library/alpine:3.19",
            ImageRef("docker.io", "library/alpine", "3.19"),
            "alpine:3.19",
            "docker.io/library/alpine:3.19",
        ),
        (
            "index.docker.io/library/alpine",
            ImageRef("docker.io", "library/alpine"),
            "alpine",
            "docker.io/library/alpine",
        ),
        (
            "docker.io/alpine",
            ImageRef("docker.io", "library/alpine"),
            "alpine",
            "docker.io/library/alpine",
        ),
        (
            "bitnami/redis:7",
            ImageRef("docker.io", "bitnami/redis", "7"),
            "bitnami/redis:7",
            "docker.io/bitnami/redis:7",
        ),
        (
            "gcr.io/distroless/static:nonroot",
            ImageRef("gcr.io", "distroless/static", "nonroot"),
            "gcr.io/distroless/static:nonroot",
            "gcr.io/distroless/static:nonroot",
        ),
        (
            "localhost:5000/app:1",
            ImageRef("localhost:5000", "app", "1"),
            "localhost:5000/app:1",
            "localhost:5000/app:1",
        ),
        ("localhost/app", ImageRef("localhost", "app"), "localhost/app", "localhost/app"),
        (
            f"alpine@{SHA}",
            ImageRef("docker.io", "library/alpine", None, SHA),
            f"alpine@{SHA}",
            f"docker.io/library/alpine@{SHA}",
        ),
        (
            f"alpine:3.19@{SHA}",
            ImageRef("docker.io", "library/alpine", "3.19", SHA),
            f"alpine:3.19@{SHA}",
            f"docker.io/library/alpine:3.19@{SHA}",
        ),
        (
            "[::1]:5000/x/y:z",
            ImageRef("[::1]:5000", "x/y", "z"),
            "[::1]:5000/x/y:z",
            "[::1]:5000/x/y:z",
        ),
        ("MyRegistry/app", ImageRef("MyRegistry", "app"), "MyRegistry/app", "MyRegistry/app"),
        (
            "a__b/c-d---e.f:T_1.0-x",
            ImageRef("docker.io", "a__b/c-d---e.f", "T_1.0-x"),
            "a__b/c-d---e.f:T_1.0-x",
            "docker.io/a__b/c-d---e.f:T_1.0-x",
        ),
        (
            "scratch",
            ImageRef("docker.io", "library/scratch"),
            "scratch",
            "docker.io/library/scratch",
        ),
    ],
)
def test_parse(ref: str, expected: ImageRef, familiar: str, canonical: str) -> None:
    parsed = parse(ref)
    assert parsed == expected
    assert parsed.familiar == familiar
    assert parsed.canonical == canonical
    assert str(parsed) == familiar
    assert parse(parsed.canonical) == parsed
    assert parse(parsed.familiar) == parsed


@pytest.mark.parametrize(
    ("ref", "reason"),
    [
        ("", "at least one component"),
        ("Alpine", "must be lowercase"),
        ("user/App:1", "must be lowercase"),
        ("alpine:", "invalid tag format"),
        ("alpine:" + "x" * 129, "invalid tag format"),
        ("alpine:-x", "invalid tag format"),
        ("alpine@sha256:abc", "invalid digest format"),
        ("alpine@md5:" + "a" * 32, "unsupported digest algorithm"),
        ("alpine@sha256:" + "a" * 63 + "g", "invalid digest format"),
        ("alpine@sha256:" + "a" * 65, "invalid checksum digest length"),
        ("alpine@sha256:" + "A" * 64, "lowercase hex"),
        ("a" * 64, "image ID"),
        ("a//b", "invalid reference format"),
        ("-a", "invalid reference format"),
        ("a-", "invalid reference format"),
        ("a b", "invalid reference format"),
        ("a@b@c", "invalid"),
        ("x/" + "a" * 300, "not be more than 255"),
        ("a" * 2000, "too long"),
        ("host:port/app", "invalid reference format"),
    ],
)
def test_parse_rejects(ref: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason) as info:
        parse(ref)
    assert "invalid image reference" in str(info.value)


@pytest.mark.parametrize(
    ("ref", "pattern", "result"),
    [
        ("alpine", "alpine*", True),
        ("alpine:3.19", "alpine*", True),
        ("docker.io/library/alpine:3.19", "alpine*", True),
        ("alpine:3.19", "docker.io/library/alpine:*", True),
        ("alpine:3.19", "library/alpine:3.19", True),
        ("alpinelinux/build-base:1", "alpine*", True),
        ("python:3.11-slim", "*-slim*", True),
        ("python:3.11-slim-bookworm", "*-slim*", True),
        ("python:3.11", "*-slim*", False),
        ("gcr.io/distroless/static:nonroot", "gcr.io/distroless/*", True),
        ("gcr.io/distroless/static", "gcr.io/distroless/*", True),
        ("python:3.11-slim", "python:3.11-slim", True),
        ("docker.io/library/python:3.11-slim", "python:3.11-slim", True),
        ("python:3.11-slim", "Python:3.11-slim", False),
        ("alpine", "alpine:latest", True),
        ("alpine:3.19", "alpine:latest", False),
        ("alpine", "alpine", True),
        ("alpine:3.19", "alpine", False),
        ("scratch", "scratch", True),
        ("scratch", "*", True),
        ("scratch", "s*", True),
        ("docker.io/library/scratch", "scratch", False),
        ("alpine", "scratch", False),
        ("Not A Ref", "Not*", True),
        (f"alpine:3.19@{SHA}", "alpine:3.19*", True),
        (f"alpine@{SHA}", "alpine:latest", False),
        # pinned by digest: judged by the name (and the tag, where there is one)
        (f"alpine:3.19@{SHA}", "alpine:3.19", True),
        (f"alpine:3.19@{SHA}", "alpine:3.2*", False),
        (f"alpine@{SHA}", "alpine:*", True),
        (f"alpine@{SHA}", "alpine", True),
        (f"alpine@{SHA}", "alpine:3.19", False),
        (f"docker.io/library/golang@{SHA}", "golang*", True),
        (f"gcr.io/distroless/static@{SHA}", "gcr.io/distroless/*", True),
        (f"gcr.io/distroless/static@{SHA}", "gcr.io/other/*", False),
    ],
)
def test_matches(ref: str, pattern: str, result: bool) -> None:
    assert matches(ref, pattern) is result


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_parse_never_crashes(text: str) -> None:
    try:
        parsed = parse(text)
    except ValueError:
        return
    assert parse(parsed.canonical) == parsed
    assert matches(text, parsed.familiar) or text == "scratch"


@settings(max_examples=80, deadline=None)
@given(
    st.from_regex(
        r"\A(?:[a-z0-9]+\.[a-z]+(?::[0-9]{1,5})?/)?[a-z0-9]+(?:[._-][a-z0-9]+)*"
        r"(?:/[a-z0-9]+)*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,20})?\Z"
    ).filter(lambda text: len(text) < 200)
)
def test_valid_grammar_parses(text: str) -> None:
    parsed = parse(text)
    assert parsed.canonical.endswith(parsed.path + parsed.canonical.removeprefix(parsed.name))
