"""The stage graph: meta ARGs, bases, platforms, --from dependencies, the final stage."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from types import MappingProxyType
from typing import Final, NamedTuple

from grader.dockerfile.expansion import ExpandError, Expansion, UnsetError, expand, may_fail
from grader.dockerfile.grammar import (
    FLAG_SPECS,
    PHASE_CIRCULAR,
    PHASE_DEPENDENCY,
    PHASE_DISPATCH,
    PHASE_FROM,
    PHASE_IMAGE_REF,
    PHASE_META_ARGS,
    PLATFORM_DEFAULTS,
    RE_BUILD_COMMAND,
    RE_BUILDER_NAME,
    RE_INT,
    RE_ONBUILD_PREFIX,
    RE_PLATFORM_PART,
    RE_TOOLCHAIN_IMAGE,
    SCRATCH,
    SEVERITY_RANK,
    SHOWN_AS,
)
from grader.dockerfile.source import Command
from grader.dockerfile.state import ImageUse, Run, Source, StageInfo
from grader.dockerfile.words import (
    FlagWord,
    extract_flags,
    parse_flags,
    parse_mount,
    split_command,
)
from grader.models.analysis import Analysis, Problem, Stage


class _MetaArgs(NamedTuple):
    env: dict[str, str]
    declared: frozenset[str]
    automatic: frozenset[str]  # keys whose value is BuildKit's automatic one


def read_meta_args(
    meta: Sequence[Command],
    build_args: Mapping[str, str],
    target_name: str,
    escape: str,
    run: Run | None,
) -> _MetaArgs:
    """Build the scope FROM sees: BuildKit's automatic ARGs, then the ARGs before FROM."""
    env = dict(PLATFORM_DEFAULTS)
    for key in env:
        if key in build_args:
            env[key] = build_args[key]
    env["TARGETSTAGE"] = build_args.get("TARGETSTAGE", target_name)
    automatic = set(env)
    declared: set[str] = set()
    for command in meta:
        for word in command.value:
            key, has_default, default = word.partition("=")
            if not key:
                continue
            value: str | None = None
            if key in build_args:
                value = build_args[key]
                if run is not None and has_default:
                    _replaced_default(run, command.start_line, word, default, env)
            elif has_default:
                try:
                    expansion = expand(default, env, escape)
                except ExpandError as error:
                    if run is not None:
                        run.error(PHASE_META_ARGS, command.start_line, _processing(default, error))
                    continue
                value = expansion.result
                if run is not None and expansion.buildkit_only:
                    run.requires_buildkit(
                        command.start_line,
                        f"The substitution in ARG {word}",
                        "supports only ${VAR}, ${VAR:-default}, ${VAR:+alt}, ${VAR?msg} and "
                        "${VAR:?msg}",
                    )
            if value is not None:
                env[key] = value
                automatic.discard(key)
            declared.add(key)
    return _MetaArgs(env, frozenset(declared), frozenset(automatic))


def _platform_ok(platform: str) -> bool:
    parts = platform.split("/")
    return len(parts) <= 3 and all(RE_PLATFORM_PART.fullmatch(part) for part in parts)


def resolve_bases(run: Run, meta: _MetaArgs, defaults_env: Mapping[str, str] | None) -> None:
    """Expand each FROM and link it to an earlier stage, as buildDispatchStates does."""
    by_name: dict[str, int] = {}
    known = meta.declared | set(meta.env)
    run.meta_env = MappingProxyType(dict(meta.env))
    run.meta_automatic = meta.automatic
    run.meta_known = frozenset(known)
    run.defaults_env = None if defaults_env is None else MappingProxyType(dict(defaults_env))
    for stage in run.stages:
        raw = stage.raw_base
        if raw is not None:
            _expand_base(run, stage, raw, meta, known)
        if stage.raw_platform is not None:
            _resolve_platform(run, stage, meta, known)
        if stage.base is not None:
            _link_base(run, stage, stage.base, by_name)
        if stage.name is not None:
            by_name[stage.name] = stage.index


