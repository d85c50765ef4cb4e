"""What one analysis accumulates: the stages, the image references, the problems."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from grader import imageref
from grader.dockerfile.grammar import SKIPPABLE
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


class ImageUse(NamedTuple):
    """An external image reference, where it is, for problems and for rewrite_images."""

    kind: str  # "from", "copy" or "mount"
    line: int
    ref: str
    stage: int
    flag_index: int  # which flag word of the instruction holds it (-1 for FROM's argument)
    onbuild: bool
    suspect: bool = False  # probably a misspelt stage name, already reported


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
    buildkit_lines: set[int] = field(default_factory=set)
    classic: bool = False  # the grading builder is the classic one: BuildKit-only is an error
    references: dict[str, imageref.ImageRef | str] = field(default_factory=dict)

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

    def problem(self, line: int | None, rule: str, severity: Severity, message: str) -> None:
        skipped = self.skipped is None or rule in self.skipped
        if rule in SKIPPABLE and severity != "error" and skipped:
            return
        self.problems.append((line, rule, severity, message))

    def requires_buildkit(self, line: int, what: str, classic: str) -> None:
        """One problem per line: works with BuildKit, refused by the classic builder grading it."""
        if not self.classic or line in self.buildkit_lines:
            return
        self.buildkit_lines.add(line)
        self.problem(
            line,
            "requires-buildkit",
            "error",
            f"{what} needs BuildKit: `docker build` on a current Docker runs it, but the classic "
            f"builder of the grading engine {classic}. Rewrite it without this feature so both "
            "builders accept the file.",
        )


def defined_names(stage: StageInfo) -> set[str]:
    """The names a stage's own ARG and ENV instructions define."""
    names: set[str] = set()
    for command, keyword, _ in stage.commands:
        if keyword == "ARG":
            names.update(word.partition("=")[0] for word in command.value)
        elif keyword == "ENV":
            names.update(command.value[::2])
    return names
