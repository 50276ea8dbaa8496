"""Every documented setting is read from the environment, checked at start-up, and listed in
the README's configuration table."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from ideaboard import config
from ideaboard.config import DEFAULTS, LIMIT_SETTINGS, load_settings

ROOT = Path(__file__).resolve().parents[1]


def _other_value(name: str, default: Any) -> tuple[str, Any]:
    """A valid value for the setting that differs from its default: (as set, as read)."""
    if name in LIMIT_SETTINGS:
        return "7 per hour", "7 per hour"
    if name == "IDEABOARD_PAGE_SIZE":
        return "37", 37
    if isinstance(default, bool):
        raise AssertionError(f"{name}: switches are read with _env_switch, not DEFAULTS")
    if isinstance(default, int | float):
        return str(int(default) + 3), int(default) + 3
    raise AssertionError(f"{name}: no test value for a default of type {type(default)}")


TUNABLE = sorted(name for name in DEFAULTS if name.startswith("IDEABOARD_"))


@pytest.mark.parametrize("name", TUNABLE)
def test_every_ideaboard_default_can_be_changed_from_the_environment(
    name: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    raw, expected = _other_value(name, DEFAULTS[name])
    assert expected != DEFAULTS[name]
    monkeypatch.setenv(name, raw)
    assert load_settings(str(tmp_path)).get(name) == expected


def test_unset_and_empty_settings_keep_the_defaults(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in TUNABLE:
        monkeypatch.setenv(name, "")
    settings = load_settings(str(tmp_path))
    assert not [name for name in TUNABLE if name in settings]


@pytest.mark.parametrize(
    ("name", "raw", "message"),
    [
        ("IDEABOARD_API_LIMIT", "lots", "must be a rate limit like '10 per minute'"),
        ("IDEABOARD_LIMIT_SUBMIT", "10 per fortnight", "must be a rate limit"),
        ("IDEABOARD_LIMIT_LOGIN", ";", "must be a rate limit"),
        ("IDEABOARD_PAGE_SIZE", "0", "must be from 1 to 100"),
        ("IDEABOARD_PAGE_SIZE", "5000", "must be from 1 to 100"),
        ("IDEABOARD_PAGE_SIZE", "twenty", "must be a whole number"),
        ("IDEABOARD_X_OVERLAP_MINUTES", "-1", "must be 0 or more"),
        ("IDEABOARD_WEBHOOK_TIMEOUT_SECONDS", "ten", "must be a number"),
        ("IDEABOARD_X_TIMEOUT_SECONDS", "-5", "must be a number of 0 or more"),
        ("IDEABOARD_PAGE_CACHE_SECONDS", "nan", "must be a number of 0 or more"),
        ("IDEABOARD_CSRF_TIME_LIMIT_SECONDS", "8h", "must be a number"),
    ],
)
def test_a_bad_value_stops_the_start_naming_the_setting(
    name: str, raw: str, message: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(name, raw)
    with pytest.raises(RuntimeError, match=re.escape(message)) as error:
        load_settings(str(tmp_path))
    assert name in str(error.value)


def test_a_rate_limit_from_the_environment_is_the_one_enforced(
    app_factory: Callable[..., Flask], monkeypatch: pytest.MonkeyPatch
) -> None:
    """IDEABOARD_API_LIMIT from the environment (not from the test's config) limits the API."""
    monkeypatch.setenv("IDEABOARD_API_LIMIT", "2 per minute")
    limited = app_factory(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://")
    assert limited.config["IDEABOARD_API_LIMIT"] == "2 per minute"
    client = limited.test_client()
    statuses = [client.get("/api/v1/stages").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


def _table_names() -> set[str]:
    """The names in backticks in the README's configuration table."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("|")]
    assert len(rows) > 10, "the README's configuration table is missing"
    return {name for row in rows for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", row)}


def _names_read_by_load_settings() -> set[str]:
    source = inspect.getsource(config.load_settings)
    return set(re.findall(r'"((?:IDEABOARD|DATABASE|REDIS|SECRET)_[A-Z0-9_]*[A-Z0-9])"', source))


def test_the_readme_lists_every_setting() -> None:
    listed = _table_names()
    expected = set(TUNABLE) | set(LIMIT_SETTINGS) | _names_read_by_load_settings()
    # Not for operators: the benchmark's ceiling endpoint (bench/run.py sets it itself).
    expected.discard("IDEABOARD_BENCH")
    assert sorted(expected - listed) == []
