"""Request and response schemas of /api/v1: the API validates with them and documents them.

The OpenAPI document (api/openapi.py) is generated from these classes, so what the API
accepts and what it says it accepts cannot drift apart.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from ..ideas.queries import MAX_PAGE_SIZE, Sort
from ..ideas.services import BODY_MAX, COMMENT_MAX, TITLE_MAX, TITLE_MIN
from ..outbox.models import OutboxState
from ..triage.services import NOTE_MAX

SLUG = r"^[a-z0-9-]+$"
CURSOR = r"^[A-Za-z0-9_-]+$"
DB_INT_MAX = 2**31 - 1  # ids are INTEGER columns: 32-bit on PostgreSQL (64-bit on SQLite)
# Text limits below are shape guards, as in the site's forms: the services count characters
# after NFC normalisation (a decomposed Korean title has three times the code points), so the
# real limits are in the descriptions and enforced with a 422 naming the field.
GUARD = 4


class Body(BaseModel):
    """A JSON request body: types are strict and unknown fields are refused."""

    model_config = ConfigDict(strict=True, extra="forbid")


class Query(BaseModel):
    """Query-string parameters: values arrive as text; unknown parameters are ignored."""

    model_config = ConfigDict(extra="ignore")


class Out(BaseModel):
    """A response body."""


# Requests ------------------------------------------------------------------------------------


class TokenRequest(Body):
    """Exchange an account's e-mail and password for a bearer token."""

    email: Annotated[str, Field(min_length=1, max_length=254, examples=["staff@example.com"])]
    password: Annotated[str, Field(min_length=1, max_length=200)]
    name: Annotated[
        str | None,
        Field(max_length=80, description="A label for the token, shown on the profile page."),
    ] = None


class IdeaCreate(Body):
    """A new idea. Text is NFC-normalised and trimmed; control characters are refused."""

    title: Annotated[
        str,
        Field(
            min_length=1,
            max_length=TITLE_MAX * GUARD,
            description=f"{TITLE_MIN}–{TITLE_MAX} characters once normalised.",
            examples=["Dark mode for the app"],
        ),
    ]
    body: Annotated[
        str,
        Field(max_length=BODY_MAX * GUARD, description=f"Markdown, up to {BODY_MAX} characters."),
    ] = ""
    category: Annotated[
        str | None,
        Field(max_length=40, description="A category slug (see the `category` of ideas)."),
    ] = None
    campaign: Annotated[
        str | None,
        Field(
            max_length=60,
            description="An open campaign's slug: the idea joins it and takes its category "
            "(409 `campaign_closed` after its deadline).",
        ),
    ] = None


class VoteRequest(Body):
    """Set the caller's vote: 1 up, -1 down, 0 withdraw. Sending the same value twice is a no-op."""

    value: Annotated[int, Field(ge=-1, le=1, json_schema_extra={"enum": [1, -1, 0]})]


class StatusChangeCreate(Body):
    """Move an idea to another stage with a public note (staff)."""

    stage: Annotated[
        str,
        Field(
            min_length=1,
            max_length=40,
            pattern=SLUG,
            description="Slug of the target stage (GET /stages).",
            examples=["under-review"],
        ),
    ]
    note: Annotated[
        str,
        Field(
            min_length=1,
            max_length=NOTE_MAX * GUARD,
            description=f"The public answer in Markdown (up to {NOTE_MAX} characters); shown "
            "on the idea, sent to its followers and echoed to the original social post.",
        ),
    ]


class MergeCreate(Body):
    """Merge this idea (a duplicate) into another (staff)."""

    into: Annotated[
        int,
        Field(
            ge=1,
            le=DB_INT_MAX,
            description="The number of the idea it repeats: votes and followers move there.",
            examples=[1],
        ),
    ]
    note: Annotated[
        str,
        Field(
            max_length=NOTE_MAX * GUARD,
            description=f"The public note on the duplicate (Markdown, up to {NOTE_MAX} "
            "characters); empty: a note linking the idea it was merged into.",
        ),
    ] = ""


class CommentCreate(Body):
    """A comment on an idea (official when written by staff)."""

    body: Annotated[
        str,
        Field(
            min_length=1,
            max_length=COMMENT_MAX * GUARD,
            description=f"Markdown, up to {COMMENT_MAX} characters.",
        ),
    ]


class IdeaListQuery(Query):
    """Filters and paging of the board."""

    sort: Annotated[
        Sort,
        Field(
            description="Ranking; the default is trending. `new` is newest first by "
            "`created_at` (an idea imported from X keeps its post's date), then by id."
        ),
    ] = Sort.TRENDING
    stage: Annotated[
        str | None, Field(max_length=40, pattern=SLUG, description="Only ideas in this stage.")
    ] = None
    category: Annotated[
        str | None, Field(max_length=40, description="Only ideas in this category (slug).")
    ] = None
    q: Annotated[str | None, Field(max_length=200, description="Words that must all appear.")] = (
        None
    )
    cursor: Annotated[
        str | None,
        Field(
            max_length=500,
            pattern=CURSOR,
            description="`next_cursor` of the previous page; omit for the first page.",
        ),
    ] = None
    limit: Annotated[int, Field(ge=1, le=MAX_PAGE_SIZE, description="Ideas per page.")] = 20


