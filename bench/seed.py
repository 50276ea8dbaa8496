"""Seed a large, realistic board fast: users, ideas, votes, comments, follows.

    python bench/seed.py --database-url sqlite:///instance/bench.sqlite --fresh
    python bench/seed.py --database-url postgresql+psycopg://postgres@127.0.0.1/ib_bench --fresh
    python bench/seed.py ... --ideas 1000000          # votes/comments default to 10x / 2x ideas

The schema comes from `flask db upgrade`. Rows are generated in Python with a fixed seed and
written in bulk: SQLAlchemy Core executemany in one transaction on SQLite, COPY on
PostgreSQL. Secondary indexes (and SQLite's FTS5 triggers) are dropped while loading and
rebuilt afterwards, exactly as the migrations defined them. Stored counts (score, up, down,
comments, followers, the Trending rank) are computed from the very rows written, and
`--check` (on by default) verifies them in SQL at the end. One password hash is made once
and shared by every user (BENCH_PASSWORD).
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from html import escape
from pathlib import Path
from typing import Any

import click
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection, Engine, make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BENCH_PASSWORD = "bench-password-1"  # noqa: S105 - every seeded user's password, on purpose
STAFF_EMAIL = "bench-staff@example.com"
NOW = datetime(2026, 11, 1, tzinfo=UTC)
SPAN = timedelta(days=730)  # ideas spread over the two years before NOW

# --- text pools: what customers of a Korean telecom ask for, in Korean and English ----------
KO_FEATURES = [
    "데이터 이월", "요금제 변경", "가족 결합 할인", "해외 로밍", "5G 커버리지", "앱 다크 모드",
    "고객센터 채팅", "멤버십 포인트", "유심 배송", "청구서 알림", "데이터 선물하기",
    "와이파이 자동 연결",
    "분실 신고", "번호 이동", "약정 조회", "부가 서비스 해지", "통화 품질", "지하철 와이파이",
    "어르신 요금제", "학생 할인", "영상 통화", "스팸 차단", "eSIM 개통", "테더링 한도",
]  # fmt: skip
KO_TEMPLATES = [
    "{f} 기능을 추가해 주세요", "{f} 개선이 필요합니다", "{f}을 더 쉽게 해 주세요",
    "{f} 관련 제안입니다", "{f}도 앱에서 되면 좋겠어요", "{f}와 {g}를 함께 쓰고 싶어요",
]  # fmt: skip
KO_SENTENCES = [
    "매달 남는 데이터가 아깝습니다.", "앱에서 한 번에 처리할 수 있으면 좋겠어요.",
    "고객센터 연결이 너무 오래 걸립니다.", "다른 통신사는 이미 제공하고 있습니다.",
    "가족 모두가 쓰는 기능이라 꼭 필요합니다.", "출퇴근 시간에 특히 불편합니다.",
    "설정 메뉴가 너무 깊이 숨어 있어요.", "알림을 미리 받으면 요금 폭탄을 피할 수 있습니다.",
    "해외 출장이 잦아서 자주 씁니다.", "부모님이 쓰시기에 글씨가 너무 작아요.",
]  # fmt: skip
EN_FEATURES = [
    "data rollover", "plan switching", "family bundle discount", "roaming pass", "5G coverage map",
    "dark mode", "live chat support", "membership points", "SIM delivery", "bill alerts",
    "data gifting", "Wi-Fi auto connect", "lost phone report", "number porting", "contract lookup",
    "add-on cancellation", "call quality", "subway Wi-Fi", "senior plan", "student discount",
    "video calling", "spam blocking", "eSIM activation", "tethering limit",
]  # fmt: skip
EN_TEMPLATES = [
    "Please add {f} to the app", "Improve {f}", "Make {f} easier", "Idea: {f} for everyone",
    "Let me combine {f} and {g}", "Bring {f} to the website too",
]  # fmt: skip
EN_SENTENCES = [
    "Unused data every month feels wasted.", "Doing it in one place in the app would help.",
    "Waiting for the call centre takes far too long.", "Other carriers already offer this.",
    "The whole family would use it.", "It is worst during the rush hour.",
    "The setting is buried too deep in the menus.", "An early alert would avoid bill shocks.",
    "I travel abroad for work a lot.", "The text is too small for my parents.",
]  # fmt: skip
KO_COMMENTS = ["저도 필요해요!", "동의합니다.", "이거 꼭 해 주세요.", "좋은 생각이네요.", "+1"]
EN_COMMENTS = ["Me too!", "Agreed.", "Please do this.", "Great idea.", "+1 from me"]

# stage slug -> share of ideas in it
STAGE_MIX = [
    ("new", 0.70), ("under-review", 0.12), ("planned", 0.06), ("in-progress", 0.04),
    ("launched", 0.04), ("declined", 0.03), ("duplicate", 0.01),
]  # fmt: skip


@dataclass
class Sizes:
    users: int
    ideas: int
    votes: int
    comments: int


def hot_rank(score: int, created_at: datetime) -> float:
    """The app's Trending rank (ideaboard.ideas.ranking), imported lazily with the app."""
    from ideaboard.ideas.ranking import hot_rank as rank

    return rank(score, created_at)