def _expand_base(
    run: Run, stage: StageInfo, raw: str, meta: _MetaArgs, known: frozenset[str]
) -> None:
    try:
        expansion = expand(raw, meta.env, run.escape)
    except ExpandError as error:
        run.error(PHASE_FROM, stage.line, f"FROM {raw}: {error}")
        return
    _buildkit_substitutions(run, stage, raw=raw, expansion=expansion, meta=meta)
    if expansion.result:
        stage.base = expansion.result
        return
    unset = ", ".join(sorted(expansion.unmatched)) or "the variable"
    run.error(
        PHASE_FROM,
        stage.line,
        f"base name ({raw}) should not be blank: {unset} expands to nothing here; give the ARG "
        "a default before the first FROM (ARG NAME=image:tag) or pass --build-arg",
    )


def _link_base(run: Run, stage: StageInfo, base: str, by_name: Mapping[str, int]) -> None:
    """Make a FROM that names an earlier stage build on it (stage names are lowercase)."""
    if base in by_name:
        stage.base_stage = by_name[base]
    elif base.lower() in by_name:  # the classic builder's reading (rule from-stage-name-case)
        stage.base_stage = by_name[base.lower()]
    if stage.base_stage is not None:
        stage.uses.setdefault(stage.base_stage, "FROM")


def _buildkit_substitutions(
    run: Run, stage: StageInfo, *, raw: str, expansion: Expansion, meta: _MetaArgs
) -> None:
    automatic = sorted(expansion.matched & meta.automatic)
    if automatic:
        names = ", ".join(f"${name}" for name in automatic)
        run.requires_buildkit(
            stage.line,
            f"FROM {raw} uses {names}, which",
            "leaves empty, so the FROM fails there; declare it with a default "
            f"(ARG {automatic[0]}=...) before the first FROM or avoid it",
        )
    if expansion.buildkit_only:
        run.requires_buildkit(
            stage.line,
            f"The substitution in FROM {raw}",
            "supports only ${VAR}, ${VAR:-default}, ${VAR:+alt}, ${VAR?msg} and ${VAR:?msg}",
        )


def _resolve_platform(run: Run, stage: StageInfo, meta: _MetaArgs, known: Iterable[str]) -> None:
    raw = stage.raw_platform or ""
    line = stage.line
    try:
        expansion = expand(raw, meta.env, run.escape)
    except ExpandError as error:
        run.error(PHASE_FROM, line, f"failed to process arguments for platform {raw}: {error}")
        return
    automatic = sorted(expansion.matched & meta.automatic)
    if automatic:
        names = ", ".join(f"${name}" for name in automatic)
        run.requires_buildkit(
            line,
            f"FROM --platform={raw} uses {names}, which",
            "leaves empty (its FROM fails with 'failed to parse platform')",
        )
    result = expansion.result
    if not result:
        run.error(PHASE_FROM, line, f"empty platform value from expression {raw}")
        return
    if not _platform_ok(result):
        run.error(PHASE_FROM, line, f"failed to parse platform {raw}: {result!r} is not os/arch")
        return
    stage.platform = result


def stage_label(stage: StageInfo) -> str:
    return (
        f"'{stage.name}' (line {stage.line})"
        if stage.name
        else f"{stage.index} (line {stage.line})"
    )


def names_above(run: Run, index: int) -> str:
    names = [stage.name for stage in run.stages[:index] if stage.name]
    if names:
        return "stages above: " + ", ".join(names)
    if index:
        return "stages above have no names; use --from=0 ... or name them with AS"
    return "no stage comes before this one"


