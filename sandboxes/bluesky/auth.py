"""Sessions as a PDS keeps them: an app password buys an access token and a refresh token.

Tokens are JWTs signed with HS256 under a key kept in the sandbox database (so every process
serving one file agrees). Access tokens (typ at+jwt, scope com.atproto.appPass) live two hours
and refresh tokens (typ refresh+jwt, scope com.atproto.refresh) ninety days, as on Bluesky;
tests shorten both with set_token_lifetimes(). A refresh token works once: refreshSession
answers a new pair. Errors follow the PDS: a wrong identifier or password is 401
AuthenticationRequired, a missing token 401 AuthRequired, an expired or revoked token 400
ExpiredToken, a malformed one 400 InvalidToken.

Revoking an app password (expire_app_password) also ends the sessions made with it, so the
next request fails and a fresh login is refused — what a brand sees when someone deletes the
app password in Bluesky's settings.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import sqlite3
import time
from typing import Any

from .errors import XrpcError, auth_required, invalid_request
from .store import SandboxStore

DEFAULT_LIFETIMES = {"access_s": 2 * 60 * 60, "refresh_s": 90 * 24 * 60 * 60}
ACCESS_SCOPE = "com.atproto.appPass"
REFRESH_SCOPE = "com.atproto.refresh"
MAX_TOKEN_CHARS = 2048


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _key(store: SandboxStore, tx: sqlite3.Connection) -> bytes:
    key = store.get_setting(tx, "jwt_key")
    if key is None:
        key = secrets.token_hex(32)
        store.put_setting(tx, "jwt_key", key)
    return bytes.fromhex(key)


def _sign(key: bytes, typ: str, payload: dict[str, Any]) -> str:
    header = _b64(json.dumps({"typ": typ, "alg": "HS256"}).encode())
    body = _b64(json.dumps(payload, separators=(",", ":")).encode())
    signature = hmac.new(key, f"{header}.{body}".encode(), hashlib.sha256).digest()
    return f"{header}.{body}.{_b64(signature)}"


def _decode(key: bytes, token: str, typ: str) -> dict[str, Any]:
    """The payload of a token signed by us with this typ; XrpcError when it is not one."""
    try:
        header_part, body_part, signature_part = token.split(".")
        expected = hmac.new(key, f"{header_part}.{body_part}".encode(), hashlib.sha256).digest()
        if not hmac.compare_digest(expected, _unb64(signature_part)):
            raise ValueError("bad signature")
        header = json.loads(_unb64(header_part))
        payload = json.loads(_unb64(body_part))
    except (ValueError, TypeError) as error:
        raise invalid_request("Token could not be verified", "InvalidToken") from error
    if not isinstance(header, dict) or not isinstance(payload, dict):
        raise invalid_request("Token could not be verified", "InvalidToken")
    if header.get("typ") != typ:
        raise invalid_request("Invalid token type", "InvalidToken")
    if not isinstance(payload.get("exp"), int) or payload["exp"] <= time.time():
        raise invalid_request("Token has expired", "ExpiredToken")
    return payload


def _bearer(header: str | None) -> str:
    scheme, _, token = (header or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise auth_required()
    if len(token) > MAX_TOKEN_CHARS:
        raise invalid_request("Token could not be verified", "InvalidToken")
    return token.strip()


def lifetimes(store: SandboxStore, tx: sqlite3.Connection) -> dict[str, float]:
    """The access and refresh token lifetimes in seconds."""
    return {**DEFAULT_LIFETIMES, **store.get_setting(tx, "token_lifetimes", {})}


def _issue(
    store: SandboxStore, tx: sqlite3.Connection, did: str, session_id: str, aud: str
) -> dict[str, str]:
    key = _key(store, tx)
    now = int(time.time())
    ttl = lifetimes(store, tx)
    jti = secrets.token_urlsafe(24)
    refresh_exp = now + max(1, int(ttl["refresh_s"]))
    tx.execute(
        "UPDATE sessions SET refresh_jti = ?, refresh_expires = ? WHERE id = ?",
        (jti, refresh_exp, session_id),
    )
    access = {
        "scope": ACCESS_SCOPE,
        "sub": did,
        "aud": aud,
        "iat": now,
        "exp": now + max(1, int(ttl["access_s"])),
        "sid": session_id,
    }
    refresh = {
        "scope": REFRESH_SCOPE,
        "sub": did,
        "aud": aud,
        "jti": jti,
        "iat": now,
        "exp": refresh_exp,
        "sid": session_id,
    }
    return {
        "accessJwt": _sign(key, "at+jwt", access),
        "refreshJwt": _sign(key, "refresh+jwt", refresh),
    }


def create_session(
    store: SandboxStore, identifier: str, password: str, aud: str
) -> tuple[dict[str, Any], dict[str, str]]:
    """Log in with a handle or DID and its app password: the actor and a new token pair."""
    with store.transaction(write=True) as tx:
        actor = store.find_actor(tx, identifier.strip().lstrip("@"))
        row = None if actor is None else store.app_password(tx, actor["did"])
        if (
            actor is None
            or row is None
            or row["revoked"]
            or not hmac.compare_digest(row["password"].encode(), password.encode())
        ):
            raise XrpcError(401, "AuthenticationRequired", "Invalid identifier or password")
        session_id = secrets.token_urlsafe(12)
        tx.execute(
            "INSERT INTO sessions (id, did, refresh_jti, refresh_expires) VALUES (?, ?, '', 0)",
            (session_id, actor["did"]),
        )
        return actor, _issue(store, tx, actor["did"], session_id, aud)


def refresh_session(
    store: SandboxStore, authorization: str | None, aud: str
) -> tuple[dict[str, Any], dict[str, str]]:
    """Trade a refresh token for a new pair (the old refresh token stops working)."""
    token = _bearer(authorization)
    with store.transaction(write=True) as tx:
        payload = _decode(_key(store, tx), token, "refresh+jwt")
        session = store.get_session(tx, str(payload.get("sid", "")))
        if session is None or session["revoked"] or session["refresh_jti"] != payload.get("jti"):
            raise invalid_request("Token has been revoked", "ExpiredToken")
        actor = store.get_actor(tx, session["did"])
        if actor is None:  # pragma: no cover - actors are never deleted while they have sessions
            raise invalid_request("Token has been revoked", "ExpiredToken")
        tx.execute("UPDATE sessions SET refreshes = refreshes + 1 WHERE id = ?", (session["id"],))
        return actor, _issue(store, tx, actor["did"], session["id"], aud)


def authenticate(store: SandboxStore, authorization: str | None) -> str:
    """The DID an access token speaks for; XrpcError when it is missing, expired or revoked."""
    token = _bearer(authorization)
    with store.transaction() as tx:
        payload = _decode(_key(store, tx), token, "at+jwt")
        session = store.get_session(tx, str(payload.get("sid", "")))
        if session is None or session["revoked"]:
            raise invalid_request("Token has been revoked", "ExpiredToken")
        return str(session["did"])


def set_token_lifetimes(
    store: SandboxStore | str, *, access_s: float = 7200, refresh_s: float = 90 * 86400
) -> None:
    """Set how long new tokens live (seconds; tests make them short)."""
    for value in (access_s, refresh_s):
        if not isinstance(value, int | float) or isinstance(value, bool) or not 1 <= value <= 1e9:
            raise ValueError("token lifetimes must be between 1 and 1e9 seconds")
    store = SandboxStore.of(store)
    with store.transaction(write=True) as tx:
        store.put_setting(tx, "token_lifetimes", {"access_s": access_s, "refresh_s": refresh_s})


def revoke_sessions(store: SandboxStore | str, identifier: str | None = None) -> int:
    """End every session (of one account when identifier is given); return how many."""
    store = SandboxStore.of(store)
    with store.transaction(write=True) as tx:
        if identifier is None:
            cursor = tx.execute("UPDATE sessions SET revoked = 1 WHERE revoked = 0")
        else:
            actor = store.find_actor(tx, identifier)
            if actor is None:
                raise ValueError(f"no account {identifier!r}")
            cursor = tx.execute(
                "UPDATE sessions SET revoked = 1 WHERE revoked = 0 AND did = ?", (actor["did"],)
            )
        return cursor.rowcount


def expire_app_password(store: SandboxStore | str, identifier: str) -> None:
    """Revoke the account's app password and end its sessions."""
    store = SandboxStore.of(store)
    with store.transaction(write=True) as tx:
        actor = store.find_actor(tx, identifier)
        if actor is None or store.app_password(tx, actor["did"]) is None:
            raise ValueError(f"no account with an app password: {identifier!r}")
        tx.execute("UPDATE app_passwords SET revoked = 1 WHERE did = ?", (actor["did"],))
        tx.execute("UPDATE sessions SET revoked = 1 WHERE did = ?", (actor["did"],))


def restore_app_password(store: SandboxStore | str, identifier: str) -> None:
    """Make a revoked app password work again (new logins only; old sessions stay ended)."""
    store = SandboxStore.of(store)
    with store.transaction(write=True) as tx:
        actor = store.find_actor(tx, identifier)
        if actor is None or store.app_password(tx, actor["did"]) is None:
            raise ValueError(f"no account with an app password: {identifier!r}")
        tx.execute("UPDATE app_passwords SET revoked = 0 WHERE did = ?", (actor["did"],))


def session_stats(store: SandboxStore | str) -> dict[str, int]:
    """How many sessions were made, are live, and how many refreshes were answered."""
    store = SandboxStore.of(store)
    with store.transaction() as tx:
        row = tx.execute(
            "SELECT COUNT(*) AS made, COALESCE(SUM(1 - revoked), 0) AS live,"
            " COALESCE(SUM(refreshes), 0) AS refreshes FROM sessions"
        ).fetchone()
        return {
            "made": int(row["made"]),
            "live": int(row["live"]),
            "refreshes": int(row["refreshes"]),
        }
