"""Rules about what the FROMs and --froms name: ARGs, platforms, tags, stages, allowed images."""

from __future__ import annotations

from collections.abc import Iterator
from types import MappingProxyType

from grader import imagepolicy
from grader.dockerfile.expansion import ExpandError, Expansion, expand
from grader.dockerfile.grammar import COMMON_IMAGES, RE_INT, SCRATCH, SHOWN_AS
from grader.dockerfile.graph import names_above, stage_label
from grader.dockerfile.rules.base import Context, Finding
from grader.dockerfile.state import Run, Source, defined_names
from grader.dockerfile.words import suggest


def _expanded(run: Run, raw: str | None) -> Expansion | None:
    """A FROM word expanded again with the meta ARGs; None where Docker refuses it."""
    if raw is None or "$" not in raw:
        return None  # nothing to look up: no ARG rule applies
    try:
        return expand(raw, run.meta_env, run.escape)
    except ExpandError:
        return None


def undefined_arg_in_from(context: Context) -> Iterator[Finding]:
    run = context.run
    known = set(run.meta_known)
    for stage in run.stages:
        expansion = _expanded(run, stage.raw_base)
        if expansion is not None and expansion.unmatched - known:
            in_stages: set[str] = set()
            for earlier in run.stages[: stage.index]:
                in_stages |= defined_names(earlier)
            for name in sorted(expansion.unmatched - known):
                suggestion = suggest(name, sorted(known))
                hint = f" (did you mean {suggestion}?)" if suggestion else ""
                scope = (
                    f" (the ARG {name} inside an earlier stage is not visible to a later FROM)"
                    if name in in_stages
                    else ""
                )
                yield Finding(
                    stage.line,
                    f"FROM argument '{name}' is not declared{hint}: declare it with ARG "
                    f"{name}=<default> before the first FROM{scope}.",
                )
        platform = _expanded(run, stage.raw_platform)
        for name in sorted(platform.unmatched - known) if platform is not None else ():
            yield Finding(
                stage.line,
                f"FROM argument '{name}' is not declared: declare it with ARG {name}=<default> "
                "before the first FROM.",
            )


def invalid_default_arg_in_from(context: Context) -> Iterator[Finding]:
    run = context.run
    if run.defaults_env is None:  # no stage was resolved
        return
    for stage in run.stages:
        raw = stage.raw_base
        if raw is None or "$" not in raw:
            continue
        try:
            result = expand(raw, run.defaults_env, run.escape).result
        except ExpandError:
            continue
        if result != SCRATCH and isinstance(run.reference(result), str):
            yield Finding(
                stage.line,
                f"Default value for ARG {raw} results in empty or invalid base image name: give "
                "the ARG a default that names an image, so the file builds without --build-arg.",
            )


def redundant_target_platform(context: Context) -> Iterator[Finding]:
    run = context.run
    for stage in run.stages:
        expansion = _expanded(run, stage.raw_platform) if stage.platform is not None else None
        if (
            expansion is not None
            and expansion.matched == {"TARGETPLATFORM"}
            and not expansion.unmatched
            and expansion.result == run.meta_env.get("TARGETPLATFORM")
        ):
            yield Finding(
                stage.line,
                f"Setting platform to predefined {stage.raw_platform} in FROM is redundant as "
                "this is the default behavior: drop the --platform flag.",
            )


def from_platform_flag_const_disallowed(context: Context) -> Iterator[Finding]:
    for stage in context.run.stages:
        raw, platform = stage.raw_platform, stage.platform
        if raw is None or platform is None or "$" in raw:
            continue  # only a constant value is judged
        parts = platform.split("/")
        name = stage.name or ""
        if not (parts[0] in name or (len(parts) > 1 and parts[1] in name)):
            yield Finding(
                stage.line,
                f'FROM --platform flag should not use constant value "{platform}": use '
                "$BUILDPLATFORM or $TARGETPLATFORM, or drop the flag.",
            )


