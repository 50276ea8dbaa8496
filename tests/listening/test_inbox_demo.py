"""`make run`'s listening inbox: the demo's untagged mentions wait in the X sandbox, and the
worker's first round opens them in the inbox, classified."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from flask import Flask
from sqlalchemy import select

from ideaboard.demo import LISTENING_MENTIONS, seed_sandbox
from ideaboard.extensions import db
from ideaboard.social.models import MentionLog
from ideaboard.worker import Worker
from tests.helpers import serve


def test_the_demos_untagged_mentions_open_in_the_listening_inbox(
    app_factory: Callable[..., Flask], tmp_path: Path
) -> None:
    site = app_factory(IDEABOARD_X_SANDBOX=True, IDEABOARD_X_SANDBOX_DB=str(tmp_path / "x.sqlite"))
    with site.app_context():
        assert seed_sandbox(site.extensions["x_sandbox"]) >= len(LISTENING_MENTIONS)
        with serve(site) as url:
            site.config["IDEABOARD_PUBLIC_URL"] = url
            Worker(threading.Event(), interval=0.01, once=True).run_round()
        opened = {
            entry.post_id: (entry.label, entry.inbox_state)
            for entry in db.session.scalars(
                select(MentionLog).where(MentionLog.inbox_state.is_not(None))
            )
        }
    assert opened == {
        "1865200000000000101": ("question", "open"),  # 요금제 변경은 어디서 하나요?
        "1865200000000000102": ("complaint", "open"),  # 인터넷이 또 끊겼어요…
        "1865200000000000103": ("question", "open"),
        "1865200000000000104": ("complaint", "open"),
        "1865200000000000105": ("suggestion", "open"),
    }