def naive(value: datetime) -> datetime:
    return value.astimezone(UTC).replace(tzinfo=None)


# --- database set-up -------------------------------------------------------------------------
def prepare_database(url: str, fresh: bool) -> None:
    """Create (or re-create with fresh) the database, then run the migrations."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = Path(parsed.database or "")
        if fresh:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        path.parent.mkdir(parents=True, exist_ok=True)
    else:
        admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            name = parsed.database
            exists = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
            if exists and fresh:
                conn.exec_driver_sql(f'DROP DATABASE "{name}" WITH (FORCE)')
                exists = False
            if not exists:
                conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        admin.dispose()
    os.environ.setdefault("SECRET_KEY", "bench-seed")
    from flask_migrate import upgrade

    from ideaboard import create_app
    from ideaboard.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()
        db.session.remove()
        db.engine.dispose()


@contextmanager
def without_secondary_indexes(conn: Connection, tables: list[str]) -> Iterator[None]:
    """Drop the tables' secondary indexes (and SQLite's FTS triggers), then rebuild them."""
    sqlite = conn.dialect.name == "sqlite"
    if sqlite:
        rows = conn.execute(
            text(
                "SELECT type, name, sql FROM sqlite_master WHERE tbl_name IN :t "
                "AND type IN ('index', 'trigger') AND sql IS NOT NULL"
            ).bindparams(_expanding("t")),
            {"t": tables},
        ).all()
    else:
        rows = conn.execute(
            text(
                "SELECT 'index', i.indexname, i.indexdef FROM pg_indexes i "
                "WHERE i.schemaname = current_schema() AND i.tablename = ANY(:t) "
                "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)"
            ),
            {"t": tables},
        ).all()
    for kind, name, _sql in rows:
        conn.exec_driver_sql(f'DROP {kind.upper()} "{name}"')
    yield
    started = time.perf_counter()
    for _kind, _name, sql in rows:
        conn.exec_driver_sql(sql)
    if sqlite and "ideas" in tables:
        conn.exec_driver_sql("INSERT INTO idea_fts(idea_fts) VALUES ('rebuild')")
    click.echo(f"  rebuilt {len(rows)} indexes/triggers in {time.perf_counter() - started:.1f} s")


def _expanding(name: str) -> Any:
    from sqlalchemy import bindparam

    return bindparam(name, expanding=True)


# --- writers ---------------------------------------------------------------------------------
class Writer:
    """Bulk-write rows of dicts into a table, with a progress bar."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.postgres = conn.dialect.name == "postgresql"

    def write(self, table: str, columns: list[str], rows: Iterable[tuple[Any, ...]], total: int):
        label = f"  {table:<10}"
        with click.progressbar(length=total, label=label, show_pos=True, width=30) as bar:
            if self.postgres:
                self._copy(table, columns, rows, bar)
            else:
                self._executemany(table, columns, rows, bar)

    def _executemany(self, table: str, columns: list[str], rows: Iterable[Any], bar: Any) -> None:
        marks = ", ".join("?" for _ in columns)
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"  # noqa: S608 - our names
        cursor = self.conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        batch: list[tuple[Any, ...]] = []
        for row in rows:
            batch.append(tuple(_sqlite_value(v) for v in row))
            if len(batch) >= 20_000:
                cursor.executemany(sql, batch)
                bar.update(len(batch))
                batch.clear()
        if batch:
            cursor.executemany(sql, batch)
            bar.update(len(batch))
        cursor.close()

    def _copy(self, table: str, columns: list[str], rows: Iterable[Any], bar: Any) -> None:
        cursor = self.conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        done = 0
        with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
                done += 1
                if done % 20_000 == 0:
                    bar.update(20_000)
        bar.update(done % 20_000)
        cursor.close()


