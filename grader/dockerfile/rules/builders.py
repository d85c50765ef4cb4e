"""The rule about the two builders: what BuildKit builds and the classic builder does not."""

from __future__ import annotations

from collections.abc import Iterator
from types import MappingProxyType

from grader.dockerfile.rules.base import Context, Finding


def requires_buildkit(context: Context) -> Iterator[Finding]:
    """One problem per line, only when the classic builder is the one that grades."""
    run = context.run
    if not run.classic:
        return
    seen: set[int] = set()
    for fact in run.buildkit_only:
        if fact.line in seen:
            continue
        seen.add(fact.line)
        yield Finding(
            fact.line,
            f"{fact.what} needs BuildKit: `docker build` on a current Docker runs it, but the "
            f"classic builder of the grading engine {fact.classic}. Rewrite it without this "
            "feature so both builders accept the file.",
        )


CHECKS = MappingProxyType(
    {
        "requires-buildkit": requires_buildkit,
    }
)
