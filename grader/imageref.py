"""Docker image references, parsed and normalised exactly as Docker's distribution/reference does.

Hand-written on purpose: no maintained PyPI package implements the whole grammar (the
``docker.io/library/`` normalisation, registry hosts with ports and IPv6 literals, digests with
their algorithm-specific lengths, the "repository name must be lowercase" rule), and the grader's
allow/deny lists are only as sound as this parse. Pure functions, no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fnmatch import fnmatchcase

__all__ = ["SCRATCH", "ImageRef", "matches", "parse"]

SCRATCH = "scratch"
DEFAULT_DOMAIN = "docker.io"
_LEGACY_DEFAULT_DOMAIN = "index.docker.io"
_OFFICIAL_PREFIX = "library/"
_LOCALHOST = "localhost"
_NAME_TOTAL_LENGTH_MAX = 255
# No valid reference comes near this (path <= 255, tag <= 128, digest <= ~140, a DNS name <= 253);
# refusing longer input up front keeps every regex below cheap on hostile text.
_MAX_REFERENCE_LENGTH = 1024

# The grammar of distribution/reference (regexp.go), anchored, ASCII only as in Go.
_DOMAIN_COMPONENT = r"[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?"
_DOMAIN_AND_PORT = re.compile(
    rf"(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?",
    re.ASCII,
)
_PATH_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_REMOTE_NAME = re.compile(rf"{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*", re.ASCII)
_TAG = re.compile(r"[\w][\w.-]{0,127}", re.ASCII)
_DIGEST = re.compile(
    r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}", re.ASCII
)
_IDENTIFIER = re.compile(r"[a-f0-9]{64}", re.ASCII)
_DIGEST_HEX = re.compile(r"[a-f0-9]+", re.ASCII)
_DIGEST_LENGTHS = {"sha256": 64, "sha384": 96, "sha512": 128}


@dataclass(frozen=True, slots=True)
class ImageRef:
    """A parsed, normalised reference: ``domain/path[:tag][@digest]``.

    ``domain`` is ``docker.io`` for Docker Hub (and ``path`` then starts with ``library/`` for
    official images), so two spellings of one image compare equal.
    """

    domain: str
    path: str
    tag: str | None = None
    digest: str | None = None

    @property
    def name(self) -> str:
        """The repository with its registry, e.g. ``docker.io/library/alpine``."""
        return f"{self.domain}/{self.path}" if self.domain else self.path

    @property
    def familiar_name(self) -> str:
        """The repository as people write it, e.g. ``alpine`` or ``gcr.io/distroless/static``."""
        if self.domain != DEFAULT_DOMAIN:
            return self.name
        remainder = self.path.removeprefix(_OFFICIAL_PREFIX)
        return remainder if "/" not in remainder else self.path

    @property
    def familiar(self) -> str:
        """The short form Docker prints, e.g. ``alpine:3.19``."""
        return self.familiar_name + self._suffix

    @property
    def canonical(self) -> str:
        """The fully qualified form, e.g. ``docker.io/library/alpine:3.19`` (no implied tag)."""
        return self.name + self._suffix

    @property
    def untagged(self) -> bool:
        """Neither tag nor digest: Docker pulls ``:latest``, whatever that is today."""
        return self.tag is None and self.digest is None

    @property
    def _suffix(self) -> str:
        tag = f":{self.tag}" if self.tag is not None else ""
        digest = f"@{self.digest}" if self.digest is not None else ""
        return tag + digest

    def __str__(self) -> str:
        return self.familiar


def _invalid(ref: str, reason: str) -> ValueError:
    return ValueError(f"invalid image reference {ref!r}: {reason}")


def _split_docker_domain(name: str) -> tuple[str, str]:
    """Split off the registry as Docker does: a first part with '.' or ':', or localhost."""
    maybe_domain, sep, rest = name.partition("/")
    if not sep:
        return DEFAULT_DOMAIN, _OFFICIAL_PREFIX + name
    if maybe_domain == _LOCALHOST:
        domain, remote = maybe_domain, rest
    elif maybe_domain == _LEGACY_DEFAULT_DOMAIN:
        domain, remote = DEFAULT_DOMAIN, rest
    elif "." in maybe_domain or ":" in maybe_domain or maybe_domain.lower() != maybe_domain:
        domain, remote = maybe_domain, rest
    else:
        domain, remote = DEFAULT_DOMAIN, name
    if domain == DEFAULT_DOMAIN and "/" not in remote:
        remote = _OFFICIAL_PREFIX + remote
    return domain, remote


def _check_digest(ref: str, digest: str) -> None:
    if not _DIGEST.fullmatch(digest):
        raise _invalid(ref, "invalid digest format")
    algorithm, _, hex_part = digest.partition(":")
    length = _DIGEST_LENGTHS.get(algorithm)
    if length is None:
        raise _invalid(ref, f"unsupported digest algorithm {algorithm!r}")
    if len(hex_part) != length:
        raise _invalid(ref, f"invalid checksum digest length for {algorithm}")
    if not _DIGEST_HEX.fullmatch(hex_part):
        raise _invalid(ref, "invalid checksum digest format (lowercase hex expected)")


def _split_name(ref: str, full: str) -> tuple[str, str]:
    """Match ``[domain/]remote-name`` as the anchored Go regexp would (domain tried first)."""
    first, sep, rest = full.partition("/")
    if sep and _DOMAIN_AND_PORT.fullmatch(first) and _REMOTE_NAME.fullmatch(rest):
        return first, rest
    if _REMOTE_NAME.fullmatch(full):
        return "", full
    raise _invalid(ref, "invalid reference format")


def parse(ref: str) -> ImageRef:
    """Parse ``ref`` as ``docker pull`` would (reference.ParseNormalizedNamed).

    Raises ``ValueError`` naming the reference and what is wrong with it.
    """
    if not ref:
        raise _invalid(ref, "repository name must have at least one component")
    if len(ref) > _MAX_REFERENCE_LENGTH:
        raise _invalid(ref[:40] + "...", f"too long ({len(ref)} characters)")
    if _IDENTIFIER.fullmatch(ref):
        raise _invalid(ref, "a 64-character hexadecimal string is an image ID, not a name")
    domain, remainder = _split_docker_domain(ref)
    remote = remainder.partition(":")[0]
    if remote.lower() != remote:
        raise _invalid(ref, f"repository name ({remote}) must be lowercase")

    full = f"{domain}/{remainder}"
    name_tag, at, digest = full.partition("@")
    if at:
        if "@" in digest:
            raise _invalid(ref, "invalid reference format")
        _check_digest(ref, digest)
    tag: str | None = None
    colon = name_tag.find(":", name_tag.rfind("/") + 1)
    if colon >= 0:
        name_tag, tag = name_tag[:colon], name_tag[colon + 1 :]
        if not _TAG.fullmatch(tag):
            raise _invalid(ref, "invalid tag format")
    parsed_domain, path = _split_name(ref, name_tag)
    if len(path) > _NAME_TOTAL_LENGTH_MAX:
        raise _invalid(
            ref, f"repository name must not be more than {_NAME_TOTAL_LENGTH_MAX} characters"
        )
    return ImageRef(parsed_domain, path, tag, digest if at else None)


def _spellings(parsed: ImageRef) -> list[str]:
    forms = [parsed.familiar, parsed.canonical]
    if parsed.domain == DEFAULT_DOMAIN:
        forms.append(parsed.path + parsed._suffix)
    return forms


def _forms(ref: str) -> list[str]:
    try:
        parsed = parse(ref)
    except ValueError:
        return [ref]
    forms = [ref, *_spellings(parsed)]
    if parsed.untagged:
        forms += [f"{form}:latest" for form in forms]
    if parsed.digest is not None:
        # pinned: judged by what it names; with no tag, as the name with a tag not known
        # (``name:``), which ``name:*`` and ``name*`` match and ``name:1.20`` does not
        named = ImageRef(parsed.domain, parsed.path, parsed.tag)
        forms += _spellings(named)
        if parsed.tag is None:
            forms += [f"{form}:" for form in _spellings(named)]
    return forms


def matches(ref: str, pattern: str) -> bool:
    """Whether an instructor's allow/deny ``pattern`` covers the image reference ``ref``.

    The rule, exactly:

    - ``pattern`` is a case-sensitive shell glob (``fnmatch.fnmatchcase``: ``*`` matches any run of
      characters including ``/`` and ``:``, ``?`` one character, ``[...]`` a set), and it must
      match a whole form of the reference, not a part of it.
    - ``scratch`` is not an image: the reference ``scratch`` is tried as the single string
      ``scratch`` (so ``scratch``, ``s*`` and ``*`` match it), and the pattern ``scratch`` matches
      nothing else.
    - Any other reference is tried in each of its forms: as written; familiar
      (``alpine:3.19``, ``gcr.io/distroless/static:nonroot``); canonical
      (``docker.io/library/alpine:3.19``); for Docker Hub, without the registry
      (``library/alpine:3.19``); and, when it has neither tag nor digest, each of those with
      ``:latest`` appended, because that is what Docker pulls. A reference that does not parse is
      tried only as written.
    - A digest-pinned reference is also tried without its digest: ``alpine:3.19@sha256:…`` as
      ``alpine:3.19``, and ``alpine@sha256:…`` (no tag) as ``alpine`` and as ``alpine:`` (a tag
      not known), so ``alpine``, ``alpine:*`` and ``alpine*`` match it and ``alpine:3.19`` does not.

    So ``alpine*`` matches ``alpine``, ``alpine:3.19`` and ``docker.io/library/alpine:3.19``;
    ``*-slim*`` matches ``python:3.11-slim``; ``alpine:latest`` matches ``alpine``.
    """
    if ref == SCRATCH:
        return fnmatchcase(SCRATCH, pattern)
    if pattern == SCRATCH:
        return False
    return any(fnmatchcase(form, pattern) for form in _forms(ref))
