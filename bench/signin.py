"""Signed-in readers for the bench: real log-ins through the form, and proof each page is theirs.

A bench that measures signed-in pages must be sure it did: a Cookie header that stopped
working gets the anonymous page (cached, and fast), or a redirect to the log-in form, and the
numbers would look wonderful. So every reader's cookie is checked on every page measured,
before wrk and after it, and the bench stops with an error when a page is not that reader's.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from html import escape

import requests

from bench import votestorm

_PRESSED = 'aria-pressed="true"'
_LOGOUT = 'action="/logout"'


class NotSignedIn(RuntimeError):
    """A page measured as a signed-in reader's was not theirs."""


@dataclass(frozen=True)
class Reader:
    """Someone logged in through the form: the Cookie header wrk sends, and their name."""

    email: str
    name: str
    cookie: str
    token: str


def sign_in(
    base: str, people: list[tuple[str, str]], password: str, *, first_address: int, clients: int = 8
) -> list[Reader]:
    """Log each (email, name) in through the log-in form, from source addresses starting at
    first_address (votestorm.USERS_PER_ADDRESS a piece, under the log-in limit)."""

    def one(i: int, email: str, name: str) -> Reader:
        address = votestorm.source_address(first_address + i // votestorm.USERS_PER_ADDRESS)
        voter = votestorm.log_in(base, email, password, address)
        cookie = "; ".join(f"{c.name}={c.value}" for c in voter.session.cookies)
        return Reader(email=email, name=name, cookie=cookie, token=voter.token)

    with ThreadPoolExecutor(clients) as pool:
        futures = [pool.submit(one, i, e, n) for i, (e, n) in enumerate(people)]
        return [f.result() for f in futures]


def page_as(base: str, reader: Reader, path: str) -> str:
    """GET path with only the reader's Cookie header (as wrk sends it); return the HTML."""
    response = requests.get(
        base + path, headers={"Cookie": reader.cookie}, allow_redirects=False, timeout=60
    )
    if response.status_code != 200:
        raise NotSignedIn(
            f"{path} as {reader.email} answered {response.status_code} "
            f"{response.headers.get('Location', '')}"
        )
    return response.text


def check(base: str, readers: list[Reader], paths: list[str], *, pressed: bool = False) -> int:
    """Request every path as some reader and as every reader some path; each page must show the
    reader's own name and the log-out form (and with pressed, at least one of their votes).

    Raises NotSignedIn otherwise; returns how many pages were checked.
    """
    checked = 0
    pairs = {(i % len(readers), i % len(paths)) for i in range(max(len(readers), len(paths)))}
    for r, p in sorted(pairs):
        reader, path = readers[r], paths[p]
        html = page_as(base, reader, path)
        if f">{escape(reader.name)}<" not in html or _LOGOUT not in html:
            raise NotSignedIn(
                f"{path} with {reader.email}'s cookie is not their page (no {reader.name!r} "
                "or no log-out form): the bench would measure an anonymous page"
            )
        if pressed and _PRESSED not in html:
            raise NotSignedIn(f"{path} as {reader.email} shows none of their votes")
        checked += 1
    return checked
