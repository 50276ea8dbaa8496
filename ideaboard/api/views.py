"""The JSON API under /api/v1: thin edges over the same services as the pages."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, render_template, request
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.exceptions import MethodNotAllowed

from ..accounts.models import User
from ..campaigns.services import find_for_submission
from ..errors import Conflict
from ..extensions import csrf, db, limiter
from ..ideas import queries
from ..ideas import services as ideas
from ..outbox.models import OutboxMessage
from ..triage import services as triage
from ..triage.models import Stage
from . import docs, openapi, services
from .auth import rate_limit_key
from .errors import InvalidCredentials
from .routing import operation
from .schemas import (
    DB_INT_MAX,
    Access,
    CommentCreate,
    CommentOut,
    Document,
    IdeaCreate,
    IdeaListQuery,
    IdeaOut,
    IdeaPage,
    MergeCreate,
    OutboxPage,
    OutboxQuery,
    StageOut,
    StatusChangeCreate,
    StatusChangeOut,
    TokenOut,
    TokenRequest,
    VoteOut,
    VoteRequest,
)
from .serialize import comment_out, idea_out, outbox_row_out, stage_out, status_change_out

bp = Blueprint("api", __name__, url_prefix="/api/v1")
# Bearer requests cannot be forged by a browser; cookie requests are checked in auth.caller.
csrf.exempt(bp)
limiter.limit(lambda: current_app.config["IDEABOARD_API_LIMIT"], key_func=rate_limit_key)(bp)


@bp.after_app_request
def _api_headers(response: Response) -> Response:
    if not request.path.startswith("/api/"):
        return response
    exception = request.routing_exception
    if response.status_code == 405 and isinstance(exception, MethodNotAllowed):
        response.headers["Allow"] = ", ".join(sorted(exception.valid_methods or []))
    if response.status_code == 401:
        response.headers.setdefault("WWW-Authenticate", 'Bearer realm="IdeaBoard API"')
    response.headers.setdefault("Cache-Control", "no-store")
    return response


@operation(
    bp, "POST", "/tokens", tag="Tokens", summary="Get an API token", access=Access.PUBLIC,
    body=TokenRequest, response=TokenOut, status=201, errors=(401, 409),
)  # fmt: skip
@limiter.limit(
    lambda: current_app.config["IDEABOARD_API_LIMIT_TOKENS"],
    key_func=lambda: f"tokens:{rate_limit_key()}",
    override_defaults=False,
)
def create_token(body: TokenRequest) -> TokenOut:
    """Exchange an e-mail address and password for a bearer token with the account's role.

    The secret is in this answer only; the profile page lists the account's tokens by prefix
    and revokes them.
    """
    try:
        token, secret = services.issue_token_for_login(body.email, body.password, body.name or "")
    except InvalidCredentials:
        db.session.commit()  # keep the failed attempt: it counts towards the account's lock
        raise
    db.session.commit()
    return TokenOut(token=secret, prefix=token.prefix, name=token.name, created_at=token.created_at)


@operation(
    bp, "GET", "/ideas", tag="Ideas", summary="List ideas", access=Access.OPTIONAL,
    query=IdeaListQuery, response=IdeaPage,
)  # fmt: skip
def list_ideas(user: User | None, query: IdeaListQuery) -> IdeaPage:
    """One page of the board, best first for the chosen sort; follow `next_cursor` for more.

    Pages are keyset pages: walking them visits each idea once, and new ideas do not shift
    the later pages.
    """
    page = queries.list_ideas(
        sort=query.sort,
        stage=query.stage,
        category=query.category,
        q=query.q,
        cursor=query.cursor,
        limit=query.limit,
        viewer=user,
    )
    return IdeaPage(items=[idea_out(i, user) for i in page.items], next_cursor=page.next_cursor)


@operation(
    bp, "POST", "/ideas", tag="Ideas", summary="Submit an idea", access=Access.USER,
    body=IdeaCreate, response=IdeaOut, status=201, errors=(409,),
)  # fmt: skip
def create_idea(user: User, body: IdeaCreate) -> IdeaOut:
    """Submit an idea in the first stage; its author follows it.

    With `campaign`, the idea joins that campaign (and its category); after the campaign's
    deadline: 409 `campaign_closed`.
    """
    campaign = find_for_submission(body.campaign)
    idea = ideas.submit_idea(user, body.title, body.body, body.category, campaign=campaign)
    db.session.commit()
    return idea_out(idea, user)


@operation(
    bp, "GET", "/ideas/{idea_id}", tag="Ideas", summary="Get an idea", access=Access.OPTIONAL,
    response=IdeaOut,
)  # fmt: skip
def get_idea(user: User | None, idea_id: int) -> IdeaOut:
    """One idea. Hidden ideas are visible to staff only."""
    return idea_out(ideas.get_idea(idea_id, user), user)


@operation(
    bp, "PUT", "/ideas/{idea_id}/vote", tag="Ideas", summary="Vote on an idea",
    access=Access.USER, body=VoteRequest, response=VoteOut, errors=(409,),
)  # fmt: skip
def vote(user: User, idea_id: int, body: VoteRequest) -> VoteOut:
    """Set the caller's vote to 1, -1 or 0 (withdraw). Sending the same value again changes nothing.

    Ideas in closed stages (launched, declined, duplicate) take no votes: 409 `voting_closed`;
    nor do the ideas of a campaign after its deadline (409 `voting_closed`, saying so).
    """
    tally = ideas.vote_on(user, idea_id, body.value)
    db.session.commit()
    return VoteOut(score=tally.score, up=tally.up, down=tally.down, my_vote=tally.my_vote)


@operation(
    bp, "POST", "/ideas/{idea_id}/status", tag="Triage", summary="Change an idea's stage",
    access=Access.STAFF, body=StatusChangeCreate, response=StatusChangeOut, status=201,
    errors=(409,),
)  # fmt: skip
def change_status(user: User, idea_id: int, body: StatusChangeCreate) -> StatusChangeOut:
    """Move the idea to another stage with a public note (staff only).

    Followers are notified and imported ideas get the note as a reply on the social network.
    A move the workflow does not allow is 409 `conflict`; the current stage is 422.
    """
    idea = ideas.get_idea(idea_id, user)
    change = triage.change_stage(idea, triage.find_stage(body.stage), body.note, user)
    db.session.commit()
    return status_change_out(change, user)


@operation(
    bp, "POST", "/ideas/{idea_id}/merge", tag="Triage", summary="Merge a duplicate idea",
    access=Access.STAFF, body=MergeCreate, response=StatusChangeOut, status=201,
    errors=(409,),
)  # fmt: skip
def merge_idea(user: User, idea_id: int, body: MergeCreate) -> StatusChangeOut:
    """Merge the idea into the one it repeats (`into`), with an optional public note (staff).

    Votes move without double votes, followers move, the duplicate goes to the duplicate
    stage and its page links the target; replies to its social posts link the target too.
    Answers with the duplicate's status change. An unknown idea (either) is 404; the same idea,
    one already merged, or a target that is itself merged is 409 `conflict`.
    """
    duplicate = ideas.get_idea(idea_id, user)
    target = ideas.get_idea(body.into, user)
    if duplicate.id == target.id:
        raise Conflict(_("An idea cannot be merged into itself."), field="into")
    change = triage.merge_ideas(duplicate, target, user, body.note)
    db.session.commit()
    return status_change_out(change, user)


@operation(
    bp, "GET", "/ideas/{idea_id}/status-changes", tag="Triage", summary="List status changes",
    access=Access.OPTIONAL, response=StatusChangeOut, many=True,
)  # fmt: skip
def list_status_changes(user: User | None, idea_id: int) -> list[StatusChangeOut]:
    """The idea's stage changes with their public notes, oldest first.

    Changes into internal stages are listed for staff only.
    """
    idea = ideas.get_idea(idea_id, user)
    return [status_change_out(change, user) for change in idea.status_changes_for(user)]


@operation(
    bp, "GET", "/ideas/{idea_id}/comments", tag="Comments", summary="List comments",
    access=Access.OPTIONAL, response=CommentOut, many=True,
)  # fmt: skip
def list_comments(user: User | None, idea_id: int) -> list[CommentOut]:
    """The idea's comments, oldest first (deleted and hidden ones are left out)."""
    idea = ideas.get_idea(idea_id, user)
    return [comment_out(comment) for comment in ideas.comments_of(idea) if comment.is_public]


