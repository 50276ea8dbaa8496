"""The background loop behind `flask ideaboard worker`: poll mentions, deliver the outbox.

Each round polls every active social account once (`run_import`), queues the scheduled
e-mails, checks for spikes of mentions (`listening.alerts`), then sends the due
outbox rows (`deliver_due`), then records a heartbeat (ideaboard/heartbeat.py) and logs what it did
at INFO. The loop is built to be left running:

- Transient database errors (SQLite's "database is locked", a PostgreSQL connection that
  was closed or lost) do not end it: the session is rolled back and dropped, a WARNING is
  logged, and the round is tried again after an exponential back-off (1, 2, 4, … seconds with
  jitter, at most IDEABOARD_WORKER_BACKOFF_MAX_SECONDS).
- Any other error in one account's import is logged with its traceback; the other accounts
  and the outbox still get their turn, and the next round waits at least the back-off.
- SIGTERM/SIGINT (the CLI sets `stop`) end it after the mention or outbox row in hand.

The jobs own their transactions (they commit per mention and per row); this loop commits
only the heartbeat.
"""

from __future__ import annotations

import itertools
import logging
import random
import sqlite3
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import asdict
from datetime import timedelta
from typing import Any, TextIO

import psycopg
from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, DisconnectionError, OperationalError

from . import heartbeat
from .campaigns.announce import queue_announcements
from .database import utcnow, write_intent
from .extensions import db
from .listening.alerts import find_spikes, record_spikes
from .mail.jobs import run_scheduled
from .outbox.delivery import deliver_due
from .social.connectors import Connector, FetchError
from .social.jobs import connector_for, ensure_default_account, run_import, worker_name
from .social.models import SocialAccount

logger = logging.getLogger(__name__)

# With `--once`, how many times a failed round is tried again before the command gives up.
ONCE_TRIES = 3

# Outbox rows per deliver_due call: the heartbeat is written between batches, so a long
# backlog does not make the worker look stale.
DELIVERY_BATCH = 100
BACKOFF_BASE_SECONDS = 1.0


LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class _WorkerLogHandler(logging.StreamHandler[TextIO]):
    """The stderr handler configure_logging adds: its class finds it again on a 2nd call."""


def configure_logging(level: int = logging.INFO) -> None:
    """Show the worker's INFO lines on stderr, unless the host configured logging already.

    Flask gives the "ideaboard" logger a stderr handler but leaves its level at WARNING
    (the root's); a command run from a shell would then say nothing about its rounds.
    """
    package = logging.getLogger("ideaboard")
    mine = [h for h in package.handlers if isinstance(h, _WorkerLogHandler)]
    if not logging.getLogger().handlers and not mine:
        from flask.logging import default_handler

        package.removeHandler(default_handler)
        handler = _WorkerLogHandler(sys.stderr)
        handler.setFormatter(logging.Formatter(LOG_FORMAT))
        package.addHandler(handler)
    if package.level == logging.NOTSET:
        package.setLevel(level)


class Stopping(Exception):
    """Raised between two mentions of an import when the worker was asked to stop."""


def is_transient_db_error(error: BaseException) -> bool:
    """Tell whether error is a database hiccup worth waiting out (locked, connection lost)."""
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    if isinstance(error, OperationalError | DisconnectionError):
        return True
    if isinstance(error, psycopg.OperationalError):
        return True
    return isinstance(error, sqlite3.OperationalError) and (
        "locked" in str(error) or "busy" in str(error)
    )


def _short(error: BaseException) -> str:
    """The first line of a database error, without the SQL SQLAlchemy appends."""
    original = getattr(error, "orig", None) or error
    text = str(original).strip().splitlines()
    return f"{type(original).__name__}: {text[0] if text else ''}".rstrip(": ")


class Backoff:
    """Exponential back-off with full jitter in its upper half: base·2ⁿ, capped."""

    def __init__(self, base: float, cap: float, rng: random.Random) -> None:
        self.base, self.cap, self.rng = base, cap, rng
        self.failures = 0

    def next_delay(self) -> float:
        ceiling: float = min(self.cap, self.base * 2**self.failures)
        self.failures += 1
        return ceiling / 2 + self.rng.uniform(0, ceiling / 2)

    def reset(self) -> None:
        self.failures = 0


def database_kind() -> str:
    """Say which database the worker uses, without credentials: "sqlite (path)" etc."""
    url = db.engine.url
    if url.get_backend_name() == "sqlite":
        return f"sqlite ({url.database or 'memory'})"
    where = f"{url.host or 'localhost'}{f':{url.port}' if url.port else ''}/{url.database or ''}"
    return f"{url.get_backend_name()} ({where})"


