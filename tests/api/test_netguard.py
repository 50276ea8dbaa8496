"""Webhook destinations: public addresses only, checked at save and at send time, pinned."""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from ideaboard import netguard
from ideaboard.accounts.models import Role, User
from ideaboard.api import services
from ideaboard.errors import ValidationFailed
from ideaboard.extensions import db
from ideaboard.ideas.models import Idea
from ideaboard.outbox.delivery import deliver_due
from ideaboard.outbox.models import OutboxMessage
from ideaboard.webhooks.models import Webhook
from tests.api.helpers import Receiver
from tests.helpers import login, post

_real_getaddrinfo = socket.getaddrinfo
FAKE_DNS: dict[str, list[str]] = {
    "metadata.google.internal": ["169.254.169.254"],
    "hooks.example.com": ["93.184.216.34"],
    "split.example.com": ["93.184.216.34", "10.1.2.3"],
    "sneaky.example.com": ["127.0.0.1"],
    "meta6.example.com": ["fd00:ec2::254"],
}


def _fake_getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
    """Answer the test names from FAKE_DNS (never real DNS); IP literals resolve locally."""
    name = host.decode() if isinstance(host, bytes) else str(host)
    if name in FAKE_DNS:
        out = []
        for address in FAKE_DNS[name]:
            family = socket.AF_INET6 if ":" in address else socket.AF_INET
            sockaddr = (address, int(port or 0), 0, 0) if ":" in address else (address, port)
            out.append((family, socket.SOCK_STREAM, 6, "", sockaddr))
        return out
    if name not in ("localhost",) and not any(c.isdigit() for c in name.split(".")[-1]):
        if ":" not in name:
            raise socket.gaierror(socket.EAI_NONAME, "not in the test's DNS")
    return _real_getaddrinfo(host, port, *args, **kwargs)


@pytest.fixture(autouse=True)
def fake_dns(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket, "getaddrinfo", _fake_getaddrinfo)


@pytest.fixture
def admin(make_user: Callable[..., User]) -> User:
    return make_user(Role.ADMIN, initials="AD")


# The audit's internal destinations: every one must be refused by default.
INTERNAL = [
    "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
    "http://metadata.google.internal/computeMetadata/v1/",
    "http://10.0.0.5/hook",
    "http://172.16.3.4:8080/hook",
    "http://192.168.1.1/hook",
    "http://127.0.0.1:6379/",
    "http://2130706433/hook",
    "http://0x7f000001/hook",
    "http://127.1/hook",
    "http://[::1]/hook",
    "http://0.0.0.0:5000/hook",
    "http://localhost:5000/hook",
    "http://[::ffff:127.0.0.1]/hook",
    "http://[::ffff:169.254.169.254]/hook",
    "http://[64:ff9b::a9fe:a9fe]/hook",
    "http://100.64.0.1/hook",
    "http://[fe80::1]/hook",
    "http://sneaky.example.com/hook",
]


@pytest.mark.parametrize("url", INTERNAL)
def test_internal_destinations_are_refused_at_save_time(admin: User, url: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        services.create_webhook(admin, url, ["idea.created"])
    assert caught.value.field == "url"
    assert "cannot receive webhooks" in caught.value.message
    assert db.session.scalar(select(Webhook)) is None


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://metadata.google.internal/",
        "http://0.0.0.0/hook",
        "http://[fe80::1]/hook",
        "http://224.0.0.1/hook",
        "http://[64:ff9b::a9fe:a9fe]/hook",
        "http://meta6.example.com/hook",
    ],
)
def test_allow_private_still_refuses_metadata_and_special_addresses(
    app: Flask, admin: User, url: str
) -> None:
    app.config["IDEABOARD_WEBHOOK_ALLOW_PRIVATE"] = True
    if url == "http://meta6.example.com/hook":  # a ULA name is private: allowed on intranets
        services.create_webhook(admin, url, ["idea.created"])
        return
    if url == "http://metadata.google.internal/":  # the name passes, its link-local address not
        with pytest.raises(ValidationFailed, match="link-local"):
            services.create_webhook(admin, url, ["idea.created"])
        return
    with pytest.raises(ValidationFailed):
        services.create_webhook(admin, url, ["idea.created"])


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:9/hook", "http://10.0.0.5/hook", "http://localhost:8080/hook"]
)
def test_allow_private_lets_intranet_receivers_in(app: Flask, admin: User, url: str) -> None:
    app.config["IDEABOARD_WEBHOOK_ALLOW_PRIVATE"] = True
    assert services.create_webhook(admin, url, ["idea.created"]).url == url


def test_public_destinations_are_accepted(admin: User) -> None:
    for url in ("https://hooks.example.com/in", "http://93.184.216.34:8443/x"):
        assert services.create_webhook(admin, url, ["idea.created"]).url == url


def test_a_name_with_any_private_address_is_refused(admin: User) -> None:
    with pytest.raises(ValidationFailed, match="10.1.2.3"):
        services.create_webhook(admin, "https://split.example.com/in", ["idea.created"])


