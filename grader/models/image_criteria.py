"""Criteria about the built image itself: its config, commands, files and layers.

What container-structure-test and dive check, as grader criteria.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import ByteSize, Field, PositiveInt, model_validator

from grader.models.base import Frozen
from grader.models.criterion_base import CriterionBase, Pattern
from grader.models.paths import ImagePath

Port = Annotated[
    str,
    Field(
        pattern=r"^[0-9]{1,5}(/(tcp|udp|sctp))?$",
        description="A port, e.g. '8080' (TCP) or '53/udp'.",
    ),
]


class EnvExpectation(Frozen):
    """One environment variable of the image's config."""

    key: str = Field(min_length=1, description="The variable's name.")
    value: str | None = Field(default=None, description="Its exact value.")
    regex: Pattern | None = Field(default=None, description="A pattern its value must match.")
    unset: bool = Field(default=False, description="The variable must not be set at all.")

    @model_validator(mode="after")
    def _one_way(self) -> EnvExpectation:
        if self.value is not None and self.regex is not None:
            raise ValueError("give 'value' or 'regex', not both")
        if self.unset and (self.value is not None or self.regex is not None):
            raise ValueError("'unset' takes no 'value' or 'regex'")
        return self


class LabelExpectation(Frozen):
    """One label of the image (LABEL)."""

    key: str = Field(min_length=1, description="The label's name.")
    value: str | None = Field(default=None, description="Its exact value.")
    regex: Pattern | None = Field(default=None, description="A pattern its value must match.")
    absent: bool = Field(default=False, description="The label must not be set.")

    @model_validator(mode="after")
    def _one_way(self) -> LabelExpectation:
        if self.value is not None and self.regex is not None:
            raise ValueError("give 'value' or 'regex', not both")
        if self.absent and (self.value is not None or self.regex is not None):
            raise ValueError("'absent' takes no 'value' or 'regex'")
        return self


class Metadata(CriterionBase):
    """What the built image declares, read from its config (the same for every builder).

    USER, EXPOSE, ENTRYPOINT and CMD, ENV, LABEL, WORKDIR, HEALTHCHECK and VOLUME.
    """

    check: Literal["metadata"] = Field(description="Selects this check kind.")
    user: str | None = Field(
        default=None, description="The USER exactly, as written: 'app', '1000' or '1000:1000'."
    )
    non_root: bool = Field(
        default=False, description="A USER is set, and it is neither root nor uid 0."
    )
    exposed_ports: list[Port] = Field(default_factory=list, description="Ports EXPOSEd.")
    unexposed_ports: list[Port] = Field(
        default_factory=list, description="Ports that must not be EXPOSEd."
    )
    entrypoint: list[str] | None = Field(
        default=None, description="The ENTRYPOINT exactly, as a list ([] for none)."
    )
    cmd: list[str] | None = Field(
        default=None, description="The CMD exactly, as a list ([] for none)."
    )
    exec_form: bool = Field(
        default=False,
        description="Neither ENTRYPOINT nor CMD is in shell form (['/bin/sh', '-c', ...]), so the "
        "program is PID 1 and gets signals.",
    )
    env: list[EnvExpectation] = Field(default_factory=list, description="ENV variables.")
    labels: list[LabelExpectation] = Field(default_factory=list, description="LABELs.")
    workdir: str | None = Field(default=None, description="The WORKDIR exactly.")
    healthcheck: bool | None = Field(
        default=None,
        description="true: a HEALTHCHECK is declared (not NONE); false: none is.",
    )
    volumes: list[ImagePath] = Field(default_factory=list, description="VOLUMEs declared.")
    unmounted_volumes: list[ImagePath] = Field(
        default_factory=list, description="Paths that must not be VOLUMEs."
    )
    partial_credit: bool = Field(
        default=False,
        description="Points in proportion to the expectations met; otherwise all or nothing.",
    )

    @model_validator(mode="after")
    def _expects_something(self) -> Metadata:
        given = [
            self.user is not None,
            self.non_root,
            bool(self.exposed_ports or self.unexposed_ports),
            self.entrypoint is not None,
            self.cmd is not None,
            self.exec_form,
            bool(self.env or self.labels),
            self.workdir is not None,
            self.healthcheck is not None,
            bool(self.volumes or self.unmounted_volumes),
        ]
        if not any(given):
            raise ValueError("expects nothing: give at least one of the fields below 'check'")
        return self


