"""answer: one question of a lesson answered in a file of the student's repository (no engine).

The answer is found by ``grader.answers``; its words are judged by the rubric's patterns, and a
Dockerfile snippet by Docker's own parser and flag rules, so every spelling Docker accepts (JSON
form, line continuations, any case of the keyword, quotes) counts and nothing Docker would read
differently does.
"""

from __future__ import annotations

import posixpath
import re
import shlex
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Final

import dockerfile as _parser

from grader.answers import Question, fenced_blocks, inline_code, split_answers
from grader.capped import one_line
from grader.checks.base import CheckKind, Facts, Needs, Outcome
from grader.dockerfile.expansion import ExpandError, expand
from grader.dockerfile.grammar import FLAG_SPECS, INSTRUCTIONS
from grader.dockerfile.source import Command, decode, for_parser, go_parse
from grader.dockerfile.words import parse_flags
from grader.errors import StudentFileError
from grader.files import read_repo_text
from grader.models.results import Evidence
from grader.models.rubric import Task
from grader.models.written_criteria import Answer, CopyExpectation

_QUOTE: Final = 120  # characters of the student's text quoted in a message
_ESCAPE: Final = "\\"
_FLAGS: Final = re.IGNORECASE | re.MULTILINE
_PARENTHESIS: Final = re.compile(r"[ \t]+\([^()]*\)[.!]?[ \t]*$")  # "(adjust paths as needed)."
_BULLET: Final = re.compile(r"^[ \t]*(?:[-*+>][ \t]+)+")
_SHELL_BREAK: Final = frozenset({"&&", "||", ";", "|", "&"})


def needs(criterion: Answer, task: Task) -> Needs:
    """Nothing but the repository."""
    return Needs()


def _quoted(text: str, limit: int = _QUOTE) -> str:
    return one_line(text, limit) if text.strip() else "(empty)"


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.split("\n") if line.strip()), "")


def evaluate(criterion: Answer, facts: Facts) -> Outcome:
    """The answer holds every expected pattern, no excluded one, and the COPY asked for."""
    where = f"question {criterion.question} in {criterion.file}"
    try:
        text = read_repo_text(facts.repo, criterion.file)
    except StudentFileError as exc:
        return Outcome.fail(
            f"question {criterion.question}: {exc}",
            Evidence(expected=f"{criterion.file} answering question {criterion.question}"),
        )
    answers = split_answers(text)
    notes = answers.notes(criterion.question)
    question = answers.questions.get(criterion.question)
    if question is None or not question.text.strip():
        found = ", ".join(str(n) for n in answers.questions) or "none"
        why = [f"its number on line {question.line} has nothing under it"] if question else []
        return _with_notes(
            Outcome.fail(
                f"question {criterion.question} is not answered in {criterion.file}",
                Evidence(
                    expected=f"an answer numbered {criterion.question}",
                    actual=f"questions answered: {found}",
                ),
            ),
            [*why, *notes],
        )
    outcome = _judge_words(criterion, question, where)
    if outcome is None and criterion.snippet is not None:
        outcome = judge_snippet(criterion.snippet, question.text, where)
    if outcome is None:
        outcome = Outcome.ok(
            f"{where} is answered as expected: {_quoted(_first_line(question.text))}",
            Evidence(expected=_described(criterion), actual=_quoted(question.text, 300)),
        )
    return _with_notes(outcome, notes)


def _with_notes(outcome: Outcome, notes: Sequence[str]) -> Outcome:
    if not notes:
        return outcome
    return Outcome(
        passed=outcome.passed,
        message=f"{outcome.message} ({'; '.join(notes)})",
        fraction=outcome.fraction,
        evidence=outcome.evidence,
        hint=outcome.hint,
    )


def _described(criterion: Answer) -> str:
    parts = [f"matches /{p}/" for p in criterion.expected]
    parts += [f"does not match /{p}/" for p in criterion.excluded]
    if criterion.snippet is not None:
        parts.append(_copy_asked(criterion.snippet))
    return "; ".join(parts)


def _judge_words(criterion: Answer, question: Question, where: str) -> Outcome | None:
    """A failing outcome for the first pattern the answer misses (or holds, if excluded)."""
    text = question.text
    evidence = Evidence(
        expected=_described(criterion), actual=_quoted(_first_line(text)), line=question.line
    )
    for pattern in criterion.expected:
        if re.search(pattern, text, _FLAGS) is None:
            return Outcome.fail(
                f"{where} does not say what was asked (no match for /{pattern}/): "
                f"{_quoted(_first_line(text))}",
                evidence,
            )
    for pattern in criterion.excluded:
        match = re.search(pattern, text, _FLAGS)
        if match is not None:
            return Outcome.fail(
                f"{where} says {_quoted(match.group(0), 60)}, which it should not (/{pattern}/)",
                evidence,
            )
    return None


# -- the snippet ------------------------------------------------------------------------------