def _sqlite_value(value: Any) -> Any:
    # The app's UTCDateTime stores naive UTC in SQLAlchemy's SQLite text format.
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    return value


# --- generation ------------------------------------------------------------------------------
def idea_text(rng: random.Random, korean: bool) -> tuple[str, str]:
    features, templates, sentences = (
        (KO_FEATURES, KO_TEMPLATES, KO_SENTENCES)
        if korean
        else (EN_FEATURES, EN_TEMPLATES, EN_SENTENCES)
    )
    f, g = rng.sample(features, 2)
    title = rng.choice(templates).format(f=f, g=g)
    if rng.random() < 0.5:  # a number or code makes many titles unique, as real ones are
        title += f" ({rng.randrange(2, 400)})"
    body = " ".join(rng.sample(sentences, rng.randint(1, 3)))
    return title[:140], body


def vote_counts(rng: random.Random, ideas: int, votes: int, users: int) -> list[int]:
    """Split votes over ideas with a long tail (a few ideas get most votes), each ≤ users."""
    weights = [rng.paretovariate(1.3) for _ in range(ideas)]
    total = sum(weights)
    counts = [min(users, int(w / total * votes)) for w in weights]
    missing = votes - sum(counts)
    order = list(range(ideas))
    rng.shuffle(order)
    i = 0
    while missing > 0 and i < 50 * ideas:  # top up, one vote at a time, where room is left
        j = order[i % ideas]
        if counts[j] < users:
            counts[j] += 1
            missing -= 1
        i += 1
    return counts


