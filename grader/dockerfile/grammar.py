"""Docker's grammar as tables: instructions, flags, mounts, patterns, error phases."""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from grader import imageref

INSTRUCTIONS: Final = frozenset(
    {
        "ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "FROM", "HEALTHCHECK",
        "LABEL", "MAINTAINER", "ONBUILD", "RUN", "SHELL", "STOPSIGNAL", "USER", "VOLUME",
        "WORKDIR",
    }
)  # fmt: skip


SORTED_INSTRUCTIONS: Final = tuple(sorted(INSTRUCTIONS))


_FLAGLESS_INSTRUCTIONS: Final = (
    "ENV", "LABEL", "MAINTAINER", "ONBUILD", "WORKDIR", "CMD", "ENTRYPOINT", "EXPOSE", "USER",
    "VOLUME", "SHELL",
)  # fmt: skip


# Flags each instruction accepts in BuildKit: "s" string, "b" boolean, "m" repeatable string.
# Instructions absent here never look at their flags (ARG, STOPSIGNAL, HEALTHCHECK NONE).
FLAG_SPECS: Final[Mapping[str, Mapping[str, str]]] = MappingProxyType(
    {
        keyword: MappingProxyType(dict(item.split(":") for item in spec.split()))
        for keyword, spec in (
            ("FROM", "platform:s"),
            ("COPY", "chown:s from:s chmod:s link:b exclude:m parents:b"),
            ("ADD", "chown:s chmod:s link:b keep-git-dir:b checksum:s unpack:b exclude:m"),
            ("RUN", "mount:m network:s security:s device:m"),
            ("HEALTHCHECK", "interval:s timeout:s start-period:s start-interval:s retries:s"),
            *((keyword, "") for keyword in _FLAGLESS_INSTRUCTIONS),
        )
    }
)


# Flags the classic builder of Docker 20.10 refuses ("Unknown flag" or "requires BuildKit").
BUILDKIT_ONLY_FLAGS: Final[Mapping[str, frozenset[str]]] = MappingProxyType(
    {
        "COPY": frozenset({"chmod", "link", "exclude", "parents"}),
        "ADD": frozenset({"chmod", "link", "keep-git-dir", "checksum", "unpack", "exclude"}),
        "RUN": frozenset({"mount", "network", "security", "device"}),
        "HEALTHCHECK": frozenset({"start-interval"}),
    }
)


MOUNT_TYPES: Final = frozenset({"bind", "cache", "tmpfs", "secret", "ssh"})


MOUNT_KEYS: Final = frozenset(
    {
        "type", "from", "source", "target", "readonly", "id", "sharing", "required", "size",
        "mode", "uid", "gid", "src", "dst", "destination", "ro", "rw", "readwrite", "env",
    }
)  # fmt: skip


# ARGs BuildKit defines before the first FROM; the classic builder defines none of them.
PLATFORM_DEFAULTS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "BUILDPLATFORM": "linux/amd64", "BUILDOS": "linux", "BUILDOSVERSION": "",
        "BUILDARCH": "amd64", "BUILDVARIANT": "", "TARGETPLATFORM": "linux/amd64",
        "TARGETOS": "linux", "TARGETOSVERSION": "", "TARGETARCH": "amd64", "TARGETVARIANT": "",
    }
)  # fmt: skip


RESERVED_STAGE_NAMES: Final = frozenset({"context", "scratch"})


SCRATCH: Final = imageref.SCRATCH


# Go's unicode.IsSpace (Python's str.isspace() also counts \x1c-\x1f).
GO_SPACE: Final = (
    "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009"
    "\u200a\u2028\u2029\u202f\u205f\u3000"
)


RE_WHITESPACE: Final = re.compile(r"[\t\v\f\r ]+")


RE_STAGE_NAME: Final = re.compile(r"[a-z][a-z0-9._-]*")


RE_DIRECTIVE: Final = re.compile(
    r"([a-zA-Z][a-zA-Z0-9]*)[\t\n\f\r ]*=[\t\n\f\r ]*(.+?)[\t\n\f\r ]*"
)