def _resolve_source(
    run: Run,
    stage: StageInfo,
    value: str,
    *,
    line: int,
    what: str,
    kind: str,
    flag_index: int,
    onbuild: bool,
    allow_index: bool,
) -> None:
    """Link a COPY --from / RUN --mount from= value to a stage or an image (toCommand)."""
    current = stage.index
    if allow_index and RE_INT.fullmatch(value) and abs(int(value)) < 2**63:
        index = int(value)
        if index < 0 or index >= len(run.stages):
            run.error(
                PHASE_DEPENDENCY,
                line,
                f"{what}: invalid stage index {index}: there are {len(run.stages)} stages, "
                f"numbered 0 to {len(run.stages) - 1}",
            )
        elif index == current:
            run.error(
                PHASE_CIRCULAR,
                line,
                f"{what} refers to the stage it is in ({stage_label(stage)}): a stage can only "
                "copy from a stage above it (Docker: circular dependency detected)",
            )
        elif index > current:
            run.error(
                PHASE_DISPATCH,
                line,
                f"{what} refers to stage {index}, which comes after this one: a stage can only "
                "copy from a stage above it; move stage "
                f"{stage_label(run.stages[index])} above line {stage.line}",
            )
        else:
            stage.uses.setdefault(index, what)
        return
    lowered = value.lower()
    earlier = [s.index for s in run.stages[:current] if s.name == lowered]
    if earlier:
        stage.uses.setdefault(earlier[-1], what)
        return
    later = [s for s in run.stages[current:] if s.name == lowered]
    stage.external_images.append(value)
    run.sources.append(Source(line, what, value, current, later[0].index if later else None))
    if not later:
        run.image_uses.append(ImageUse(kind, line, value, current, flag_index, onbuild))


def _copy_from_value(command: Command, keyword: str, flags: Mapping[str, list[str]]) -> str | None:
    if keyword != "COPY":
        return None
    values = flags.get("from")
    return values[-1] if values else None


def dependencies(run: Run) -> None:
    """COPY --from, RUN --mount from= and inherited ONBUILD triggers, for every stage."""
    for stage in run.stages:
        if stage.base_stage is not None:
            for trigger in run.stages[stage.base_stage].onbuild:
                _trigger_dependencies(run, stage, trigger)
        for command, keyword, flags in stage.commands:
            if flags and keyword in ("COPY", "RUN"):
                _command_dependencies(run, stage, command, keyword, flags, onbuild=False)


def _command_dependencies(
    run: Run,
    stage: StageInfo,
    command: Command,
    keyword: str,
    flags: Mapping[str, list[str]],
    *,
    onbuild: bool,
) -> None:
    line = command.start_line
    value = _copy_from_value(command, keyword, flags)
    if value:
        what = f"COPY --from={value}"
        try:
            expanded = expand(value, {}, run.escape).result
        except ExpandError as error:
            run.error(PHASE_DEPENDENCY, line, f"{what}: {error}")
            return
        if expanded != value:
            run.error(
                PHASE_DEPENDENCY,
                line,
                f"{what}: variable expansion is not supported for --from; define a stage "
                "FROM ${VAR} AS <name> (with the ARG declared before the first FROM) and use "
                "--from=<name>",
            )
            return
        flag_index = _flag_position(command, "from")
        _resolve_source(
            run, stage, value, line=line, what=what, kind="copy",
            flag_index=flag_index, onbuild=onbuild, allow_index=True,
        )  # fmt: skip
    if keyword == "RUN":
        for position, mount in enumerate(flags.get("mount", ())):
            parsed, _ = parse_mount(mount)
            if parsed is None or not parsed.source_from:
                continue
            _resolve_source(
                run, stage, parsed.source_from, line=line,
                what=f"RUN --mount=...from={parsed.source_from}", kind="mount",
                flag_index=_flag_position(command, "mount", position), onbuild=onbuild,
                allow_index=False,
            )  # fmt: skip


def _flag_position(command: Command, name: str, occurrence: int = 0) -> int:
    seen = 0
    for index, flag in enumerate(command.flags):
        if flag.partition("=")[0] == f"--{name}":
            if seen == occurrence:
                return index
            seen += 1
    return -1


