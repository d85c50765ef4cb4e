"""The checked-in schemas and the rubric reference are generated from the models, and current."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from grader.rubrics import load
from grader.schemas import rubric_reference, schema_for

ROOT = Path(__file__).resolve().parent.parent
REGENERATE = (
    "regenerate it: grader schema rubric > grader/rubrics/rubric.schema.json; "
    "grader schema results > docs/results.schema.json; "
    "grader schema rubric --markdown > docs/rubric-reference.md"
)


@pytest.mark.parametrize(
    ("which", "path"),
    [("rubric", "grader/rubrics/rubric.schema.json"), ("results", "docs/results.schema.json")],
)
def test_checked_in_schema_is_current(which, path):
    assert json.loads((ROOT / path).read_text()) == schema_for(which), REGENERATE


def test_rubric_reference_is_current():
    assert (ROOT / "docs" / "rubric-reference.md").read_text() == rubric_reference() + "\n", (
        REGENERATE
    )


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
    from grader.results import read_results

    results = read_results(ROOT / "tests" / "data" / "lesson-2.4-class.json")
    statuses = {row.student: (row.status, row.late) for row in results.submissions}
    assert statuses["erin"] == ("error", False)
    assert statuses["dave"] == ("graded", True)
