"""The API reference page: the OpenAPI document turned into plain values for a Jinja template."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup

from ..text import render_markdown

BASE = "/api/v1"


@dataclass(frozen=True)
class FieldDoc:
    name: str
    type: str
    required: bool
    description: Markup
    location: str = ""


def _md(text: str) -> Markup:
    """Render a description's Markdown (sanitised by render_markdown)."""
    return Markup(render_markdown(text)) if text else Markup("")  # noqa: S704


@dataclass(frozen=True)
class AnswerDoc:
    status: str
    description: Markup
    media_type: str
    type: str
    ref: str  # the schema's name when the body is one, for a link


@dataclass(frozen=True)
class OperationDoc:
    anchor: str
    method: str
    path: str
    summary: str
    description: Markup
    access: str
    parameters: list[FieldDoc]
    body: str
    answers: list[AnswerDoc]


@dataclass(frozen=True)
class SchemaDoc:
    name: str
    description: Markup
    fields: list[FieldDoc] = field(default_factory=list)


def _constraints(schema: dict[str, Any]) -> list[str]:
    notes = []
    if "minLength" in schema or "maxLength" in schema:
        notes.append(f"{schema.get('minLength', 0)}–{schema.get('maxLength', '∞')} chars")
    if "minimum" in schema or "maximum" in schema:
        notes.append(f"{schema.get('minimum', '−∞')}…{schema.get('maximum', '∞')}")
    if "pattern" in schema:
        notes.append(f"pattern {schema['pattern']}")
    if "format" in schema:
        notes.append(schema["format"])
    if "default" in schema:
        notes.append(f"default {json.dumps(schema['default'], ensure_ascii=False)}")
    return notes


def type_text(schema: dict[str, Any]) -> str:
    """Describe a JSON Schema in a few words: "string (1–560 chars)", "array of Idea"."""
    if "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[-1]
    if "anyOf" in schema:
        text = " or ".join(type_text(option) for option in schema["anyOf"])
        notes = _constraints(schema)
        return text + (f" ({', '.join(notes)})" if notes else "")
    kind = schema.get("type", "any")
    if "enum" in schema:
        text = "one of " + ", ".join(json.dumps(v, ensure_ascii=False) for v in schema["enum"])
        notes = [note for note in _constraints(schema) if note.startswith("default")]
    elif kind == "array":
        text, notes = "array of " + type_text(schema.get("items", {})), []
    elif kind == "object" and isinstance(schema.get("additionalProperties"), dict):
        text, notes = "map of " + type_text(schema["additionalProperties"]), []
    else:
        text, notes = str(kind), _constraints(schema)
    return text + (f" ({', '.join(notes)})" if notes else "")


def _access(op: dict[str, Any]) -> str:
    security = op.get("security")
    if security is None:
        return "No credentials needed."
    if {} in security:
        return "Anyone; a bearer token or the session cookie identifies the caller."
    if "403" in op["responses"]:
        return "Staff and admins: a bearer token or the session cookie."
    return "Signed in: a bearer token or the session cookie."


def _answer(status: str, answer: dict[str, Any]) -> AnswerDoc:
    contents: dict[str, dict[str, Any]] = answer.get("content", {})
    media_type, content = next(iter(contents.items()), ("", {}))
    schema = content.get("schema", {})
    return AnswerDoc(
        status=status,
        description=_md(answer["description"]),
        media_type=media_type,
        type=type_text(schema),
        ref=str(schema["$ref"]).rsplit("/", 1)[-1] if "$ref" in schema else "",
    )


def _operation(path: str, method: str, op: dict[str, Any]) -> OperationDoc:
    params = [
        FieldDoc(
            name=p["name"],
            type=type_text(p["schema"]),
            required=bool(p.get("required")),
            description=_md(p.get("description", "")),
            location=p["in"],
        )
        for p in op.get("parameters", [])
    ]
    body = op.get("requestBody", {}).get("content", {}).get("application/json", {})
    return OperationDoc(
        anchor=op["operationId"],
        method=method.upper(),
        path=BASE + path,
        summary=op["summary"],
        description=_md(op.get("description", "")),
        access=_access(op),
        parameters=params,
        body=type_text(body["schema"]) if body else "",
        answers=[_answer(status, answer) for status, answer in op["responses"].items()],
    )


def _schema(name: str, schema: dict[str, Any]) -> SchemaDoc:
    required = set(schema.get("required", []))
    fields = [
        FieldDoc(
            name=prop_name,
            type=type_text(prop),
            required=prop_name in required,
            description=_md(prop.get("description", "")),
        )
        for prop_name, prop in schema.get("properties", {}).items()
    ]
    description = schema.get("description", "")
    if "enum" in schema:
        description = (description + " " + type_text(schema)).strip()
    return SchemaDoc(name=name, description=_md(description), fields=fields)


def reference(document: dict[str, Any]) -> dict[str, Any]:
    """Return the template's values: intro, operations grouped by tag, schemas."""
    by_tag: dict[str, list[OperationDoc]] = {tag["name"]: [] for tag in document["tags"]}
    for path, item in document["paths"].items():
        for method, op in item.items():
            by_tag.setdefault(op["tags"][0], []).append(_operation(path, method, op))
    tags = [
        (tag["name"], tag["description"], by_tag[tag["name"]])
        for tag in document["tags"]
        if by_tag.get(tag["name"])
    ]
    schemas = [_schema(name, schema) for name, schema in document["components"]["schemas"].items()]
    info = document["info"]
    return {
        "title": info["title"],
        "version": info["version"],
        "openapi_version": document["openapi"],
        "intro": _md(info["description"]),
        "tags": tags,
        "schemas": schemas,
    }
