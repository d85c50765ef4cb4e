"""JSON Schemas of the exported JSON files, generated from grader.models.exports.

The exports leave optional fields out rather than write null, so the schemas say so: an optional
field is its type when present, never null. ``grader.schemas`` publishes them with the others.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue
from pydantic_core import core_schema

from grader.models.exports import GradescopeResults, LtiLineItem, LtiScore

_DRAFT = "https://json-schema.org/draft/2020-12/schema"

SCHEMAS: Mapping[str, tuple[type[BaseModel], str]] = MappingProxyType(
    {
        "gradescope-results": (GradescopeResults, "Gradescope autograder results.json"),
        "lti-score": (LtiScore, "LTI AGS Score (application/vnd.ims.lis.v1.score+json)"),
        "lti-lineitem": (
            LtiLineItem,
            "LTI AGS line item (application/vnd.ims.lis.v2.lineitem+json)",
        ),
    }
)


class _OmittedNotNull(GenerateJsonSchema):
    """Optional fields are left out of the files, never null: no null type, no null default."""

    def nullable_schema(self, schema: core_schema.NullableSchema) -> JsonSchemaValue:
        return self.generate_inner(schema["schema"])

    def default_schema(self, schema: core_schema.WithDefaultSchema) -> JsonSchemaValue:
        json_schema = super().default_schema(schema)
        if json_schema.get("default", ...) is None:
            del json_schema["default"]
        return json_schema


def schema_for(name: str) -> dict[str, Any]:
    """The schema of one exported JSON document: gradescope-results, lti-score, lti-lineitem."""
    if name not in SCHEMAS:
        raise ValueError(f"no export schema named {name!r}; known: {', '.join(SCHEMAS)}")
    model, title = SCHEMAS[name]
    schema = model.model_json_schema(mode="serialization", schema_generator=_OmittedNotNull)
    schema["title"] = title
    return {"$schema": _DRAFT, **schema}
