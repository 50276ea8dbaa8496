"""Load the demo board (`flask ideaboard demo`): realistic, deterministic, in Korean and English."""

from __future__ import annotations

import random
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from werkzeug.security import generate_password_hash

from . import demo_data
from .accounts.models import Role, User
from .accounts.services import PASSWORD_METHOD, normalise_email
from .campaigns import services as campaigns
from .campaigns.models import Campaign
from .database import utcnow
from .extensions import db
from .ideas import services as ideas
from .ideas.models import Category, Comment, Idea, Source
from .ideas.ranking import hot_rank
from .outbox.models import OutboxMessage, OutboxState
from .text import render_markdown
from .triage.models import Team, TeamMember
from .triage.services import change_stage, find_stage

DEMO_PASSWORD = "ideaboard-demo"  # noqa: S105 - printed for the demo on purpose

# The path an idea takes to reach each stage, and the notes for the steps before the last.
_PATHS = {
    "new": [],
    "under-review": ["under-review"],
    "planned": ["under-review", "planned"],
    "in-progress": ["under-review", "planned", "in-progress"],
    "launched": ["under-review", "planned", "in-progress", "launched"],
    "declined": ["under-review", "declined"],
    "duplicate": ["duplicate"],
}
_STEP_NOTES = {
    "ko": {
        "under-review": "담당 팀이 검토를 시작했습니다. 의견 주셔서 감사합니다.",
        "planned": "검토 결과 개선 계획에 포함했습니다. 일정이 정해지면 알려드리겠습니다.",
        "in-progress": "현재 개발 중입니다.",
    },
    "en": {
        "under-review": "The team that owns this has started looking at it. Thank you!",
        "planned": "We have put this on our plan and will share the date when we have one.",
        "in-progress": "We are building this now.",
    },
}

Progress = Callable[..., AbstractContextManager[Any]]


def _is_korean(text: str) -> bool:
    return any("\uac00" <= ch <= "\ud7a3" for ch in text)


def _user(spec: dict[str, Any], password_hash: str, role: Role) -> User:
    user = User(
        email=normalise_email(spec["email"]),
        name=spec["name"],
        initials=spec.get("initials", ""),
        password_hash=password_hash,
        role=role.value,
        locale=spec.get("locale"),
        # The demo's people are made up by the operator: their addresses count as verified
        # (and no verification e-mail is sent).
        email_verified_at=utcnow(),
    )
    db.session.add(user)
    return user


# Demo staff on teams: they get the team's daily e-mail of overdue ideas (the admin gets the
# ideas without a team), which `make run` keeps in the development mailbox.
_DEMO_TEAMS = {"staff@example.com": ("support", "billing"), "sora.lee@example.com": ("product",)}


def _staff_on_teams(staff: list[User], now: datetime) -> None:
    """Put the demo staff on teams, their addresses confirmed (staff mail needs that)."""
    teams = {team.slug: team for team in db.session.scalars(select(Team))}
    for user in staff:
        if user.email_verified_at is None:
            user.email_verified_at = now
        for slug in _DEMO_TEAMS.get(user.email, ()):
            team = teams.get(slug)
            if team is not None and db.session.get(TeamMember, (team.id, user.id)) is None:
                db.session.add(TeamMember(team_id=team.id, user_id=user.id))
    db.session.flush()


