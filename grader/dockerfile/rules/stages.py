"""Rules about stages: their names, how they are linked, and which of them the image uses."""

from __future__ import annotations

from collections.abc import Iterator
from types import MappingProxyType

from grader.dockerfile.grammar import COMMON_IMAGES, RESERVED_STAGE_NAMES
from grader.dockerfile.graph import does_build
from grader.dockerfile.rules.base import Context, Finding


def stage_name_casing(context: Context) -> Iterator[Finding]:
    for stage in context.run.stages:
        if stage.raw_name is not None and stage.raw_name != stage.name:
            yield Finding(
                stage.line,
                f"Stage name '{stage.raw_name}' should be lowercase: Docker turns it into "
                f"'{stage.name}', so write AS {stage.name}.",
            )


def from_as_casing(context: Context) -> Iterator[Finding]:
    for stage in context.run.stages:
        command = stage.source
        if command is None or stage.raw_name is None:
            continue
        as_word = command.value[1]
        lower = command.cmd == command.cmd.lower()
        upper = command.cmd == command.cmd.upper()
        if (lower and as_word != as_word.lower()) or (
            upper and not lower and as_word != as_word.upper()
        ):
            yield Finding(
                stage.line,
                f"'{as_word}' and '{command.cmd}' keywords' casing do not match: write "
                f"{command.cmd} ... {'as' if lower else 'AS'} {stage.name}.",
            )


def reserved_stage_name(context: Context) -> Iterator[Finding]:
    for stage in context.run.stages:
        if stage.name in RESERVED_STAGE_NAMES:
            yield Finding(
                stage.line,
                f'Stage name should not use the same name as reserved stage "{stage.name}": '
                f"FROM {stage.name} and --from={stage.name} would mean this stage; pick another "
                "name.",
            )


def duplicate_stage_name(context: Context) -> Iterator[Finding]:
    seen: dict[str, int] = {}
    for stage in context.run.stages:
        if stage.name is None:
            continue
        if stage.name in seen:
            yield Finding(
                stage.line,
                f'Duplicate stage name "{stage.name}", stage names should be unique: stage '
                f"'{stage.name}' is already defined on line {seen[stage.name]}. The grading "
                "engine (classic builder) refuses the file and BuildKit silently uses the later "
                "one; rename one.",
            )
        else:
            seen[stage.name] = stage.line


def from_stage_name_case(context: Context) -> Iterator[Finding]:
    """FROM Builder after AS builder: a stage only for the classic builder, which ignores case."""
    for stage in context.run.stages:
        if stage.base_stage is None or stage.base is None:
            continue
        wanted = context.run.stages[stage.base_stage].name
        if stage.base != wanted:
            yield Finding(
                stage.line,
                f"FROM {stage.base} names stage '{wanted}' only for the classic builder, which "
                f"ignores case; BuildKit reads {stage.base} as an image name and fails (image "
                f"names must be lowercase). Write FROM {wanted}.",
            )


def stage_shadows_image(context: Context) -> Iterator[Finding]:
    stages = context.run.stages
    for stage in stages:
        if stage.base_stage is None or stage.base is None:
            continue
        shadowed = stages[stage.base_stage]
        if shadowed.name in COMMON_IMAGES and stage.base == shadowed.name:
            yield Finding(
                stage.line,
                f"FROM {stage.base} uses the stage '{shadowed.name}' (line {shadowed.line}), "
                f"not the image {stage.base}: a stage name hides the image of the same name. "
                "Rename the stage if you meant the image.",
            )


def final_stage_inherits_builder(context: Context) -> Iterator[Finding]:
    run, final = context.run, context.final
    if final is None:
        return
    base_stage = run.stages[final].base_stage
    if base_stage is None or not does_build(run, base_stage, _used_by_copy(context)):
        return
    builder = run.stages[base_stage]
    ref = builder.name or str(builder.index)
    yield Finding(
        run.stages[final].line,
        f"The final stage is built FROM {ref} (line {builder.line}), so the final image keeps "
        "everything that stage installed and built: the toolchain and the sources. Start the "
        "final stage from a small runtime image (scratch, alpine, a -slim or distroless image) "
        f"and COPY --from={ref} only what the program needs.",
    )


def _used_by_copy(context: Context) -> set[int]:
    return {
        used
        for stage in context.run.stages
        for used, how in stage.uses.items()
        if how != "FROM" and stage.index != used
    }


def unused_stage(context: Context) -> Iterator[Finding]:
    run, final = context.run, context.final
    if final is None:
        return
    final_stage = run.stages[final]
    for stage in run.stages[:final]:
        if stage.index in context.depends:
            continue
        who = f"'{stage.name}'" if stage.name else f"{stage.index}"
        if not final_stage.uses:
            why = (
                "only the final stage becomes the image and it uses no other stage, so this "
                "FROM starts work that is thrown away"
            )
        else:
            final_name = f"'{final_stage.name}'" if final_stage.name else f"{final}"
            why = f"nothing the final stage {final_name} builds FROM or copies from uses it"
        fix = f"build it on its own with --target {stage.name}" if stage.name else "name it"
        yield Finding(
            stage.line,
            f"Stage {who} is not used by the final image: {why}. BuildKit skips it but the "
            f"classic builder still builds it. Remove it, COPY --from it what you need, or "
            f"{fix}.",
        )


def consistent_instruction_casing(context: Context) -> Iterator[Finding]:
    """Over every instruction of every stage (not the meta ARGs), as BuildKit counts them."""
    words: list[tuple[str, int]] = []
    for stage in context.run.stages:
        words.append((stage.keyword, stage.line))
        words.extend((command.cmd, command.start_line) for command, _, _ in stage.commands)
    lower = sum(1 for word, _ in words if word == word.lower())
    upper = sum(1 for word, _ in words if word == word.upper() and word != word.lower())
    majority_lower = lower > upper
    casing = "lowercase" if majority_lower else "uppercase"
    for word, line in words:
        wanted = word.lower() if majority_lower else word.upper()
        if word != wanted:
            yield Finding(
                line,
                f"Command '{word}' should match the case of the command majority ({casing}): "
                f"write {wanted}.",
            )


CHECKS = MappingProxyType(
    {
        "StageNameCasing": stage_name_casing,
        "FromAsCasing": from_as_casing,
        "ReservedStageName": reserved_stage_name,
        "DuplicateStageName": duplicate_stage_name,
        "from-stage-name-case": from_stage_name_case,
        "stage-shadows-image": stage_shadows_image,
        "final-stage-inherits-builder": final_stage_inherits_builder,
        "unused-stage": unused_stage,
        "ConsistentInstructionCasing": consistent_instruction_casing,
    }
)
