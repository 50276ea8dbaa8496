"""Brand accounts: add one (CLI or the accounts page), disable and enable it.

Each account's credentials stay in the environment, never in the database. X:
IDEABOARD_X_<USERNAME>_CONSUMER_KEY, …_CONSUMER_SECRET, …_ACCESS_TOKEN, …_ACCESS_TOKEN_SECRET
and …_USER_ID (read by social.jobs._credential). Bluesky: IDEABOARD_BLUESKY_<HANDLE>_APP_PASSWORD;
Mastodon: IDEABOARD_MASTODON_<USERNAME>_ACCESS_TOKEN (the name in capitals, dots and dashes as
_). A disabled account is not polled and its replies wait; its mention log, ideas and sent
replies stay.

add_account (X) flushes and never commits. An account on Bluesky or Mastodon is connected by
add_open_account, a job step: it logs in to learn who the account is (no transaction open
during the call) and commits.
"""

from __future__ import annotations

import os
import re
from datetime import datetime

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select, update

from ..config import check_service_url
from ..errors import Conflict, ValidationFailed
from ..extensions import db
from ..outbox.models import OutboxMessage, OutboxState
from .models import SocialAccount

NETWORKS = ("x", "bluesky", "mastodon")
# A Bluesky handle is a domain name (hanbit.bsky.social, or the brand's own domain).
HANDLE_RE = re.compile(
    r"(?=.{3,253}$)(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]"
    r"(?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
)
MASTODON_USERNAME_RE = re.compile(r"[A-Za-z0-9_]{1,30}")
# X's rule for a username ("handle"): 1 to 15 letters, digits or underscores.
USERNAME_RE = re.compile(r"[A-Za-z0-9_]{1,15}")
USER_ID_RE = re.compile(r"[1-9][0-9]{0,19}")
# The user-context credentials an account needs to read its mentions and reply.
REQUIRED_CREDENTIALS = ("CONSUMER_KEY", "CONSUMER_SECRET", "ACCESS_TOKEN", "ACCESS_TOKEN_SECRET")
# Stored (in English, like every outbox error) on a reply that waits for its account.
DISABLED = "the account is disabled; the reply waits until an admin enables it"


def credential_variable(username: str, name: str) -> str:
    """The environment variable holding one credential of the account @username."""
    return f"IDEABOARD_X_{username.upper()}_{name}"


def missing_credentials(username: str) -> list[str]:
    """Name the account's credential variables that are not set (names only, never values)."""
    names = [credential_variable(username, n) for n in REQUIRED_CREDENTIALS]
    return [name for name in names if not os.environ.get(name)]


def clean_username(raw: str | None) -> str:
    """Return an X username without its @, or raise ValidationFailed."""
    username = (raw or "").strip().removeprefix("@")
    if not USERNAME_RE.fullmatch(username):
        raise ValidationFailed(
            _("An X username has 1 to 15 letters (a–z), digits or underscores."),
            field="username",
        )
    return username


def add_account(network: str, username: str, user_id: str | None = None) -> SocialAccount:
    """Connect another brand account; its credentials come from the environment.

    user_id is the account's numeric X id; without it IDEABOARD_X_<USERNAME>_USER_ID is read.
    Outside the sandbox the account's four credential variables must be set, so it never
    posts with another account's keys.
    """
    if network != "x":
        raise ValidationFailed(_("Use add_open_account for Bluesky and Mastodon."), "network")
    username = clean_username(username)
    given = (user_id or "").strip() or os.environ.get(credential_variable(username, "USER_ID"))
    if not given:
        raise ValidationFailed(
            _(
                "Give the account's numeric X user id, or set %(variable)s.",
                variable=credential_variable(username, "USER_ID"),
            ),
            field="user_id",
        )
    if not USER_ID_RE.fullmatch(given):
        raise ValidationFailed(_("An X user id is a number, like 1500000000000000001."), "user_id")
    taken = db.session.scalar(
        select(SocialAccount).where(
            SocialAccount.network == network,
            func.lower(SocialAccount.username) == username.lower(),
        )
    )
    if taken is not None:
        raise Conflict(_("@%(name)s is connected already.", name=taken.username), "username")
    same_id = db.session.scalar(
        select(SocialAccount).where(
            SocialAccount.network == network, SocialAccount.remote_user_id == given
        )
    )
    if same_id is not None:
        raise Conflict(
            _("This user id belongs to @%(name)s, connected already.", name=same_id.username),
            field="user_id",
        )
    if not current_app.config.get("IDEABOARD_X_SANDBOX"):
        missing = missing_credentials(username)
        if missing:
            raise ValidationFailed(
                _(
                    "Set the account's credentials in the environment first: %(names)s.",
                    names=", ".join(missing),
                ),
                field="username",
            )
    account = SocialAccount(
        network=network,
        remote_user_id=given,
        username=username,
        display_name=username,
        tags=",".join(current_app.config["IDEABOARD_IDEA_TAGS"]),
        signature="IB",
    )
    db.session.add(account)
    db.session.flush()
    return account


