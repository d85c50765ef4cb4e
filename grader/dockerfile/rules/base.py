"""What a rule is: an entry of the catalogue, and the one function that finds its problems."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import NamedTuple

from grader.dockerfile.grammar import RE_SHELL_PATH, SCRATCH
from grader.dockerfile.graph import stage_chain
from grader.dockerfile.source import Command, Directives
from grader.dockerfile.state import Run, defined_names
from grader.models.rubric import ImagePolicy
from grader.models.rules import RuleInfo


class Finding(NamedTuple):
    """One problem a rule found: where, and what to tell the student."""

    line: int | None
    message: str
    lesser: bool = False  # the catalogue's lesser severity applies (e.g. outside the final image)


class Scope(NamedTuple):
    """What an instruction's stage has at that point, from the stages it is built FROM too."""

    on_scratch: bool
    has_shell: bool  # a SHELL instruction came before
    copied_shell: bool  # a COPY/ADD that may have brought a shell came before
    workdir_set: bool
    env_known: frozenset[str] | None  # every defined variable, where that is knowable (scratch)
    in_final: bool  # a CMD or ENTRYPOINT that the final image keeps


def _may_copy_shell(command: Command, keyword: str) -> bool:
    """Whether a COPY/ADD could put a shell into an image (busybox, /bin, .../sh)."""
    return keyword in ("COPY", "ADD") and any(RE_SHELL_PATH.search(arg) for arg in command.value)


def _scoped(run: Run, final: int | None) -> Iterator[tuple[Scope, Command, str]]:
    """Every instruction of every stage with its scope, as BuildKit's convert.go walks them."""
    effective: set[int] = set()
    if final is not None:
        for wanted in ("CMD", "ENTRYPOINT"):
            lines = [
                command.start_line
                for stage in stage_chain(run, final)
                for command, keyword, _ in stage.commands
                if keyword == wanted
            ]
            effective.update(lines[-1:])
    for stage in run.stages:
        chain = stage_chain(run, stage.index)
        inherited = [item for ancestor in chain[:-1] for item in ancestor.commands]
        on_scratch = chain[0].base_stage is None and chain[0].base == SCRATCH
        has_shell = any(keyword == "SHELL" for _, keyword, _ in inherited)
        copied_shell = any(_may_copy_shell(command, keyword) for command, keyword, _ in inherited)
        workdir_set = any(keyword == "WORKDIR" for _, keyword, _ in inherited)
        known: set[str] | None = None
        if on_scratch:
            known = {"PATH"}
            for ancestor in chain[:-1]:
                known |= defined_names(ancestor)
        for command, keyword, _ in stage.commands:
            has_shell = has_shell or keyword == "SHELL"
            copied_shell = copied_shell or _may_copy_shell(command, keyword)
            yield (
                Scope(
                    on_scratch,
                    has_shell,
                    copied_shell,
                    workdir_set,
                    None if known is None else frozenset(known),
                    command.start_line in effective,
                ),
                command,
                keyword,
            )
            workdir_set = workdir_set or keyword == "WORKDIR"
            if known is not None and keyword == "ARG":
                known.update(word.partition("=")[0] for word in command.value)
            elif known is not None and keyword == "ENV":
                known.update(command.value[::2])


@dataclass(frozen=True)
class Context:
    """A finished stage graph and what it was judged against: what every rule looks at."""

    run: Run
    final: int | None  # the final stage (or the --target one), if there is one
    depends: frozenset[int]  # the stages the final one uses, transitively
    directives: Directives
    images: ImagePolicy

    @cached_property
    def scoped(self) -> tuple[tuple[Scope, Command, str], ...]:
        """Every instruction with its stage's scope at that point; walked once for all rules."""
        return tuple(_scoped(self.run, self.final))


Check = Callable[[Context], Iterable[Finding]]


@dataclass(frozen=True)
class Rule:
    """A catalogue entry (``grader.models.rules``) with the function that finds its problems.

    Severity and whether ``# check=skip=`` silences it are the catalogue's, never the check's:
    a check only finds. A finding marked ``lesser`` gets the catalogue's lesser severity.
    """

    info: RuleInfo
    check: Check