def _trigger_dependencies(run: Run, stage: StageInfo, trigger: Command) -> None:
    sub = _onbuild_sub_command(trigger, run.escape)
    if sub is None:
        return
    keyword, flag_words = sub
    if keyword not in ("COPY", "RUN"):
        return
    flags, error = parse_flags([word.value for word in flag_words], FLAG_SPECS[keyword])
    if error:
        return
    fake = trigger._replace(flags=tuple(word.value for word in flag_words))
    _command_dependencies(run, stage, fake, keyword, flags, onbuild=True)


def _onbuild_sub_command(trigger: Command, escape: str) -> tuple[str, list[FlagWord]] | None:
    """Split an ONBUILD trigger into keyword and flags (the parser binding drops them)."""
    match = RE_ONBUILD_PREFIX.match(trigger.original)
    if match is None:
        return None
    rest = trigger.original[match.end() :]
    keyword, args_start = split_command(rest)
    flag_words, _ = extract_flags(rest, args_start, escape)
    return keyword.upper(), flag_words


def check_image_refs(run: Run) -> None:
    """Every base image and --from image must be a valid reference (resolveBaseImage)."""
    for stage in run.stages:
        if stage.base is None or stage.base_stage is not None or stage.base == SCRATCH:
            continue
        run.image_uses.append(ImageUse("from", stage.line, stage.base, stage.index, -1, False))
    for use in run.image_uses:
        reason = run.reference(use.ref)
        if isinstance(reason, str):
            shown = SHOWN_AS[use.kind] + use.ref
            lowered = use.ref.lower()
            hint = f" (write {lowered})" if not isinstance(run.reference(lowered), str) else ""
            run.error(
                PHASE_IMAGE_REF,
                use.line,
                f"{shown}: not a valid image name: {reason}{hint}",
            )


# Instructions whose words BuildKit expands when it converts a stage (instructions/commands.go
# Expand methods, dispatch in convert.go), and the flags it expands with them.
_EXPANDED: Final = frozenset(
    {"ENV", "LABEL", "COPY", "ADD", "WORKDIR", "USER", "VOLUME", "STOPSIGNAL", "EXPOSE", "ARG"}
)
_EXPANDED_FLAGS: Final[Mapping[str, tuple[str, ...]]] = MappingProxyType(
    {"COPY": ("chown", "chmod"), "ADD": ("chown", "chmod", "checksum")}
)

Step = tuple[Command, str, Mapping[str, list[str]]]
_NOTHING: Final[Mapping[str, str]] = MappingProxyType({})


def _apply(run: Run, values: dict[str, str], keyword: str, command: Command) -> None:
    """What an ARG or ENV instruction sets, as the stage's later instructions see it."""
    if keyword not in ("ENV", "ARG"):
        return
    if keyword == "ENV":
        pairs = list(zip(command.value[::2], command.value[1::2], strict=False))
    elif keyword == "ARG":
        pairs = []
        for word in command.value:
            key, has_default, default = word.partition("=")
            if key in run.build_args:
                values[key] = run.build_args[key]
            elif has_default:
                pairs.append((key, default))
            elif key in run.meta_env and key in run.meta_known:
                values[key] = run.meta_env[key]
    for key, raw in pairs:
        try:
            values[key] = expand(raw, values, run.escape).result
        except ExpandError:
            values[key] = raw


def _steps(run: Run, stage: StageInfo) -> Iterator[Step]:
    """The stage's instructions as BuildKit dispatches them, inherited ONBUILD triggers first.

    A trigger is a step on the FROM line: that is where Docker reports its failure.
    """
    if stage.base_stage is not None:
        for trigger in run.stages[stage.base_stage].onbuild:
            if trigger.sub_cmd is not None:
                moved = trigger._replace(start_line=stage.line, end_line=stage.line)
                yield moved, trigger.sub_cmd.upper(), {}
    yield from stage.commands


