"""App, database, client, data-builder and clock fixtures shared by every test package.

The schema comes from `flask db upgrade` (never create_all), run once per session into a
template database; each test starts from that state, so tests are isolated and a missing
migration fails them. `pytest --db postgresql` runs the suite on PostgreSQL
(IDEABOARD_TEST_DATABASE_URL, default the local server); where PostgreSQL does not answer
the run is skipped with the reason, except in CI (CI=true), where that is an error.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

os.environ.setdefault("SECRET_KEY", "test-secret-key")
for _name in ("DATABASE_URL", "REDIS_URL", "IDEABOARD_X_API_URL"):
    os.environ.pop(_name, None)

from ideaboard import create_app, database  # noqa: E402 - the environment above must be set first
from ideaboard.extensions import db  # noqa: E402
from tests.databases import PostgresBackend, SQLiteBackend, pg_unavailable_reason  # noqa: E402
from tests.helpers import (  # noqa: E402
    BASE_CONFIG,
    Clock,
    FreshGlobalsClient,
    IdeaBuilder,
    UserBuilder,
    serve,
)


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
def app_factory(database_url: str, tmp_path: Path) -> Iterator[Callable[..., Flask]]:
    """Make apps on this test's fresh migrated database; extra config as keywords.

    Their instance folder is the test's own: what the app keeps there (a Bluesky login
    session, a sandbox's database) neither leaks into the next test nor into the developer's
    instance/ folder."""
    made: list[Flask] = []
    instance = tmp_path / "instance"
    instance.mkdir(mode=0o700, exist_ok=True)

    def make(**config: Any) -> Flask:
        app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url, **config})
        app.instance_path = str(instance)
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
def live_server(app: Flask) -> Iterator[str]:
    """Serve the app on 127.0.0.1 (random port) in a thread; yield its base URL."""
    with serve(app, name="live-server", wait_for_handlers=False) as url:
        yield url


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def make_user(app: Flask) -> UserBuilder:
    """Add a user: `make_user()`, `make_user("staff", name=..., email=..., initials=...)`."""
    return UserBuilder()


@pytest.fixture
def make_idea(app: Flask, make_user: UserBuilder) -> IdeaBuilder:
    """Submit an idea: `make_idea()`, `make_idea(author, title=..., body=..., category=...)`."""
    return IdeaBuilder(make_user)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """Control the time every ideaboard module reads: `clock.set(when)`, `clock.advance(...)`."""
    fake = Clock()
    monkeypatch.setattr(database, "clock", fake.now)
    return fake
