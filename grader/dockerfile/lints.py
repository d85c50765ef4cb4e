"""Build checks and grader's own advice, over a finished graph."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from grader import imagepolicy
from grader.dockerfile.expansion import ExpandError, expand
from grader.dockerfile.grammar import (
    COMMON_IMAGES,
    RE_SECRET,
    RE_SECRET_ALLOW,
    RE_SHELL_PATH,
    RESERVED_STAGE_NAMES,
    SCRATCH,
    SHOWN_AS,
)
from grader.dockerfile.graph import does_build, stage_chain
from grader.dockerfile.source import Command, Directives
from grader.dockerfile.state import ImageUse, Run, defined_names
from grader.dockerfile.words import extract_flags, first_word, split_command, suggest
from grader.models.analysis import Severity
from grader.models.rubric import ImagePolicy


@dataclass(slots=True)
class _StageScope:
    """What a stage has inherited so far from the stages it is built FROM, and from itself."""

    on_scratch: bool
    has_shell: bool
    copied_shell: bool
    workdir_set: bool
    env_known: set[str] | None  # every defined variable, where that is knowable (scratch)
    seen_once: dict[str, int] = field(default_factory=dict)


def stage_lints(run: Run, final: int | None) -> None:
    """Run the build checks that depend on a stage and on what it inherits (convert.go)."""
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
        scope = _StageScope(
            on_scratch=on_scratch,
            has_shell=any(keyword == "SHELL" for _, keyword, _ in inherited),
            copied_shell=any(
                _may_copy_shell(command, keyword) for command, keyword, _ in inherited
            ),
            workdir_set=any(keyword == "WORKDIR" for _, keyword, _ in inherited),
            env_known={"PATH"} if on_scratch else None,
        )
        if scope.env_known is not None:
            for ancestor in chain[:-1]:
                scope.env_known.update(defined_names(ancestor))
        for command, keyword, _ in stage.commands:
            _lint_command(run, scope, command, keyword, effective)


def _lint_command(
    run: Run, scope: _StageScope, command: Command, keyword: str, effective: set[int]
) -> None:
    line = command.start_line
    if keyword == "SHELL":
        scope.has_shell = True
    elif _may_copy_shell(command, keyword):
        scope.copied_shell = True
    elif keyword in ("CMD", "ENTRYPOINT", "HEALTHCHECK"):
        previous = scope.seen_once.get(keyword)
        if previous is not None:
            run.problem(
                previous,
                "MultipleInstructionsDisallowed",
                "warning",
                f"Multiple {keyword} instructions should not be used in the same stage because "
                f"only the last one will be used: this one is replaced by the {keyword} on line "
                f"{line}; keep one.",
            )
        scope.seen_once[keyword] = line
    if keyword in ("RUN", "CMD", "ENTRYPOINT"):
        _shell_form_checks(run, scope, command, keyword, in_final=line in effective)
    elif keyword == "WORKDIR":
        path = command.value[0] if command.value else ""
        if not scope.workdir_set and path and not path.startswith(("/", "$", "\\")):
            run.problem(
                line,
                "WorkdirRelativePath",
                "warning",
                f'Relative workdir "{path}" can have unexpected results if the base image '
                f"changes: write an absolute path, e.g. WORKDIR /{path.lstrip('./')}.",
            )
        scope.workdir_set = True
    elif keyword in ("ENV", "LABEL"):
        _legacy_format_check(run, command, keyword)
    elif keyword == "EXPOSE":
        _expose_checks(run, command)
    if keyword in ("ARG", "ENV"):
        _secret_check(run, command, keyword)
    if scope.env_known is not None:
        _undefined_vars(run, command, keyword, scope.env_known)


def _may_copy_shell(command: Command, keyword: str) -> bool:
    """Tell whether a COPY/ADD could put a shell into an image (busybox, /bin, .../sh)."""
    return keyword in ("COPY", "ADD") and any(RE_SHELL_PATH.search(arg) for arg in command.value)


def _shell_form_checks(
    run: Run, scope: _StageScope, command: Command, keyword: str, *, in_final: bool
) -> None:
    if command.json or not any(command.value):
        return
    line = command.start_line
    words = command.value[0].split()
    if scope.on_scratch and not scope.has_shell and (keyword == "RUN" or in_final):
        example = " ".join(words[:3])
        json_form = ", ".join(f'"{part}"' for part in words[:3])
        when = "the build" if keyword == "RUN" else "the container"
        caveat = " unless you copied a shell to /bin/sh" if scope.copied_shell else ""
        run.problem(
            line,
            "shell-form-on-scratch",
            "warning" if scope.copied_shell else "error",
            f"{keyword} {example} is in shell form, which runs /bin/sh -c '...', but this stage "
            f"is built on scratch, which has no /bin/sh: {when} will fail{caveat}. Use the exec "
            f"(JSON) form with a program you copied in, e.g. {keyword} [{json_form}].",
        )
        return
    if keyword in ("CMD", "ENTRYPOINT") and not scope.has_shell:
        example = ", ".join(f'"{part}"' for part in words[:4])
        run.problem(
            line,
            "JSONArgsRecommended",
            "warning",
            f"JSON arguments recommended for {keyword} to prevent unintended behavior related to "
            f"OS signals: write {keyword} [{example}] so the program runs as PID 1 and gets "
            "SIGTERM on docker stop.",
        )


def _legacy_format_check(run: Run, command: Command, keyword: str) -> None:
    _, args_start = split_command(command.original)
    flags_end = extract_flags(command.original, args_start, run.escape)[1]
    first = first_word(command.original[flags_end:], run.escape)
    if first and "=" not in first:
        run.problem(
            command.start_line,
            "LegacyKeyValueFormat",
            "info",
            f'"{keyword} key=value" should be used instead of legacy "{keyword} key value" format'
            f": write {keyword} {first}=...",
        )


def _expose_checks(run: Run, command: Command) -> None:
    for port in command.value:
        if "$" in port:
            continue
        if ":" in port:
            run.problem(
                command.start_line,
                "ExposeInvalidFormat",
                "warning",
                f"EXPOSE instruction should not define an IP address or host-port mapping, found "
                f"'{port}': EXPOSE only documents the container port; publish with docker run -p.",
            )
        _, slash, proto = port.partition("/")
        if slash and proto != proto.lower():
            run.problem(
                command.start_line,
                "ExposeProtoCasing",
                "info",
                f"Defined protocol '{port}' in EXPOSE instruction should be lowercase.",
            )


def _secret_check(run: Run, command: Command, keyword: str) -> None:
    keys = (
        [word.partition("=")[0] for word in command.value]
        if keyword == "ARG"
        else list(command.value[::2])
    )
    for key in keys:
        if RE_SECRET.search(key) and not RE_SECRET_ALLOW.search(key):
            run.problem(
                command.start_line,
                "SecretsUsedInArgOrEnv",
                "warning",
                f'Do not use ARG or ENV instructions for sensitive data ({keyword} "{key}"): the '
                "value stays in the image history; use RUN --mount=type=secret instead.",
            )


def _undefined_vars(run: Run, command: Command, keyword: str, known: set[str]) -> None:
    """UndefinedVar, only where every defined variable is known: stages built on scratch."""
    words: Sequence[str] = ()
    if keyword in ("ENV", "LABEL", "COPY", "ADD", "WORKDIR", "USER", "VOLUME", "STOPSIGNAL"):
        words = command.value[1::2] if keyword in ("ENV", "LABEL") else command.value
    elif keyword == "ARG":
        words = [word.partition("=")[2] for word in command.value]
    env = dict.fromkeys(known, "")
    missing: set[str] = set()
    for word in words:
        if "$" not in word:
            continue
        try:
            missing |= expand(word, env, run.escape).unmatched
        except ExpandError:
            continue
    for name in sorted(missing):
        suggestion = suggest(name, sorted(known))
        hint = f" (did you mean ${suggestion}?)" if suggestion else ""
        run.problem(
            command.start_line,
            "UndefinedVar",
            "warning",
            f"Usage of undefined variable '${name}'{hint}: nothing defines it in this stage "
            f"(built on scratch); declare it with ARG {name} or ENV {name}=... first.",
        )
    if keyword == "ARG":
        known.update(word.partition("=")[0] for word in command.value)
    elif keyword == "ENV":
        known.update(command.value[::2])


def stage_name_checks(run: Run) -> None:
    seen: dict[str, int] = {}
    for stage in run.stages:
        name = stage.name
        if name is None:
            continue
        if name in RESERVED_STAGE_NAMES:
            run.problem(
                stage.line,
                "ReservedStageName",
                "warning",
                f'Stage name should not use the same name as reserved stage "{name}": '
                f"FROM {name} and --from={name} would mean this stage; pick another name.",
            )
        if name in seen:
            run.problem(
                stage.line,
                "DuplicateStageName",
                "error",
                f'Duplicate stage name "{name}", stage names should be unique: stage '
                f"'{name}' is already defined on line {seen[name]}. The grading engine (classic "
                "builder) refuses the file and BuildKit silently uses the later one; rename one.",
            )
        else:
            seen[name] = stage.line


def casing_check(run: Run) -> None:
    """ConsistentInstructionCasing over every instruction of every stage (not the meta ARGs)."""
    words: list[tuple[str, int]] = []
    for stage in run.stages:
        words.append((stage.keyword, stage.line))
        words.extend((command.cmd, command.start_line) for command, _, _ in stage.commands)
    lower = sum(1 for word, _ in words if word == word.lower())
    upper = sum(1 for word, _ in words if word == word.upper() and word != word.lower())
    majority_lower = lower > upper
    for word, line in words:
        wanted = word.lower() if majority_lower else word.upper()
        if word != wanted:
            casing = "lowercase" if majority_lower else "uppercase"
            run.problem(
                line,
                "ConsistentInstructionCasing",
                "info",
                f"Command '{word}' should match the case of the command majority ({casing}): "
                f"write {wanted}.",
            )


def graph_problems(run: Run, final: int | None, depends: set[int]) -> None:
    if final is None:
        return
    final_stage = run.stages[final]
    used_by_copy = {
        used
        for stage in run.stages
        for used, how in stage.uses.items()
        if how != "FROM" and stage.index != used
    }
    base_stage = final_stage.base_stage
    if base_stage is not None and does_build(run, base_stage, used_by_copy):
        builder = run.stages[base_stage]
        ref = builder.name or str(builder.index)
        run.problem(
            final_stage.line,
            "final-stage-inherits-builder",
            "warning",
            f"The final stage is built FROM {ref} (line {builder.line}), so the final image "
            f"keeps everything that stage installed and built: the toolchain and the sources. "
            f"Start the final stage from a small runtime image (scratch, alpine, a -slim or "
            f"distroless image) and COPY --from={ref} only what the program needs.",
        )
    for stage in run.stages[:final]:
        if stage.index in depends:
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
        run.problem(
            stage.line,
            "unused-stage",
            "warning",
            f"Stage {who} is not used by the final image: {why}. BuildKit skips it but the "
            f"classic builder still builds it. Remove it, COPY --from it what you need, or "
            f"{fix}.",
        )
    for use in run.image_uses:
        if not use.suspect:
            _tag_problem(run, use, final, depends)


def _tag_problem(run: Run, use: ImageUse, final: int, depends: set[int]) -> None:
    parsed = run.reference(use.ref)
    if isinstance(parsed, str):
        return
    in_final = use.stage == final or use.stage in depends
    severity: Severity = "warning" if in_final else "info"
    word = SHOWN_AS[use.kind]
    shown = word + use.ref
    if parsed.untagged:
        run.problem(
            use.line,
            "untagged-base",
            severity,
            f"{shown} has no tag, so Docker uses {parsed.familiar}:latest, which changes over "
            f"time: pin a version, e.g. {word}{parsed.familiar}:<version>.",
        )
    elif parsed.tag == "latest" and parsed.digest is None:
        run.problem(
            use.line,
            "latest-tag",
            severity,
            f"{shown} uses the latest tag, which changes over time: pin a version, e.g. "
            f"{word}{parsed.familiar_name}:<version>.",
        )


def shadow_problems(run: Run) -> None:
    for stage in run.stages:
        if stage.base_stage is None or stage.base is None:
            continue
        shadowed = run.stages[stage.base_stage]
        if shadowed.name in COMMON_IMAGES and stage.base == shadowed.name:
            run.problem(
                stage.line,
                "stage-shadows-image",
                "info",
                f"FROM {stage.base} uses the stage '{shadowed.name}' (line {shadowed.line}), not "
                f"the image {stage.base}: a stage name hides the image of the same name. Rename "
                f"the stage if you meant the image.",
            )


def image_policy(run: Run, policy: ImagePolicy, directives: Directives) -> None:
    """Every image the file names, judged by the policy (the frontend of ``# syntax=`` too)."""
    named = [(use.line, ("ONBUILD " if use.onbuild else "") + SHOWN_AS[use.kind], use.ref)
             for use in run.image_uses]  # fmt: skip
    if directives.syntax and directives.syntax_line is not None:
        named.insert(0, (directives.syntax_line, "# syntax=", directives.syntax.strip()))
    for line, shown, ref in named:
        why = imagepolicy.refusal(ref, policy)
        if why is not None:
            run.problem(line, imagepolicy.RULE, "error", f"{shown}{ref} {why}")
