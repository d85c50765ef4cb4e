"""What every criterion has, whatever it checks; and the regular expressions rubrics use."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import AfterValidator, Field, StringConstraints, model_validator

from grader.models.base import Frozen

Identifier = Annotated[
    str,
    Field(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$",
        max_length=64,
        description="Letters, digits, '.', '_' and '-'; unique among its siblings.",
    ),
]


class CriterionBase(Frozen):
    """What every criterion has, whatever it checks."""

    id: Identifier = Field(
        description="Stable id used in results and exports; defaults to the check kind with "
        "'-' for '_' (give ids when a task has two criteria of the same kind)."
    )
    title: str | None = Field(
        default=None, description="Short label shown to students; defaults to one per kind."
    )
    points: float = Field(ge=0, allow_inf_nan=False, description="Points for a full pass.")
    hint: Annotated[str, StringConstraints(strip_whitespace=True)] | None = Field(
        default=None, description="Shown to the student when the criterion fails: what to change."
    )
    hidden: bool = Field(
        default=False,
        description="Scored, but shown only in the instructor's copy until grades are released.",
    )

    @model_validator(mode="before")
    @classmethod
    def _default_id(cls, data: Any) -> Any:
        if isinstance(data, dict) and "id" not in data and isinstance(data.get("check"), str):
            return {**data, "id": data["check"].replace("_", "-")}
        return data


def _compiles(value: str) -> str:
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(f"not a valid regular expression: {exc}") from None
    return value


Pattern = Annotated[
    str,
    AfterValidator(_compiles),
    Field(
        max_length=2000,
        description="A Python regular expression, searched for anywhere in the text ('^' and "
        "'$' match at its ends unless it starts with (?m)).",
    ),
]
