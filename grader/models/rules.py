"""The catalogue of the analysis"s rules: what each reports, how severe, who defined it.

Data only: the function that finds each rule"s problems is registered under the same id in
``grader.dockerfile.rules``, and the rubric"s ``dockerfile_lint.rules`` accepts exactly these ids.
A rule with origin ``buildkit`` is one of BuildKit"s build checks, under BuildKit"s name
(``docker build --check`` reports it too); ``grader`` rules are this project"s own advice.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Annotated, Final, Literal

from pydantic import AfterValidator, WithJsonSchema

from grader.models.analysis import Severity

Origin = Literal["buildkit", "grader"]


@dataclass(frozen=True)
class RuleInfo:
    """One rule: severity (``lesser`` for findings marked so), origin, skippable, summary."""

    id: str
    severity: Severity
    origin: Origin
    skippable: bool  # `# check=skip=<id>` (or skip=all) silences it, as BuildKit does
    summary: str
    lesser: Severity | None = None
    # a BuildKit check made while a stage is converted, so `docker build` runs it only in the
    # stages the build reaches (the others are made while the file is parsed)
    dispatch: bool = False


RULES: Final[Mapping[str, RuleInfo]] = MappingProxyType(
    {
        rule.id: rule
        for rule in (
            RuleInfo(
                "StageNameCasing",
                "info",
                "buildkit",
                True,
                "A stage name (AS name) should be lowercase.",
            ),
            RuleInfo(
                "FromAsCasing",
                "info",
                "buildkit",
                True,
                "The AS keyword should be cased like FROM.",
            ),
            RuleInfo(
                "ReservedStageName",
                "warning",
                "buildkit",
                True,
                "A stage should not be named scratch or context.",
            ),
            RuleInfo(
                "DuplicateStageName",
                "error",
                "buildkit",
                False,
                "Two stages should not have the same name.",
            ),
            RuleInfo(
                "from-stage-name-case",
                "error",
                "grader",
                False,
                "FROM names an earlier stage in another case: only the classic builder links it.",
            ),
            RuleInfo(
                "stage-shadows-image",
                "info",
                "grader",
                False,
                "A stage named like a common image hides that image from a later FROM.",
            ),
            RuleInfo(
                "final-stage-inherits-builder",
                "warning",
                "grader",
                False,
                "The final stage is built FROM a stage that compiles, so it ships the toolchain.",
            ),
            RuleInfo(
                "unused-stage",
                "warning",
                "grader",
                False,
                "A stage the final image does not use; the classic builder still builds it.",
            ),
            RuleInfo(
                "ConsistentInstructionCasing",
                "info",
                "buildkit",
                True,
                "Instructions should all be uppercase or all lowercase.",
            ),
            RuleInfo(
                "MaintainerDeprecated",
                "info",
                "buildkit",
                True,
                "MAINTAINER is deprecated: use LABEL org.opencontainers.image.authors.",
            ),
            RuleInfo(
                "NoEmptyContinuation",
                "warning",
                "buildkit",
                True,
                "A blank line inside a continued instruction.",
            ),
            RuleInfo(
                "MultipleInstructionsDisallowed",
                "warning",
                "buildkit",
                True,
                "More than one CMD, ENTRYPOINT or HEALTHCHECK in a stage: only the last counts.",
                dispatch=True,
            ),
            RuleInfo(
                "WorkdirRelativePath",
                "warning",
                "buildkit",
                True,
                "A relative WORKDIR before any absolute one depends on the base image.",
                dispatch=True,
            ),
            RuleInfo(
                "shell-form-on-scratch",
                "error",
                "grader",
                False,
                "A shell-form RUN, CMD or ENTRYPOINT on scratch, which has no /bin/sh.",
                lesser="warning",
            ),
            RuleInfo(
                "JSONArgsRecommended",
                "warning",
                "buildkit",
                True,
                "CMD and ENTRYPOINT in exec (JSON) form get signals as PID 1.",
                dispatch=True,
            ),
            RuleInfo(
                "LegacyKeyValueFormat",
                "info",
                "buildkit",
                True,
                'ENV and LABEL should be written key=value, not "key value".',
                dispatch=True,
            ),
            RuleInfo(
                "ExposeInvalidFormat",
                "warning",
                "buildkit",
                True,
                "EXPOSE takes container ports, not an IP address or host-port mapping.",
                dispatch=True,
            ),
            RuleInfo(
                "ExposeProtoCasing",
                "info",
                "buildkit",
                True,
                "The protocol of an EXPOSE port should be lowercase.",
                dispatch=True,
            ),
            RuleInfo(
                "SecretsUsedInArgOrEnv",
                "warning",
                "buildkit",
                True,
                "A secret-looking ARG or ENV name: its value stays in the image history.",
                dispatch=True,
            ),
            RuleInfo(
                "UndefinedVar",
                "warning",
                "buildkit",
                True,
                "A variable nothing defines in a stage built on scratch.",
                dispatch=True,
            ),
            RuleInfo(
                "UndefinedArgInFrom",
                "warning",
                "buildkit",
                True,
                "FROM uses an ARG not declared before the first FROM.",
            ),
            RuleInfo(
                "InvalidDefaultArgInFrom",
                "warning",
                "buildkit",
                True,
                "Without --build-arg, the ARG defaults give FROM no valid image.",
            ),
            RuleInfo(
                "RedundantTargetPlatform",
                "info",
                "buildkit",
                True,
                "FROM --platform=$TARGETPLATFORM is the default already.",
            ),
            RuleInfo(
                "FromPlatformFlagConstDisallowed",
                "warning",
                "buildkit",
                True,
                "FROM --platform with a constant value.",
            ),
            RuleInfo(
                "copy-from-unknown-stage",
                "error",
                "grader",
                False,
                "COPY --from or RUN --mount from= names no stage above it: Docker pulls an image.",
                lesser="warning",
            ),
            RuleInfo(
                "untagged-base",
                "warning",
                "grader",
                False,
                "An image without a tag: Docker uses :latest, which changes.",
                lesser="info",
            ),
            RuleInfo(
                "latest-tag",
                "warning",
                "grader",
                False,
                "An image tagged :latest, which changes.",
                lesser="info",
            ),
            RuleInfo(
                "image-not-allowed",
                "error",
                "grader",
                False,
                "The Dockerfile names an image the rubric's image policy refuses: not built.",
            ),
            RuleInfo(
                "requires-buildkit",
                "error",
                "grader",
                False,
                "Only BuildKit builds this; the classic builder (--builder classic) refuses it.",
            ),
        )
    }
)


def known_rule(rule: str) -> str:
    """The id itself if the catalogue has it; else a ValueError naming the closest ids."""
    if rule in RULES:
        return rule
    close = difflib.get_close_matches(rule, list(RULES), n=3, cutoff=0.6)
    if not close:
        close = difflib.get_close_matches(rule.lower(), [r.lower() for r in RULES], n=3)
        close = [r for r in RULES if r.lower() in close]
    hint = f"did you mean {' or '.join(close)}?" if close else "see `grader schema rubric`"
    raise ValueError(f"unknown rule {rule!r}: {hint}")


RuleId = Annotated[
    str,
    AfterValidator(known_rule),
    WithJsonSchema(
        {
            "type": "string",
            "description": "A rule of the analysis (`grader inspect`).",
            "oneOf": [
                {
                    "const": rule.id,
                    "description": f"{rule.summary} ({rule.origin}, {rule.severity})",
                }
                for rule in RULES.values()
            ],
        }
    ),
]
"""A rule id the catalogue has; an unknown one is refused with the closest ids."""
