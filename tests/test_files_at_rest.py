"""Secrets at rest: the secret key and the SQLite files are owner-only from the start."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from ideaboard import create_app
from ideaboard.config import _secret_key, create_private_file
from ideaboard.extensions import db
from tests.helpers import BASE_CONFIG


@pytest.fixture(autouse=True)
def usual_umask() -> Iterator[None]:
    """A typical umask (022), under which files are world-readable unless made otherwise."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_secret_key_file_is_created_owner_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SECRET_KEY", raising=False)
    opened: list[int] = []
    real_open = os.open

    def spy(path: str, flags: int, mode: int = 0o777, **kwargs: object) -> int:
        if str(path).endswith("secret_key"):
            opened.append(mode)
        return real_open(path, flags, mode, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "open", spy)
    instance = tmp_path / "instance"
    key = _secret_key(str(instance))
    assert opened == [0o600]  # created with the mode, not chmodded afterwards
    assert _mode(instance / "secret_key") == 0o600
    assert _mode(instance) == 0o700
    assert _secret_key(str(instance)) == key  # read back, not replaced


def test_sqlite_database_and_wal_files_are_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "data" / "ideaboard.sqlite"
    path.parent.mkdir()
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"})
    with app.app_context():
        assert _mode(path) == 0o600  # before the first connection
        db.session.execute(text("CREATE TABLE t (x TEXT)"))
        db.session.execute(text("INSERT INTO t VALUES ('secret')"))
        db.session.commit()
        for name in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            if name.exists():
                assert _mode(name) == 0o600, name
        db.session.remove()
        db.engine.dispose()


def test_an_existing_world_readable_file_is_tightened(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    path.write_text("")
    path.chmod(0o644)
    create_private_file(path)
    assert _mode(path) == 0o600