def _unknown_source(run: Run, source: Source) -> Finding | None:
    """What to say of a --from that names no stage above it, if it looks like a mistake."""
    what, value = source.what, source.value
    stage = run.stages[source.stage]
    if source.later is not None:
        target = run.stages[source.later]
        if target.index == stage.index:
            return Finding(
                source.line,
                f"{what} names the stage this instruction is in, and a stage cannot copy from "
                f"itself: the grading engine (classic builder) pulls an image called '{value}' "
                "instead and BuildKit refuses the file (circular dependency). Copy from the "
                "stage or image that has the files.",
            )
        return Finding(
            source.line,
            f"{what} names stage {stage_label(target)}, which comes after this one: a stage "
            "can only use stages above it. The grading engine (classic builder) pulls an "
            f"image called '{value}' instead and BuildKit refuses it (\"needs to be defined "
            f"before current stage\"). Move the '{value.lower()}' stage above line {stage.line}.",
        )
    if value == SCRATCH:
        return Finding(
            source.line,
            f"{what}: scratch is the empty image, there is nothing to copy from it. Name the "
            "stage or image that holds the files.",
        )
    if RE_INT.fullmatch(value):  # only RUN --mount gets here: COPY takes indexes
        return Finding(
            source.line,
            f"{what}: a mount's from= takes a stage name, not an index, so Docker looks for an "
            f"image called '{value}'. Name the stage (FROM <image> AS <name>) and write "
            "from=<name>.",
        )
    names = sorted({s.name for s in run.stages if s.name})
    suggestion = suggest(value.lower(), names)
    if suggestion:
        return Finding(
            source.line,
            f"{what}: there is no stage named '{value}' above this line "
            f"({names_above(run, stage.index)}), so Docker will try to pull an image called "
            f"'{value}' instead. Did you mean --from={suggestion}?",
        )
    if any(char in value for char in ":/@.") or value in COMMON_IMAGES:
        return None  # an image, named on purpose
    return Finding(
        source.line,
        f"{what}: '{value}' is not the name of a stage above this line "
        f"({names_above(run, stage.index)}), so Docker uses the image '{value}' "
        f"(docker.io/library/{value}:latest). If you meant a stage, name it with "
        f"FROM <image> AS {value.lower()} above this line.",
        lesser=True,
    )


def copy_from_unknown_stage(context: Context) -> Iterator[Finding]:
    for source in context.run.sources:
        finding = _unknown_source(context.run, source)
        if finding is not None:
            yield finding


def _tag_advice(context: Context, latest: bool) -> Iterator[Finding]:
    """Advice on pinning, for each image reference that is not a misspelt stage name."""
    run = context.run
    suspects = {
        (source.line, source.value)
        for source in run.sources
        if _unknown_source(run, source) is not None
    }
    for use in run.image_uses:
        parsed = run.reference(use.ref)
        if isinstance(parsed, str) or (use.line, use.ref) in suspects:
            continue
        outside = not (use.stage == context.final or use.stage in context.depends)
        word = SHOWN_AS[use.kind]
        shown = word + use.ref
        if not latest and parsed.untagged:
            yield Finding(
                use.line,
                f"{shown} has no tag, so Docker uses {parsed.familiar}:latest, which changes over "
                f"time: pin a version, e.g. {word}{parsed.familiar}:<version>.",
                lesser=outside,
            )
        elif latest and parsed.tag == "latest" and parsed.digest is None:
            yield Finding(
                use.line,
                f"{shown} uses the latest tag, which changes over time: pin a version, e.g. "
                f"{word}{parsed.familiar_name}:<version>.",
                lesser=outside,
            )


def untagged_base(context: Context) -> Iterator[Finding]:
    if context.final is not None:
        yield from _tag_advice(context, latest=False)


def latest_tag(context: Context) -> Iterator[Finding]:
    if context.final is not None:
        yield from _tag_advice(context, latest=True)


def image_not_allowed(context: Context) -> Iterator[Finding]:
    """Every image the file names, judged by the policy (the frontend of ``# syntax=`` too)."""
    directives = context.directives
    named = [
        (use.line, ("ONBUILD " if use.onbuild else "") + SHOWN_AS[use.kind], use.ref)
        for use in context.run.image_uses
    ]
    if directives.syntax and directives.syntax_line is not None:
        named.insert(0, (directives.syntax_line, "# syntax=", directives.syntax.strip()))
    for line, shown, ref in named:
        parsed = context.run.reference(ref)
        if isinstance(parsed, str):
            continue  # not a valid reference: the analysis's error says so
        why = imagepolicy.refusal(ref, context.images, parsed)
        if why is not None:
            yield Finding(line, f"{shown}{ref} {why}")


CHECKS = MappingProxyType(
    {
        "UndefinedArgInFrom": undefined_arg_in_from,
        "InvalidDefaultArgInFrom": invalid_default_arg_in_from,
        "RedundantTargetPlatform": redundant_target_platform,
        "FromPlatformFlagConstDisallowed": from_platform_flag_const_disallowed,
        "copy-from-unknown-stage": copy_from_unknown_stage,
        "untagged-base": untagged_base,
        "latest-tag": latest_tag,
        imagepolicy.RULE: image_not_allowed,
    }
)
