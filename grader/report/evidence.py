"""Evidence a student can act on: which Dockerfile line, which output line, which build step.

Each function takes what results carry (the Dockerfile's text and analysis, evidence, the build
result, the image's history) and returns plain data for a template. None of it trusts the
student's text: everything shown goes through ``visible``.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from markupsafe import Markup

from grader.dockerfile import instructions as parse_instructions
from grader.models.analysis import Analysis, Instruction, numbered
from grader.models.results import BuildResult, CriterionResult, Layer
from grader.report import svg
from grader.report.text import DASH, MINUS, plain, shorten, visible
from grader.units import format_bytes

_WHOLE_FILE_LINES = 30  # a Dockerfile up to this long is shown whole: context helps a beginner
_CONTEXT = 3
_LOG_LINES = 60
_DIFF_LINES = 200
_STEP = re.compile(r"^Step (\d+)/(\d+) : ")
_HASHED = re.compile(r"\b(file|dir|multi):([0-9a-f]{12})[0-9a-f]{52}\b")
_BUILD_ARGS = re.compile(r"^\|\d+(?: \S+=\S*)* ")
_NOP = "/bin/sh -c #(nop) "
_SHELL = "/bin/sh -c "


def instructions(text: str | None) -> list[Instruction]:
    """The file as Docker's own parser splits it; empty when it cannot be parsed."""
    return parse_instructions(text) if text else []


@dataclass(frozen=True)
class Mark:
    """Lines to highlight and what to say about them."""

    start: int
    end: int
    note: str


@dataclass(frozen=True)
class CodeRow:
    """One line of an excerpt; ``number`` is None where lines were left out."""

    number: int | None
    text: Markup
    highlight: bool
    note: str | None


@dataclass(frozen=True)
class Excerpt:
    """Part of a file with the lines that matter highlighted."""

    label: str
    rows: list[CodeRow]


def excerpt(text: str, marks: Sequence[Mark], *, label: str) -> Excerpt | None:
    """The whole file when short, else the marked lines with a few lines around each."""
    lines = text.splitlines()
    marks = [m for m in marks if 1 <= m.start <= len(lines)]
    if not lines or not marks:
        return None
    highlighted = {n for m in marks for n in range(m.start, min(m.end, len(lines)) + 1)}
    notes: dict[int, list[str]] = {}
    for mark in marks:
        notes.setdefault(min(mark.end, len(lines)), []).append(mark.note)
    if len(lines) <= _WHOLE_FILE_LINES:
        shown = set(range(1, len(lines) + 1))
    else:
        shown = {
            n
            for h in highlighted
            for n in range(h - _CONTEXT, h + _CONTEXT + 1)
            if 1 <= n <= len(lines)
        }
    rows: list[CodeRow] = []
    previous = 0
    for number in sorted(shown):
        if number > previous + 1:
            rows.append(CodeRow(None, Markup("…"), highlight=False, note=None))
        note = "; ".join(dict.fromkeys(notes.get(number, []))) or None
        rows.append(CodeRow(number, visible(lines[number - 1]), number in highlighted, note))
        previous = number
    if previous < len(lines):
        rows.append(CodeRow(None, Markup("…"), highlight=False, note=None))
    first, last = min(highlighted), max(highlighted)
    where = f"line {first}" if first == last else f"lines {first}{DASH}{last}"
    return Excerpt(label=f"{label}, {where} highlighted", rows=rows)


def _instruction_at(found: Sequence[Instruction], line: int) -> Mark | None:
    for instruction in found:
        if instruction.line <= line <= instruction.end_line:
            return Mark(instruction.line, instruction.end_line, "")
    return None


def _mark(found: Sequence[Instruction], line: int, note: str) -> Mark:
    spanning = _instruction_at(found, line)
    return Mark(spanning.start if spanning else line, spanning.end if spanning else line, note)


def _stage_name(analysis: Analysis, index: int) -> str:
    stage = analysis.stages[index]
    return f"'{stage.name}'" if stage.name else str(index)


