"""What a rule is: an entry of the catalogue, and the one function that finds its problems."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Final, NamedTuple

from grader.dockerfile.grammar import RE_SHELL_PATH
from grader.dockerfile.graph import on_scratch, stage_chain
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
    env_known: frozenset[str] | None  # every defined variable, where that is knowable (scratch)
    in_final: bool  # a CMD or ENTRYPOINT that the final image keeps


_SHELL_FORMS: Final = frozenset({"RUN", "CMD", "ENTRYPOINT"})


def _may_copy_shell(command: Command, keyword: str) -> bool:
    """Whether a COPY/ADD could put a shell into an image (busybox, /bin, .../sh)."""
    return keyword in ("COPY", "ADD") and any(RE_SHELL_PATH.search(arg) for arg in command.value)


class _Inherited(NamedTuple):
    """What a stage leaves to the stages built FROM it."""

    has_shell: bool
    copied_shell: bool
    names: frozenset[str]


def _scoped(run: Run, final: int | None) -> Iterator[tuple[Scope, Command, str]]:
    """Every instruction of every stage with its scope, as BuildKit's convert.go walks them.

    Only the instructions some rule judges by their scope: RUN, CMD and ENTRYPOINT, and on
    scratch every one (UndefinedVar).
    """
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
    left: dict[int, _Inherited] = {}  # by stage: a stage's parent always comes before it
    for stage in run.stages:
        parent = left.get(stage.base_stage) if stage.base_stage is not None else None
        scratch = on_scratch(run, stage)
        has_shell = parent.has_shell if parent else False
        copied_shell = parent.copied_shell if parent else False
        known: set[str] | None = (
            ({"PATH"} | (parent.names if parent else set())) if scratch else None
        )
        snapshot = None if known is None else frozenset(known)
        for command, keyword, _ in stage.commands:
            has_shell = has_shell or keyword == "SHELL"
            copied_shell = copied_shell or _may_copy_shell(command, keyword)
            if keyword in _SHELL_FORMS or known is not None:
                in_final = command.start_line in effective
                yield (
                    Scope(scratch, has_shell, copied_shell, snapshot, in_final),
                    command,
                    keyword,
                )
            if known is not None and keyword in ("ARG", "ENV"):
                if keyword == "ARG":
                    known.update(word.partition("=")[0] for word in command.value)
                else:
                    known.update(command.value[::2])
                snapshot = frozenset(known)
        names = (parent.names if parent else frozenset()) | defined_names(stage)
        left[stage.index] = _Inherited(has_shell, copied_shell, frozenset(names))


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
