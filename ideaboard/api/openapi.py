"""The OpenAPI 3.1 document, generated from the declared operations and their pydantic schemas."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any, TypeAlias

from flask import current_app
from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, JsonSchemaValue, models_json_schema

from ..webhooks.enqueue import EVENTS
from .routing import OPERATIONS, PATH_PARAMS, Operation
from .schemas import Access, ErrorOut

if TYPE_CHECKING:
    from pydantic._internal._dataclasses import PydanticDataclass

    # What models_json_schema answers: the JSON schema (a $ref) of each (model, mode).
    Refs: TypeAlias = dict[
        tuple[type[BaseModel] | type[PydanticDataclass], JsonSchemaMode], JsonSchemaValue
    ]

REF = "#/components/schemas/{model}"
TAGS = {
    "Tokens": "Bearer tokens for scripts and integrations.",
    "Ideas": "The board: list, read, submit and vote.",
    "Comments": "Discussion on an idea.",
    "Triage": "Stages and the public status changes between them.",
    "Outbox": "What IdeaBoard sends out, for staff.",
    "Meta": "This document and its rendered reference.",
}
ERRORS = {
    400: "The body is not JSON, or is not sent as `application/json`; or a cookie request "
    "lacks its CSRF token (`X-CSRFToken`).",
    401: "No valid credentials: the bearer token is malformed, unknown or revoked, the e-mail "
    "or password is wrong, or the operation needs a signed-in caller.",
    403: "The caller's role may not do this (staff only), or the account is blocked from "
    "posting (`user_blocked`; the message gives the reason, and reading still works).",
    404: "There is no idea with this number, or it is hidden from the caller.",
    409: "The request conflicts with the current state: voting on the idea is closed, the "
    "workflow does not allow the move, or the account has too many tokens.",
    422: "Validation failed; `error.fields` lists the messages for each field or parameter.",
    429: "Too many requests: wait `Retry-After` seconds.",
}
DESCRIPTION = f"""\
IdeaBoard's JSON API: the board, votes, comments, triage and the outbox, on the same rules as
the web pages.

## Authentication

`POST /api/v1/tokens` with `{{"email", "password"}}` returns a token. Send it as
`Authorization: Bearer <token>`. A token acts with its owner's role (customer, staff or admin);
owners see their tokens by prefix on their profile page and revoke them there. A revoked or
unknown token is `401` everywhere, also on operations anyone may call.

The site's own pages call the API with their session cookie instead; for unsafe methods
(`POST`, `PUT`) such requests must send the page's CSRF token in `X-CSRFToken`. Bearer
requests need no CSRF token.

## Errors

Every error is JSON: `{{"error": {{"code", "message", "fields"?}}}}`. `code` is stable
(`validation_failed`, `not_found`, `voting_closed`, `invalid_token`, …); `message` is for
people; `fields` maps each invalid field or parameter to its messages (`422`). Unknown paths
under `/api/` are `404` and wrong methods `405` (with `Allow`), also as JSON.

## Conventions

Times are ISO 8601 in UTC. Stages and categories are named by their slugs (`GET /stages`).
Lists of ideas are keyset pages: pass `next_cursor` as `cursor` until it is `null`. Walking
them visits each idea once; new ideas do not shift later pages (votes cast meanwhile can
move an idea across the cursor under `top` and `trending`; `new` never moves).

## Rate limits

Requests are limited per token (per address without one); past the limit the answer is
`429` with `Retry-After` in seconds.

## Webhooks

