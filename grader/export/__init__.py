"""Exports of a results file that learning-management systems take in as they are."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field

from grader.models.base import Frozen
from grader.models.results import Results

FORMATS = ("gradescope", "lti-ags", "canvas-csv", "moodle-csv")
Format = Literal["gradescope", "lti-ags", "canvas-csv", "moodle-csv"]


class ExportOptions(Frozen):
    """Settings the formats need that results do not carry."""

    canvas_assignment_id: str | None = Field(
        default=None, description="Canvas's id of the assignment, for the column title."
    )
    moodle_identifier: Literal["email", "username", "idnumber"] = Field(
        default="email", description="Which Moodle user field identifies students."
    )
    hidden: Literal["hidden", "after_due_date"] = Field(
        default="after_due_date", description="Gradescope visibility of hidden criteria."
    )


def export(results: Results, fmt: str, out: Path, options: ExportOptions) -> list[Path]:
    """Write ``results`` in format ``fmt`` at ``out``; returns the files written."""
    raise NotImplementedError(fmt)