def answer_code(text: str) -> str:
    """The Dockerfile lines of an answer: its fenced blocks, else its `code` spans, else itself.

    Code spans count only when they start with an instruction (`app.jar` is a file name, not
    code). Without any markup the answer is read line by line: list bullets and a trailing
    remark in parentheses ('(adjust paths as needed).') are not part of an instruction.
    """
    blocks = fenced_blocks(text)
    if blocks:
        return "\n".join(blocks)
    spans = [s for s in inline_code(text) if s.split(None, 1)[0].upper() in INSTRUCTIONS]
    if spans:
        return "\n".join(spans)
    lines = (_BULLET.sub("", line) for line in text.split("\n"))
    return "\n".join(_PARENTHESIS.sub("", line) for line in lines)


def parse_snippet(code: str) -> list[Command]:
    """Docker's parser on the snippet; when it refuses the whole, each line alone that it takes."""
    safe = for_parser(decode(code))
    try:
        return go_parse(safe)
    except (_parser.GoParseError, _parser.GoIOError, ValueError):
        pass
    commands: list[Command] = []
    for number, line in enumerate(safe.split("\n"), start=1):
        try:
            parsed = go_parse(line)
        except (_parser.GoParseError, _parser.GoIOError, ValueError):
            continue
        commands += [c._replace(start_line=number, end_line=number) for c in parsed]
    return commands


@dataclass
class _State:
    """What the snippet's instructions so far made of the stage: its directory and variables."""

    cwd: str | None = None  # None: the base image's, unknown
    directories: set[str] = field(default_factory=set)
    env: dict[str, str] = field(default_factory=dict)

    def word(self, word: str) -> str:
        """A word as Docker reads it: quotes removed, known variables expanded."""
        try:
            return expand(word, self.env, _ESCAPE).result
        except ExpandError:
            return word

    def absolute(self, path: str) -> tuple[str | None, bool]:
        """The absolute path a destination names, and whether Docker takes it as a directory."""
        directory = path.endswith(("/", "/.")) or path in (".", "")
        if path.startswith("/"):
            return _normal(path), directory
        if self.cwd is None:
            return None, directory
        return _normal(f"{self.cwd}/{path}"), directory

    def make(self, path: str, *, itself: bool = True) -> None:
        """Note ``path`` (or only its parents) as a directory that now exists."""
        current = PurePosixPath(path)
        self.directories.update(str(p) for p in current.parents)
        if itself:
            self.directories.add(str(current))


def _normal(path: str) -> str:
    return posixpath.normpath("/" + path.lstrip("/"))


@dataclass(frozen=True)
class _Verdict:
    """One COPY (or ADD) against the COPY asked for."""

    command: Command
    passed: int  # how many of the four things asked (keyword, stage, source, place) it has
    problem: str | None  # None: it is the COPY asked for
    note: str = ""


def _copy_asked(expected: CopyExpectation) -> str:
    directory = _normal(expected.destination)
    return f"COPY --from={expected.stage} …/{_name(expected)} {directory.rstrip('/')}/"


def _name(expected: CopyExpectation) -> str:
    return PurePosixPath(expected.source).name or expected.source


def _source_matches(source: str, expected: CopyExpectation) -> bool:
    """Whether a source path ends in the expected one, component by component."""
    wanted = [p for p in PurePosixPath(expected.source).parts if p not in ("/", ".")]
    parts = [p for p in PurePosixPath(source).parts if p not in ("/", ".")]
    return bool(wanted) and parts[-len(wanted) :] == wanted


def _copies(commands: Sequence[Command]) -> Iterator[tuple[Command, str, _State]]:
    """Every COPY and ADD of the snippet, with the stage's state just before it."""
    state = _State()
    for command in commands:
        keyword = command.cmd.upper()
        if keyword == "FROM":
            state = _State()
        elif keyword in ("ENV", "ARG"):
            _assign(state, keyword, command.value)
        elif keyword == "WORKDIR" and command.value:
            path, _ = state.absolute(state.word(command.value[0]))
            state.cwd = path
            if path is not None:
                state.make(path)
        elif keyword == "RUN":
            _mkdir(state, command)
        elif keyword in ("COPY", "ADD"):
            yield command, keyword, _State(state.cwd, set(state.directories), dict(state.env))
            if len(command.value) >= 2:
                path, directory = state.absolute(state.word(command.value[-1]))
                if path is not None:
                    state.make(path, itself=directory)


def _assign(state: _State, keyword: str, words: Sequence[str]) -> None:
    if keyword == "ARG":
        for word in words:
            name, has_value, value = word.partition("=")
            if has_value:
                state.env[name] = state.word(value)
        return
    for name, value in zip(words[::2], words[1::2], strict=False):
        state.env[name] = state.word(value)


def _mkdir(state: _State, command: Command) -> None:
    """The directories a RUN mkdir makes."""
    if command.json:
        words = list(command.value)
    else:
        try:
            words = shlex.split(" ".join(command.value))
        except ValueError:
            words = " ".join(command.value).split()
    making = False
    for word in words:
        if word in _SHELL_BREAK:
            making = False
        elif PurePosixPath(word).name == "mkdir":
            making = True
        elif making and not word.startswith("-"):
            path, _ = state.absolute(state.word(word))
            if path is not None:
                state.make(path)