def seed(url: str, sizes: Sizes, *, seed_value: int = 2026, check: bool = True) -> dict[str, Any]:
    """Write the board into the migrated database at url; return what was written."""
    from werkzeug.security import generate_password_hash

    rng = random.Random(seed_value)
    engine: Engine = create_engine(url)
    password_hash = generate_password_hash(BENCH_PASSWORD, method="scrypt")  # once, shared
    started = time.perf_counter()
    with engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA synchronous = OFF")
            conn.exec_driver_sql("PRAGMA foreign_keys = OFF")
        stages = dict(conn.execute(text("SELECT slug, id FROM stages")).all())
        categories = [row[0] for row in conn.execute(text("SELECT id FROM categories"))]
        closed = {row[0] for row in conn.execute(text("SELECT id FROM stages WHERE NOT is_open"))}
        existing = conn.scalar(text("SELECT count(*) FROM ideas"))
        if existing:
            raise SystemExit(f"{url} already has {existing} ideas: use --fresh")
        writer = Writer(conn)
        tables = ["users", "ideas", "votes", "comments", "follows"]
        with without_secondary_indexes(conn, tables):
            # users: 1 staff member, then customers
            user_cols = ["id", "email", "name", "initials", "password_hash", "role", "locale",
                         "active", "created_at"]  # fmt: skip

            def users() -> Iterator[tuple[Any, ...]]:
                yield (1, STAFF_EMAIL, "Bench Staff", "BS", password_hash, "staff", "ko", True,
                       naive(NOW - SPAN))  # fmt: skip
                for n in range(2, sizes.users + 2):
                    ko = n % 2 == 0
                    yield (n, f"bench{n}@example.com", f"{'고객' if ko else 'Customer'} {n}", "",
                           password_hash, "customer", "ko" if ko else "en", True,
                           naive(NOW - SPAN))  # fmt: skip

            writer.write("users", user_cols, users(), sizes.users + 1)
            customer_ids = range(2, sizes.users + 2)

            # ideas: stored counts come from the vote and comment rows generated below
            counts = vote_counts(rng, sizes.ideas, sizes.votes, sizes.users)
            comment_counts = vote_counts(rng, sizes.ideas, sizes.comments, 10**9)
            stage_slugs = [s for s, _ in STAGE_MIX]
            stage_weights = [w for _, w in STAGE_MIX]
            idea_stage = [stages[s] for s in rng.choices(stage_slugs, stage_weights, k=sizes.ideas)]
            created = [
                NOW - SPAN + SPAN * (i / sizes.ideas) + timedelta(seconds=rng.randrange(600))
                for i in range(sizes.ideas)
            ]
            votes_per_idea: list[list[tuple[int, int]]] = []
            tallies: list[tuple[int, int]] = []
            for i in range(sizes.ideas):
                voters = rng.sample(customer_ids, counts[i])
                cast = [(u, 1 if rng.random() < 0.8 else -1) for u in voters]
                up = sum(1 for _, v in cast if v == 1)
                votes_per_idea.append(cast)
                tallies.append((up, len(cast) - up))

            idea_cols = ["id", "title", "body", "body_html", "category_id", "stage_id",
                         "author_id", "source", "source_url", "source_author_name",
                         "source_author_handle", "source_post_id", "source_lang", "score",
                         "up_count", "down_count", "comment_count", "follower_count", "hot",
                         "first_response_at", "stage_entered_at", "held", "created_at",
                         "updated_at", "last_activity_at"]  # fmt: skip
            authors = [rng.choice(customer_ids) for _ in range(sizes.ideas)]

            def ideas() -> Iterator[tuple[Any, ...]]:
                for i in range(sizes.ideas):
                    korean = rng.random() < 0.6
                    title, body = idea_text(rng, korean)
                    up, down = tallies[i]
                    score = up - down
                    from_x = rng.random() < 0.1
                    post_id = str(1_860_000_000_000_000_000 + i) if from_x else None
                    answered = idea_stage[i] != stages["new"]
                    yield (
                        i + 1, title, body, f"<p>{escape(body)}</p>\n",
                        rng.choice(categories) if rng.random() < 0.8 else None, idea_stage[i],
                        authors[i], "x" if from_x else "web",
                        f"https://x.com/fan{i}/status/{post_id}" if from_x else None,
                        f"fan{i}" if from_x else None, f"fan{i}" if from_x else None, post_id,
                        ("ko" if korean else "en") if from_x else None,
                        score, up, down, comment_counts[i], 1, hot_rank(score, created[i]),
                        naive(created[i] + timedelta(hours=5)) if answered else None,
                        naive(created[i] + timedelta(hours=5 if answered else 0)), False,
                        naive(created[i]), naive(created[i]), naive(created[i]),
                    )  # fmt: skip

            writer.write("ideas", idea_cols, ideas(), sizes.ideas)

            vote_cols = ["user_id", "idea_id", "value", "created_at", "updated_at"]

            def votes() -> Iterator[tuple[Any, ...]]:
                for i, cast in enumerate(votes_per_idea):
                    when = naive(created[i] + timedelta(hours=1))
                    for user_id, value in cast:
                        yield (user_id, i + 1, value, when, when)

            writer.write("votes", vote_cols, votes(), sizes.votes)

            comment_cols = ["idea_id", "author_id", "body", "body_html", "is_official",
                            "created_at"]  # fmt: skip

            def comments() -> Iterator[tuple[Any, ...]]:
                for i, n in enumerate(comment_counts):
                    for k in range(n):
                        body = rng.choice(KO_COMMENTS if rng.random() < 0.6 else EN_COMMENTS)
                        when = naive(created[i] + timedelta(minutes=10 + k))
                        yield (i + 1, rng.choice(customer_ids), body,
                               f"<p>{escape(body)}</p>\n", False, when)  # fmt: skip

            writer.write("comments", comment_cols, comments(), sizes.comments)

            # each author follows their idea (follower_count = 1, as submit_idea does)
            def follows() -> Iterator[tuple[Any, ...]]:
                for i in range(sizes.ideas):
                    yield (authors[i], i + 1, naive(created[i]))

            writer.write("follows", ["user_id", "idea_id", "created_at"], follows(), sizes.ideas)
        if conn.dialect.name == "postgresql":
            for table in ("users", "ideas", "votes", "comments"):
                conn.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                    f"(SELECT max(id) FROM {table}))"
                )
    with engine.connect() as conn:  # statistics for the planner, as autovacuum would gather
        conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE")
    elapsed = time.perf_counter() - started
    summary = {"closed_stage_ids": sorted(closed), **vars(sizes), "seconds": round(elapsed, 1)}
    if check:
        mismatches = check_counts(engine)
        summary["count_mismatches"] = mismatches
        if mismatches:
            raise SystemExit(f"stored counts differ from the rows on {mismatches} ideas")
    engine.dispose()
    return summary


