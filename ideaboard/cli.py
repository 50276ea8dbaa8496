"""`flask ideaboard …` commands."""

from __future__ import annotations

import click
from flask import Blueprint
from sqlalchemy import func, select

from .accounts import services as accounts
from .accounts.models import Role
from .database import write_intent
from .errors import DomainError
from .extensions import db

bp = Blueprint("ideaboard_cli", __name__, cli_group="ideaboard")


@bp.cli.command("create-user")
@click.option("--email", required=True)
@click.option("--password", required=True)
@click.option("--role", type=click.Choice([r.value for r in Role]), default=Role.CUSTOMER.value)
@click.option("--name", default=None, help="Display name (default: the part before @).")
@click.option("--initials", default="", help="Signature on social replies, e.g. KG.")
def create_user(email: str, password: str, role: str, name: str | None, initials: str) -> None:
    """Create a user with a role (staff and admins are made this way).

    The address counts as verified (the operator vouches for it): no verification e-mail.
    """
    with write_intent():
        try:
            user = accounts.register_user(
                email,
                name or email.split("@", 1)[0],
                password,
                role=Role(role),
                initials=initials,
                verified=True,
            )
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            raise click.ClickException(error.message) from None
    click.echo(f"Created {user.role} {user.email} (id {user.id}).")


@bp.cli.command("demo")
@click.option("--if-empty", is_flag=True, help="Do nothing when the board already has ideas.")
@click.option("--seed", default=7, show_default=True, help="Seed for votes and dates.")
def demo(if_empty: bool, seed: int) -> None:
    """Load the demo board: users, staff, ideas in Korean and English, votes, comments, stages."""
    from .demo import DEMO_PASSWORD, load_demo
    from .ideas.models import Idea

    if db.session.scalar(select(func.count()).select_from(Idea)):
        if if_empty:
            click.echo("The board has ideas already; demo data not loaded.")
            return
        # Loading twice would duplicate every idea (and clash on the imported posts' ids).
        raise click.ClickException(
            "The board has ideas already. The demo loads into an empty database only "
            "(remove instance/ideaboard.sqlite, or use another DATABASE_URL)."
        )
    with write_intent():
        try:
            summary = load_demo(seed=seed, progress=click.progressbar)
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            raise click.ClickException(error.message) from None
    click.echo(
        f"Loaded {summary['ideas']} ideas, {summary['users']} users, {summary['votes']} votes, "
        f"{summary['comments']} comments."
    )
    from flask import current_app

    if "x_sandbox" in current_app.extensions:
        from .demo import seed_sandbox

        posted = seed_sandbox(current_app.extensions["x_sandbox"])
        click.echo(f"Sandbox X: posted {posted} demo mentions (see /x-sandbox/sandbox/).")
    bluesky = current_app.extensions.get("bluesky_sandbox")
    mastodon = current_app.extensions.get("mastodon_sandbox")
    if bluesky is not None or mastodon is not None:
        from .demo import seed_open_sandboxes

        waiting = seed_open_sandboxes(bluesky, mastodon)
        click.echo(
            f"Sandboxes Bluesky and Mastodon: {waiting} mentions wait for the worker's first "
            "round (see /bluesky-sandbox/sandbox/ and /mastodon-sandbox/sandbox/)."
        )
    click.echo(f"Staff login: staff@example.com / {DEMO_PASSWORD}")
    click.echo(f"Admin login: admin@example.com / {DEMO_PASSWORD}")
    click.echo(f"Customer login: {summary['customer']} / {DEMO_PASSWORD}")


@bp.cli.command("import-mentions")
def import_mentions() -> None:
    """Poll every connected account once and import tagged mentions."""
    from .social import jobs
    from .social.connectors import FetchError
    from .social.models import SocialAccount

    jobs.ensure_default_account()
    accounts = list(db.session.scalars(select(SocialAccount).where(SocialAccount.active)))
    if not accounts:
        raise click.ClickException(
            "No X account is connected: set IDEABOARD_X_USER_ID and the credentials, "
            "or IDEABOARD_X_SANDBOX=1."
        )
    failed = False
    for account in accounts:
        connector = jobs.connector_for(account)
        logged_before = _last_mention_log_id(account.id)
        try:
            result = jobs.run_import(account, connector, owner=jobs.worker_name())
        except FetchError as error:
            click.echo(f"@{account.username}: could not read mentions: {error.message}", err=True)
            failed = True
            continue
        finally:
            connector.close()
        if result is None:
            click.echo(f"@{account.username}: another worker is importing, or waiting for a reset.")
            continue
        _echo_mentions(account.id, logged_before)
        click.echo(
            f"@{account.username}: fetched {result.fetched}, imported {result.imported}, "
            f"held {result.held}, counted as votes {result.voted}, skipped {result.skipped}, "
            f"answered with launched or declined ideas {result.answered}, "
            f"seen before {result.already_seen}."
        )
    if failed:
        raise SystemExit(1)


