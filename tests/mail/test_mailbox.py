"""The development mailbox at /dev/mailbox: only in mailbox mode, only for this machine or staff.

These tests run the app in mailbox mode (IDEABOARD_MAILBOX=1, no IDEABOARD_SMTP_URL) with the
Maildir in tmp_path: e-mails get there through the real outbox and MailboxSender, or (for
hostile HTML) are built with the same message builder and dropped in.
"""

from __future__ import annotations

import html
import mailbox
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from ideaboard.extensions import db
from ideaboard.mail import enqueue, message
from ideaboard.mail import mailbox as mailbox_page
from ideaboard.mail.letters import Rendered
from ideaboard.mail.settings import check_mail_from
from tests.helpers import PASSWORD, UserBuilder, csrf_token, login
from tests.mail.helpers import deliver, email_rows

STRANGER = "198.51.100.23"


@pytest.fixture
def box_dir(tmp_path: Path) -> Path:
    return tmp_path / "mailbox"


@pytest.fixture
def app(app_factory: Callable[..., Flask], box_dir: Path) -> Iterator[Flask]:
    """The app in mailbox mode (what `make run` sets), keeping e-mail in box_dir."""
    app = app_factory(
        IDEABOARD_MAILBOX=True, IDEABOARD_SMTP_URL=None, IDEABOARD_MAILBOX_DIR=str(box_dir)
    )
    with app.app_context():
        yield app


def send_test(to: str, key: str, lang: str = "en") -> None:
    """Queue the test letter and deliver it into the mailbox."""
    assert enqueue.enqueue(letter="test", to=to, dedupe_key=key, lang=lang)
    db.session.commit()
    assert deliver().sent == 1, email_rows()[-1].last_error


def drop_in(box_dir: Path, *, subject: str, text: str, html_part: str, key: str = "k") -> str:
    """Put a message built like IdeaBoard's (with List-Unsubscribe) into the Maildir."""
    rendered = Rendered(
        subject=subject,
        text=text,
        html=html_part,
        notification=True,
        unsubscribe_url="http://127.0.0.1:5000/mail/unsubscribe/abc",
    )
    built = message.build(
        rendered,
        sender=check_mail_from("IdeaBoard <ideas@localhost>"),
        to=message.recipient("minji@example.com", "김민지"),
        dedupe_key=f"email:test:{key}",
        now=datetime(2026, 12, 4, 9, 0, tzinfo=UTC),
    )
    return str(mailbox.Maildir(box_dir, create=True).add(built))


def keys_in(box_dir: Path) -> list[str]:
    return list(mailbox.Maildir(box_dir, create=True).keys())


def stranger(app: Flask) -> FlaskClient:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = STRANGER
    return client


# --- when it exists -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "config",
    [
        {"IDEABOARD_MAILBOX": True, "IDEABOARD_SMTP_URL": "smtp://127.0.0.1:2525"},
        {"IDEABOARD_MAILBOX": False, "IDEABOARD_SMTP_URL": None},
    ],
    ids=["smtp-url-set", "mail-off"],
)
def test_no_mailbox_unless_in_mailbox_mode(
    app_factory: Callable[..., Flask], tmp_path: Path, config: dict[str, object]
) -> None:
    other = app_factory(IDEABOARD_MAILBOX_DIR=str(tmp_path / "box"), **config)
    with other.app_context():
        client = other.test_client()
        assert client.get("/dev/mailbox/").status_code == 404
        assert client.get("/dev/mailbox/1700000000.M1P1Q1.host").status_code == 404
        assert client.post("/dev/mailbox/delete").status_code in (400, 404)
        assert "mailbox.index" not in other.view_functions


# --- who may look -------------------------------------------------------------------------


def test_this_machine_sees_it_strangers_do_not(app: Flask, client: FlaskClient) -> None:
    assert client.get("/dev/mailbox/").status_code == 200  # the test client is 127.0.0.1
    assert stranger(app).get("/dev/mailbox/").status_code == 403
    # A proxy on this machine relaying someone else is not this machine.
    relayed = client.get("/dev/mailbox/", headers={"X-Forwarded-For": STRANGER})
    assert relayed.status_code == 403
    # DNS rebinding: a page of another site whose name now points here.
    rebound = client.get("/dev/mailbox/", headers={"Host": "attacker.example"})
    assert rebound.status_code == 403
    # The public site's own name is this machine's too.
    assert client.get("/dev/mailbox/", headers={"Host": "127.0.0.1:5000"}).status_code == 200