class Command(CriterionBase):
    """A command run in the built image, in the same sandbox as every run.

    The image's ENTRYPOINT is replaced by the command. Each setup command runs first, in a
    container of its own whose file system the next one starts from (as container-structure-
    test's docker driver does); a setup command that fails ends the check.
    """

    check: Literal["command"] = Field(description="Selects this check kind.")
    command: list[str] = Field(
        min_length=1, description="The program and its arguments, e.g. ['app', '--version']."
    )
    setup: list[Annotated[list[str], Field(min_length=1)]] = Field(
        default_factory=list, description="Commands run first, one after the other."
    )
    env: dict[str, str] = Field(default_factory=dict, description="Extra environment variables.")
    expand_env: bool = Field(
        default=False,
        description="Replace $NAME and ${NAME} in the command with the image's ENV, as "
        "container-structure-test does.",
    )
    stdin: str | None = Field(default=None, description="Text written to the program's stdin.")
    expected_output: list[Pattern] = Field(
        default_factory=list, description="Patterns stdout must match, each of them."
    )
    excluded_output: list[Pattern] = Field(
        default_factory=list, description="Patterns stdout must not match."
    )
    expected_error: list[Pattern] = Field(
        default_factory=list, description="Patterns stderr must match, each of them."
    )
    excluded_error: list[Pattern] = Field(
        default_factory=list, description="Patterns stderr must not match."
    )
    exit_code: int | None = Field(default=0, description="Exit status required; null: any.")


class FileContent(CriterionBase):
    """A file of the image holds (or lacks) these patterns.

    Read without running the image, so images without a shell (scratch) are read too. A
    symlink is followed inside the image.
    """

    check: Literal["file_content"] = Field(description="Selects this check kind.")
    path: ImagePath = Field(description="The file, e.g. /etc/app/config.yaml.")
    expected: list[Pattern] = Field(
        default_factory=list, description="Patterns the content must match, each of them."
    )
    excluded: list[Pattern] = Field(
        default_factory=list, description="Patterns the content must not match."
    )
    max_bytes: ByteSize = Field(
        default=ByteSize(1024**2),
        description="Only this much of the file is read; a longer file is judged on its start.",
    )


class LayerEfficiency(CriterionBase):
    """How well the image's layers use their bytes, measured as dive measures it.

    A file added in one layer and overwritten or deleted in a later one still costs its bytes:
    those are wasted. Efficiency is the bytes the final files need over all the bytes the
    layers hold for them; user-wasted is the wasted bytes over the bytes of every layer but the
    first (the base image's). With a ``*_zero_at`` next to a threshold, values between the two
    earn points in proportion; the points are split evenly among the thresholds given.
    """

    check: Literal["layer_efficiency"] = Field(description="Selects this check kind.")
    min_efficiency: float | None = Field(
        default=None,
        ge=0,
        le=1,
        description="Lowest efficiency accepted (dive's lowestEfficiency).",
    )
    efficiency_zero_at: float | None = Field(
        default=None, ge=0, le=1, description="No points for this efficiency or lower."
    )
    max_wasted_bytes: ByteSize | None = Field(
        default=None, description="Most bytes wasted (dive's highestWastedBytes), e.g. '20MB'."
    )
    wasted_bytes_zero_at: ByteSize | None = Field(
        default=None, description="No points for this many wasted bytes or more."
    )
    max_user_wasted: float | None = Field(
        default=None,
        ge=0,
        le=1,
        description="Most wasted bytes as a fraction of the user's layers, 0.1 for 10% (dive's "
        "highestUserWastedPercent).",
    )
    user_wasted_zero_at: float | None = Field(
        default=None, ge=0, le=1, description="No points for this fraction or more."
    )
    top: PositiveInt = Field(
        default=5, le=50, description="The most wasteful files shown as evidence."
    )

    @model_validator(mode="after")
    def _thresholds(self) -> LayerEfficiency:
        pairs = [
            ("min_efficiency", self.min_efficiency, "efficiency_zero_at", self.efficiency_zero_at),
            (
                "max_wasted_bytes",
                self.max_wasted_bytes,
                "wasted_bytes_zero_at",
                self.wasted_bytes_zero_at,
            ),
            (
                "max_user_wasted",
                self.max_user_wasted,
                "user_wasted_zero_at",
                self.user_wasted_zero_at,
            ),
        ]
        if all(limit is None for _, limit, _, _ in pairs):
            raise ValueError(
                "expects nothing: give min_efficiency, max_wasted_bytes or max_user_wasted"
            )
        for name, limit, zero_name, zero in pairs:
            if zero is None:
                continue
            if limit is None:
                raise ValueError(f"'{zero_name}' needs '{name}'")
            lower_is_better = name != "min_efficiency"
            if (zero <= limit) if lower_is_better else (zero >= limit):
                side = "larger" if lower_is_better else "smaller"
                raise ValueError(f"'{zero_name}' must be {side} than '{name}'")
        return self
