"""The analysis in words, for `grader inspect` without --json."""

from __future__ import annotations

from collections.abc import Callable

from grader.models.analysis import Analysis


def render_text(analysis: Analysis) -> str:
    """Format the summary `grader inspect` prints: stages, final base, why (not) multi-stage."""
    out: list[str] = [f"Dockerfile: {analysis.dockerfile}"]
    if analysis.target:
        out.append(f"Target: {analysis.target}")
    names = {stage.index: stage.name for stage in analysis.stages}

    def label(index: int) -> str:
        name = names.get(index)
        return f"#{index} {name}" if name else f"#{index}"

    out.append(f"Stages: {analysis.stage_count}")
    for stage in analysis.stages:
        base = stage.base if stage.base is not None else "(nothing: does not expand)"
        if stage.base_stage is not None:
            base = f"{base} (stage #{stage.base_stage})"
        parts = [
            f"  #{stage.index}  line {stage.line:<4} {stage.name or '(unnamed)':<16} FROM {base}"
        ]
        if stage.platform:
            parts.append(f"--platform={stage.platform}")
        uses = [label(index) for index in stage.uses if index != stage.base_stage]
        if uses:
            parts.append("uses " + ", ".join(uses))
        if stage.external_images:
            parts.append("copies from images " + ", ".join(stage.external_images))
        out.append("; ".join(parts))
    if analysis.final_stage is not None:
        how = "--target" if analysis.target else "last stage"
        out.append(f"Final stage: {label(analysis.final_stage)} ({how})")
    else:
        out.append("Final stage: none")
    out.append(
        f"Final base: {analysis.final_base if analysis.final_base is not None else 'unknown'}"
    )
    out.append("Multi-stage: " + _multi_stage_reason(analysis, label))
    if analysis.problems:
        out.append(f"Problems: {len(analysis.problems)}")
        for problem in analysis.problems:
            where = f"line {problem.line}" if problem.line is not None else "file"
            out.append(f"  {where:<9} {problem.severity:<7} {problem.rule}: {problem.message}")
    else:
        out.append("Problems: none")
    if analysis.error:
        out.append(f"Error: {analysis.error}")
    return "\n".join(out) + "\n"


def _multi_stage_reason(analysis: Analysis, label: Callable[[int], str]) -> str:
    if analysis.multi_stage:
        used = ", ".join(label(index) for index in analysis.depends_on)
        return f"yes: the final stage uses {used}"
    if analysis.stage_count == 0:
        return "no: no stages"
    if analysis.stage_count < 2:
        return "no: only one stage"
    if analysis.final_stage is None:
        return "no: there is no final stage to build"
    return (
        f"no: {analysis.stage_count} stages, but the final stage uses none of the others "
        "(only the last FROM becomes the image)"
    )