def criterion_marks(
    criterion: CriterionResult, analysis: Analysis | None, found: Sequence[Instruction]
) -> list[Mark]:
    """The Dockerfile lines a failed criterion is about, each with a note in plain words."""
    evidence = criterion.evidence
    if criterion.check == "dockerfile_lint" and analysis is not None:
        wanted = evidence.expected if evidence and evidence.expected else ""
        return [
            _mark(found, p.line, f"{p.rule}: {p.message}")
            for p in analysis.problems
            if p.line is not None and (not wanted or p.rule in wanted)
        ]
    if criterion.check in ("multi_stage", "final_base") and analysis is not None:
        return _stage_marks(criterion.check, analysis, found)
    step = _STEP.match(evidence.actual or "") if evidence else None
    if step and evidence and evidence.actual:
        # another build of the same file failed (--target, a baseline): where it stopped
        text = evidence.actual[step.end() :]
        located = numbered(found, int(step.group(1)), _first_instruction(text, found))
        if located is not None:
            note = f"Step {step.group(1)}/{step.group(2)} failed here"
            return [Mark(located.line, located.end_line, note)]
    if evidence is not None and evidence.line is not None:
        return [_mark(found, evidence.line, criterion.title)]
    return []


def _stage_marks(check: str, analysis: Analysis, found: Sequence[Instruction]) -> list[Mark]:
    """The final FROM and, following ``FROM <stage>``, each FROM it inherits from."""
    if analysis.final_stage is None or not analysis.stages:
        return []
    final = analysis.stages[analysis.final_stage]
    if check == "multi_stage":
        if analysis.stage_count < 2:
            return [_mark(found, final.line, "the only stage: what builds the app also ships it")]
        return [_mark(found, final.line, "the final stage: it uses nothing from an earlier stage")]
    marks = []
    stage = final
    seen = set()
    note = f"the final stage starts from {final.base or 'an image that cannot be worked out'}"
    while stage.base_stage is not None and stage.base_stage not in seen:
        seen.add(stage.base_stage)
        marks.append(_mark(found, stage.line, f"{note}, so it inherits everything in it"))
        parent = analysis.stages[stage.base_stage]
        note = f"stage {_stage_name(analysis, parent.index)} starts from {parent.base}"
        stage = parent
    marks.append(_mark(found, stage.line, f"{note}: this is what ships"))
    return marks


@dataclass(frozen=True)
class DiffPiece:
    """A run of characters, changed or not."""

    text: Markup
    changed: bool


@dataclass(frozen=True)
class DiffLine:
    """One line of a diff: in both, only expected, or only in the actual output."""

    side: Literal["same", "expected", "actual"]
    sign: str
    pieces: list[DiffPiece]


@dataclass(frozen=True)
class OutputDiff:
    """Expected against actual output, line by line, changed characters marked."""

    caption: str
    lines: list[DiffLine]


def output_diff(expected: str | None, actual: str | None) -> OutputDiff | None:
    """A diff when the expectation is literal text; a pattern or an exit status has none."""
    if expected is None or actual is None:
        return None
    caption = f"expected output ({MINUS}) against what your image printed (+)"
    if expected.startswith("last line: "):
        expected = expected.removeprefix("last line: ")
        lines = [line for line in actual.splitlines() if line.strip()]
        actual = lines[-1] if lines else ""
        caption = f"expected last line ({MINUS}) against the last line your image printed (+)"
    elif expected.startswith(("contains: ", "matches: ", "exit status ")):
        return None
    old = expected.splitlines()[:_DIFF_LINES]
    new = actual.splitlines()[:_DIFF_LINES]
    result: list[DiffLine] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(
        None, old, new, autojunk=False
    ).get_opcodes():
        if tag == "equal":
            result.extend(DiffLine("same", " ", [DiffPiece(visible(a), False)]) for a in old[i1:i2])
            continue
        pairs = min(i2 - i1, j2 - j1) if tag == "replace" else 0
        minus = [_whole("expected", a) for a in old[i1:i2]]
        plus = [_whole("actual", b) for b in new[j1:j2]]
        for k in range(pairs):
            minus[k], plus[k] = _intraline(old[i1 + k], new[j1 + k])
        result.extend(minus)
        result.extend(plus)
    if not old and not new:
        return None
    if not new:
        result.append(DiffLine("actual", "+", [DiffPiece(Markup("(nothing)"), True)]))
    return OutputDiff(caption=caption, lines=result)


def _whole(side: Literal["expected", "actual"], text: str) -> DiffLine:
    return DiffLine(side, MINUS if side == "expected" else "+", [DiffPiece(visible(text), True)])


def _intraline(old: str, new: str) -> tuple[DiffLine, DiffLine]:
    """Mark the characters that differ, when the lines are alike enough for that to help."""
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    if matcher.ratio() < 0.5:
        return _whole("expected", old), _whole("actual", new)
    minus: list[DiffPiece] = []
    plus: list[DiffPiece] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if i2 > i1:
            minus.append(DiffPiece(visible(old[i1:i2]), tag != "equal"))
        if j2 > j1:
            plus.append(DiffPiece(visible(new[j1:j2]), tag != "equal"))
    return DiffLine("expected", MINUS, minus), DiffLine("actual", "+", plus)