def stage_steps(run: Run, stage: StageInfo) -> Iterator[tuple[Step, Mapping[str, str]]]:
    """The stage's instructions, with the variables each sees, as BuildKit dispatches them.

    The ENV of the stages it is built FROM, then its own ARG and ENV in order. The base
    image's ENV is not known. The mapping is valid until the next step: use it at once.
    """
    values: dict[str, str] = {}
    view = MappingProxyType(values)
    for ancestor in stage_chain(run, stage.index)[:-1]:
        for command, keyword, _ in ancestor.commands:
            if keyword == "ENV":
                _apply(run, values, keyword, command)
    for step in _steps(run, stage):
        yield step, view
        _apply(run, values, step[1], step[0])


def _words(run: Run, command: Command, keyword: str, flags: Mapping[str, list[str]]) -> list[str]:
    words = [value for name in _EXPANDED_FLAGS.get(keyword, ()) for value in flags.get(name, ())]
    if keyword == "ARG":
        for word in command.value:
            key, has_default, default = word.partition("=")
            if has_default and key not in run.build_args:
                words.append(default)
        return words
    return [*words, *command.value]


def _processing(word: str, error: ExpandError) -> str:
    """Docker's words for a word that does not expand (the word as Go's %q shows it)."""
    return f"failed to process {json.dumps(word, ensure_ascii=False)}: {error}"


def _failure_of(word: str, env: Mapping[str, str], escape: str) -> str | None:
    if not may_fail(word, escape):
        return None
    try:
        expand(word, env, escape)
    except UnsetError:
        return None  # the base image may set it
    except ExpandError as error:
        return _processing(word, error)
    return None


def _failure(run: Run, words: Iterable[str]) -> str | None:
    """Docker's error for the first word that does not expand, if one does not.

    Whether a word expands does not depend on the values of its variables (``${V?}`` aside,
    which the base image may satisfy), so none are given.
    """
    for word in words:
        failure = _failure_of(word, _NOTHING, run.escape)
        if failure is not None:
            return failure
    return None


def _replaced_default(run: Run, line: int, word: str, default: str, env: Mapping[str, str]) -> None:
    """Note an ARG default that a --build-arg replaces and that does not expand.

    BuildKit never expands it; the classic builder does, and fails.
    """
    failure = _failure_of(default, env, run.escape)
    if failure is not None:
        run.requires_buildkit(
            line,
            f"ARG {word}",
            f"expands the default that --build-arg replaces, and fails ({failure})",
        )


def dispatch(run: Run, final: int, depends: set[int]) -> None:
    """Expand the words of every instruction as the builders do when they build a stage.

    BuildKit builds only the stages the target needs; the classic builder every stage up to
    the target, and it also expands an ARG default that a --build-arg overrides.
    """
    for stage in run.stages[: final + 1]:
        built = stage.index == final or stage.index in depends
        for command, keyword, flags in _steps(run, stage):
            if keyword not in _EXPANDED or not may_fail(command.original, run.escape):
                continue
            line = command.start_line
            failure = _failure(run, _words(run, command, keyword, flags))
            if failure is not None:
                if built:
                    run.error(PHASE_DISPATCH, line, failure)
                else:
                    run.requires_buildkit(
                        line,
                        f"{keyword} in stage {stage_label(stage)}, which the target does not need,",
                        f"builds that stage anyway and fails ({failure})",
                    )
                break  # the build stops at the stage's first failing instruction
            if keyword == "ARG":
                for word in command.value:
                    key, has_default, default = word.partition("=")
                    if has_default and key in run.build_args:
                        _replaced_default(run, line, word, default, _NOTHING)
        if any(keyword == "WORKDIR" for _, keyword, _ in stage.commands):
            _empty_workdirs(run, stage)


