"""The sandboxes' JSON helper routes share these: error answers, the JSON body, fault routes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from flask import Blueprint, Response, jsonify, request

from .store import SQLiteStore


def json_error(message: str, status: int = 400) -> tuple[Response, int]:
    """{"error": message} with status (400 by default)."""
    return jsonify({"error": message}), status


def json_object() -> dict[str, Any] | None:
    """The request's JSON body if it is an object, else None (malformed, missing, a list)."""
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else None


class _Config(Protocol):
    def to_dict(self) -> dict[str, Any]: ...


class FaultsModule(Protocol):
    """What add_fault_routes uses of a sandbox's faults module."""

    def get_faults(self, store: Any) -> _Config: ...
    def set_faults(self, store: Any, **switches: Any) -> _Config: ...
    def clear_faults(self, store: Any) -> None: ...


def add_fault_routes(
    bp: Blueprint, faults: FaultsModule, store: Callable[[], SQLiteStore], default: _Config
) -> None:
    """GET | POST | DELETE /faults on bp (endpoints get_faults, set_faults, clear_faults):
    read, replace ({} switches everything off) or clear the switches, as {"data": switches}."""

    @bp.get("/faults")
    def get_faults() -> Response:
        """The current fault switches."""
        return jsonify({"data": faults.get_faults(store()).to_dict()})

    @bp.post("/faults")
    def set_faults() -> tuple[Response, int]:
        """Replace the fault switches with the JSON body ({} switches everything off)."""
        body = json_object()
        if body is None:
            return json_error("JSON body must be an object")
        try:
            config = faults.set_faults(store(), **body)
        except (TypeError, ValueError) as exc:
            return json_error(str(exc))
        return jsonify({"data": config.to_dict()}), 200

    @bp.delete("/faults")
    def clear_faults() -> Response:
        """Switch every fault off."""
        faults.clear_faults(store())
        return jsonify({"data": default.to_dict()})
