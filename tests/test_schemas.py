"""The checked-in schemas and the rubric reference are generated from the models, and current."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.results import read_results
from grader.rubrics import load
from grader.schemas import NAMES, checked_in, rubric_reference, schema_for

ROOT = Path(__file__).resolve().parent.parent
REGENERATE = "regenerate them: python -m grader.schemas (from the repository root)"


@pytest.mark.parametrize("path", sorted(checked_in(ROOT)), ids=lambda p: p.name)
def test_checked_in_schemas_and_reference_are_current(path):
    assert path.read_text(encoding="utf-8") == checked_in(ROOT)[path], REGENERATE


def test_every_schema_is_published():
    assert NAMES == (
        "rubric",
        "results",
        "overrides",
        "gradescope-results",
        "lti-score",
        "lti-lineitem",
    )
    with pytest.raises(ValueError, match="no schema named 'nope'"):
        schema_for("nope")


def test_the_reference_documents_every_field():
    reference = rubric_reference()
    for line in reference.splitlines():
        if line.startswith("| `"):
            assert not line.endswith("|  |"), f"undocumented field: {line}"


def test_the_repository_links_point_at_the_package_files():
    assert (ROOT / "rubrics" / "rubric.schema.json").resolve() == (
        ROOT / "grader" / "rubrics" / "rubric.schema.json"
    )
    first = (ROOT / "rubrics" / "lesson-2.4.yaml").read_text().splitlines()[0]
    assert first == "# yaml-language-server: $schema=rubric.schema.json"
    assert load("lesson-2.4").rubric.assignment == "lesson-2.4"


def test_the_class_fixture_is_a_current_results_file():
    results = read_results(ROOT / "tests" / "data" / "lesson-2.4-class.json")
    statuses = {row.student: (row.status, row.late) for row in results.submissions}
    assert statuses["erin"] == ("error", False)
    assert statuses["dave"] == ("graded", True)