@pytest.mark.parametrize(
    "url",
    [
        "ftp://hooks.example.com/",
        "http://user:pw@hooks.example.com/",
        "http://hooks.example.com:0/",
        "http://hooks.example.com:99999/",
        "http://nowhere.invalid/hook",
    ],
)
def test_malformed_or_unresolvable_urls_are_refused(url: str) -> None:
    with pytest.raises(netguard.BlockedDestination):
        netguard.check(url)


def test_admin_page_shows_the_refusal(client: FlaskClient, admin: User) -> None:
    login(client, admin)
    page = post(
        client,
        "/staff/webhooks",
        {"url": "http://169.254.169.254/latest/", "events": ["idea.created"]},
    )
    assert page.status_code == 422
    assert "cannot receive webhooks" in page.get_data(as_text=True)
    assert db.session.scalar(select(Webhook)) is None


def _deliver() -> Any:
    result = deliver_due(worker="test-worker")
    db.session.expire_all()
    return result


def _row() -> OutboxMessage:
    return db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "webhook")).one()


def test_send_time_check_catches_a_name_that_now_resolves_inside(
    admin: User, make_idea: Callable[..., Idea], receiver: Receiver
) -> None:
    """DNS rebinding: public when saved, loopback when sent; nothing goes out."""
    port = receiver.url.split(":")[2].split("/")[0]
    services.create_webhook(admin, f"http://hooks.example.com:{port}/hook", ["idea.created"])
    db.session.commit()
    make_idea()
    FAKE_DNS["hooks.example.com"] = ["127.0.0.1"]
    try:
        assert _deliver().dead == 1
    finally:
        FAKE_DNS["hooks.example.com"] = ["93.184.216.34"]
    assert receiver.requests == []
    assert "loopback" in _row().last_error


@pytest.fixture
def rebinding(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """A name that resolves to 127.0.0.1 on the first lookup and to 127.0.0.2 after."""
    lookups: list[str] = []

    def answer(host: Any, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
        if host == "rebind.example.com":
            address = "127.0.0.1" if not lookups else "127.0.0.2"
            lookups.append(address)
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]
        return _fake_getaddrinfo(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", answer)
    return lookups


def test_the_connection_goes_to_the_checked_address(
    receiver: Receiver, rebinding: list[str]
) -> None:
    port = int(receiver.url.split(":")[2].split("/")[0])
    url = f"http://rebind.example.com:{port}/hook"
    with netguard.post(
        url, data=b"{}", headers={"X-Test": "1"}, timeout=5, allow_private=True
    ) as response:
        assert response.status_code == 204
    assert rebinding == ["127.0.0.1"]  # resolved once, by the check; the socket used that
    assert receiver.last["headers"]["Host"] == f"rebind.example.com:{port}"
    assert receiver.last["headers"]["X-Test"] == "1"


def test_tls_keeps_the_name_for_sni_and_the_certificate() -> None:
    destination = netguard.Destination(
        url="https://hooks.example.com/in",
        scheme="https",
        host="hooks.example.com",
        port=443,
        address=netguard.ipaddress.ip_address("93.184.216.34"),
    )
    adapter = netguard._PinnedAdapter(destination)
    assert adapter.poolmanager.connection_pool_kw["server_hostname"] == "hooks.example.com"
    assert adapter.poolmanager.connection_pool_kw["assert_hostname"] == "hooks.example.com"
    assert destination.pinned_url == "https://93.184.216.34:443/in"
    assert destination.host_header == "hooks.example.com"


def test_the_receivers_answer_is_not_stored(
    app: Flask, admin: User, make_idea: Callable[..., Idea], receiver: Receiver
) -> None:
    app.config["IDEABOARD_WEBHOOK_ALLOW_PRIVATE"] = True
    services.create_webhook(admin, receiver.url, ["idea.created"])
    db.session.commit()
    make_idea()
    receiver.answer(500)  # the receiver answers "answer 500" in the body
    assert _deliver().failed == 1
    row = _row()
    assert row.last_error == "HTTP 500 Internal Server Error"
    assert "answer" not in (row.last_error or "")


def test_a_redirect_is_not_followed(
    app: Flask, admin: User, make_idea: Callable[..., Idea], receiver: Receiver
) -> None:
    app.config["IDEABOARD_WEBHOOK_ALLOW_PRIVATE"] = True
    services.create_webhook(admin, receiver.url, ["idea.created"])
    db.session.commit()
    make_idea()
    receiver.answer(302, {"Location": "http://169.254.169.254/latest/"})
    assert _deliver().dead == 1
    assert len(receiver.requests) == 1
    assert _row().last_error == "HTTP 302 Found"


def test_without_allow_private_the_worker_refuses_a_loopback_row(
    app: Flask, admin: User, make_idea: Callable[..., Idea], receiver: Receiver
) -> None:
    """A row saved while private receivers were allowed is not sent once they are not."""
    app.config["IDEABOARD_WEBHOOK_ALLOW_PRIVATE"] = True
    services.create_webhook(admin, receiver.url, ["idea.created"])
    db.session.commit()
    make_idea()
    app.config["IDEABOARD_WEBHOOK_ALLOW_PRIVATE"] = False
    assert _deliver().dead == 1
    assert receiver.requests == []
