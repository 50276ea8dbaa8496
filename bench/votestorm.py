"""Many clients voting at once through the real HTTP vote endpoint (session + CSRF).

Each user logs in once through the login form. Login is rate limited per client address, so
the clients spread over many loopback source addresses (127.0.x.y: all of 127/8 is this
machine), as customers come from many addresses; the limit stays on.
"""

from __future__ import annotations

import random
import re
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from sqlalchemy import create_engine, text

_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
USERS_PER_ADDRESS = 4  # stays under the login limit (10 per minute per address)


def source_address(n: int) -> str:
    """Return the n-th loopback source address (127.0.1.1, 127.0.1.2, …)."""
    return f"127.0.{1 + n // 250}.{1 + n % 250}"


class _SourceAdapter(HTTPAdapter):
    def __init__(self, address: str) -> None:
        self.address = address
        super().__init__(pool_connections=1, pool_maxsize=1)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


@dataclass
class Voter:
    email: str
    session: requests.Session
    token: str = ""


@dataclass
class StormResult:
    statuses: Counter[int] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)

    @property
    def requests(self) -> int:
        return sum(self.statuses.values())

    @property
    def server_errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if status >= 500)

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] if ordered else 0.0

    def summary(self) -> str:
        rate = self.requests / self.seconds if self.seconds else 0.0
        return (
            f"{self.requests} votes in {self.seconds:.1f} s = {rate:.0f}/s, "
            f"p50 {self.percentile(50) * 1000:.0f} ms, p99 {self.percentile(99) * 1000:.0f} ms, "
            f"statuses {dict(self.statuses)}"
        )


def log_in(base: str, email: str, password: str, address: str) -> Voter:
    """Log one user in through the form; return their session and a CSRF token."""
    session = requests.Session()
    adapter = _SourceAdapter(address)
    session.mount("http://", adapter)
    page = session.get(f"{base}/login", timeout=60)
    token = _TOKEN.search(page.text)
    if token is None:
        raise RuntimeError(f"no CSRF token on /login ({page.status_code})")
    response = session.post(
        f"{base}/login",
        data={"email": email, "password": password, "csrf_token": token.group(1)},
        allow_redirects=False,
        timeout=60,
    )
    if response.status_code != 302:
        raise RuntimeError(f"login of {email} answered {response.status_code}")
    # Signing in renews the session's CSRF secret: take a token from a page seen signed in.
    page = session.get(f"{base}/notifications", timeout=60)
    token = _TOKEN.search(page.text)
    if token is None:
        raise RuntimeError(f"no CSRF token on /notifications ({page.status_code})")
    return Voter(email=email, session=session, token=token.group(1))


def log_in_all(base: str, emails: list[str], password: str, *, clients: int) -> list[Voter]:
    """Log every user in, `clients` at a time, USERS_PER_ADDRESS users per source address."""
    with ThreadPoolExecutor(clients) as pool:
        futures = [
            pool.submit(log_in, base, email, password, source_address(i // USERS_PER_ADDRESS))
            for i, email in enumerate(emails)
        ]
        return [f.result() for f in futures]


def storm(
    base: str,
    voters: list[Voter],
    idea_ids: list[int],
    *,
    votes: int,
    clients: int,
    seed: int = 5,
) -> StormResult:
    """Send `votes` vote requests from `clients` threads; each thread votes as its own users."""
    result = StormResult()
    lock = threading.Lock()
    start = threading.Barrier(clients)

    def client(k: int) -> None:
        rng = random.Random(seed * 1000 + k)
        mine = voters[k::clients] or [voters[k % len(voters)]]
        count = votes // clients + (1 if k < votes % clients else 0)
        statuses: Counter[int] = Counter()
        latencies: list[float] = []
        start.wait()
        for _ in range(count):
            voter = rng.choice(mine)
            idea_id = rng.choice(idea_ids)
            value = rng.choice((1, 1, -1, 0))
            began = time.perf_counter()
            try:
                response = voter.session.post(
                    f"{base}/ideas/{idea_id}/vote",
                    data={"value": str(value), "csrf_token": voter.token},
                    headers={"Accept": "application/json"},
                    timeout=120,
                )
                statuses[response.status_code] += 1
                if response.status_code != 200 and len(result.errors) < 5:
                    result.errors.append(f"{response.status_code}: {response.text[:200]}")
            except requests.RequestException as error:
                statuses[599] += 1
                if len(result.errors) < 5:
                    result.errors.append(repr(error))
            latencies.append(time.perf_counter() - began)
        with lock:
            result.statuses.update(statuses)
            result.latencies.extend(latencies)

    began = time.perf_counter()
    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.seconds = time.perf_counter() - began
    return result


def count_mismatches(database_url: str, idea_ids: list[int]) -> list[dict[str, Any]]:
    """Return the ideas whose stored up/down/score or follower count differ from their rows
    (a first vote also makes the voter follow the idea)."""
    engine = create_engine(database_url)
    sql = text(
        """
        SELECT i.id, i.up_count, i.down_count, i.score, i.follower_count,
               (SELECT count(*) FROM votes v WHERE v.idea_id = i.id AND v.value = 1) AS up,
               (SELECT count(*) FROM votes v WHERE v.idea_id = i.id AND v.value = -1) AS down,
               (SELECT count(*) FROM follows f WHERE f.idea_id = i.id) AS followers
        FROM ideas i
        WHERE i.id IN ({})
        """.format(", ".join(str(int(i)) for i in idea_ids))  # noqa: S608 - integers only
    )
    try:
        with engine.connect() as conn:
            rows = conn.execute(sql).mappings().all()
    finally:
        engine.dispose()
    return [
        dict(row)
        for row in rows
        if (row["up_count"], row["down_count"], row["score"], row["follower_count"])
        != (row["up"], row["down"], row["up"] - row["down"], row["followers"])
    ]
