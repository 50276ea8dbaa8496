"""App, database, client and data-builder fixtures shared by every test package.

The schema comes from `flask db upgrade` (never create_all), run once per session into a
template database; each test starts from that state, so tests are isolated and a missing
migration fails them. `pytest --db postgresql` runs the suite on PostgreSQL
(IDEABOARD_TEST_DATABASE_URL, default the local server); where PostgreSQL does not answer
the run is skipped with the reason, except in CI (CI=true), where that is an error.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.security import generate_password_hash

os.environ.setdefault("SECRET_KEY", "test-secret-key")
for _name in ("DATABASE_URL", "REDIS_URL", "IDEABOARD_X_API_URL"):
    os.environ.pop(_name, None)

from ideaboard import create_app  # noqa: E402 - the environment above must be set first
from ideaboard.accounts.models import Role, User  # noqa: E402
from ideaboard.extensions import db  # noqa: E402
from ideaboard.ideas import services as idea_services  # noqa: E402
from ideaboard.ideas.models import Idea  # noqa: E402
from tests.databases import PostgresBackend, SQLiteBackend, pg_unavailable_reason  # noqa: E402

PASSWORD = "correct horse battery"
# Hashed once: scrypt per test would make the suite slow.
PASSWORD_HASH = generate_password_hash(PASSWORD, method="scrypt")

BASE_CONFIG: dict[str, Any] = {
    "TESTING": True,
    "SECRET_KEY": "test-secret-key",
    "RATELIMIT_ENABLED": False,
    "SERVER_NAME": None,
    # Anonymous pages are cached for a few seconds in production; tests that change something
    # and look again would see the old page. tests/test_pagecache.py switches it on.
    "IDEABOARD_PAGE_CACHE_SECONDS": 0,
}


class FreshGlobalsClient(FlaskClient):
    """A test client whose requests start with an empty `g`, as in production.

    The `app` fixture keeps one app context pushed so tests can use the database; requests
    reuse it, and without this the logged-in user (`g._login_user`) and other per-request
    caches would leak from one request into the next.
    """

    def open(self, *args: Any, **kwargs: Any) -> Any:
        from flask import g

        if g:
            for name in list(vars(g._get_current_object())):
                delattr(g, name)
        return super().open(*args, **kwargs)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--db",
        choices=["sqlite", "postgresql"],
        default=os.environ.get("IDEABOARD_TEST_DB", "sqlite"),
        help="database the suite runs on (default sqlite)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "sqlite_only: checks SQLite-specific behaviour")
    config.addinivalue_line("markers", "postgresql_only: checks PostgreSQL-specific behaviour")


def pytest_report_header(config: pytest.Config) -> str:
    return f"database: {config.getoption('--db')}"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    backend = config.getoption("--db")
    reason = pg_unavailable_reason() if backend == "postgresql" else None
    if reason and os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        raise pytest.UsageError(f"CI must run the PostgreSQL suite, but {reason}")
    for item in items:
        if reason:
            item.add_marker(pytest.mark.skip(reason=reason))
        elif backend == "postgresql" and item.get_closest_marker("sqlite_only"):
            item.add_marker(pytest.mark.skip(reason="SQLite-specific"))
        elif backend == "sqlite" and item.get_closest_marker("postgresql_only"):
            item.add_marker(pytest.mark.skip(reason="PostgreSQL-specific"))


@pytest.fixture(scope="session")
def database_backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SQLiteBackend | PostgresBackend]:
    """The session's database server, holding a template built by `flask db upgrade`."""
    from flask_migrate import upgrade

    backend: SQLiteBackend | PostgresBackend
    if request.config.getoption("--db") == "postgresql":
        backend = PostgresBackend()
    else:
        backend = SQLiteBackend(tmp_path_factory.mktemp("template"))
    try:
        app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": backend.template_url()})
        with app.app_context():
            upgrade()
            db.session.remove()
            db.engine.dispose()
        backend.finish_template()
        yield backend
    finally:
        backend.close()


@pytest.fixture
def database_url(
    database_backend: SQLiteBackend | PostgresBackend, tmp_path: Path
) -> Iterator[str]:
    """A fresh migrated database for this test, as a SQLAlchemy URL."""
    url, drop = database_backend.new_database(tmp_path)
    yield url
    drop()


@pytest.fixture
def app_factory(database_url: str) -> Iterator[Callable[..., Flask]]:
    """Make apps on this test's fresh migrated database; extra config as keywords."""
    made: list[Flask] = []

    def make(**config: Any) -> Flask:
        app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url, **config})
        app.test_client_class = FreshGlobalsClient
        made.append(app)
        return app

    yield make
    for app in made:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def app(app_factory: Callable[..., Flask]) -> Iterator[Flask]:
    app = app_factory()
    with app.app_context():
        yield app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def make_user(app: Flask) -> Callable[..., User]:
    counter = iter(range(1, 1_000_000))

    def make(
        role: Role | str = Role.CUSTOMER,
        *,
        email: str | None = None,
        name: str | None = None,
        initials: str = "",
    ) -> User:
        n = next(counter)
        user = User(
            email=email or f"user{n}@example.com",
            name=name or f"User {n}",
            initials=initials,
            password_hash=PASSWORD_HASH,
            role=Role(role).value,
        )
        db.session.add(user)
        db.session.commit()
        return user

    return make


@pytest.fixture
def make_idea(app: Flask, make_user: Callable[..., User]) -> Callable[..., Idea]:
    counter = iter(range(1, 1_000_000))

    def make(
        author: User | None = None,
        *,
        title: str | None = None,
        body: str = "",
        category: str | None = None,
    ) -> Idea:
        n = next(counter)
        idea = idea_services.submit_idea(
            author or make_user(), title or f"Idea number {n}", body, category
        )
        db.session.commit()
        return idea

    return make


_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(client: FlaskClient) -> str:
    """Return a CSRF token valid for the client's session, read from a page it is shown."""
    for path in ("/register", "/notifications", "/"):
        response = client.get(path)
        match = _TOKEN.search(response.get_data(as_text=True))
        if match:
            return match.group(1)
    raise AssertionError("no page showed a CSRF token")


def login(client: FlaskClient, user: User, password: str = PASSWORD) -> None:
    """Log the client in as user through the real login form."""
    response = client.post(
        "/login",
        data={"email": user.email, "password": password, "csrf_token": csrf_token(client)},
    )
    assert response.status_code == 302, response.get_data(as_text=True)


def post(client: FlaskClient, path: str, data: dict[str, Any] | None = None, **kwargs: Any) -> Any:
    """POST a form with a valid CSRF token."""
    return client.post(path, data={**(data or {}), "csrf_token": csrf_token(client)}, **kwargs)
