""" "Download my data": everything the site holds about one person, as one JSON document.

Sections: profile (with settings), ideas, comments, votes, follows, notifications, sign-ins
(sessions), API tokens, social identities linked to the account, and the e-mails sent or
queued to them. Never a secret or a hash: sign-ins without their token hash, API tokens by
name and dates only (not even the prefix of the secret), e-mails by letter, state and dates
(no links: a letter's links are minted when it is sent). Times are ISO 8601 in UTC.

The document is streamed: each section is read in pages (`yield_per`) and written row by
row, so a long-time member's file costs little memory. Each section holds at most
SECTION_MAX rows, newest first, and says `"truncated": true` if there were more (a person
with that many is a bot or a test; a real member's file is complete).

It lives outside the accounts package because it reads the API tokens and the outbox, which
the domain packages must not import (tests/test_architecture.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import Select, or_, select

from .accounts.models import User, UserSession
from .api.models import ApiToken
from .database import utcnow
from .extensions import db
from .ideas.models import Comment, Follow, Idea, Notification, Vote
from .outbox.models import OutboxKind, OutboxMessage
from .social.models import SocialIdentity

SECTION_MAX = 10_000
FORMAT_VERSION = 1


def _when(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def profile(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "email": user.email,
        "name": user.name,
        "initials": user.initials,
        "role": user.role,
        "created_at": _when(user.created_at),
        "email_verified_at": _when(user.email_verified_at),
        "email_undeliverable_at": _when(user.email_undeliverable_at),
        "email_undeliverable_reason": user.email_undeliverable_reason,
        "settings": {
            "language": user.locale,
            "time_zone": user.timezone,
            "email_notifications": user.email_notifications,
            "digest_sent_at": _when(user.digest_sent_at),
        },
    }


def _idea(idea: Idea) -> dict[str, Any]:
    return {
        "id": idea.id,
        "title": idea.title,
        "body": idea.body,
        "category": idea.category.slug if idea.category is not None else None,
        "stage": idea.stage.slug if idea.stage.is_public else None,
        "source": idea.source,
        "source_url": idea.source_url,
        "score": idea.score,
        "up_votes": idea.up_count,
        "down_votes": idea.down_count,
        "comments": idea.comment_count,
        "hidden": idea.hidden_at is not None,
        "created_at": _when(idea.created_at),
        "updated_at": _when(idea.updated_at),
    }


def _comment(comment: Comment) -> dict[str, Any]:
    return {
        "id": comment.id,
        "idea_id": comment.idea_id,
        "body": comment.body,
        "official": comment.is_official,
        "created_at": _when(comment.created_at),
    }


def _vote(vote: Vote) -> dict[str, Any]:
    return {
        "idea_id": vote.idea_id,
        "value": vote.value,
        "created_at": _when(vote.created_at),
        "updated_at": _when(vote.updated_at),
    }


def _follow(follow: Follow) -> dict[str, Any]:
    return {"idea_id": follow.idea_id, "created_at": _when(follow.created_at)}


def _notification(note: Notification) -> dict[str, Any]:
    return {
        "id": note.id,
        "idea_id": note.idea_id,
        "kind": note.kind,
        "created_at": _when(note.created_at),
        "read_at": _when(note.read_at),
    }


def _session(row: UserSession) -> dict[str, Any]:
    # Never token_hash.
    return {
        "id": row.id,
        "created_at": _when(row.created_at),
        "last_seen_at": _when(row.last_seen_at),
        "expires_at": _when(row.expires_at),
        "revoked_at": _when(row.revoked_at),
        "remember": row.remember,
        "user_agent": row.user_agent,
        "ip": row.ip,
    }


def _token(token: ApiToken) -> dict[str, Any]:
    # Never token_hash, nor the prefix (it is part of the secret).
    return {
        "id": token.id,
        "name": token.name,
        "created_at": _when(token.created_at),
        "last_used_at": _when(token.last_used_at),
        "revoked_at": _when(token.revoked_at),
    }


def _identity(identity: SocialIdentity) -> dict[str, Any]:
    return {
        "network": identity.network,
        "handle": identity.handle,
        "name": identity.name,
        "created_at": _when(identity.created_at),
        "linked_at": _when(identity.linked_at),
    }


def _email(row: OutboxMessage) -> dict[str, Any]:
    # The letter's name and what happened; not the payload, the dedupe key or any link.
    return {
        "id": row.id,
        "letter": (row.payload or {}).get("letter"),
        "to": row.target,
        "state": row.state,
        "created_at": _when(row.created_at),
        "sent_at": _when(row.sent_at),
    }


def sections(user: User) -> list[tuple[str, Select[Any], Callable[[Any], dict[str, Any]]]]:
    """Each section's name, query (newest first) and how a row is written."""
    emails = select(OutboxMessage).where(
        OutboxMessage.kind == OutboxKind.EMAIL.value,
        or_(
            OutboxMessage.target == user.email,
            OutboxMessage.payload["user_id"].as_integer() == user.id,
        ),
    )
    return [
        (
            "ideas",
            select(Idea).where(Idea.author_id == user.id).order_by(Idea.id.desc()),
            _idea,
        ),
        (
            "comments",
            select(Comment).where(Comment.author_id == user.id).order_by(Comment.id.desc()),
            _comment,
        ),
        ("votes", select(Vote).where(Vote.user_id == user.id).order_by(Vote.id.desc()), _vote),
        (
            "follows",
            select(Follow)
            .where(Follow.user_id == user.id)
            .order_by(Follow.created_at.desc(), Follow.idea_id.desc()),
            _follow,
        ),
        (
            "notifications",
            select(Notification)
            .where(Notification.user_id == user.id)
            .order_by(Notification.id.desc()),
            _notification,
        ),
        (
            "sign_ins",
            select(UserSession)
            .where(UserSession.user_id == user.id)
            .order_by(UserSession.id.desc()),
            _session,
        ),
        (
            "api_tokens",
            select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc()),
            _token,
        ),
        (
            "social_identities",
            select(SocialIdentity)
            .where(SocialIdentity.user_id == user.id)
            .order_by(SocialIdentity.id.desc()),
            _identity,
        ),
        ("emails", emails.order_by(OutboxMessage.id.desc()), _email),
    ]


def export(user: User, *, section_max: int = SECTION_MAX) -> Iterator[str]:
    """Yield the JSON document in pieces: {"format", "exported_at", "profile", <sections>}."""
    head = {"format": FORMAT_VERSION, "exported_at": _when(utcnow()), "profile": profile(user)}
    yield json.dumps(head, ensure_ascii=False)[:-1]  # leave the object open
    for name, query, write in sections(user):
        yield f', "{name}": {{"items": ['
        count, truncated = 0, False
        rows = db.session.scalars(query.limit(section_max + 1).execution_options(yield_per=200))
        for row in rows:
            if count == section_max:  # the one row more than the bound: there were more
                truncated = True
                break
            yield ("" if count == 0 else ", ") + json.dumps(write(row), ensure_ascii=False)
            count += 1
        rows.close()
        yield f'], "count": {count}, "truncated": {"true" if truncated else "false"}}}'
    yield "}\n"
