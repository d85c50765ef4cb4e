"""JSON Schemas, generated from the models: never written by hand."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from grader.export.schemas import SCHEMAS as EXPORT_SCHEMAS
from grader.export.schemas import schema_for as export_schema_for
from grader.models.gradebook import Overrides
from grader.models.results import Results
from grader.models.rubric import Rubric
from grader.models.rules import RULES

_DRAFT = "https://json-schema.org/draft/2020-12/schema"
_BYTES = "size such as `20MB` or `2GiB`, or bytes"


NAMES = ("rubric", "results", "overrides", *EXPORT_SCHEMAS)


def schema_for(which: str) -> dict[str, Any]:
    """The schema of rubric files, of results.json, or of an exported JSON document."""
    if which in EXPORT_SCHEMAS:
        return export_schema_for(which)
    if which == "rubric":
        schema = Rubric.model_json_schema(mode="validation")
        schema["title"] = "grader rubric"
    elif which == "overrides":
        schema = Overrides.model_json_schema(mode="validation")
        schema["title"] = "grader overrides"
    elif which == "results":
        schema = Results.model_json_schema(mode="serialization")
        schema["title"] = "grader results"
    else:
        raise ValueError(f"no schema named {which!r} (schemas: {', '.join(NAMES)})")
    return {"$schema": _DRAFT, **schema}


def checked_in(root: Path) -> dict[Path, str]:
    """Every generated file the repository holds, and what it must say."""
    files = {root / "grader" / "rubrics" / "rubric.schema.json": _json("rubric")}
    for name in NAMES[1:]:
        files[root / "docs" / "schemas" / f"{name}.schema.json"] = _json(name)
    files[root / "docs" / "rubric-reference.md"] = rubric_reference() + "\n"
    return files


def _json(name: str) -> str:
    return json.dumps(schema_for(name), indent=2) + "\n"


def _type_of(prop: dict[str, Any]) -> str:
    if "$ref" in prop:
        return f"[{prop['$ref'].rsplit('/', 1)[-1]}](#{prop['$ref'].rsplit('/', 1)[-1].lower()})"
    if "const" in prop:
        return f"`{prop['const']}`"
    if "enum" in prop:
        return " or ".join(f"`{v}`" for v in prop["enum"])
    if "anyOf" in prop:
        if any(_BYTES in _type_of(p) for p in prop["anyOf"]):
            return _BYTES
        kinds = [_type_of(p) for p in prop["anyOf"] if p.get("type") != "null"]
        nullable = any(p.get("type") == "null" for p in prop["anyOf"])
        text = " or ".join(dict.fromkeys(kinds))
        return f"{text} or null" if nullable else text
    kind = prop.get("type", "any")
    if kind == "array":
        return f"list of {_type_of(prop.get('items', {}))}"
    if kind == "object":
        extra = prop.get("additionalProperties")
        return f"map of {_type_of(extra)}" if isinstance(extra, dict) else "map"
    if kind == "string" and "pattern" in prop and "\\d" in prop["pattern"]:
        return _BYTES
    return {
        "string": "text",
        "integer": "integer",
        "number": "number",
        "boolean": "true/false",
    }.get(kind, str(kind))


def rubric_reference() -> str:
    """Markdown reference of the rubric language, from the models' docstrings and descriptions."""
    schema = schema_for("rubric")
    definitions: dict[str, Any] = {"Rubric": schema, **schema.get("$defs", {})}
    order = ["Rubric", "Defaults", "Limits", "Task", "RunSpec"]
    criteria = sorted(n for n in definitions if n not in order and n != "Normalize")
    lines = [
        "# Rubric reference",
        "",
        "Generated from the rubric models by `grader schema rubric --markdown`; do not edit.",
        "Criteria are chosen by their `check` field. Every criterion also takes `id`, `title`,",
        "`points`, `hint` and `hidden`.",
        "",
    ]
    for name in [*order, *criteria, "Normalize"]:
        model = definitions.get(name)
        if model is None:
            continue
        lines += [f"## {name}", "", " ".join(str(model.get("description", "")).split()), ""]
        lines += ["| field | type | default | meaning |", "| --- | --- | --- | --- |"]
        required = set(model.get("required", []))
        for field_name, prop in model.get("properties", {}).items():
            default = (
                "required" if field_name in required else f"`{json.dumps(prop.get('default'))}`"
            )
            if field_name not in required and "default" not in prop:
                default = "see below" if "$ref" in prop else "empty"
            meaning = " ".join(str(prop.get("description", "")).split()).replace("|", "\\|")
            lines.append(f"| `{field_name}` | {_type_of(prop)} | {default} | {meaning} |")
        lines.append("")
    lines += [
        "## Rules",
        "",
        "The ids `dockerfile_lint` takes in `rules`: BuildKit's build checks under BuildKit's",
        "names, and grader's own advice. A lesser severity applies where the rule says so (for",
        "example, outside the final image); `# check=skip=` silences only skippable ones.",
        "",
        "| rule | origin | severity | skippable | what it reports |",
        "| --- | --- | --- | --- | --- |",
    ]
    for rule in RULES.values():
        severity = rule.severity + (f" ({rule.lesser})" if rule.lesser else "")
        skippable = "yes" if rule.skippable else "no"
        lines.append(f"| `{rule.id}` | {rule.origin} | {severity} | {skippable} | {rule.summary} |")
    lines.append("")
    return "\n".join(lines)


def main() -> None:
    """``python -m grader.schemas``: regenerate every checked-in schema and the reference."""
    root = Path.cwd()
    for path, text in checked_in(root).items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(path.relative_to(root))


if __name__ == "__main__":
    main()