MENTIONS_SHOWN = 20  # a big catch-up import lists the first ones, then counts the rest


def _last_mention_log_id(account_id: int) -> int:
    from .social.models import MentionLog

    last = db.session.scalar(
        select(func.max(MentionLog.id)).where(MentionLog.account_id == account_id)
    )
    db.session.commit()  # no transaction left open across the import's network calls
    return int(last or 0)


def _echo_mentions(account_id: int, after_id: int) -> None:
    """Print one line per mention this import handled: what became of it, and why."""
    from .social.models import MentionLog

    entries = list(
        db.session.scalars(
            select(MentionLog)
            .where(MentionLog.account_id == account_id, MentionLog.id > after_id)
            .order_by(MentionLog.id)
        )
    )
    for entry in entries[:MENTIONS_SHOWN]:
        text = " ".join(entry.text.split())
        text = text if len(text) <= 60 else text[:59] + "…"
        idea = f" → idea #{entry.idea_id}" if entry.idea_id else ""
        why = f" ({entry.reason})" if entry.reason else ""
        click.echo(f"  {entry.outcome:<8} @{entry.author_handle}: {text}{idea}{why}")
    if len(entries) > MENTIONS_SHOWN:
        click.echo(f"  … and {len(entries) - MENTIONS_SHOWN} more (see /staff/accounts).")
    db.session.commit()


@bp.cli.command("deliver")
def deliver() -> None:
    """Send every due outbox row once, then exit."""
    from .outbox.delivery import deliver_due
    from .social import jobs

    jobs.ensure_default_account()
    db.session.commit()
    result = deliver_due(worker=jobs.worker_name())
    click.echo(
        f"Claimed {result.claimed}: sent {result.sent}, found already sent "
        f"{result.found_existing}, failed {result.failed} (will retry), dead {result.dead}, "
        f"deferred {result.deferred}, skipped {result.skipped}."
    )


@bp.cli.command("mail-test")
@click.argument("address")
def mail_test(address: str) -> None:
    """Send a test e-mail to ADDRESS now, to check IDEABOARD_SMTP_URL (and say what happened)."""
    from flask import current_app

    from .database import utcnow
    from .mail import enqueue, settings
    from .outbox.delivery import deliver_due
    from .outbox.models import OutboxMessage
    from .social import jobs

    if settings.mode(current_app.config) == "off":
        raise click.ClickException(
            "E-mail is off: set IDEABOARD_SMTP_URL (or IDEABOARD_MAILBOX=1 in development)."
        )
    now = utcnow()
    key = f"email:test:{now.isoformat()}:{address[:120]}"
    with write_intent():
        enqueue.enqueue(
            letter="test",
            to=address,
            dedupe_key=key,
            params={"requested_at": f"{now:%Y-%m-%d %H:%M}"},
        )
        db.session.commit()
        deliver_due(worker=jobs.worker_name())
        row = db.session.scalar(select(OutboxMessage).where(OutboxMessage.dedupe_key == key))
        db.session.commit()
    if row is None or row.state != "sent":
        state = row.state if row is not None else "missing"
        why = row.last_error if row is not None else ""
        raise click.ClickException(f"The test e-mail was not sent ({state}): {why}")
    click.echo(f"Sent a test e-mail to {address} (Message-ID {row.remote_id}).")


@bp.cli.command("check-spikes")
def check_spikes() -> None:
    """Judge the last hour and the hour in progress for spikes of mentions; print what fired."""
    from .database import utcnow
    from .listening import alerts

    now = utcnow()
    with write_intent():
        fired = alerts.check_spikes(now)
        db.session.commit()
    last, current = alerts.judged_hours(now)
    for item in fired:
        click.echo(("(early) " if item.early else "") + item.alert.describe())
    if not fired:
        click.echo(
            f"No new spike alerts for {last:%Y-%m-%d %H}:00 or {current:%H}:00 UTC "
            "(alerts recorded before are not repeated)."
        )