def load_demo(*, seed: int = 7, progress: Progress | None = None) -> dict[str, Any]:
    """Create the demo users, ideas, votes, comments and stage changes; flush, do not commit."""
    rng = random.Random(seed)
    now = utcnow()
    password_hash = generate_password_hash(DEMO_PASSWORD, method=PASSWORD_METHOD)

    existing = set(db.session.scalars(select(User.email)))
    for slug, name, name_ko in demo_data.CATEGORIES:
        if db.session.scalar(select(Category).where(Category.slug == slug)) is None:
            db.session.add(Category(slug=slug, name=name, name_ko=name_ko, position=len(existing)))
    customers = [
        _user(spec, password_hash, Role.CUSTOMER)
        for spec in demo_data.USERS
        if normalise_email(spec["email"]) not in existing
    ]
    staff = [
        _user(spec, password_hash, Role(spec["role"]))
        for spec in demo_data.STAFF
        if normalise_email(spec["email"]) not in existing
    ]
    db.session.flush()
    if not customers or not staff:
        customers = (
            list(db.session.scalars(select(User).where(User.role == Role.CUSTOMER.value)))
            or customers
        )
        staff = list(db.session.scalars(select(User).where(User.role != Role.CUSTOMER.value)))
    responder = staff[0]
    _staff_on_teams(staff, now)

    counts = {"ideas": 0, "votes": 0, "comments": 0}
    items = demo_data.IDEAS
    bar: AbstractContextManager[Any]
    bar = progress(items, label="Loading demo ideas") if progress else _Plain(items)
    with bar as specs:
        for spec in specs:
            _load_idea(spec, rng, now, customers, responder, counts)
    counts["campaigns"] = _load_campaign(rng, now, customers, staff[0], counts)
    # The demo's stage history predates this install: its echo replies are not sent.
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.state.in_([OutboxState.PENDING.value, OutboxState.WAITING.value]))
        .values(state=OutboxState.CANCELLED.value, last_error="demo history, not sent")
    )
    return {**counts, "users": len(customers) + len(staff), "customer": customers[0].email}


def _load_campaign(
    rng: random.Random, now: datetime, customers: list[User], by: User, counts: dict[str, int]
) -> int:
    """Open the demo campaign (#5G아이디어) with a few ideas and votes; 0 if it exists."""
    spec = demo_data.CAMPAIGN
    if db.session.scalar(select(Campaign.id).where(Campaign.slug == spec["slug"])) is not None:
        return 0
    campaign = campaigns.create_campaign(
        by,
        title=spec["title"],
        description=spec["description"],
        hashtag=spec["hashtag"],
        category_slug=spec["category"],
        closes_at=now + timedelta(days=spec["closes_in_days"]),
        slug=spec["slug"],
    )
    opened = now - timedelta(days=spec["opened_days_ago"])
    campaign.opens_at = campaign.created_at = campaign.updated_at = opened
    for n, item in enumerate(demo_data.CAMPAIGN_IDEAS):
        author = customers[item["author"] % len(customers)]
        idea = ideas.submit_idea(author, item["title"], item["body"], campaign=campaign)
        created = opened + timedelta(hours=6 + 17 * n)
        idea.created_at = idea.updated_at = idea.last_activity_at = created
        db.session.flush()
        counts["votes"] += _add_votes({"votes": item["votes"]}, rng, idea, author, customers)
        idea.hot = hot_rank(idea.score, created)
        counts["ideas"] += 1
    return 1


def _load_idea(
    spec: dict[str, Any],
    rng: random.Random,
    now: datetime,
    customers: list[User],
    responder: User,
    counts: dict[str, int],
) -> None:
    created = now - timedelta(days=float(spec["days_ago"]))
    author = customers[spec["author"] % len(customers)] if spec["author"] is not None else None
    idea, lang = _create_idea(spec, author)
    idea.created_at = idea.updated_at = created
    db.session.flush()
    counts["votes"] += _add_votes(spec, rng, idea, author, customers)
    idea.hot = hot_rank(idea.score, created)
    counts["comments"] += _add_comments(spec, rng, idea, created, customers, responder)
    _walk_stages(spec, idea, lang, created, now, responder)
    _settle_dates(idea, created)
    counts["ideas"] += 1


def _create_idea(spec: dict[str, Any], author: User | None) -> tuple[Idea, str]:
    """Submit the idea as its customer, or import it from its X post; give its language."""
    lang = "ko" if _is_korean(spec["title"]) else "en"
    if author is not None:
        return ideas.submit_idea(author, spec["title"], spec["body"], spec["category"]), lang
    x = spec["x"]
    idea = Idea(
        title=ideas.clean_title(spec["title"]),
        body=spec["body"],
        body_html=render_markdown(spec["body"]),
        category=ideas.find_category(spec["category"]),
        stage=ideas.default_stage(),
        source=Source.X.value,
        source_url=f"https://x.com/{x['handle']}/status/{x['post_id']}",
        source_author_name=x["name"],
        source_author_handle=x["handle"],
        source_post_id=str(x["post_id"]),
        source_lang=x.get("lang"),
    )
    db.session.add(idea)
    return idea, x.get("lang", lang)


