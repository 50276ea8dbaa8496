"""Import throughput: mentions through social.jobs.run_import against the sandbox X API.

The import runs on a copy of the benchmark board (so similar-idea matching searches a board
of realistic size) and the sandbox is served on 127.0.0.1 by this process, rate limits off.
X returns at most 800 recent mentions per poll, so the mentions arrive in rounds of 800:
posted to the sandbox (not timed), then imported by one run_import (timed). The outcomes
(imported, voted, skipped, …) depend only on the board and the seeded mentions, so two runs of
different code on the same board must report the same ones: a quick check that a faster
importer still matches and dedupes as before.
"""

from __future__ import annotations

import random
import shutil
import sqlite3
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from werkzeug.serving import make_server

from bench import seed

BRAND_ID = "1500000000000000001"
BRAND = "hanbit"
ROUND = 800


def copy_board(url: str) -> tuple[str, Any]:
    """Copy the board database; return the copy's URL and a function that drops it."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        source = Path(parsed.database or "")
        target = source.with_name("import-copy.sqlite")
        for suffix in ("", "-wal", "-shm"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
            src.backup(dst)
        return f"sqlite:///{target}", lambda: target.unlink(missing_ok=True)
    name = f"{parsed.database}_import"
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE "{parsed.database}"')

    def drop() -> None:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()

    return parsed.set(database=name).render_as_string(hide_password=False), drop


def mention_text(rng: random.Random, n: int) -> str:
    korean = rng.random() < 0.6
    title, body = seed.idea_text(rng, korean)
    if rng.random() < 0.15:
        return f"@{BRAND} {title} {n}"  # no idea tag: logged and skipped
    tag = "#아이디어" if korean else "#idea"
    return f"@{BRAND} {title} #{n} {tag} {body}"[:270]


def run(kind: str, url: str, mentions: int) -> dict[str, Any]:
    """Import `mentions` mentions in rounds of 800; return the timing and the outcomes."""
    from ideaboard import create_app
    from ideaboard.extensions import db
    from ideaboard.social import jobs
    from ideaboard.social.models import SocialAccount
    from sandboxes.x import SandboxStore, create_sandbox_app, set_rate_limits

    copy_url, drop = copy_board(url)
    shm = Path("/dev/shm")  # noqa: S108 - mkdtemp makes a private folder inside
    folder = Path(tempfile.mkdtemp(prefix="ib-bench-sandbox-", dir=shm if shm.is_dir() else None))
    sandbox_app = create_sandbox_app(str(folder / "x.sqlite"), brand_username=BRAND)
    store = SandboxStore(str(folder / "x.sqlite"))
    set_rate_limits(store, unlimited=True)
    http = make_server("127.0.0.1", 0, sandbox_app, threaded=True)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": copy_url,
            "IDEABOARD_X_API_URL": f"http://127.0.0.1:{http.server_port}",
            "IDEABOARD_X_SANDBOX": False,
            "IDEABOARD_X_CONSUMER_KEY": "bench",
            "IDEABOARD_X_CONSUMER_SECRET": "bench",
            "IDEABOARD_X_ACCESS_TOKEN": "bench",
            "IDEABOARD_X_ACCESS_TOKEN_SECRET": "bench",
            "IDEABOARD_X_USER_ID": BRAND_ID,
            "IDEABOARD_X_USERNAME": BRAND,
            "IDEABOARD_PUBLIC_URL": "https://ideas.example.com",
        }
    )
    rng = random.Random(10)
    outcomes: Counter[str] = Counter()
    seconds = 0.0
    try:
        with app.app_context():
            board = int(db.session.scalar(text("SELECT count(*) FROM ideas")) or 0)
            account = SocialAccount(
                network="x", remote_user_id=BRAND_ID, username=BRAND, signature="IB"
            )
            db.session.add(account)
            db.session.commit()
            connector = jobs.connector_for(account)
            posted = 0
            while posted < mentions:
                batch = min(ROUND, mentions - posted)
                with store.transaction(write=True) as tx:
                    authors = [store.ensure_user(tx, f"fan{n}", None) for n in range(100)]
                    for n in range(posted, posted + batch):
                        store.create_tweet(tx, author=authors[n % 100], text=mention_text(rng, n))
                posted += batch
                account = db.session.get(SocialAccount, account.id)
                began = time.perf_counter()
                result = jobs.run_import(account, connector, owner="bench")
                seconds += time.perf_counter() - began
                if result is None:
                    raise RuntimeError("the import lease was not free")
                for name in ("imported", "voted", "skipped", "held", "already_seen"):
                    outcomes[name] += getattr(result, name)
            connector.close()
            db.session.remove()
            db.engine.dispose()
    finally:
        http.shutdown()
        http.server_close()
        shutil.rmtree(folder, ignore_errors=True)
        drop()
    handled = sum(outcomes[k] for k in ("imported", "voted", "skipped", "held"))
    return {
        "kind": kind,
        "board_ideas": board,
        "mentions": mentions,
        "handled": handled,
        "seconds": round(seconds, 2),
        "per_second": round(handled / seconds, 1) if seconds else 0.0,
        "outcomes": dict(outcomes),
    }