@bp.cli.command("worker")
@click.option("--interval", type=float, default=None, help="Seconds between rounds.")
@click.option("--once", is_flag=True, help="Run one round and exit.")
def worker(interval: float | None, once: bool) -> None:
    """Import mentions and deliver the outbox until stopped (SIGINT/SIGTERM)."""
    import signal
    import threading

    from flask import current_app

    from .worker import Worker, configure_logging

    configure_logging()
    stop = threading.Event()

    def _stop(_signum: int, _frame: object) -> None:
        stop.set()  # the loop logs and stops after the mention or row in hand

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    every = interval or float(current_app.config["IDEABOARD_WORKER_INTERVAL_SECONDS"])
    loop = Worker(stop, interval=every, once=once)
    loop.run()
    if loop.gave_up:
        raise SystemExit(1)  # --once could not finish a round: say so to cron or the caller


@bp.cli.command("add-account")
@click.option(
    "--network", type=click.Choice(["x", "bluesky", "mastodon"]), default="x", show_default=True
)
@click.option(
    "--username",
    required=True,
    help="X: the username (hanbit_help); Bluesky: the handle (hanbit.bsky.social); "
    "Mastodon: the username on its instance.",
)
@click.option(
    "--user-id",
    default=None,
    help="X only: the account's numeric id (default: IDEABOARD_X_<USERNAME>_USER_ID).",
)
@click.option(
    "--service",
    default=None,
    help="Bluesky: the account's server (default IDEABOARD_BLUESKY_SERVICE); Mastodon: its "
    "instance (default IDEABOARD_MASTODON_BASE_URL).",
)
def add_account(network: str, username: str, user_id: str | None, service: str | None) -> None:
    """Connect another brand account; its credentials come from the environment.

    X: IDEABOARD_X_<USERNAME>_*; Bluesky: IDEABOARD_BLUESKY_<HANDLE>_APP_PASSWORD; Mastodon:
    IDEABOARD_MASTODON_<USERNAME>_ACCESS_TOKEN (names in capitals, dots as _)."""
    from .social import accounts as social_accounts

    with write_intent():
        try:
            if network == "x":
                account = social_accounts.add_account(network, username, user_id)
                db.session.commit()
            else:
                account = social_accounts.add_open_account(network, username, service)
        except DomainError as error:
            db.session.rollback()
            raise click.ClickException(error.message) from None
    click.echo(
        f"Connected @{account.username} on {network} (its id there {account.remote_user_id}, "
        f"id {account.id}). The worker polls it from its next round; set its tags on "
        "/staff/accounts."
    )


def _set_account_active(username: str, active: bool, network: str | None = None) -> None:
    from .database import utcnow
    from .social import accounts as social_accounts
    from .social.models import SocialAccount

    name = username.strip().removeprefix("@").lower()
    with write_intent():
        query = select(SocialAccount).where(func.lower(SocialAccount.username) == name)
        if network:
            query = query.where(SocialAccount.network == network)
        found = list(db.session.scalars(query.order_by(SocialAccount.id)))
        if not found:
            raise click.ClickException(f"No connected account is called @{name}.")
        if len(found) > 1:  # e.g. @hanbit on X and on Mastodon
            networks = ", ".join(account.network for account in found)
            raise click.ClickException(
                f"@{name} is connected on several networks ({networks}): add --network."
            )
        account = found[0]
        social_accounts.set_active(account, active, utcnow())
        db.session.commit()
    state = "enabled" if active else "disabled (not polled; its replies wait)"
    click.echo(f"@{account.username} ({account.network}) is {state}.")


NETWORK_OPTION = click.option(
    "--network",
    type=click.Choice(["x", "bluesky", "mastodon"]),
    default=None,
    help="Which network's account, when the name is on several.",
)


@bp.cli.command("disable-account")
@click.option("--username", required=True)
@NETWORK_OPTION
def disable_account(username: str, network: str | None) -> None:
    """Stop polling an account and hold its replies; its history stays."""
    _set_account_active(username, False, network)


@bp.cli.command("enable-account")
@click.option("--username", required=True)
@NETWORK_OPTION
def enable_account(username: str, network: str | None) -> None:
    """Poll an account again and send the replies that waited for it."""
    _set_account_active(username, True, network)