@dataclass(frozen=True)
class LogLine:
    """A line of the build log; ``failing`` from the failing step on."""

    text: Markup
    failing: bool


@dataclass(frozen=True)
class BuildFailure:
    """Why the image did not build, where in the Dockerfile, and the end of the log."""

    step: str | None
    instruction: Markup | None
    reason: Markup
    timed_out: bool
    excerpt: Excerpt | None
    log: list[LogLine]
    log_note: str | None


def build_failure(
    build: BuildResult, dockerfile_text: str | None, found: Sequence[Instruction], *, label: str
) -> BuildFailure:
    """The failing step, located in the Dockerfile where the log's step number allows."""
    error = build.error or ("the build timed out" if build.timed_out else "the build failed")
    step_match = _STEP.match(error)
    step = instruction_text = None
    reason = error
    located: Instruction | None = None
    failed = next((s for s in build.steps if s.status == "failed"), None)
    if failed is not None and failed.line is not None and not step_match:
        # any builder's own steps (BuildKit names them by stage, not by number)
        step = f"[{failed.stage} {failed.step}]" if failed.stage else f"[{failed.step}]"
        instruction_text = failed.instruction
        prefix = f"{step} {failed.instruction}"
        reason = error[len(prefix) :].lstrip(": ") if error.startswith(prefix) else error
        located = next((i for i in found if i.line == failed.line), None)
    elif step_match:
        step = f"Step {step_match.group(1)}/{step_match.group(2)}"
        rest = error[step_match.end() :]
        instruction_text = _step_line(build.log_tail, step) or rest
        if rest.startswith(instruction_text):
            reason = rest[len(instruction_text) :].lstrip(": ") or error
        located = numbered(found, int(step_match.group(1)), instruction_text)
    excerpt_ = None
    if located is not None and dockerfile_text:
        note = f"{step} failed here"
        excerpt_ = excerpt(
            dockerfile_text, [Mark(located.line, located.end_line, note)], label=label
        )
    lines = build.log_tail.replace("\r\n", "\n").split("\n")
    while lines and not lines[-1].strip():
        lines.pop()
    cuts = []
    if len(lines) > _LOG_LINES:
        cuts.append(f"the last {_LOG_LINES} of {len(lines)} lines")
        lines = lines[-_LOG_LINES:]
    if build.log_truncated:
        cuts.append("the log was cut in the middle")
    failing = False
    log: list[LogLine] = []
    for line in lines:
        if step and (line.startswith(f"{step} : ") or f"] {instruction_text}" in line):
            failing = True
        log.append(LogLine(visible(line), failing))
    return BuildFailure(
        step=step,
        instruction=visible(instruction_text) if instruction_text else None,
        reason=visible(reason),
        timed_out=build.timed_out,
        excerpt=excerpt_,
        log=log,
        log_note="; ".join(cuts) or None,
    )


def _step_line(log: str, step: str) -> str | None:
    prefix = f"{step} : "
    for line in reversed(log.splitlines()):
        if line.startswith(prefix):
            return line[len(prefix) :].rstrip()
    return None


def _first_instruction(text: str, found: Sequence[Instruction]) -> str:
    """The instruction at the start of ``INSTRUCTION: reason``, as one in the file reads."""
    for instruction in found:
        if text.startswith(instruction.original):
            return instruction.original
    return text.split(": ", 1)[0]


@dataclass(frozen=True)
class LayerRow:
    """One layer of the final image."""

    number: int
    instruction: Markup
    tooltip: str
    size: str
    share: str
    origin: Literal["base", "own", "unknown"]
    line: int | None
    empty: bool
    meter: Markup


@dataclass(frozen=True)
class LayerBreakdown:
    """Where an image's bytes come from: the base image's layers and each instruction's."""

    total: str
    summary: str
    chart: Markup
    rows: list[LayerRow]


def layer_instruction(created_by: str) -> str:
    """What a person would have written: ``RUN go build``, ``COPY file:3ad8cfb97f77… in /``."""
    text = _BUILD_ARGS.sub("", created_by.strip())
    if text.startswith(_NOP):
        text = text[len(_NOP) :].strip()
    elif text.startswith(_SHELL):
        text = "RUN " + text[len(_SHELL) :]
    elif text.startswith("RUN " + _SHELL):
        text = "RUN " + text[len("RUN " + _SHELL) :]
    text = text.removesuffix(" # buildkit")
    return _HASHED.sub(lambda m: f"{m.group(1)}:{m.group(2)}…", text)