def test_signed_in_staff_see_it_from_elsewhere_customers_do_not(
    app: Flask, make_user: UserBuilder
) -> None:
    staff, customer = make_user("staff"), make_user()
    client = stranger(app)
    login(client, customer, PASSWORD)
    assert client.get("/dev/mailbox/").status_code == 403
    client = stranger(app)
    login(client, staff, PASSWORD)
    page = client.get("/dev/mailbox/")
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"


# --- the list and one message -----------------------------------------------------------------


def test_the_list_is_newest_first_with_korean_subjects_decoded(
    app: Flask, client: FlaskClient, box_dir: Path
) -> None:
    send_test("first@example.com", "email:test:1")
    send_test("second@example.com", "email:test:2", lang="ko")
    page = client.get("/dev/mailbox/").get_data(as_text=True)
    assert "IdeaBoard 테스트 메일" in page  # the RFC 2047 subject, decoded
    assert "=?utf-8?" not in page.lower()
    assert page.index("second@example.com") < page.index("first@example.com")
    assert "2 e-mails in" in page


def test_the_list_is_paged(
    app: Flask, client: FlaskClient, box_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(mailbox_page, "PAGE", 2)
    for n in range(5):
        drop_in(box_dir, subject=f"Message {n}", text="", html_part="<p>x</p>", key=str(n))
    first = client.get("/dev/mailbox/").get_data(as_text=True)
    assert "Message 4" in first
    assert "Message 3" in first
    assert "Message 2" not in first
    last = client.get("/dev/mailbox/?page=3").get_data(as_text=True)
    assert "Message 0" in last
    assert "Message 1" not in last
    # A page number out of range or not a number shows a page, never an error.
    assert client.get("/dev/mailbox/?page=99").status_code == 200
    assert client.get("/dev/mailbox/?page=-1").status_code == 200
    assert client.get("/dev/mailbox/?page=" + "9" * 50).status_code == 200


def test_a_message_shows_headers_text_with_links_and_html_in_a_sandbox(
    app: Flask, client: FlaskClient, box_dir: Path
) -> None:
    reset = "http://127.0.0.1:5000/reset/secret-token?x=1&y=2"
    key = drop_in(
        box_dir,
        subject="비밀번호 재설정",
        text=f"Reset your password: {reset}\n<b>not bold</b>",
        html_part=(
            "<!doctype html><html><head><title>t</title></head><body>"
            f'<p style="color:red">Hi</p><a href="{reset}">Reset</a>'
            "<script>alert('mail')</script><img src=x onerror=alert(1)></body></html>"
        ),
    )
    response = client.get(f"/dev/mailbox/{key}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "<h1>비밀번호 재설정</h1>" in page
    # Headers, decoded, the one-click unsubscribe ones included.
    assert "List-Unsubscribe" in page
    assert "List-Unsubscribe-Post" in page
    assert "&lt;http://127.0.0.1:5000/mail/unsubscribe/abc&gt;" in page
    assert "김민지 &lt;minji@example.com&gt;" in page
    # The plain text: escaped, its link clickable.
    escaped_reset = html.escape(reset)
    assert f'<a href="{escaped_reset}" target="_blank" rel="noopener noreferrer">' in page
    assert "&lt;b&gt;not bold&lt;/b&gt;" in page
    # The HTML part only inside the frame's srcdoc, escaped: nothing of it is live on the page.
    assert "<script>alert" not in page
    assert "onerror=alert(1)>" not in page
    frames = re.findall(r"<iframe[^>]*>", page)
    assert len(frames) == 1
    frame = frames[0]
    sandbox = re.search(r'sandbox="([^"]*)"', frame)
    assert sandbox is not None
    assert "allow-scripts" not in sandbox.group(1)
    assert "allow-same-origin" not in sandbox.group(1)
    srcdoc = re.search(r'srcdoc="([^"]*)"', frame)
    assert srcdoc is not None
    inner = html.unescape(srcdoc.group(1))
    # Inside the frame: a policy with no script source at all, links to a new tab.
    assert inner.startswith("<!doctype html><html><head>")
    frame_policy = mailbox_page.FRAME_POLICY
    assert f'<meta http-equiv="Content-Security-Policy" content="{frame_policy}">' in inner
    assert "script-src" not in mailbox_page.FRAME_POLICY  # default-src 'none' covers scripts
    assert mailbox_page.FRAME_POLICY.startswith("default-src 'none'")
    assert '<base target="_blank">' in inner
    assert f'<a href="{reset}">Reset</a>' in inner
    # And the page's own policy allows no inline script either.
    policy = dict(
        directive.strip().split(" ", 1)
        for directive in response.headers["Content-Security-Policy"].split(";")
    )
    assert policy["script-src"] == "'self'"
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize(
    "key",
    ["..", "...", "1700000000.M1P1Q1.nosuch", "bad key", "a;b", "%2e%2e%2fetc%2fpasswd", "x" * 300],
)
def test_a_bad_or_unknown_key_is_404(
    app: Flask, client: FlaskClient, box_dir: Path, key: str
) -> None:
    drop_in(box_dir, subject="s", text="t", html_part="<p>h</p>")
    assert client.get(f"/dev/mailbox/{key}").status_code == 404


def test_an_empty_mailbox_and_a_missing_message(app: Flask, client: FlaskClient) -> None:
    page = client.get("/dev/mailbox/")
    assert page.status_code == 200
    assert "No e-mails yet" in page.get_data(as_text=True)
    assert client.get("/dev/mailbox/1700000000.M1P1Q1.host").status_code == 404


def test_delete_all_needs_the_csrf_token(app: Flask, client: FlaskClient, box_dir: Path) -> None:
    send_test("a@example.com", "email:test:a")
    send_test("b@example.com", "email:test:b")
    assert client.post("/dev/mailbox/delete").status_code == 400
    assert client.post("/dev/mailbox/delete", data={"csrf_token": "forged"}).status_code == 400
    assert len(keys_in(box_dir)) == 2
    response = client.post("/dev/mailbox/delete", data={"csrf_token": csrf_token(client)})
    assert response.status_code == 302
    assert keys_in(box_dir) == []
    assert "No e-mails yet" in client.get("/dev/mailbox/").get_data(as_text=True)


def test_staff_outbox_links_the_mailbox_in_mailbox_mode(
    app: Flask, client: FlaskClient, make_user: UserBuilder
) -> None:
    login(client, make_user("staff"), PASSWORD)
    page = client.get("/staff/outbox").get_data(as_text=True)
    assert 'href="/dev/mailbox/"' in page


def test_the_demo_board_leaves_staff_mail_to_look_at(
    app: Flask, client: FlaskClient, box_dir: Path
) -> None:
    """`make run`: the demo loads, the worker's first round queues and sends the staff mail."""
    from ideaboard.database import utcnow
    from ideaboard.demo import load_demo
    from ideaboard.mail.jobs import run_scheduled

    load_demo()
    db.session.commit()
    assert run_scheduled(utcnow())["overdue_ideas"] >= 1
    assert deliver().sent >= 1
    page = client.get("/dev/mailbox/").get_data(as_text=True)
    assert "admin@example.com" in page
    assert "without a team wait" in page
    key = keys_in(box_dir)[0]
    message_page = client.get(f"/dev/mailbox/{key}").get_data(as_text=True)
    assert "/staff/ideas/" in message_page


def test_the_mailbox_speaks_korean(app: Flask, box_dir: Path) -> None:
    send_test("a@example.com", "email:test:ko", lang="ko")
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "ko"
    page = client.get("/dev/mailbox/").get_data(as_text=True)
    assert "개발용 메일함" in page
    assert "메일 모두 삭제" in page
    assert "Development mailbox" not in page
    message_page = client.get(f"/dev/mailbox/{keys_in(box_dir)[0]}").get_data(as_text=True)
    assert "일반 텍스트" in message_page
    assert "SMTP 설정이 작동합니다" in message_page
