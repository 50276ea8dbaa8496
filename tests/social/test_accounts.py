"""Several brand accounts (issue 15, item 7): add one from the CLI or the accounts page,
disable and enable it without losing its history. Credentials stay in the environment.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select

from ideaboard.extensions import db
from ideaboard.ideas.models import Idea
from ideaboard.outbox.delivery import deliver_due
from ideaboard.outbox.models import OutboxMessage
from ideaboard.social.accounts import DISABLED
from ideaboard.social.models import MentionLog, SocialAccount
from ideaboard.triage.services import change_stage, find_stage
from tests.helpers import login, post

CREDENTIALS = ("CONSUMER_KEY", "CONSUMER_SECRET", "ACCESS_TOKEN", "ACCESS_TOKEN_SECRET")


@pytest.fixture
def help_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """Set @hanbit_help's credentials in the environment (as an operator would)."""
    for name in CREDENTIALS:
        monkeypatch.setenv(f"IDEABOARD_X_HANBIT_HELP_{name}", f"test-{name.lower()}")


def _cli(app: Any, *args: str) -> Any:
    return app.test_cli_runner().invoke(args=["ideaboard", "add-account", *args])


def _accounts() -> list[tuple[str, str, bool]]:
    db.session.expire_all()
    rows = db.session.scalars(select(SocialAccount).order_by(SocialAccount.id))
    return [(a.username, a.remote_user_id, a.active) for a in rows]


# --- the command line -------------------------------------------------------------------------


def test_add_account_connects_a_second_account(app, help_credentials):
    app.config["IDEABOARD_X_SANDBOX"] = False
    result = _cli(
        app, "--network", "x", "--username", "@hanbit_help", "--user-id", "1500000000000000002"
    )
    assert result.exit_code == 0, result.output
    assert "Connected @hanbit_help on x (its id there 1500000000000000002" in result.output
    account = db.session.scalar(select(SocialAccount))
    assert (account.network, account.username, account.active) == ("x", "hanbit_help", True)
    assert account.tag_list == ["idea", "아이디어"]


def test_the_user_id_can_come_from_the_environment(app, help_credentials, monkeypatch):
    monkeypatch.setenv("IDEABOARD_X_HANBIT_HELP_USER_ID", "1500000000000000002")
    result = _cli(app, "--username", "hanbit_help")
    assert result.exit_code == 0, result.output
    assert _accounts() == [("hanbit_help", "1500000000000000002", True)]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--username", "hanbit help"], "An X username has 1 to 15 letters"),
        (["--username", "a_name_far_too_long"], "An X username has 1 to 15 letters"),
        (["--username", "@"], "An X username has 1 to 15 letters"),
        (["--username", "hanbit_help"], "set IDEABOARD_X_HANBIT_HELP_USER_ID"),
        (["--username", "hanbit_help", "--user-id", "12ab"], "An X user id is a number"),
        (["--username", "hanbit_help", "--user-id", "0"], "An X user id is a number"),
    ],
)
def test_add_account_refuses_bad_input_with_a_message(app, help_credentials, args, message):
    result = _cli(app, *args)
    assert result.exit_code == 1
    assert message in result.output
    assert _accounts() == []


def test_add_account_refuses_an_unknown_network(app):
    result = _cli(app, "--network", "threads", "--username", "hanbit")
    assert result.exit_code == 2  # click: not one of the choices
    assert _accounts() == []


def test_add_account_refuses_duplicates(app, help_credentials, monkeypatch):
    for name in CREDENTIALS:
        monkeypatch.setenv(f"IDEABOARD_X_HANBIT_SHOP_{name}", "x")
    assert _cli(app, "--username", "hanbit_help", "--user-id", "1500000000000000002").exit_code == 0
    same_name = _cli(app, "--username", "Hanbit_Help", "--user-id", "1500000000000000003")
    assert same_name.exit_code == 1
    assert "@hanbit_help is connected already." in same_name.output
    same_id = _cli(app, "--username", "hanbit_shop", "--user-id", "1500000000000000002")
    assert same_id.exit_code == 1
    assert "This user id belongs to @hanbit_help" in same_id.output
    assert _accounts() == [("hanbit_help", "1500000000000000002", True)]


def test_outside_the_sandbox_the_accounts_own_credentials_are_required(app, monkeypatch):
    app.config["IDEABOARD_X_SANDBOX"] = False
    monkeypatch.setenv("IDEABOARD_X_HANBIT_HELP_CONSUMER_KEY", "ck")
    result = _cli(app, "--username", "hanbit_help", "--user-id", "1500000000000000002")
    assert result.exit_code == 1
    assert "IDEABOARD_X_HANBIT_HELP_CONSUMER_SECRET" in result.output
    assert "IDEABOARD_X_HANBIT_HELP_CONSUMER_KEY" not in result.output  # set: not listed
    assert "ck" not in result.output.replace("IDEABOARD", "")  # names only, never values
    assert _accounts() == []
    app.config["IDEABOARD_X_SANDBOX"] = True  # the sandbox needs no credentials
    assert _cli(app, "--username", "hanbit_help", "--user-id", "1500000000000000002").exit_code == 0


def test_disable_and_enable_account_from_the_command_line(app, help_credentials):
    _cli(app, "--username", "hanbit_help", "--user-id", "1500000000000000002")
    runner = app.test_cli_runner()
    off = runner.invoke(args=["ideaboard", "disable-account", "--username", "@Hanbit_Help"])
    assert off.exit_code == 0, off.output
    assert _accounts() == [("hanbit_help", "1500000000000000002", False)]
    on = runner.invoke(args=["ideaboard", "enable-account", "--username", "hanbit_help"])
    assert on.exit_code == 0, on.output
    assert _accounts() == [("hanbit_help", "1500000000000000002", True)]
    missing = runner.invoke(args=["ideaboard", "disable-account", "--username", "nobody"])
    assert missing.exit_code == 1
    assert "No connected account is called @nobody." in missing.output


