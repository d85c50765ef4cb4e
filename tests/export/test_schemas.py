"""The JSON Schemas of the exports say what the files hold: optional fields absent, not null."""

from __future__ import annotations

import json

import pytest

from grader.export import SCHEMAS, schema_for


def test_the_expected_schemas_exist():
    assert set(SCHEMAS) == {"gradescope-results", "lti-score", "lti-lineitem"}
    with pytest.raises(ValueError, match="no export schema named 'x'"):
        schema_for("x")


def test_optional_fields_are_absent_rather_than_null():
    text = json.dumps([schema_for(name) for name in SCHEMAS])
    assert '"null"' not in text
    assert '"default": null' not in text
    score = schema_for("lti-score")
    assert score["required"] == [
        "userId",
        "scoreMaximum",
        "timestamp",
        "activityProgress",
        "gradingProgress",
    ]
    assert score["additionalProperties"] is False
    assert score["properties"]["scoreMaximum"]["exclusiveMinimum"] == 0
    results = schema_for("gradescope-results")
    assert "execution_time" not in results["required"]
    assert "tests" in results["required"]
