"""Declare API operations once: the route, its access, its schemas and its answers.

`operation(...)` registers a Flask route that authenticates the caller, validates the query
string and the JSON body with the operation's pydantic models, calls the view and renders
its result with the response model. The same declarations feed the OpenAPI document.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from flask import Blueprint, Response, request
from flask_babel import gettext as _
from pydantic import BaseModel, TypeAdapter, ValidationError

from ..errors import NotFound
from ..inputs import (
    MAX_JSON_DEPTH,
    MULTILINE_CONTROL,
    SINGLE_LINE_CONTROL,
    JSONTooDeep,
    loads,
    strings_in,
)
from .auth import caller
from .errors import InvalidInput, InvalidJson, WrongContentType, from_validation_error
from .schemas import DB_INT_MAX, Access, Body, Query

UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True)
class PathParam:
    # Plain converters: bounds in a converter would turn some misses into 405s (Werkzeug
    # checks the method before converting), so bounds are checked by the handler (404).
    converter: str
    schema: dict[str, Any]
    description: str
    example: Any

    def accepts(self, value: Any) -> bool:
        """Tell whether value is within the schema's bounds."""
        low, high = self.schema.get("minimum"), self.schema.get("maximum")
        return (low is None or value >= low) and (high is None or value <= high)


PATH_PARAMS = {
    "idea_id": PathParam(
        converter="int",
        schema={"type": "integer", "minimum": 1, "maximum": DB_INT_MAX},
        description="The idea's number.",
        example=1,
    ),
}


@dataclass(frozen=True)
class Operation:
    method: str
    path: str  # OpenAPI form, relative to /api/v1: "/ideas/{idea_id}"
    name: str
    tag: str
    summary: str
    description: str
    access: Access
    query: type[Query] | None
    body: type[Body] | None
    response: type[BaseModel] | None
    many: bool
    status: int
    errors: tuple[int, ...]
    media_type: str

    @property
    def path_params(self) -> list[str]:
        return [name for name in PATH_PARAMS if "{" + name + "}" in self.path]

    @property
    def error_statuses(self) -> list[int]:
        """Every error status the operation can answer with."""
        found = {429, *self.errors}
        if self.access is not Access.PUBLIC:
            found.add(401)
            if self.method in UNSAFE:
                found.add(400)  # a cookie request without its CSRF token
        if self.access is Access.STAFF or (self.access is Access.USER and self.method in UNSAFE):
            found.add(403)  # staff only; or a blocked account (`user_blocked`) posting
        if self.body is not None:
            found.update((400, 422))
        if self.query is not None:
            found.add(422)
        if self.path_params:
            found.add(404)
        return sorted(found)


OPERATIONS: list[Operation] = []


def flask_rule(path: str) -> str:
    """Turn an OpenAPI path into a Flask rule with the parameters' converters."""
    for name, param in PATH_PARAMS.items():
        path = path.replace("{" + name + "}", f"<{param.converter}:{name}>")
    return path


def _has_control(value: Any) -> bool:
    """Whether parsed JSON holds a control character: any in keys, any but tab and line
    breaks in values (a NUL byte cannot be stored by PostgreSQL). Walks without recursion."""
    return any(
        (SINGLE_LINE_CONTROL if is_key else MULTILINE_CONTROL).search(text)
        for text, is_key in strings_in(value)
    )


def _nul_error(names: list[str]) -> InvalidInput:
    message = _("NUL characters are not allowed.")
    return InvalidInput(message, {name: [message] for name in names})


def _control_error(names: list[str]) -> InvalidInput:
    message = _("Control characters are not allowed.")
    return InvalidInput(message, {name: [message] for name in names})


def parse_query(model: type[Query]) -> Query:
    """Validate the query string with model; each parameter may be given once."""
    data: dict[str, str] = {}
    for name in model.model_fields:
        values = request.args.getlist(name)
        if len(values) > 1:
            raise InvalidInput(_("Some parameters are not valid."), {name: [_("Give it once.")]})
        if values:
            data[name] = values[0]
    nul = [name for name, value in data.items() if "\x00" in value]
    if nul:
        raise _nul_error(nul)
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise from_validation_error(error, _("Some parameters are not valid.")) from None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def parse_body(model: type[Body]) -> Body:
    """Validate the JSON body with model: 400 if it is not JSON, 422 if it does not fit."""
    if not request.is_json:
        raise WrongContentType(_("Send the body as JSON (Content-Type: application/json)."))
    try:
        data = loads(request.get_data().decode("utf-8"), parse_constant=_reject_constant)
        json.dumps(data, ensure_ascii=False).encode("utf-8")  # lone surrogates are not text
    except JSONTooDeep:
        raise InvalidJson(
            _("The body is nested too deeply (at most %(n)d levels).", n=MAX_JSON_DEPTH)
        ) from None
    except (UnicodeError, ValueError, RecursionError):
        raise InvalidJson(_("The body is not valid JSON.")) from None
    if isinstance(data, dict):
        bad = [str(key) for key, value in data.items() if _has_control({key: value})]
        if bad:
            raise _control_error(bad)
    elif _has_control(data):
        raise _control_error(["$"])
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise from_validation_error(error, _("Some fields are not valid.")) from None


def render(op: Operation, result: Any) -> Response:
    """Serialise a view's result with the operation's response model."""
    if isinstance(result, Response):
        return result
    if isinstance(result, str):
        return Response(result, status=op.status, mimetype=op.media_type)
    if op.many:
        assert op.response is not None
        items = list[op.response]  # type: ignore[name-defined]  # item model known at run time
        data = TypeAdapter(items).dump_json(result)
    else:
        data = result.model_dump_json().encode()
    return Response(data, status=op.status, mimetype="application/json")


def operation(
    bp: Blueprint,
    method: str,
    path: str,
    *,
    tag: str,
    summary: str,
    access: Access,
    query: type[Query] | None = None,
    body: type[Body] | None = None,
    response: type[BaseModel] | None = None,
    many: bool = False,
    status: int = 200,
    errors: tuple[int, ...] = (),
    media_type: str = "application/json",
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register view as an API operation; it gets user=, query= and body= as declared."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        op = Operation(
            method=method,
            path=path,
            name=view.__name__,
            tag=tag,
            summary=summary,
            description=inspect.cleandoc(view.__doc__ or ""),
            access=access,
            query=query,
            body=body,
            response=response,
            many=many,
            status=status,
            errors=errors,
            media_type=media_type,
        )
        OPERATIONS.append(op)

        @wraps(view)
        def handler(**path_args: Any) -> Response:
            if not all(PATH_PARAMS[k].accepts(v) for k, v in path_args.items()):
                raise NotFound(_("There is no idea with this number."))
            user = caller(access)
            kwargs = dict(path_args)
            if access is not Access.PUBLIC:
                kwargs["user"] = user
            if query is not None:
                kwargs["query"] = parse_query(query)
            if body is not None:
                kwargs["body"] = parse_body(body)
            return render(op, view(**kwargs))

        bp.add_url_rule(flask_rule(path), view.__name__, handler, methods=[method])
        return handler

    return decorate