def check_counts(engine: Engine) -> int:
    """Return how many ideas' stored counts differ from their vote and comment rows."""
    sql = text(
        """
        SELECT count(*) FROM ideas i
        LEFT JOIN (SELECT idea_id, sum(CASE WHEN value = 1 THEN 1 ELSE 0 END) AS up,
                          sum(CASE WHEN value = -1 THEN 1 ELSE 0 END) AS down
                   FROM votes GROUP BY idea_id) v ON v.idea_id = i.id
        LEFT JOIN (SELECT idea_id, count(*) AS n FROM comments GROUP BY idea_id) c
               ON c.idea_id = i.id
        WHERE i.up_count <> coalesce(v.up, 0) OR i.down_count <> coalesce(v.down, 0)
           OR i.score <> coalesce(v.up, 0) - coalesce(v.down, 0)
           OR i.comment_count <> coalesce(c.n, 0)
        """
    )
    with engine.connect() as conn:
        return int(conn.scalar(sql) or 0)


def default_sizes(ideas: int) -> Sizes:
    """The issue's board (100k ideas: 1M votes, 20k users, 200k comments), scaled by ideas."""
    return Sizes(
        users=max(200, min(20_000, ideas // 5)),
        ideas=ideas,
        votes=ideas * 10,
        comments=ideas * 2,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"), required=False)
    parser.add_argument("--ideas", type=int, default=100_000)
    parser.add_argument("--users", type=int, help="default: ideas / 5, at most 20,000")
    parser.add_argument("--votes", type=int, help="default: 10 per idea")
    parser.add_argument("--comments", type=int, help="default: 2 per idea")
    parser.add_argument("--fresh", action="store_true", help="drop the database first")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--no-check", action="store_true", help="skip the stored-count check")
    args = parser.parse_args(argv)
    if not args.database_url:
        parser.error("give --database-url or set DATABASE_URL")
    sizes = default_sizes(args.ideas)
    sizes.users = args.users or sizes.users
    sizes.votes = args.votes if args.votes is not None else sizes.votes
    sizes.comments = args.comments if args.comments is not None else sizes.comments
    if sizes.votes > sizes.ideas * sizes.users:
        parser.error("more votes than (user, idea) pairs")
    click.echo(f"Seeding {make_url(args.database_url).render_as_string()}: {sizes}")
    prepare_database(args.database_url, args.fresh)
    summary = seed(args.database_url, sizes, seed_value=args.seed, check=not args.no_check)
    click.echo(f"Done in {summary['seconds']} s; stored counts match the rows.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