@operation(
    bp, "POST", "/ideas/{idea_id}/comments", tag="Comments", summary="Comment on an idea",
    access=Access.USER, body=CommentCreate, response=CommentOut, status=201,
)  # fmt: skip
def create_comment(user: User, idea_id: int, body: CommentCreate) -> CommentOut:
    """Add a comment; staff comments are official and notify the idea's followers."""
    idea = ideas.get_idea(idea_id, user)
    comment = ideas.add_comment(user, idea, body.body)
    db.session.commit()
    return comment_out(comment)


@operation(
    bp, "GET", "/stages", tag="Triage", summary="List stages", access=Access.OPTIONAL,
    response=StageOut, many=True,
)  # fmt: skip
def list_stages(user: User | None) -> list[StageOut]:
    """The review stages in workflow order (staff also see the internal ones)."""
    query = select(Stage).order_by(Stage.position, Stage.id)
    if user is None or not user.is_staff:
        query = query.where(Stage.is_public)
    return [stage_out(stage) for stage in db.session.scalars(query)]


@operation(
    bp, "GET", "/outbox", tag="Outbox", summary="List outbox messages", access=Access.STAFF,
    query=OutboxQuery, response=OutboxPage,
)  # fmt: skip
def list_outbox(user: User, query: OutboxQuery) -> OutboxPage:
    """Messages IdeaBoard sends (social replies, posts, webhooks), newest first (staff only)."""
    rows_query = select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(query.limit + 1)
    if query.state is not None:
        rows_query = rows_query.where(OutboxMessage.state == query.state.value)
    if query.cursor and int(query.cursor) <= DB_INT_MAX:
        # A cursor past the largest id leaves nothing out (and must not reach PostgreSQL's
        # INTEGER column, where it would not fit).
        rows_query = rows_query.where(OutboxMessage.id < int(query.cursor))
    rows = list(db.session.scalars(rows_query))
    next_cursor = str(rows[query.limit - 1].id) if len(rows) > query.limit else None
    return OutboxPage(
        items=[outbox_row_out(r) for r in rows[: query.limit]], next_cursor=next_cursor
    )


@operation(
    bp, "GET", "/openapi.json", tag="Meta", summary="This API's OpenAPI 3.1 document",
    access=Access.PUBLIC, response=Document,
)  # fmt: skip
def openapi_document() -> Response:
    """The OpenAPI 3.1 document, generated from the schemas the API validates with."""
    return jsonify(openapi.document())


@operation(
    bp, "GET", "/docs", tag="Meta", summary="This reference, as a web page",
    access=Access.PUBLIC, media_type="text/html",
)  # fmt: skip
def reference() -> str:
    """A readable reference generated from the OpenAPI document."""
    return render_template("api/docs.html", **docs.reference(openapi.document()))
