"""What static analysis of a Dockerfile finds: the `grader inspect --json` contract."""

from collections.abc import Sequence
from typing import Literal

from pydantic import Field

from grader.models.base import Frozen

Severity = Literal["error", "warning", "info"]


class Problem(Frozen):
    """Something a student can act on, tied to a line of the file where there is one."""

    line: int | None = Field(description="1-based line of the instruction, or null for the file.")
    rule: str = Field(
        description="BuildKit's build-check rule name where one exists (e.g. StageNameCasing), "
        "else a kebab-case id of this project (e.g. copy-from-unknown-stage)."
    )
    severity: Severity
    message: str


class Stage(Frozen):
    """One FROM instruction and what it starts."""

    index: int
    name: str | None = Field(description="The AS name, lowercased as Docker does; null if unnamed.")
    base: str | None = Field(
        description="The FROM argument after ARG expansion; null when it expands to nothing."
    )
    base_stage: int | None = Field(description="Index of the earlier stage that `base` names.")
    line: int = Field(description="1-based line of the FROM instruction.")
    platform: str | None = Field(default=None, description="The --platform flag, expanded.")
    uses: list[int] = Field(
        default_factory=list,
        description="Earlier stages this stage uses directly (FROM, COPY/ADD --from, "
        "RUN --mount from=).",
    )
    external_images: list[str] = Field(
        default_factory=list,
        description="Images (not stages) named by COPY/ADD --from or RUN --mount from=.",
    )


class Instruction(Frozen):
    """One instruction as Docker's parser splits the file, and the stage it belongs to."""

    stage: int | None = Field(description="Index of its stage; null before the first FROM.")
    stage_name: str | None = Field(default=None, description="Its stage's AS name, lowercased.")
    keyword: str = Field(description="The instruction, upper-case: RUN, COPY, ...")
    line: int = Field(description="1-based first line.")
    end_line: int = Field(description="1-based last line.")
    original: str = Field(description="The instruction's text as written, continuations joined.")


def same_text(a: str, b: str) -> bool:
    """Two spellings of one instruction: equal but for white space."""
    return " ".join(a.split()) == " ".join(b.split())


def numbered(found: Sequence[Instruction], number: int, text: str) -> Instruction | None:
    """Step N of a builder that numbers every instruction of the file (the classic one).

    The keyword must match (a FROM's image may differ: builds can map base images); failing
    that, an instruction whose text is the same, if exactly one is.
    """
    keyword = text.split(maxsplit=1)[0].upper() if text.strip() else ""
    if 1 <= number <= len(found) and found[number - 1].keyword == keyword:
        candidate = found[number - 1]
        if keyword == "FROM" or same_text(candidate.original, text):
            return candidate
    same = [i for i in found if same_text(i.original, text)]
    return same[0] if len(same) == 1 else None


class Analysis(Frozen):
    """The stage graph of one Dockerfile, as Docker itself would read it."""

    dockerfile: str = Field(description="The path as given, for messages.")
    stage_count: int
    stages: list[Stage]
    final_stage: int | None = Field(description="The last stage, or the --target stage.")
    final_base: str | None = Field(
        description="Effective external base of the final stage: FROM <stage> is followed back "
        "to an image; 'scratch' for scratch; null when it cannot be resolved."
    )
    multi_stage: bool = Field(
        description="2+ stages and the final stage depends on an earlier one."
    )
    depends_on: list[int] = Field(description="Earlier stages the final one uses, transitively.")
    problems: list[Problem]
    error: str | None = Field(
        description="Why Docker would refuse the file (no FROM, an instruction before the first "
        "FROM, a FROM that expands to nothing, an unknown --target); null when it would not."
    )
    target: str | None = Field(default=None, description="The --target asked for, if any.")
