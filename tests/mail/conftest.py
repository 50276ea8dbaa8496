"""Fixtures of the e-mail tests: a real SMTP server on loopback, and `app` sending to it.

`app` is overridden here, so `client`, `make_user` and `make_idea` work on the app that
sends e-mail to `smtp_server`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask

from tests.mail.helpers import SmtpServer


@pytest.fixture
def smtp_server(tmp_path: Path) -> Iterator[SmtpServer]:
    """A plain SMTP server on 127.0.0.1 (aiosmtpd), running."""
    server = SmtpServer(tmp_path).start()
    yield server
    server.stop()


@pytest.fixture
def app(app_factory: Callable[..., Flask], smtp_server: SmtpServer) -> Iterator[Flask]:
    """The app, sending e-mail to smtp_server, with an app context pushed."""
    app = app_factory(**smtp_server.config(), IDEABOARD_MAIL_FROM="IdeaBoard <ideas@board.test>")
    with app.app_context():
        yield app