class Worker:
    """One worker process's loop; `run()` returns when `stop` is set (or after one round)."""

    def __init__(
        self,
        stop: threading.Event,
        *,
        interval: float,
        once: bool = False,
        name: str | None = None,
        connectors: Callable[[SocialAccount], Connector] | None = None,
        wait: Callable[[float], bool] | None = None,
        rng: random.Random | None = None,
        backoff_cap: float | None = None,
    ) -> None:
        self.stop = stop
        self.interval = interval
        self.once = once
        self.gave_up = False  # with once: every try at the round failed
        self.name = name or worker_name()
        self.connectors = connectors or connector_for
        # wait(seconds) sleeps until stop is set or the time is up; True when stopping.
        self.wait = wait or stop.wait
        self.rng = rng or random.Random()  # noqa: S311 - jitter between polls, not security
        cap = backoff_cap
        if cap is None:
            cap = float(current_app.config["IDEABOARD_WORKER_BACKOFF_MAX_SECONDS"])
        self.backoff = Backoff(BACKOFF_BASE_SECONDS, cap, self.rng)
        self.rounds = 0
        self._last_beat = 0.0

    # --- the loop ---------------------------------------------------------------------------

    def run(self) -> None:
        """Run rounds until stopped, surviving database hiccups and errors in a round."""
        self._start()
        while not self.stop.is_set():
            try:
                summary = self.run_round()
            except Stopping:
                break
            except Exception as error:  # the loop must outlive any one round
                self._recover_session()
                delay = self.backoff.next_delay()
                if is_transient_db_error(error):
                    logger.warning(
                        "database unavailable (%s); round %d retried in %.1f s (failure %d)",
                        _short(error),
                        self.rounds + 1,
                        delay,
                        self.backoff.failures,
                    )
                else:
                    logger.exception(
                        "worker round %d failed; retried in %.1f s", self.rounds + 1, delay
                    )
                if self.once and self.backoff.failures > ONCE_TRIES:
                    self.gave_up = True  # `worker --once` exits non-zero
                    logger.error("worker round failed %d times; giving up", self.backoff.failures)
                    break
                if self.wait(delay):
                    break
                continue
            if summary["errors"]:
                delay = max(self.interval, self.backoff.next_delay())
            else:
                self.backoff.reset()
                delay = self.interval + self.rng.uniform(0, self.interval / 5)
            if self.once or self.stop.is_set():
                break
            next_at = utcnow() + timedelta(seconds=delay)
            logger.info("next poll in %.1f s (at %s UTC)", delay, next_at.strftime("%H:%M:%S"))
            if self.wait(delay):
                break
        self._finish()

    def run_round(self) -> dict[str, Any]:
        """Poll every active account, deliver the outbox, beat; return the round's summary."""
        started = time.monotonic()
        ensure_default_account()
        accounts = [
            (a.id, a.username, a.network)
            for a in db.session.scalars(
                select(SocialAccount).where(SocialAccount.active).order_by(SocialAccount.id)
            )
        ]
        db.session.commit()
        summary: dict[str, Any] = {"round": self.rounds + 1, "accounts": {}, "errors": 0}
        for account_id, username, network in accounts:
            if self.stop.is_set():
                raise Stopping
            outcome = self._import_account(account_id, username, network)
            summary["accounts"][f"{network}:{username}"] = outcome
            if "error" in outcome and not outcome.get("fetch_failed"):
                summary["errors"] += 1
        summary["mail_jobs"] = self._mail_jobs()
        summary["spikes"] = self._spike_check()
        summary["campaign_posts"] = self._campaign_posts()
        summary["outbox"] = self._deliver()
        self.rounds += 1
        summary["seconds"] = round(time.monotonic() - started, 3)
        self._beat(summary=summary)
        out = summary["outbox"]
        logger.info(
            "round %d done in %.1f s: outbox claimed %d, sent %d, found %d, failed %d, "
            "dead %d, deferred %d",
            self.rounds,
            summary["seconds"],
            out["claimed"],
            out["sent"],
            out["found_existing"],
            out["failed"],
            out["dead"],
            out["deferred"],
        )
        return summary

    # --- the two jobs -----------------------------------------------------------------------

    def _import_account(self, account_id: int, username: str, network: str) -> dict[str, Any]:
        account = db.session.get(SocialAccount, account_id)
        db.session.commit()
        if account is None:
            return {"error": "account removed"}
        connector = self.connectors(account)
        try:
            result = run_import(account, connector, owner=self.name, after_each=self._between)
        except FetchError as error:
            logger.warning("@%s (%s): could not read mentions: %s", username, network, error)
            return {"error": error.message, "fetch_failed": True}
        except Stopping:
            raise
        except Exception as error:
            if is_transient_db_error(error):
                raise  # the whole round waits for the database
            self._recover_session()
            logger.exception("@%s (%s): import failed", username, network)
            return {"error": _short(error)}
        finally:
            connector.close()
        if result is None:
            logger.info(
                "@%s (%s): not polled (another worker holds it, or waiting for a rate-limit reset)",
                username,
                network,
            )
            return {"skipped_round": True}
        logger.info(
            "@%s (%s): fetched %d, imported %d, voted %d, skipped %d, held %d, seen before %d",
            username,
            network,
            result.fetched,
            result.imported,
            result.voted,
            result.skipped,
            result.held,
            result.already_seen,
        )
        return asdict(result)

    def _mail_jobs(self) -> dict[str, int]:
        """Queue the e-mails that are due by the clock (digests, staff reminders, alerts)."""
        with write_intent():
            queued = run_scheduled(utcnow())
        if any(queued.values()):
            logger.info("scheduled e-mails queued: %s", queued)
        return queued

    def _spike_check(self) -> list[str]:
        """Judge the last hour and the hour in progress for spikes of mentions (once per alert:
        listening/alerts.py); before delivery, so this round already sends what fired."""
        now = utcnow()
        try:
            found = find_spikes(now)  # a read: on SQLite, no write lock while counting
            db.session.commit()
            fired = []
            if found:
                with write_intent():
                    fired = record_spikes(found, now)
                    db.session.commit()
        except Exception as error:
            db.session.rollback()
            if is_transient_db_error(error):
                raise  # the whole round waits for the database
            logger.exception("spike check failed")
            return []
        return [item.alert.describe() for item in fired]

    def _campaign_posts(self) -> int:
        """Queue the posts of campaigns that opened or closed since (campaigns/announce.py)."""
        try:
            with write_intent():
                written = queue_announcements(utcnow())
                db.session.commit()
        except OperationalError:
            db.session.rollback()
            raise  # the database is away: the round waits and retries
        except Exception:
            db.session.rollback()
            logger.exception("queueing the campaign announcements failed")
            return 0
        return written

    def _deliver(self) -> dict[str, int]:
        """Send every due row, in batches with a heartbeat between them."""
        total: dict[str, int] = {}
        while True:
            result = deliver_due(worker=self.name, stop=self.stop, limit=DELIVERY_BATCH)
            for key, value in asdict(result).items():
                total[key] = total.get(key, 0) + value
            if result.claimed < DELIVERY_BATCH or self.stop.is_set():
                return total
            self._between()

    # --- heartbeat, stopping and recovery ---------------------------------------------------

    def _between(self) -> None:
        """After each mention or batch: stop if asked, and beat now and then."""
        if self.stop.is_set():
            raise Stopping
        if time.monotonic() - self._last_beat > heartbeat.stale_after().total_seconds() / 4:
            self._beat()

    def _beat(self, **changes: Any) -> None:
        with write_intent():
            heartbeat.beat(self.name, rounds=self.rounds, **changes)
            db.session.commit()
        self._last_beat = time.monotonic()

    def _start(self) -> None:
        accounts: list[str] = []
        for attempt in itertools.count(1):
            try:
                ensure_default_account()
                accounts = [
                    f"@{a.username} ({a.network})"
                    for a in db.session.scalars(
                        select(SocialAccount).where(SocialAccount.active).order_by(SocialAccount.id)
                    )
                ]
                db.session.commit()
                self._beat(started=True)
                break
            except Exception as error:
                if not is_transient_db_error(error):
                    raise
                self._recover_session()
                delay = self.backoff.next_delay()
                logger.warning(
                    "database unavailable at start (%s); retrying in %.1f s (failure %d)",
                    _short(error),
                    delay,
                    attempt,
                )
                if self.wait(delay):
                    return
        self.backoff.reset()
        logger.info(
            "worker %s started: every %g s, database %s, accounts: %s",
            self.name,
            self.interval,
            database_kind(),
            ", ".join(accounts) or "none connected",
        )

    def _finish(self) -> None:
        if self.stop.is_set():
            logger.info("stop requested: the mention or row in hand was finished; stopping")
        try:
            self._beat(stopped=True)
        except Exception as error:  # stopping anyway; say why the beat is missing
            self._recover_session()
            logger.warning("could not record the stop: %s", _short(error))
        db.session.remove()
        logger.info("worker %s stopped after %d rounds", self.name, self.rounds)

    @staticmethod
    def _recover_session() -> None:
        """Roll back and drop the session, so the next round starts on a fresh connection."""
        try:
            db.session.rollback()
        except Exception:  # the connection may be gone; remove() discards it
            logger.debug("rollback after an error failed", exc_info=True)
        db.session.remove()


def run_worker(stop: threading.Event, *, interval: float, once: bool = False) -> None:
    """Poll every account and deliver the outbox until stop is set."""
    Worker(stop, interval=interval, once=once).run()
