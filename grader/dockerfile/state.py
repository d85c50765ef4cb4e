"""What one analysis accumulates: the stages, the facts the rules judge, the problems.

The phases (parse, graph) record what they find; the rules (``grader.dockerfile.rules``) turn
facts into problems, so that what a rule says and how severe it is lives in one place.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import NamedTuple

from grader import imageref
from grader.dockerfile.source import Command
from grader.models.analysis import Severity


@dataclass(slots=True, eq=False)
class StageInfo:
    index: int
    line: int
    keyword: str
    name: str | None
    raw_name: str | None
    raw_base: str | None
    raw_platform: str | None
    base: str | None = None
    base_stage: int | None = None
    platform: str | None = None
    uses: dict[int, str] = field(default_factory=dict)
    external_images: list[str] = field(default_factory=list)
    commands: list[tuple[Command, str, dict[str, list[str]]]] = field(default_factory=list)
    onbuild: list[Command] = field(default_factory=list)
    source: Command | None = None  # the FROM instruction itself


class ImageUse(NamedTuple):
    """An external image reference, where it is, for problems and for rewrite_images."""

    kind: str  # "from", "copy" or "mount"
    line: int
    ref: str
    stage: int
    flag_index: int  # which flag word of the instruction holds it (-1 for FROM's argument)
    onbuild: bool


class Source(NamedTuple):
    """A COPY --from / RUN --mount from= that names no stage above it: a fact for the rules."""

    line: int
    what: str  # the instruction's words for it, e.g. "COPY --from=builer"
    value: str
    stage: int
    later: int | None  # a stage of that name at or after this one, if there is one


class BuildKitOnly(NamedTuple):
    """A line that uses what only BuildKit builds: a fact for the rule requires-buildkit."""

    line: int
    what: str
    classic: str  # what the classic builder does with it instead


@dataclass(slots=True)
class Run:
    """Everything one analysis accumulates."""

    path: str
    escape: str = "\\"
    skipped: frozenset[str] | None = frozenset()
    errors: list[tuple[int, int, str]] = field(default_factory=list)
    problems: list[tuple[int | None, str, Severity, str]] = field(default_factory=list)
    stages: list[StageInfo] = field(default_factory=list)
    image_uses: list[ImageUse] = field(default_factory=list)
    classic: bool = False  # the grading builder is the classic one: BuildKit-only is an error
    references: dict[str, imageref.ImageRef | str] = field(default_factory=dict)
    # facts for the rules
    commands: list[Command] = field(default_factory=list)  # every instruction, in file order
    # instructions with blank lines inside a continuation: the blank lines, the last line read
    continuations: list[tuple[Command, list[int], int]] = field(default_factory=list)
    sources: list[Source] = field(default_factory=list)
    buildkit_only: list[BuildKitOnly] = field(default_factory=list)
    meta_env: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    meta_automatic: frozenset[str] = frozenset()  # meta ARGs holding BuildKit's automatic value
    meta_known: frozenset[str] = frozenset()  # every name a FROM may use
    defaults_env: Mapping[str, str] | None = None  # the meta ARGs' defaults, if build args differ
    build_args: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def reference(self, ref: str) -> imageref.ImageRef | str:
        """Parse an image reference once per analysis: the ImageRef, or why it is invalid."""
        parsed = self.references.get(ref)
        if parsed is None:
            try:
                parsed = imageref.parse(ref)
            except ValueError as error:
                parsed = str(error).split(": ", 1)[-1]
            self.references[ref] = parsed
        return parsed

    def error(self, phase: int, line: int | None, message: str) -> None:
        prefix = f"line {line}: " if line else ""
        self.errors.append((phase, line or 0, prefix + message))

    def requires_buildkit(self, line: int, what: str, classic: str) -> None:
        """Record that this line builds with BuildKit only, and what the classic builder does."""
        self.buildkit_only.append(BuildKitOnly(line, what, classic))


def defined_names(stage: StageInfo) -> set[str]:
    """The names a stage's own ARG and ENV instructions define."""
    names: set[str] = set()
    for command, keyword, _ in stage.commands:
        if keyword == "ARG":
            names.update(word.partition("=")[0] for word in command.value)
        elif keyword == "ENV":
            names.update(command.value[::2])
    return names
