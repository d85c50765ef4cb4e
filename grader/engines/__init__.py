"""Engines and builders behind one interface, chosen in one place from the options.

An engine (``docker.Engine``: Docker, or Podman through its Docker-compatible socket) keeps,
inspects and runs images; a builder makes them. Builders are registered here by name, one module
each: ``buildkit`` (the Docker CLI driving BuildKit, as `docker build` does on Docker 23 and
newer), ``classic`` (the engine's legacy /build API) and ``buildah`` (Podman's /build). With
``auto``, Docker builds with BuildKit wherever a client for it is found and with the classic
builder otherwise; Podman builds with buildah. docs/engines.md says what each enforces.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping

from grader.engines.base import (
    BUILDER_CHOICES,
    Builder,
    BuilderChoice,
    BuildRequest,
    Built,
    EngineOptions,
)
from grader.engines.buildkit import BuildKitBuilder, find_client
from grader.engines.cgroups import StepLimiter
from grader.engines.classic import ApiBuilder
from grader.engines.docker import Engine, clean
from grader.engines.podman import BuildahBuilder
from grader.errors import EnvironmentProblem

__all__ = [
    "BUILDERS",
    "BUILDER_CHOICES",
    "BuildRequest",
    "BuilderChoice",
    "Built",
    "Engine",
    "EngineOptions",
    "clean",
    "open_engine",
]

_BUILDKIT_API = (1, 39)  # Docker 18.09: the first engine with BuildKit built in


def _buildkit(engine: Engine, options: EngineOptions) -> Builder | str:
    if engine.kind != "docker":
        return f"{engine.version} builds with buildah, not BuildKit"
    major, _, minor = engine.api_version.partition(".")
    if (int(major or 0), int(minor or 0)) < _BUILDKIT_API:
        return f"{engine.version} has no BuildKit"
    client = find_client(options.docker_cli, os.environ)
    if isinstance(client, str):
        return f"no Docker CLI that drives BuildKit ({client}); give one with --docker-cli"
    limiter = (
        StepLimiter.for_engine(engine.cgroup_driver, engine.cgroup_version)
        if engine.local
        else None
    )
    return BuildKitBuilder(engine, client, limiter)


def _classic(engine: Engine, options: EngineOptions) -> Builder | str:
    if engine.kind != "docker":
        return f"{engine.version} has no classic builder; it builds with buildah"
    return ApiBuilder(engine)


def _buildah(engine: Engine, options: EngineOptions) -> Builder | str:
    if engine.kind != "podman":
        return f"{engine.version} does not build with buildah; that is Podman's builder"
    return BuildahBuilder(engine)


# The builders, by name: each makes its builder for an engine, or says why it cannot.
BUILDERS: Mapping[str, Callable[[Engine, EngineOptions], Builder | str]] = {
    "buildkit": _buildkit,
    "classic": _classic,
    "buildah": _buildah,
}


def choose(options: EngineOptions, engine: Engine) -> Builder:
    """The builder the options ask for on this engine; ``auto``: the best one there is."""
    wanted: BuilderChoice = options.builder
    if wanted != "auto":
        made = BUILDERS[wanted](engine, options)
        if isinstance(made, str):
            raise EnvironmentProblem(f"--builder {wanted}: {made}")
        return made
    order = ["buildah"] if engine.kind == "podman" else ["buildkit", "classic"]
    reasons: list[str] = []
    for name in order:
        made = BUILDERS[name](engine, options)
        if not isinstance(made, str):
            engine.passed_over = "; ".join(reasons) or None
            return made
        reasons.append(f"{name}: {made}")
    raise EnvironmentProblem(f"no builder for {engine.version}: {'; '.join(reasons)}")


def open_engine(options: EngineOptions) -> Engine:
    """The engine the options name, with its builder chosen when it is entered (``with``)."""
    return Engine(options, choose=lambda engine: choose(options, engine))