def test_a_name_on_two_networks_needs_the_network_to_be_disabled(app, help_credentials):
    from ideaboard.extensions import db
    from ideaboard.social.models import SocialAccount

    _cli(app, "--username", "hanbit_help", "--user-id", "1500000000000000002")
    db.session.add(SocialAccount(network="mastodon", remote_user_id="7", username="Hanbit_help"))
    db.session.commit()
    runner = app.test_cli_runner()
    both = runner.invoke(args=["ideaboard", "disable-account", "--username", "hanbit_help"])
    assert both.exit_code == 1
    assert "connected on several networks (x, mastodon): add --network" in both.output
    one = runner.invoke(
        args=["ideaboard", "disable-account", "--username", "hanbit_help", "--network", "mastodon"]
    )
    assert one.exit_code == 0, one.output
    assert "@Hanbit_help (mastodon) is disabled" in one.output
    active = {
        r.network: r.active
        for r in db.session.execute(select(SocialAccount.network, SocialAccount.active))
    }
    assert active == {"x": True, "mastodon": False}


# --- the accounts page ------------------------------------------------------------------------


def _add(client: Any, username: str, user_id: str = "") -> Any:
    return post(client, "/staff/accounts/new", {"new-username": username, "new-user_id": user_id})


def test_an_admin_adds_an_account_on_the_accounts_page(app, client, make_user, help_credentials):
    login(client, make_user("admin"))
    page = client.get("/staff/accounts").get_data(as_text=True)
    assert 'action="/staff/accounts/new"' in page
    response = _add(client, "hanbit_help", "1500000000000000002")
    assert response.status_code == 302
    assert _accounts() == [("hanbit_help", "1500000000000000002", True)]
    assert "@hanbit_help" in client.get("/staff/accounts").get_data(as_text=True)


@pytest.mark.parametrize(
    ("username", "user_id", "message"),
    [
        ("bad name!", "1500000000000000002", "An X username has 1 to 15 letters"),
        ("", "1500000000000000002", "This field is required."),
        ("hanbit_help", "", "set IDEABOARD_X_HANBIT_HELP_USER_ID"),
        ("hanbit_help", "1" * 21, "Field cannot be longer than 20 characters."),
        ("hanbit_help", "-5", "An X user id is a number"),
        ("hanbit\x00help", "1500000000000000002", "not allowed"),
    ],
)
def test_the_add_account_form_refuses_bad_input_with_a_message(
    app, client, make_user, help_credentials, username, user_id, message
):
    login(client, make_user("admin"))
    response = _add(client, username, user_id)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert _accounts() == []


def test_the_form_refuses_a_duplicate_and_non_admins(app, client, make_user, help_credentials):
    login(client, make_user("admin"))
    assert _add(client, "hanbit_help", "1500000000000000002").status_code == 302
    again = _add(client, "HANBIT_HELP", "1500000000000000009")
    assert again.status_code == 422
    assert "@hanbit_help is connected already." in again.get_data(as_text=True)
    forged = client.post("/staff/accounts/new", data={"new-username": "hanbit_x"})
    assert forged.status_code == 400  # no CSRF token
    staff_client = app.test_client()
    login(staff_client, make_user("staff"))
    assert _add(staff_client, "hanbit_x", "1500000000000000005").status_code == 403
    account = db.session.scalar(select(SocialAccount))
    assert post(staff_client, f"/staff/accounts/{account.id}/disable").status_code == 403
    assert _accounts() == [("hanbit_help", "1500000000000000002", True)]


def test_a_disabled_account_keeps_its_history_and_its_replies_wait(
    brand_account: SocialAccount,
    import_posts: Callable[..., tuple[list[dict[str, Any]], list[Idea]]],
    brand_replies: Callable[[], dict[str, list[dict[str, Any]]]],
    client: Any,
    make_user: Callable[..., Any],
) -> None:
    brand_account.acknowledge = False
    db.session.commit()
    posts, (idea,) = import_posts(
        ("minji", "@hanbit #아이디어 q7790 로밍 요금 일 단위로 해 주세요")
    )
    admin = make_user("admin", initials="AD")
    login(client, admin)
    assert post(client, f"/staff/accounts/{brand_account.id}/disable").status_code == 302
    page = client.get("/staff/accounts").get_data(as_text=True)
    assert "(disabled)" in page
    assert "q7790" in page  # the mention log stays

    change_stage(idea, find_stage("under-review"), "검토를 시작했습니다.", admin)
    db.session.commit()
    result = deliver_due(worker="test-worker")
    assert (result.claimed, result.sent) == (1, 0)
    (row,) = db.session.scalars(select(OutboxMessage))
    db.session.refresh(row)
    assert (row.state, row.last_error, row.attempts) == ("failed", DISABLED, 0)
    assert brand_replies() == {}  # nothing reached X
    # Not polled while disabled: the import command finds no active account.
    imported = client.application.test_cli_runner().invoke(args=["ideaboard", "import-mentions"])
    assert imported.exit_code == 1
    assert "No X account is connected" in imported.output
    assert db.session.scalar(select(func.count()).select_from(MentionLog)) == 1
    assert db.session.get(Idea, idea.id) is not None

    assert post(client, f"/staff/accounts/{brand_account.id}/enable").status_code == 302
    result = deliver_due(worker="test-worker")
    assert result.sent == 1
    assert [len(replies) for replies in brand_replies().values()] == [1]
    assert str(posts[0]["id"]) in brand_replies()
