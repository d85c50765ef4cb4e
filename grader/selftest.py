"""A rubric's self-test: grade reference answers and say which criteria misbehaved.

Before grading a class, an instructor grades answers whose grade they know: the model answer
must get full marks, a naive one must stay below some share, a given criterion must pass or
fail. A criterion that takes a point from the model answer, or gives points to the naive one,
would do the same to students; this names it, with its points and message, before they see it.

Parsing and judging are pure; only :func:`run_selftest` grades, each directory once.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal, get_args

from grader import grading
from grader.errors import InputError
from grader.grading import GradeOptions
from grader.models.results import CriterionResult, Results, SubmissionResult
from grader.models.rubric import Rubric
from grader.rubrics import LoadedRubric
from grader.sanitizer import for_terminal
from grader.units import format_points

if TYPE_CHECKING:  # the engine's client loads only when an engine is used (see grading)
    from grader.engines import EngineOptions

Kind = Literal["full", "below", "at-least", "passes", "fails"]
KINDS: tuple[Kind, ...] = get_args(Kind)
_SHARES: tuple[Kind, ...] = ("below", "at-least")  # kinds that take a percent
_CRITERIA: tuple[Kind, ...] = ("passes", "fails")  # kinds that name a criterion

FORMS = (
    "full=DIR",
    "below:N=DIR",
    "at-least:N=DIR",
    "passes:TASK/CRITERION=DIR",
    "fails:TASK/CRITERION=DIR",
)
_PERCENT = re.compile(r"(-?\d+(?:\.\d+)?)%?")
_MESSAGE_WIDTH = 200  # a criterion's message, on its one line of the self-test's output


@dataclass(frozen=True)
class Expectation:
    """What grading one directory must give: the kind, its percent or criterion, and where."""

    kind: Kind
    directory: Path
    percent: float | None = None  # below, at-least: a share of the maximum, 0 to 100
    criterion: str | None = None  # passes, fails: "TASK/CRITERION"

    def __post_init__(self) -> None:
        # Built by hand (not parsed), a wrong combination would only surface as a bad verdict.
        if self.kind not in KINDS:
            raise ValueError(f"unknown expectation kind {self.kind!r}")
        if (self.percent is not None) != (self.kind in _SHARES):
            raise ValueError(f"{self.kind}: a percent goes with below and at-least only")
        if self.percent is not None and not 0 <= self.percent <= 100:
            raise ValueError(f"{self.kind}:{self.percent}: a percent is 0 to 100")
        if (self.criterion is not None) != (self.kind in _CRITERIA):
            raise ValueError(f"{self.kind}: a criterion goes with passes and fails only")
        if self.criterion is not None and self.criterion.count("/") != 1:
            raise ValueError(f"{self.kind}:{self.criterion}: a criterion is TASK/CRITERION")

    @property
    def text(self) -> str:
        """As it is written on the command line, e.g. ``below:40=examples/naive``."""
        argument = self.criterion if self.percent is None else f"{self.percent:g}"
        return f"{self.kind}{'' if argument is None else ':' + argument}={self.directory}"


@dataclass(frozen=True)
class Misbehaving:
    """A criterion that did what the expectation says it must not, with its points and why."""

    task: str
    criterion: str
    check: str
    score: float
    max_score: float
    checked: bool
    message: str

    @property
    def key(self) -> str:
        """``TASK/CRITERION``, as an expectation names it."""
        return f"{self.task}/{self.criterion}"


@dataclass(frozen=True)
class Finding:
    """How one expectation fared; when it failed, why and which criteria did it.

    ``score`` and ``max_score`` are the total for the kinds about the total and the criterion's
    points for ``passes`` and ``fails`` (None when the results lack that criterion).
    """

    expectation: Expectation
    held: bool
    score: float | None
    max_score: float | None
    criteria: tuple[Misbehaving, ...] = ()
    reason: str | None = None  # set when it failed: what was expected instead
    unchecked: int = 0  # criteria not checked, which a share may hold only thanks to

    @property
    def directory(self) -> Path:
        """The directory whose grading this judges."""
        return self.expectation.directory

    @property
    def status(self) -> Literal["ok", "failed"]:
        """``ok`` when the expectation held."""
        return "ok" if self.held else "failed"


@dataclass(frozen=True)
class SelfTestReport:
    """Each directory's results (for ``--json``), each expectation's finding, and the verdict."""

    results: Mapping[Path, Results]  # by directory as first named, in that order
    findings: tuple[Finding, ...]  # in the order the expectations were given
    kept: tuple[str, ...] = ()  # what the engine options kept (images, containers)
    built_with: str | None = None

    @property
    def exit_status(self) -> int:
        """0 when every expectation held, 1 when one failed."""
        return 0 if all(f.held for f in self.findings) else 1


def _bad(text: str, problem: str) -> InputError:
    shown = text if text.isprintable() else repr(text)  # keep the message on one line
    return InputError(f"--expect {shown}: {problem} (forms: {', '.join(FORMS)}; N in percent)")


def parse_expectation(text: str, rubric: Rubric | None = None) -> Expectation:
    """One ``KIND=DIR`` from the command line; with ``rubric``, its criterion must be in it.

    Raises ``InputError`` with one line naming the text and listing the forms.
    """
    head, equals, directory = text.partition("=")
    if not equals or not directory:
        raise _bad(text, "no directory: give KIND=DIR")
    name, colon, argument = head.partition(":")
    kind = next((k for k in KINDS if k == name), None)
    if kind is None:
        close = difflib.get_close_matches(name, KINDS, n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        raise _bad(text, f"unknown kind {name!r}{hint}")
    if kind == "full":
        if colon:
            raise _bad(text, "full takes nothing after it: full=DIR")
        return Expectation("full", Path(directory))
    if kind in _SHARES:
        match = _PERCENT.fullmatch(argument)
        if match is None:
            raise _bad(text, f"{kind} needs a percent of the maximum: {kind}:N=DIR")
        percent = float(match.group(1))
        if not 0 <= percent <= 100:
            raise _bad(text, f"{match.group(1)} is not a percent from 0 to 100")
        return Expectation(kind, Path(directory), percent=percent)
    if argument.count("/") != 1 or not all(argument.partition("/")[::2]):
        raise _bad(text, f"{kind} needs a criterion: {kind}:TASK/CRITERION=DIR")
    expectation = Expectation(kind, Path(directory), criterion=argument)
    if rubric is not None:
        check_criterion(expectation, rubric)
    return expectation


def _criteria(rubric: Rubric) -> list[str]:
    return [f"{t.id}/{c.id}" for t in rubric.tasks for c in t.criteria]


def check_criterion(expectation: Expectation, rubric: Rubric, tasks: Sequence[str] = ()) -> None:
    """Refuse a criterion the rubric lacks (suggesting the closest), or a task not selected."""
    name = expectation.criterion
    if name is None:
        return
    known = _criteria(rubric)
    if name not in known:
        close = difflib.get_close_matches(name, known, n=1)
        task = name.partition("/")[0]
        siblings = [k for k in known if k.partition("/")[0] == task]
        if close:
            hint = f"did you mean {close[0]}?"
        elif siblings:
            hint = f"{task} has {', '.join(siblings)}"
        else:
            hint = f"tasks: {', '.join(t.id for t in rubric.tasks)}"
        raise _bad(expectation.text, f"no criterion {name} in {rubric.assignment} ({hint})")
    task = name.partition("/")[0]
    if tasks and task not in tasks:
        raise InputError(
            f"--expect {expectation.text}: task {task} is not graded (--task {', '.join(tasks)})"
        )


def _rows(submission: SubmissionResult) -> Iterator[tuple[str, CriterionResult]]:
    for task in submission.tasks:
        for criterion in task.criteria:
            yield task.id, criterion


def _misbehaving(task: str, criterion: CriterionResult) -> Misbehaving:
    message = criterion.message if criterion.checked else f"not checked: {criterion.message}"
    return Misbehaving(
        task=task,
        criterion=criterion.id,
        check=criterion.check,
        score=criterion.score,
        max_score=criterion.max_score,
        checked=criterion.checked,
        message=message,
    )


def _below(score: float, maximum: float, percent: float) -> bool:
    """``score`` is below ``percent`` of ``maximum``; compared without dividing, hundredths kept."""
    return round(score * 100, 6) < round(percent * maximum, 6)


def _judge_one(expectation: Expectation, submission: SubmissionResult) -> Finding:
    rows = list(_rows(submission))
    unchecked = sum(1 for _, c in rows if not c.checked)
    score, maximum = submission.score, submission.max_score
    held: bool
    culprits: list[tuple[str, CriterionResult]]
    reason: str
    if expectation.kind == "full":
        culprits = [
            (t, c) for t, c in rows if not (c.checked and c.passed and c.score >= c.max_score)
        ]
        held = not culprits and score >= maximum
        reason = "expected full marks"
    elif expectation.kind in _SHARES:
        assert expectation.percent is not None
        below = _below(score, maximum, expectation.percent)
        if expectation.kind == "below":
            held = below
            # where the naive answer got its points
            culprits = sorted((r for r in rows if r[1].score > 0), key=lambda r: -r[1].score)
            reason = f"expected below {expectation.percent:g}%"
        else:
            held = not below
            lost = [r for r in rows if r[1].score < r[1].max_score or not r[1].checked]
            culprits = sorted(lost, key=lambda r: r[1].score - r[1].max_score)
            reason = f"expected at least {expectation.percent:g}%"
        if held:
            culprits = []
    else:
        found = [(t, c) for t, c in rows if f"{t}/{c.id}" == expectation.criterion]
        if not found:
            return Finding(
                expectation, False, None, None, reason="no such criterion in the results"
            )
        task, criterion = found[0]
        score, maximum = criterion.score, criterion.max_score
        passes = criterion.passed if expectation.kind == "passes" else not criterion.passed
        held = criterion.checked and passes
        culprits = [] if held else [(task, criterion)]
        reason = "expected to pass" if expectation.kind == "passes" else "expected not to pass"
    if submission.status == "error":
        held = False
        reason = f"grading failed: {submission.error or 'unknown error'}"
    return Finding(
        expectation,
        held,
        score,
        maximum,
        criteria=tuple(_misbehaving(t, c) for t, c in culprits),
        reason=None if held else reason,
        unchecked=unchecked,
    )


def judge(expectations: Sequence[Expectation], submission: SubmissionResult) -> list[Finding]:
    """Judge the expectations of one directory against its graded row, in the order given.

    The caller pairs them: the directories of ``expectations`` are not compared with the row's.
    """
    return [_judge_one(expectation, submission) for expectation in expectations]


def run_selftest(
    loaded: LoadedRubric,
    expectations: Sequence[Expectation],
    options: GradeOptions,
    *,
    engine_options: EngineOptions | None = None,
    on_directory: Callable[[Path], None] | None = None,
) -> SelfTestReport:
    """Grade each directory the expectations name once, then judge every expectation.

    Everything that can be wrong with the input (no expectation, an unknown criterion or task,
    a missing directory) is an ``InputError`` before anything is graded. ``on_directory`` hears
    each directory as its grading starts (progress).
    """
    if not expectations:
        raise InputError(f"nothing to test: give --expect KIND=DIR ({', '.join(FORMS)})")
    grading.selected_tasks(loaded.rubric, options.tasks)
    for expectation in expectations:
        check_criterion(expectation, loaded.rubric, options.tasks)
    directories: dict[Path, Path] = {}  # resolved -> as first named
    for expectation in expectations:
        directories.setdefault(expectation.directory.resolve(), expectation.directory)
    missing = [
        f"{shown}: {'not a directory' if shown.exists() else 'no such directory'}"
        for shown in directories.values()
        if not shown.is_dir()
    ]
    if missing:
        raise InputError(f"--expect: {'; '.join(missing)}")
    results: dict[Path, Results] = {}
    kept: list[str] = []
    built_with: str | None = None
    for resolved, shown in directories.items():
        if on_directory is not None:
            on_directory(shown)
        outcome = grading.check_repository(
            shown,
            loaded,
            options,
            student=resolved.name or None,
            engine_options=engine_options,
            fall_back=False,
        )
        results[shown] = outcome.results
        kept += outcome.kept
        built_with = outcome.built_with or built_with
    findings: list[Finding] = []
    for expectation in expectations:
        shown = directories[expectation.directory.resolve()]
        findings += judge([expectation], results[shown].submissions[0])
    return SelfTestReport(
        results=results, findings=tuple(findings), kept=tuple(kept), built_with=built_with
    )


def _one_line(text: str) -> str:
    """Safe for the terminal and kept to its line: a message cannot forge an ``ok`` line."""
    shown = for_terminal(text).replace("\n", "\\n")
    return shown if len(shown) <= _MESSAGE_WIDTH else shown[: _MESSAGE_WIDTH - 1] + "…"


def _points(score: float | None, maximum: float | None) -> str:
    if score is None or maximum is None:
        return "-/-"
    return f"{format_points(score)}/{format_points(maximum)}"


def render(report: SelfTestReport) -> list[str]:
    """The lines the command prints: one per expectation, and one per criterion that misbehaved.

    ``ok   full=examples/model: 100/100``, or ``FAIL`` with what was expected, then under it
    ``  task1/size (image_size): 0/10 — image is 12.3 MB, limit 10 MB``.
    """
    lines: list[str] = []
    for finding in report.findings:
        expectation = finding.expectation
        line = f"{'ok' if finding.held else 'FAIL':<4} {expectation.text}: "
        line += _points(finding.score, finding.max_score)
        if expectation.kind in _SHARES and finding.score is not None and finding.max_score:
            line += f" ({finding.score * 100 / finding.max_score:.3g}%)"
        if finding.reason is not None:
            line += f", {finding.reason}"
        elif finding.unchecked:
            line += f"; {finding.unchecked} criteria not checked"
        lines.append(_one_line(line))
        for culprit in finding.criteria:
            lines.append(
                _one_line(
                    f"  {culprit.key} ({culprit.check}): "
                    f"{_points(culprit.score, culprit.max_score)} — {culprit.message}"
                )
            )
    return lines