def _empty_workdirs(run: Run, stage: StageInfo) -> None:
    """Each WORKDIR that expands to nothing, where that is known (on scratch).

    The classic builder refuses it; BuildKit works in /.
    """
    if not on_scratch(run, stage):
        return
    for (command, keyword, _), env in stage_steps(run, stage):
        if keyword != "WORKDIR" or not command.value:
            continue
        try:
            empty = expand(command.value[0], env, run.escape).result == ""
        except ExpandError:
            return
        if empty:
            run.requires_buildkit(
                command.start_line,
                f"WORKDIR {' '.join(command.value)}, which expands to nothing here,",
                'refuses it ("cannot normalize nothing"); BuildKit uses /',
            )


def on_scratch(run: Run, stage: StageInfo) -> bool:
    """Whether the stage's chain starts FROM scratch: then every variable it sees is known."""
    return stage_chain(run, stage.index)[0].base == SCRATCH


def stage_chain(run: Run, index: int) -> list[StageInfo]:
    """Return the stage and the stages it is built FROM, root first."""
    chain: list[StageInfo] = []
    seen: set[int] = set()
    current: int | None = index
    while current is not None and current not in seen:
        seen.add(current)
        stage = run.stages[current]
        chain.append(stage)
        current = stage.base_stage
    chain.reverse()
    return chain


def _external_base(run: Run, index: int) -> str | None:
    root = stage_chain(run, index)[0]
    return root.base if root.base_stage is None else None


def closure(run: Run, index: int) -> set[int]:
    seen: set[int] = set()
    todo = [index]
    while todo:
        current = todo.pop()
        for used in run.stages[current].uses:
            if used not in seen and used != index:
                seen.add(used)
                todo.append(used)
    return seen


def does_build(run: Run, index: int, used_by_copy: set[int]) -> bool:
    for stage in stage_chain(run, index):
        if stage.name and RE_BUILDER_NAME.search(stage.name):
            return True
        if stage.index in used_by_copy:
            return True
        base = stage.base if stage.base_stage is None else None
        if base and RE_TOOLCHAIN_IMAGE.search(base):
            return True
        for command, keyword, _ in stage.commands:
            if keyword == "RUN" and RE_BUILD_COMMAND.search(" ".join(command.value)):
                return True
    return False


def empty_analysis(path: str, error: str, target: str | None) -> Analysis:
    return Analysis(
        dockerfile=path,
        stage_count=0,
        stages=[],
        final_stage=None,
        final_base=None,
        multi_stage=False,
        depends_on=[],
        problems=[],
        error=error,
        target=target,
    )


def assemble(run: Run, final: int | None, depends: set[int], target: str | None) -> Analysis:
    stages = [
        Stage(
            index=stage.index,
            name=stage.name,
            base=stage.base,
            base_stage=stage.base_stage,
            line=stage.line,
            platform=stage.platform,
            uses=sorted(stage.uses),
            external_images=list(dict.fromkeys(stage.external_images)),
        )
        for stage in run.stages
    ]
    error: str | None = None
    if run.errors:
        error = min(run.errors)[2]
    seen: set[tuple[int | None, str, str]] = set()
    problems: list[Problem] = []
    ordered = sorted(
        enumerate(run.problems),
        key=lambda item: (item[1][0] or 0, SEVERITY_RANK[item[1][2]], item[0]),
    )
    for _, (line, rule, severity, message) in ordered:
        key = (line, rule, message)
        if key in seen:
            continue
        seen.add(key)
        problems.append(Problem(line=line, rule=rule, severity=severity, message=message))
    final_base = _external_base(run, final) if final is not None else None
    return Analysis(
        dockerfile=run.path,
        stage_count=len(stages),
        stages=stages,
        final_stage=final,
        final_base=final_base,
        multi_stage=len(stages) >= 2 and bool(depends),
        depends_on=sorted(depends),
        problems=problems,
        error=error,
        target=target,
    )