def _keyword(created_by: str) -> str:
    words = layer_instruction(created_by).split(maxsplit=1)
    return words[0].upper() if words else ""


def _own_instructions(analysis: Analysis | None, found: Sequence[Instruction]) -> list[Instruction]:
    """The final stage's instructions after FROM, and those of the stages it is built FROM."""
    if analysis is None or analysis.final_stage is None or not found:
        return []
    starts = sorted(s.line for s in analysis.stages)
    chain = []
    stage = analysis.stages[analysis.final_stage]
    seen = set()
    while True:
        chain.append(stage)
        if stage.base_stage is None or stage.base_stage in seen:
            break
        seen.add(stage.base_stage)
        stage = analysis.stages[stage.base_stage]
    own: list[Instruction] = []
    for stage in reversed(chain):
        following = [s for s in starts if s > stage.line]
        end = following[0] if following else 10**9
        own.extend(i for i in found if stage.line < i.line < end and i.keyword != "FROM")
    return own


def layer_breakdown(
    layers: Sequence[Layer],
    analysis: Analysis | None,
    found: Sequence[Instruction],
    *,
    size_bytes: int,
    chart_id: str,
) -> LayerBreakdown | None:
    """Each layer's size and, where the history agrees with the Dockerfile, its line.

    The last layers of the image are the final stage's instructions, one each, when every
    keyword matches; then the layers before them are the base image's. Where they do not
    match (another builder, ONBUILD triggers), layers are shown without that split.
    """
    if not layers:
        return None
    own = _own_instructions(analysis, found)
    matched = 0 < len(own) <= len(layers) and all(
        _keyword(layer.created_by) == instruction.keyword
        for layer, instruction in zip(layers[-len(own) :], own, strict=True)
    )
    base_count = len(layers) - len(own) if matched else 0
    total = sum(layer.size_bytes for layer in layers) or 1
    rows: list[LayerRow] = []
    segments: list[svg.Segment] = []
    for index, layer in enumerate(layers):
        origin: Literal["base", "own", "unknown"] = (
            "unknown" if not matched else "base" if index < base_count else "own"
        )
        line = own[index - base_count].line if origin == "own" else None
        shown = layer_instruction(layer.created_by)
        fraction = layer.size_bytes / total
        rows.append(
            LayerRow(
                number=index + 1,
                instruction=visible(shorten(shown, 160)),
                tooltip=plain(layer.created_by),
                size=format_bytes(layer.size_bytes),
                share=_share(fraction),
                origin=origin,
                line=line,
                empty=layer.size_bytes == 0,
                meter=svg.meter(fraction, f"seg {origin}", width=100),
            )
        )
        if layer.size_bytes:
            where = f" (line {line})" if line else ""
            segments.append(
                svg.Segment(
                    layer.size_bytes,
                    origin,
                    f"layer {index + 1}{where}: {shorten(shown, 80)}, "
                    f"{format_bytes(layer.size_bytes)}",
                    short=f"{index + 1}: {shorten(shown, 40)} {format_bytes(layer.size_bytes)}",
                )
            )
    base_name = analysis.final_base if analysis else None
    if matched:
        base_bytes = sum(layer.size_bytes for layer in layers[:base_count])
        own_bytes = sum(layer.size_bytes for layer in layers[base_count:])
        count = f"{len(own)} instruction{'s' if len(own) != 1 else ''}"
        if base_count:
            layers_word = f"{base_count} layer{'s' if base_count != 1 else ''}"
            summary = (
                f"{format_bytes(base_bytes)} come from the base image {base_name or ''} "
                f"({layers_word}), {format_bytes(own_bytes)} from the {count} of your final stage"
            )
        else:
            summary = (
                f"The base image {base_name or ''} adds nothing; all "
                f"{format_bytes(own_bytes)} come from the {count} of your final stage"
            )
    else:
        biggest = max(layers, key=lambda layer: layer.size_bytes)
        summary = (
            f"{len(layers)} layers; the largest, {format_bytes(biggest.size_bytes)}, "
            f"was made by {shorten(layer_instruction(biggest.created_by), 80)}"
        )
    chart = svg.stacked_bar(
        segments,
        chart_id=chart_id,
        title="Layers of the final image by size",
        desc=f"{format_bytes(size_bytes)} in total: {summary}.",
    )
    return LayerBreakdown(total=format_bytes(size_bytes), summary=summary, chart=chart, rows=rows)


def _share(fraction: float) -> str:
    if fraction <= 0:
        return "0 %"
    if fraction < 0.001:
        return "<0.1 %"
    return f"{fraction * 100:.1f} %" if fraction < 0.1 else f"{round(fraction * 100)} %"