def _judge_copy(
    command: Command, keyword: str, state: _State, expected: CopyExpectation
) -> _Verdict:
    """How close one COPY comes to the one asked for, and the first thing it gets wrong."""
    shown = one_line(command.original, _QUOTE)
    if keyword == "ADD":
        takes_from = any(f.startswith("--from") for f in command.flags)
        if takes_from:
            return _Verdict(
                command,
                3,  # the keyword is all it gets wrong, as far as it goes
                f"ADD does not take --from (Docker refuses `{shown}`): copying from a stage "
                f"is COPY --from={expected.stage}",
            )
        return _Verdict(command, 0, f"`{shown}` adds from the build context, not a stage")
    flags, flag_error = parse_flags(command.flags, FLAG_SPECS["COPY"])
    if flag_error:
        if any(
            f.lower().startswith("--from") and not f.startswith("--from") for f in command.flags
        ):
            flag_error += " (Docker's flags are lowercase: --from)"
        return _Verdict(command, 1, f"Docker refuses `{shown}`: {flag_error}")
    if len(command.value) < 2:
        return _Verdict(command, 1, f"`{shown}` has no destination")
    stage = state.word(flags["from"][-1]) if flags.get("from") else None
    words = [state.word(w) for w in command.value]
    sources, destination = words[:-1], words[-1]
    has_source = any(_source_matches(s, expected) for s in sources)
    place = _place(destination, state, expected)
    problem: str
    passed = 1 + (stage is not None and stage.lower() == expected.stage.lower())
    passed += has_source + (place[0] is None)
    if stage is None:
        problem = (
            f"`{shown}` copies from the build context: add --from={expected.stage} to copy "
            f"from the stage {expected.stage}"
        )
    elif stage.isdigit():
        problem = (
            f"`{shown}` names stage {stage} by its index; the question asks for it by its "
            f"name, --from={expected.stage}"
        )
    elif stage.lower() != expected.stage.lower():
        problem = f"`{shown}` copies from {stage}, not from the stage {expected.stage}"
    elif not has_source:
        problem = f"`{shown}` does not copy a file named {_name(expected)}"
    elif place[0] is not None:
        problem = f"`{shown}` {place[0]}"
    else:
        return _Verdict(command, passed, None, place[1])
    return _Verdict(command, passed, problem)


def _place(destination: str, state: _State, expected: CopyExpectation) -> tuple[str | None, str]:
    """Where the file lands against the directory asked: (the problem or None, a note)."""
    wanted = _normal(expected.destination)
    name = _name(expected)
    inside = posixpath.join(wanted, name)
    path, directory = state.absolute(destination)
    if path is None:
        return (
            f"copies to {destination}, relative to a directory the snippet never sets: write "
            f"{wanted.rstrip('/')}/ or put WORKDIR {wanted} before it",
            "",
        )
    if path == wanted and directory:
        return None, f"{name} lands in {wanted}"
    if path == inside and not directory:
        return None, f"{name} lands as {inside}"
    if path == wanted:
        if wanted in state.directories:
            return None, f"{wanted} is already a directory, so {name} lands in it"
        return (
            f"copies {name} to a file named {wanted}, unless {wanted} already is a directory "
            f"(nothing in the snippet makes it one): write {wanted.rstrip('/')}/ with the "
            f"trailing slash, or {inside}",
            "",
        )
    landing = posixpath.join(path, name) if directory else path
    return f"puts the file at {landing}, not in {wanted}", ""


def judge_snippet(expected: CopyExpectation, text: str, where: str) -> Outcome:
    """Whether the answer's code holds the COPY asked for; the closest one's flaw if not."""
    code = answer_code(text)
    found = [
        _judge_copy(command, keyword, state, expected)
        for command, keyword, state in _copies(parse_snippet(code))
    ]
    asked = _copy_asked(expected)
    listed = "; ".join(
        f"line {v.command.start_line}: {one_line(v.command.original, 100)}" for v in found
    )
    for verdict in found:
        if verdict.problem is None:
            line = verdict.command.start_line
            return Outcome.ok(
                f"{where}: `{one_line(verdict.command.original, _QUOTE)}` ({verdict.note})",
                Evidence(expected=asked, actual=one_line(listed, 300), line=line),
            )
    if not found:
        return Outcome.fail(
            f"{where} holds no COPY instruction (expected {asked}): {_quoted(_first_line(text))}",
            Evidence(expected=asked, actual=_quoted(_first_line(text))),
        )
    best = max(found, key=lambda v: v.passed)  # the first of the closest
    line = best.command.start_line
    return Outcome.fail(
        f"{where}, line {line} of its code: {best.problem}",
        Evidence(expected=asked, actual=one_line(listed, 300), line=line),
    )


KIND = CheckKind[Answer](title="Answer", needs=needs, evaluate=evaluate)
