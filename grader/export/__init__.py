"""Exports of a results file that learning-management systems take in as they are.

One module per format, registered here once. What ``out`` means (see each module for the rules
of its platform):

- ``gradescope``: a directory, ``out/<student>/results.json`` per submission; an ``out`` ending
  in ``.json`` is that one file, for results holding one submission (inside an autograder).
- ``lti-ags``: ``out/scores.json`` (array), ``out/scores.jsonl`` (one Score per line) and
  ``out/lineitem.json``; an ``out`` ending in ``.json`` or ``.jsonl`` names the scores file and
  the others sit beside it (``x.json``, ``x.jsonl``, ``x.lineitem.json``).
- ``canvas-csv`` and ``moodle-csv``: one file; ``out`` ending in ``.csv`` is that file, anything
  else a directory holding ``canvas-grades.csv`` or ``moodle-grades.csv``.

An existing directory is always a directory. Every file is written atomically. Rows left out,
and rows written differently from a plain graded row (errored, late), come back as notes on the
returned list, for the command line to print.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Literal

from grader.errors import InputError
from grader.export import canvas, gradescope, lti, moodle
from grader.export.common import ExportNote, ExportOptions, ExportResult
from grader.export.gradescope import AUTOGRADER_RESULTS, write_autograder_results
from grader.export.schemas import SCHEMAS, schema_for
from grader.models.results import Results

FORMATS = ("gradescope", "lti-ags", "canvas-csv", "moodle-csv")
Format = Literal["gradescope", "lti-ags", "canvas-csv", "moodle-csv"]

Exporter = Callable[[Results, Path, ExportOptions], ExportResult]
_EXPORTERS: Mapping[str, Exporter] = MappingProxyType(
    {
        "gradescope": gradescope.export,
        "lti-ags": lti.export,
        "canvas-csv": canvas.export,
        "moodle-csv": moodle.export,
    }
)

__all__ = [
    "AUTOGRADER_RESULTS",
    "FORMATS",
    "SCHEMAS",
    "ExportNote",
    "ExportOptions",
    "ExportResult",
    "Format",
    "export",
    "schema_for",
    "write_autograder_results",
]


def export(results: Results, fmt: str, out: Path, options: ExportOptions) -> ExportResult:
    """Write ``results`` in format ``fmt`` at ``out``; returns the files written, with notes."""
    exporter = _EXPORTERS.get(fmt)
    if exporter is None:
        raise InputError(f"format {fmt!r}: not one of {', '.join(FORMATS)}")
    if not results.submissions:
        raise InputError("results: no submissions to export")
    return exporter(results, out, options)