Admins add webhooks on the staff Webhooks page, choosing events among
{", ".join(f"`{event}`" for event in EVENTS)} (and a `webhook.test` button). Each event is
a `POST` of `{{"event", "occurred_at", "data"}}` (`data` holds the `idea`, and the
`status_change`, `comment` or merge `target` as in this API) with the headers
`X-IdeaBoard-Event`, `X-IdeaBoard-Delivery` (the same on every retry of one delivery) and
`X-IdeaBoard-Signature: sha256=<hex>`, the HMAC-SHA256 of the raw body with the webhook's
secret. Compare it in constant time, e.g. Python's `hmac.compare_digest`. A `2xx` answer
is success; `408`, `429` (after `Retry-After`), `5xx` and time-outs are retried with
back-off; other answers are not retried. Staff see every delivery on the outbox page.
"""


def _security(access: Access) -> list[dict[str, list[str]]] | None:
    signed_in: list[dict[str, list[str]]] = [{"bearerAuth": []}, {"cookieAuth": []}]
    if access is Access.PUBLIC:
        return None
    if access is Access.OPTIONAL:
        return [{}, *signed_in]
    return signed_in


def _parameter_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """A query parameter is absent or a value: drop the null branch and the title."""
    schema = {k: v for k, v in schema.items() if k not in ("title", "description")}
    options = schema.pop("anyOf", None)
    if options is not None:
        kept = [option for option in options if option.get("type") != "null"]
        if len(kept) == 1:
            schema.update(kept[0])
        else:
            schema["anyOf"] = kept
    if schema.get("default", 0) is None:
        del schema["default"]
    return schema


def _query_parameters(schema: dict[str, Any]) -> list[dict[str, Any]]:
    required = set(schema.get("required", []))
    params = []
    for name, prop in schema["properties"].items():
        param: dict[str, Any] = {
            "name": name,
            "in": "query",
            "required": name in required,
            "schema": _parameter_schema(prop),
        }
        if prop.get("description"):
            param["description"] = prop["description"]
        params.append(param)
    return params


def _content(media_type: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {media_type: {"schema": schema}}


def _responses(op: Operation, refs: Refs) -> dict[str, Any]:
    ok: dict[str, Any] = {"description": op.summary}
    if op.response is not None:
        ref = refs[(op.response, "serialization")]
        ok["content"] = _content(op.media_type, {"type": "array", "items": ref} if op.many else ref)
    else:
        ok["content"] = _content(op.media_type, {"type": "string"})
    responses: dict[str, Any] = {str(op.status): ok}
    error_ref = refs[(ErrorOut, "serialization")]
    for status in op.error_statuses:
        answer: dict[str, Any] = {
            "description": ERRORS[status],
            "content": _content("application/json", error_ref),
        }
        if status == 429:
            answer["headers"] = {
                "Retry-After": {
                    "description": "Seconds to wait before trying again.",
                    "required": True,
                    "schema": {"type": "integer", "minimum": 0},
                }
            }
        responses[str(status)] = answer
    return responses


def _operation(op: Operation, refs: Refs, schemas: dict[str, Any]) -> dict[str, Any]:
    item: dict[str, Any] = {
        "operationId": op.name,
        "tags": [op.tag],
        "summary": op.summary,
        "description": op.description,
        "parameters": [
            {
                "name": name,
                "in": "path",
                "required": True,
                "description": PATH_PARAMS[name].description,
                "schema": PATH_PARAMS[name].schema,
                "example": PATH_PARAMS[name].example,
            }
            for name in op.path_params
        ],
        "responses": _responses(op, refs),
    }
    if op.query is not None:
        item["parameters"] += _query_parameters(schemas[op.query.__name__])
    if op.body is not None:
        item["requestBody"] = {
            "required": True,
            "content": _content("application/json", refs[(op.body, "validation")]),
        }
    security = _security(op.access)
    if security is not None:
        item["security"] = security
    if not item["parameters"]:
        del item["parameters"]
    return item


def build(cookie_name: str) -> dict[str, Any]:
    """Build the document from OPERATIONS; the query models become parameters."""
    models: list[tuple[type[BaseModel], JsonSchemaMode]] = [(ErrorOut, "serialization")]
    for op in OPERATIONS:
        if op.query is not None:
            models.append((op.query, "validation"))
        if op.body is not None:
            models.append((op.body, "validation"))
        if op.response is not None:
            models.append((op.response, "serialization"))
    refs, defs = models_json_schema(list(dict.fromkeys(models)), ref_template=REF)
    schemas: dict[str, Any] = defs.get("$defs", {})
    paths: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        paths.setdefault(op.path, {})[op.method.lower()] = _operation(op, refs, schemas)
    for op in OPERATIONS:
        if op.query is not None:
            schemas.pop(op.query.__name__, None)  # described as parameters instead
    return {
        "openapi": "3.1.0",
        "info": {"title": "IdeaBoard API", "version": "1.0.0", "description": DESCRIPTION},
        "servers": [{"url": "/api/v1"}],
        "tags": [{"name": name, "description": text} for name, text in TAGS.items()],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A token from `POST /tokens`.",
                },
                "cookieAuth": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": cookie_name,
                    "description": "The site's session; unsafe methods also need X-CSRFToken.",
                },
            },
        },
    }


_cache: dict[str, dict[str, Any]] = {}


def document() -> dict[str, Any]:
    """Return the document for this app (built once per cookie name; callers get a copy)."""
    cookie_name = str(current_app.config.get("SESSION_COOKIE_NAME") or "session")
    if cookie_name not in _cache:
        _cache[cookie_name] = build(cookie_name)
    return copy.deepcopy(_cache[cookie_name])