def clean_open_username(network: str, raw: str | None) -> str:
    """Return a Bluesky handle or a Mastodon username without @, or raise ValidationFailed."""
    username = (raw or "").strip().removeprefix("@")
    if network == "bluesky":
        if not HANDLE_RE.fullmatch(username):
            raise ValidationFailed(
                _("A Bluesky handle is a domain name, like hanbit.bsky.social."),
                field="username",
            )
        return username.lower()
    if network == "mastodon":
        username = username.split("@", 1)[0]  # user@instance: the instance is the server
        if not MASTODON_USERNAME_RE.fullmatch(username):
            raise ValidationFailed(
                _("A Mastodon username has 1 to 30 letters (a–z), digits or underscores."),
                field="username",
            )
        return username
    raise ValidationFailed(_("Choose X, Bluesky or Mastodon."), field="network")


def add_open_account(network: str, username: str, service: str | None = None) -> SocialAccount:
    """Connect a Bluesky or Mastodon brand account: log in with its credentials from the
    environment, learn who it is, and add it (committed). A job step.

    service: the account's server (a Bluesky PDS, a Mastodon instance); default the one
    configured for the network (or its sandbox). ValidationFailed when the credentials are
    missing or refused, Conflict when the account is connected already.
    """
    from . import jobs  # jobs builds connectors, which build on this module's callers
    from .connectors import FetchError

    username = clean_open_username(network, username)
    sandbox = current_app.config.get(f"IDEABOARD_{network.upper()}_SANDBOX")
    try:
        if network == "bluesky":
            server = (service or "").strip() or jobs.bluesky_service()
            check_service_url("IDEABOARD_BLUESKY_SERVICE", server)
            secret = jobs.bluesky_password(username)
            variable = f"IDEABOARD_BLUESKY_{jobs.variable_part(username)}_APP_PASSWORD"
        else:
            server = (service or "").strip() or jobs.mastodon_instance() or ""
            check_service_url("IDEABOARD_MASTODON_BASE_URL", server)
            secret = jobs.mastodon_token(username)
            variable = f"IDEABOARD_MASTODON_{jobs.variable_part(username)}_ACCESS_TOKEN"
    except RuntimeError as error:  # plain http to another machine
        raise ValidationFailed(str(error), field="service") from None
    if not server:
        raise ValidationFailed(_("Give the account's server, e.g. https://mastodon.social."),
                               field="service")  # fmt: skip
    if not secret and not sandbox:
        raise ValidationFailed(
            _("Set the account's credentials in the environment first: %(names)s.", names=variable),
            field="username",
        )
    taken = db.session.scalar(
        select(SocialAccount).where(
            SocialAccount.network == network,
            func.lower(SocialAccount.username) == username.lower(),
            SocialAccount.service_url == server,
        )
    )
    if taken is not None:
        raise Conflict(_("@%(name)s is connected already.", name=taken.username), "username")
    probe = SocialAccount(network=network, username=username, remote_user_id="")
    db.session.commit()  # nothing open while the network is asked
    try:
        who = jobs.identify(probe, server)
    except FetchError as error:
        raise ValidationFailed(
            _("The network refused to connect the account: %(reason)s", reason=error.message),
            field="username",
        ) from None
    if who.username.lower() != username.lower() and network == "mastodon":
        raise ValidationFailed(
            _("This token belongs to @%(owner)s, not @%(name)s.", owner=who.username,
              name=username),
            field="username",
        )  # fmt: skip
    same = db.session.scalar(
        select(SocialAccount).where(
            SocialAccount.network == network, SocialAccount.remote_user_id == who.remote_user_id
        )
    )
    if same is not None:
        raise Conflict(_("@%(name)s is connected already.", name=same.username), "username")
    return jobs.save_account(probe, server, who)


def set_active(account: SocialAccount, active: bool, now: datetime) -> None:
    """Disable (not polled, replies wait) or enable an account; nothing is deleted.

    Enabling sends the replies that waited for it in the next delivery round.
    """
    account.active = active
    if active:
        db.session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.account_id == account.id,
                OutboxMessage.state == OutboxState.FAILED.value,
                OutboxMessage.last_error == DISABLED,
            )
            .values(next_attempt_at=now)
        )
    db.session.flush()