class OutboxQuery(Query):
    """Filters and paging of the outbox."""

    state: Annotated[OutboxState | None, Field(description="Only rows in this state.")] = None
    cursor: Annotated[
        str | None,
        Field(pattern=r"^[1-9][0-9]{0,17}$", description="`next_cursor` of the previous page."),
    ] = None
    limit: Annotated[int, Field(ge=1, le=MAX_PAGE_SIZE, description="Rows per page.")] = 50


# Responses -----------------------------------------------------------------------------------


class TokenOut(Out):
    """A new bearer token. The secret is shown this once; only its hash is stored."""

    token: Annotated[str, Field(description="Send as `Authorization: Bearer <token>`.")]
    prefix: Annotated[str, Field(description="The first characters, to tell tokens apart.")]
    name: str
    created_at: datetime


class Names(Out):
    """A name in both languages; either may be empty, never both."""

    en: Annotated[str, Field(description="The English name.")]
    ko: Annotated[str, Field(description="The Korean name.")]


class Author(Out):
    """Who suggested an idea: the site user, or the social author of an imported post."""

    name: str
    handle: Annotated[str | None, Field(description="The social handle, for imported ideas.")]


class IdeaOut(Out):
    """An idea. `stage` and `category` are slugs; times are ISO 8601 in UTC."""

    id: int
    title: str
    body: Annotated[str, Field(description="Markdown source.")]
    stage: Annotated[str, Field(description="Stage slug (GET /stages).")]
    stage_name: Annotated[
        str,
        Field(
            description="The stage's name in the request's language (the other one when it has "
            "none in that language)."
        ),
    ]
    stage_names: Annotated[Names, Field(description="The stage's names in both languages.")]
    category: Annotated[str | None, Field(description="Category slug.")]
    score: Annotated[int, Field(description="Up votes minus down votes.")]
    up: int
    down: int
    comment_count: int
    source: Annotated[str, Field(description='Where it came from: "web", "x", …')]
    source_url: Annotated[str | None, Field(description="The original social post.")]
    campaign: Annotated[
        str | None,
        Field(description="The slug of the campaign it was submitted to (null: none)."),
    ] = None
    author: Author
    created_at: datetime
    updated_at: datetime
    url: Annotated[str, Field(description="The idea's public page (absolute).")]


class IdeaPage(Out):
    """One page of ideas."""

    items: list[IdeaOut]
    next_cursor: Annotated[str | None, Field(description="Pass as `cursor`; null on the last.")]


class VoteOut(Out):
    """The idea's tally after the vote, and the caller's vote."""

    score: int
    up: int
    down: int
    my_vote: Annotated[int, Field(ge=-1, le=1)]


class StaffSignature(Out):
    """The staff member who answered."""

    name: str
    initials: str


class StatusChangeOut(Out):
    """A public stage change of an idea, with its note."""

    id: int
    idea_id: int
    from_stage: Annotated[str | None, Field(description="Stage slug before; null at first.")]
    to_stage: Annotated[str, Field(description="Stage slug after.")]
    note: Annotated[str, Field(description="Markdown source.")]
    by: StaffSignature | None
    created_at: datetime


class CommentOut(Out):
    """A comment; official comments are written by staff."""

    id: int
    idea_id: int
    body: Annotated[str, Field(description="Markdown source.")]
    is_official: bool
    author: Author
    created_at: datetime


class StageOut(Out):
    """A review stage. Ideas in closed stages take no votes."""

    slug: str
    name: Annotated[
        str,
        Field(
            description="The name in the request's language (`Accept-Language`, else the "
            "site's default); the other one when it has none in that language."
        ),
    ]
    names: Annotated[Names, Field(description="The names in both languages.")]
    position: int
    color: Annotated[str, Field(description="#rrggbb")]
    is_open: bool
    is_public: bool


class OutboxRowOut(Out):
    """A message IdeaBoard sends (social reply or post, e-mail, webhook) and its state."""

    id: int
    kind: Annotated[str, Field(description='"x_reply", "x_post", "email" or "webhook".')]
    state: OutboxState
    target: str | None
    text: str
    idea_id: int | None
    status_change_id: int | None
    webhook_id: int | None
    attempts: int
    max_attempts: int
    next_attempt_at: datetime
    last_error: str | None
    remote_id: str | None
    remote_url: str | None
    created_at: datetime
    sent_at: datetime | None


class OutboxPage(Out):
    """One page of the outbox, newest first."""

    items: list[OutboxRowOut]
    next_cursor: str | None


class ErrorDetail(Out):
    """What went wrong: a stable `code`, a message for people, and per-field messages."""

    code: Annotated[str, Field(examples=["validation_failed"])]
    message: str
    fields: Annotated[
        dict[str, list[str]] | None,
        Field(description="Messages per request field (422 only)."),
    ] = None


class ErrorOut(Out):
    """Every error response has this shape."""

    error: ErrorDetail


class Document(Out):
    """An OpenAPI 3.1 document."""

    model_config = ConfigDict(extra="allow")


class Access(enum.StrEnum):
    """Who may call an operation."""

    PUBLIC = "public"  # no credentials are read
    OPTIONAL = "optional"  # anyone; signed-in callers may see more
    USER = "user"  # any signed-in account
    STAFF = "staff"  # staff and admins


def dump(model: BaseModel) -> dict[str, Any]:
    """Return the model as JSON-ready data."""
    return model.model_dump(mode="json")
