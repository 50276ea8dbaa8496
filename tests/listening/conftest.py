"""Listening inbox fixtures: the sandbox X API on loopback, the brand account aimed at it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from ideaboard.accounts.models import User
from sandboxes.x import SandboxStore, create_sandbox_app
from tests.helpers import login, serve
from tests.social.helpers import add_brand_account, x_settings


@pytest.fixture
def staff(make_user: Callable[..., User]) -> User:
    """A staff member who signs replies ^KG."""
    return make_user("staff", name="Kim Gyu", initials="KG")


@pytest.fixture
def staff_client(app: Flask, staff: User) -> FlaskClient:
    client = app.test_client()
    login(client, staff)
    return client


@pytest.fixture
def x_store(tmp_path: Any) -> Iterator[tuple[str, SandboxStore]]:
    """Serve a fresh sandbox X API on 127.0.0.1; yield (base URL, its store)."""
    path = str(tmp_path / "x_sandbox.sqlite")
    sandbox = create_sandbox_app(path)
    sandbox.config["TESTING"] = True
    with serve(sandbox, name="x-sandbox") as url:
        yield url, SandboxStore(path)


@pytest.fixture
def x_account(app: Flask, x_store: tuple[str, SandboxStore]) -> Any:
    """The connected brand account @hanbit on the sandbox (publish, acknowledge, idea tags)."""
    app.config.update(x_settings(x_store[0]))
    return add_brand_account()