def _add_votes(
    spec: dict[str, Any], rng: random.Random, idea: Idea, author: User | None, customers: list[User]
) -> int:
    """Cast about spec["votes"] votes, a few of them down; return how many were cast."""
    wanted = max(0, int(spec["votes"]))
    downs = rng.randint(0, 2) if wanted > 3 else 0
    voters = rng.sample(customers, min(len(customers), wanted + 2 * downs))
    cast = 0
    for i, voter in enumerate(voters):
        if voter is author:
            continue
        ideas.cast_vote(voter, idea, -1 if i < downs else 1)
        cast += 1
    return cast


def _add_comments(
    spec: dict[str, Any],
    rng: random.Random,
    idea: Idea,
    created: datetime,
    customers: list[User],
    responder: User,
) -> int:
    """Add the spec's comments a few hours apart; return how many."""
    added = 0
    for offset, (who, text) in enumerate(spec.get("comments", []), start=1):
        commenter = responder if who is None else customers[who % len(customers)]
        comment = ideas.add_comment(commenter, idea, text)
        comment.created_at = created + timedelta(hours=3 * offset + rng.random())
        added += 1
    return added


def _walk_stages(
    spec: dict[str, Any], idea: Idea, lang: str, created: datetime, now: datetime, responder: User
) -> None:
    """Move the idea along its path to the spec's stage, spread over its lifetime."""
    path = _PATHS[spec["stage"]]
    span = (now - created) * 0.8
    for step, slug in enumerate(path, start=1):
        last = step == len(path)
        note = spec.get("note") if last and spec.get("note") else _STEP_NOTES[lang].get(slug, "")
        when = created + span * step / (len(path) + 1)
        change_stage(idea, find_stage(slug), note or slug, responder, at=when)


def _settle_dates(idea: Idea, created: datetime) -> None:
    comments = _comments(idea)
    idea.updated_at = max([created] + [c.created_at for c in comments])
    # Everything was back-dated after the services stamped "now" as the last activity.
    idea.last_activity_at = max([idea.updated_at] + [c.created_at for c in idea.status_changes])
    # The comments were back-dated after add_comment stamped the first response "now":
    # the first answer is the earliest official comment or status change, as it would be.
    answers = [c.created_at for c in comments if c.is_official]
    answers += [c.created_at for c in idea.status_changes]
    idea.first_response_at = min(answers) if answers else None


def _comments(idea: Idea) -> list[Comment]:
    return list(db.session.scalars(select(Comment).where(Comment.idea_id == idea.id)).unique())


class _Plain(AbstractContextManager[Any]):
    def __init__(self, items: Any) -> None:
        self.items = items

    def __enter__(self) -> Any:
        return self.items

    def __exit__(self, *exc: object) -> None:
        return None


def seed_sandbox(sandbox_app: Any) -> int:
    """Post the demo's X ideas as mentions in the mounted sandbox, so replies can be sent.

    It speaks to the sandbox through its own JSON API (POST /sandbox/mentions), in process
    and as a client on this machine: IdeaBoard does not import the sandbox.
    """
    from werkzeug.test import Client

    client = Client(sandbox_app)
    now = utcnow()
    posted = 0
    for spec in demo_data.IDEAS:
        x = spec.get("x")
        if not x:
            continue
        tag = "#아이디어" if x.get("lang", "ko") == "ko" else "#idea"
        created_at = now - timedelta(days=float(spec["days_ago"]))
        answer = client.post(
            "/sandbox/mentions",
            json={
                "username": x["handle"],
                "name": x["name"],
                "text": f"@hanbit {spec['title']} {tag}",
                "created_at": created_at.isoformat(),
                "id": str(x["post_id"]),
            },
            environ_base={"REMOTE_ADDR": "127.0.0.1"},
        )
        if answer.status_code == 201:
            posted += 1  # else already there from an earlier demo load
    for handle, name, text, post_id, minutes_ago in LISTENING_MENTIONS:
        answer = client.post(
            "/sandbox/mentions",
            json={
                "username": handle,
                "name": name,
                "text": text,
                "created_at": (now - timedelta(minutes=minutes_ago)).isoformat(),
                "id": post_id,
            },
            environ_base={"REMOTE_ADDR": "127.0.0.1"},
        )
        posted += answer.status_code == 201
    return posted