RE_CONTINUATION: Final[Mapping[str, re.Pattern[str]]] = MappingProxyType(
    {
        "\\": re.compile(r"([^\\])\\[ \t]*\Z|^\\[ \t]*\Z"),
        "`": re.compile(r"([^`])`[ \t]*\Z|^`[ \t]*\Z"),
    }
)


RE_ONBUILD_PREFIX: Final = re.compile(r"^[" + GO_SPACE + r"]*ONBUILD[" + GO_SPACE + "]*", re.I)


RE_PLAIN_WORD: Final = re.compile(r"[^\s'\"\\`\x85\xa0]*")


RE_NON_ASCII: Final = re.compile(r"[^\x00-\x7f]")


RE_INT: Final = re.compile(r"[+-]?[0-9]+", re.ASCII)


RE_SHELL_PATH: Final = re.compile(r"(?:^|/)(?:bin/?$|(?:ba|da|a|z)?sh$|busybox)")


RE_PLATFORM_PART: Final = re.compile(r"[A-Za-z0-9_-]+", re.ASCII)


RE_DURATION: Final = re.compile(r"(?:[0-9]*\.?[0-9]*(?:ns|us|µs|μs|ms|s|m|h))+|0", re.ASCII)


RE_SECRET: Final = re.compile(
    r"(?:_|^)(?:apikey|auth|credential|credentials|key|password|pword|passwd|secret|token)(?:_|$)",
    re.I,
)


RE_SECRET_ALLOW: Final = re.compile(r"(?:_|^)(?:public|file|version)(?:_|$)", re.I)


# Compiling or bundling, not installing: a final stage FROM a stage that did this ships the
# toolchain (installing runtime packages in a shared base stage is a legitimate pattern).
RE_BUILD_COMMAND: Final = re.compile(
    r"\b(?:go\s+(?:build|install)|cargo\s+build|mvn|gradle|make|cmake|gcc|g\+\+|javac"
    r"|dotnet\s+(?:build|publish)|(?:npm|pnpm)\s+run\s+build|yarn\s+build|tsc|webpack)\b"
)


RE_BUILDER_NAME: Final = re.compile(r"build|compile|toolchain|sdk")


RE_TOOLCHAIN_IMAGE: Final = re.compile(
    r"(?:^|/)(?:golang|rust|maven|gradle|gcc|buildpack-deps|openjdk|eclipse-temurin|dotnet/sdk)"
    r"(?::|@|$)(?!.*(?:jre|distroless))"
)


# Images a bare COPY --from=<word> plausibly means on purpose (not a misspelt stage name).
COMMON_IMAGES: Final = frozenset(
    {
        "alpine", "busybox", "debian", "ubuntu", "nginx", "node", "python", "golang", "rust",
        "redis", "postgres", "mysql", "httpd", "openjdk", "maven", "gradle", "ruby", "php",
        "centos", "fedora", "traefik", "caddy", "docker", "registry", "hello-world", "tomcat",
    }
)  # fmt: skip


# Where an error comes from, in the order Docker meets them: the smallest wins.
PHASE_PARSER: Final = 0


PHASE_INSTRUCTION: Final = 1


PHASE_NO_STAGES: Final = 2


PHASE_META_ARGS: Final = 3


PHASE_FROM: Final = 4


PHASE_TARGET: Final = 5


PHASE_DEPENDENCY: Final = 6


PHASE_CIRCULAR: Final = 7


PHASE_IMAGE_REF: Final = 8


PHASE_DISPATCH: Final = 9
PHASE_LINT: Final = 10  # `# check=error=true`: only once the build would otherwise work


MAX_LINES_TO_LOCATE: Final = 50_000


PARSE_HINTS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "unterminated heredoc": ": the heredoc started here never reaches its closing delimiter "
        "line (e.g. EOF alone on a line)",
    }
)


SHOWN_AS: Final[Mapping[str, str]] = MappingProxyType(
    {"from": "FROM ", "copy": "COPY --from=", "mount": "RUN --mount=...,from="}
)


SEVERITY_RANK: Final[Mapping[str, int]] = MappingProxyType({"error": 0, "warning": 1, "info": 2})


SPECIAL_PARAMS: Final = frozenset("@*#?-$!0")


MAX_PATTERN_STEPS: Final = 4_000_000


LITERAL: Final = 0


ANY: Final = 1


STAR: Final = 2
