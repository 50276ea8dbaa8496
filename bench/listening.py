"""Listening at scale: the spike check, the dashboard's chart and the listening inbox.

    python bench/listening.py                          # 100,000 mentions, both databases
    python bench/listening.py --mentions 20000 --databases sqlite

The worker runs the spike check every round (IDEABOARD_WORKER_INTERVAL_SECONDS, 15 s), so
its cost is paid all day; the chart and the inbox are staff pages. A board gets `--mentions`
mentions spread over the last 8 days (the spike check reads 8 days), a quarter of them
waiting in the listening inbox, in a fresh database per run (SQLite in a temporary folder;
PostgreSQL `ib_bench_listening`, dropped and made again).

Each figure is the median of `--rounds` in-process timings, next to the same run's baseline:
the bare endpoint /_bench/ceiling through the same test client (pages), and `SELECT 1` on the
same connection (queries), because these machines are shared and noisy. Results are printed
and written to bench/results/<date>-listening.md with the command.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import shlex
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PG_NAME = "ib_bench_listening"
LABELS = ("question", "complaint", "suggestion", "other")
WEIGHTS = (30, 25, 25, 20)
PASSWORD = "bench-listening-1"  # noqa: S105 - a throwaway benchmark account


def database_url(kind: str, folder: Path) -> str:
    if kind == "sqlite":
        return f"sqlite:///{folder / 'listening.sqlite'}"
    from sqlalchemy import create_engine

    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{PG_NAME}" WITH (FORCE)')
        conn.exec_driver_sql(f'CREATE DATABASE "{PG_NAME}"')
    admin.dispose()
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{PG_NAME}"


def seed(mentions: int, rng: random.Random) -> None:
    """The brand account, a staff member, and `mentions` classified mentions over 8 days."""
    from sqlalchemy import insert
    from werkzeug.security import generate_password_hash

    from ideaboard.accounts.models import Role, User
    from ideaboard.accounts.services import PASSWORD_METHOD
    from ideaboard.database import utcnow
    from ideaboard.extensions import db
    from ideaboard.social.models import MentionLog, SocialAccount

    account = SocialAccount(network="x", remote_user_id="1500000000000000001", username="hanbit")
    staff = User(
        email="staff@bench.example",
        name="Bench Staff",
        role=Role.STAFF.value,
        password_hash=generate_password_hash(PASSWORD, method=PASSWORD_METHOD),
        email_verified_at=utcnow(),
    )
    db.session.add_all([account, staff])
    db.session.commit()
    now = utcnow()
    rows: list[dict[str, Any]] = []
    for number in range(mentions):
        posted = now - timedelta(seconds=rng.random() * 8 * 86400)
        label = rng.choices(LABELS, WEIGHTS)[0]
        waiting = rng.random() < 0.25
        rows.append(
            {
                "account_id": account.id,
                "post_id": str(1_900_000_000_000_000_000 + number),
                "author_handle": f"customer{number % 5000}",
                "author_remote_id": str(2_000_000 + number % 5000),
                "text": f"@hanbit 인터넷이 또 끊겼어요 {number}",
                "posted_at": posted,
                "fetched_at": posted + timedelta(seconds=rng.randint(5, 120)),
                "outcome": "skipped" if waiting else "imported",
                "reason": "no idea tag" if waiting else "new idea",
                "label": label,
                "inbox_state": "open" if waiting else None,
                "lang": "ko",
            }
        )
        if len(rows) == 5000:
            db.session.execute(insert(MentionLog), rows)
            rows = []
    if rows:
        db.session.execute(insert(MentionLog), rows)
    db.session.commit()


def median_ms(action: Callable[[], object], rounds: int) -> float:
    action()  # warm: statements prepared, templates compiled
    timings = []
    for _ in range(rounds):
        started = time.perf_counter()
        action()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def measure(kind: str, mentions: int, rounds: int) -> list[tuple[str, float, float]]:
    """Return (what, median ms, baseline ms) rows for one database."""
    from flask_migrate import upgrade
    from sqlalchemy import text

    from ideaboard import create_app
    from ideaboard.database import utcnow
    from ideaboard.extensions import db
    from ideaboard.listening.alerts import find_spikes
    from ideaboard.listening.chart import mention_chart

    with tempfile.TemporaryDirectory(prefix="ib-bench-listening-") as folder:
        url = database_url(kind, Path(folder))
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": url,
                "IDEABOARD_BENCH": True,
                "RATELIMIT_ENABLED": False,
                "WTF_CSRF_ENABLED": False,
                "SECRET_KEY": "bench-listening",
            }
        )
        with app.app_context():
            upgrade()
            started = time.perf_counter()
            seed(mentions, random.Random(19))
            took = time.perf_counter() - started
            print(f"  {kind}: seeded {mentions:,} mentions in {took:.0f} s")
            now = utcnow()

            def spike_check() -> None:
                find_spikes(now)
                db.session.rollback()

            def chart(range_name: str) -> Callable[[], None]:
                def draw() -> None:
                    mention_chart(now, range_name)
                    db.session.rollback()

                return draw

            def select_one() -> None:
                db.session.execute(text("SELECT 1"))
                db.session.rollback()

            query_base = median_ms(select_one, rounds)
            rows = [
                ("spike check (worker, each round)", median_ms(spike_check, rounds), query_base),
                ("chart data, 48 h", median_ms(chart("48h"), rounds), query_base),
                ("chart data, 7 days", median_ms(chart("7d"), rounds), query_base),
            ]
        client = app.test_client()
        answer = client.post("/login", data={"email": "staff@bench.example", "password": PASSWORD})
        if answer.status_code != 302:
            raise SystemExit(f"{kind}: the staff login failed ({answer.status_code})")

        def page(path: str) -> Callable[[], None]:
            def get() -> None:
                got = client.get(path)
                if got.status_code != 200:
                    raise SystemExit(f"{kind}: {path} answered {got.status_code}")

            return get

        page_base = median_ms(page("/_bench/ceiling"), rounds)
        for label, path in (
            ("listening inbox, first page", "/staff/listening"),
            ("listening inbox, complaints", "/staff/listening?label=complaint"),
            ("staff dashboard (chart and figures)", "/staff/dashboard"),
        ):
            rows.append((label, median_ms(page(path), rounds), page_base))
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mentions", type=int, default=100_000)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    os.environ.setdefault("IDEABOARD_SECRET_KEY", "bench-listening")
    command = "python bench/listening.py " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    stamp = datetime.now(UTC)
    lines = [
        f"# Listening at scale, {stamp:%Y-%m-%d %H:%M} UTC",
        "",
        f"Command: `{command.strip()}`  ",
        f"Machine: {platform.node()}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f} "
        f"at the start; Python {platform.python_version()}",
        "",
        f"{args.mentions:,} mentions over the last 8 days; medians of {args.rounds} rounds, "
        "in-process. Baseline: `SELECT 1` for queries, /_bench/ceiling for pages.",
        "",
        "| database | what | median ms | baseline ms | × baseline |",
        "| --- | --- | ---: | ---: | ---: |",
    ]
    for kind in args.databases.split(","):
        for what, ms, base in measure(kind.strip(), args.mentions, args.rounds):
            lines.append(f"| {kind} | {what} | {ms:.1f} | {base:.2f} | {ms / base:,.0f} |")
    report = "\n".join(lines) + "\n"
    print(report)
    out = ROOT / "bench" / "results" / f"{stamp:%Y%m%d-%H%M}-listening.md"
    out.write_text(report, encoding="utf-8")
    print(f"written to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