# Mentions without an idea tag waiting in the X sandbox: the worker's first round logs them
# and they open in the listening inbox (/staff/listening), classified, for staff to answer.
# (handle, display name, text, post id, minutes ago)
LISTENING_MENTIONS = [
    ("seoyeon_k", "이서연", "@hanbit 요금제 변경은 어디서 하나요?",
     "1865200000000000101", 95),
    ("dohyun_p", "박도현", "@hanbit 인터넷이 또 끊겼어요… 벌써 이번 주에만 세 번째예요",
     "1865200000000000102", 40),
    ("alex_in_seoul", "Alex", "@hanbit How do I activate roaming before my trip to Japan?",
     "1865200000000000103", 25),
    ("jamie_r", "Jamie", "@hanbit My fiber has been down since this morning. Seriously?!",
     "1865200000000000104", 12),
    ("haneul_j", "정하늘", "@hanbit 가족 결합 할인에 부모님 회선도 넣을 수 있으면 좋겠어요",
     "1865200000000000105", 6),
]  # fmt: skip


# Mentions waiting in the Bluesky and Mastodon sandboxes when `make run` starts: the worker's
# first round imports them, so a new user sees ideas arrive from every network and the
# replies go back to each. (handle or acct, display name, text, extra fields)
BLUESKY_MENTIONS = [
    ("minji.bsky.social", "김민지",
     "@hanbit.bsky.social 밤 10시 이후에는 데이터 속도 제한을 풀어 주세요 #아이디어", ["ko"]),
    ("jordan.bsky.social", "Jordan Lee",
     "@hanbit.bsky.social Please add a home-screen widget with the data left this month #idea",
     ["en"]),
]  # fmt: skip
MASTODON_MENTIONS = [
    ("jiwoo", "박지우", "@hanbit 요금 고지서를 PDF로도 받고 싶어요 #아이디어", {}),
    ("sam@toot.example", "Sam", "@hanbit Show roaming charges as they happen, please #idea",
     {"spoiler_text": "roaming bill", "visibility": "unlisted"}),
]  # fmt: skip


def seed_open_sandboxes(bluesky_app: Any | None, mastodon_app: Any | None) -> int:
    """Post the demo's waiting mentions in the mounted Bluesky and Mastodon sandboxes, once
    (a text the sandbox has already is not posted again); return how many were posted.

    Like seed_sandbox, it speaks to each sandbox through its JSON API, as a client on this
    machine: IdeaBoard does not import the sandboxes."""
    from werkzeug.test import Client

    local = {"REMOTE_ADDR": "127.0.0.1"}
    posted = 0
    if bluesky_app is not None:
        client = Client(bluesky_app)
        have = {item["text"] for item in client.get("/sandbox/timeline", environ_base=local)
                .get_json()["data"]}  # fmt: skip
        for handle, name, text, langs in BLUESKY_MENTIONS:
            if text in have:
                continue
            body = {"handle": handle, "display_name": name, "text": text, "langs": langs}
            answer = client.post("/sandbox/mentions", json=body, environ_base=local)
            posted += answer.status_code == 201
    if mastodon_app is not None:
        client = Client(mastodon_app)
        timeline = client.get("/sandbox/timeline", environ_base=local).get_json()
        have = {item.get("text") or item.get("content", "") for item in timeline}
        for acct, name, text, extra in MASTODON_MENTIONS:
            if any(text.split(" ", 1)[1] in known for known in have):
                continue
            body = {"acct": acct, "display_name": name, "text": text, **extra}
            answer = client.post("/sandbox/mentions", json=body, environ_base=local)
            posted += answer.status_code == 201
    return posted
