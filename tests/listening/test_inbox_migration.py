"""The listening migration classifies the mentions already logged and opens the recent ones
that wait for an answer (no idea tag, or held), and nothing else."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import inspect, text

from ideaboard.extensions import db
from ideaboard.listening.classify import classify
from tests.helpers import flask_db, migration_module


def _migration():
    return migration_module("*_listening_inbox.py")


def _run(app, *args):
    flask_db(app, *args)


MENTIONS = [
    # post id, outcome, reason, days ago, text
    ("recent-question", "skipped", "no idea tag", 1, "요금제 변경은 어디서 하나요?"),
    ("recent-complaint", "skipped", "no idea tag", 6, "인터넷이 또 끊겼어요…"),
    ("old-question", "skipped", "no idea tag", 30, "How do I activate roaming?"),
    ("recent-held", "held", "held for approval", 2, "@hanbit 다크 모드 넣어 주세요 #아이디어"),
    ("recent-idea", "imported", "new idea", 1, "@hanbit Please add a widget #idea"),
    ("own-post", "skipped", "the account's own post", 1, "Thanks everyone for the ideas!"),
]


def test_upgrade_classifies_every_logged_mention_and_opens_only_the_recent_waiting_ones(app):
    migration = _migration()
    _run(app, "downgrade", migration.down_revision)
    db.session.execute(
        text(
            "INSERT INTO social_accounts (network, remote_user_id, username, display_name, tags,"
            " signature, moderation, acknowledge, announce_launches, active)"
            " VALUES ('x', '1500000000000000001', 'hanbit', '', 'idea', '', 'publish',"
            " :yes, :no, :yes)"
        ),
        {"yes": True, "no": False},
    )
    account = db.session.execute(text("SELECT id FROM social_accounts")).scalar()
    now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    for post_id, outcome, reason, days, body in MENTIONS:
        db.session.execute(
            text(
                "INSERT INTO mention_log (account_id, post_id, author_handle, text, fetched_at,"
                " outcome, reason) VALUES (:a, :p, 'minji', :t, :f, :o, :r)"
            ),
            {
                "a": account,
                "p": post_id,
                "t": body,
                "f": now - timedelta(days=days),
                "o": outcome,
                "r": reason,
            },
        )
    db.session.commit()

    _run(app, "upgrade")
    found = {
        row.post_id: (row.label, row.inbox_state)
        for row in db.session.execute(text("SELECT post_id, label, inbox_state FROM mention_log"))
    }
    expected_labels = {post_id: classify(body).label for post_id, *_, body in MENTIONS}
    assert {post: label for post, (label, _) in found.items()} == expected_labels
    assert expected_labels["recent-question"] == "question"
    assert expected_labels["recent-complaint"] == "complaint"
    opened = {post for post, (_, state) in found.items() if state == "open"}
    # A month-old question was read (or not) long ago; ideas and the brand's own posts need
    # nobody; a held idea waits for approval.
    assert opened == {"recent-question", "recent-complaint", "recent-held"}
    # a0b1c2d3e4f6 (on the way to head): each counts at its fetch (no post time was stored),
    # the brand's own post never.
    uncounted = db.session.execute(
        text("SELECT post_id FROM mention_log WHERE counted_at IS NULL")
    ).scalars()
    assert set(uncounted) == {"own-post"}

    _run(app, "downgrade", migration.down_revision)
    columns = {c["name"] for c in inspect(db.engine).get_columns("mention_log")}
    assert not {"label", "inbox_state", "team_id", "first_response_at"} & columns
    assert db.session.execute(text("SELECT count(*) FROM mention_log")).scalar() == len(MENTIONS)
    db.session.execute(text("DELETE FROM mention_log"))
    db.session.execute(text("DELETE FROM social_accounts"))
    db.session.commit()
    _run(app, "upgrade")
