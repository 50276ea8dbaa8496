"""The public board: list, search, idea page, submit, vote, comment, follow, notifications."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from ..accounts.blocking import UserBlocked, refusal_message
from ..accounts.guards import login_required
from ..errors import DomainError, ValidationFailed
from ..extensions import db, limiter
from ..forms import SelectChoice, apply_domain_error
from ..i18n import display_name
from ..outbox.queries import sent_replies
from ..pagecache import cache_for_visitors
from ..redirects import safe_target
from ..web import wants_json
from . import notifications as notes
from . import queries, services
from .forms import ActionForm, CommentForm, IdeaForm
from .models import Idea

bp = Blueprint("ideas", __name__)


def _viewer() -> Any:
    return current_user._get_current_object() if current_user.is_authenticated else None


@bp.get("/")
@cache_for_visitors
def index() -> str | tuple[str, int]:
    """Show the board: a tab, filters, a search and one keyset page."""
    args = request.args
    viewer = _viewer()
    error = None
    try:
        sort = queries.parse_sort(args.get("sort"))
        page = queries.list_ideas(
            sort=sort,
            stage=args.get("stage") or None,
            category=args.get("category") or None,
            q=args.get("q") or None,
            cursor=args.get("cursor") or None,
            limit=current_app.config["IDEABOARD_PAGE_SIZE"],
            viewer=viewer,
        )
    except ValidationFailed as exc:
        error = exc.message
        sort = queries.Sort.TRENDING
        page = queries.IdeaPage(items=[], next_cursor=None)
    my_votes = queries.votes_of(viewer, page.items) if viewer else {}
    filters = {k: args.get(k, "") for k in ("stage", "category", "q")}
    html = render_template(
        "ideas/index.html",
        page=page,
        sort=sort,
        sorts=list(queries.Sort),
        filters=filters,
        active_filters={k: v for k, v in filters.items() if v},
        stages=queries.all_stages(),
        categories=queries.all_categories(),
        my_votes=my_votes,
        error=error,
        first_page=not args.get("cursor"),
    )
    return (html, 400) if error else html


def _category_choices() -> list[SelectChoice]:
    return [SelectChoice("", _("— Choose a category —"))] + [
        SelectChoice(c.slug, display_name(c)) for c in queries.all_categories()
    ]


@bp.route("/ideas/new", methods=["GET", "POST"])
@login_required
@limiter.limit(lambda: current_app.config["IDEABOARD_LIMIT_SUBMIT"], methods=["POST"])
def submit() -> Response | str | tuple[str, int]:
    """Submit a new idea."""
    form = IdeaForm()
    form.category.choices = _category_choices()
    status = 422 if form.is_submitted() else 200
    if form.validate_on_submit():
        try:
            idea = services.submit_idea(
                current_user._get_current_object(),
                form.title.data or "",
                form.body.data or "",
                form.category.data or None,
            )
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            blocked = isinstance(error, UserBlocked)  # above the form, which keeps the text
            apply_domain_error(form, error, None if blocked else "title")
            status = 403 if blocked else status
        else:
            flash(_("Thank you! Your idea is on the board."), "success")
            return redirect(url_for("ideas.show", idea_id=idea.id))
    elif current_user.is_blocked:  # say so before they type (the service refuses anyway)
        form.form_errors.append(refusal_message(current_user))
        status = 403 if form.is_submitted() else 200
    return render_template("ideas/submit.html", form=form), status


@bp.get("/ideas/similar")
def similar() -> Response:
    """Return ideas like the title being typed, as JSON for the submit form's hint."""
    title = request.args.get("title", "")[:200]
    viewer = _viewer()
    ideas = queries.similar_ideas(title, viewer=viewer) if len(title.strip()) >= 2 else []
    return jsonify(
        items=[
            {
                "id": idea.id,
                "title": idea.title,
                "url": idea.url,
                "score": idea.score,
                "stage": display_name(idea.stage_for(viewer)),
            }
            for idea in ideas
        ]
    )


@bp.get("/ideas/<id:idea_id>")
@cache_for_visitors
def show(idea_id: int) -> str:
    """Show an idea with its timeline and comments."""
    viewer = _viewer()
    idea = services.get_idea(idea_id, viewer)
    comments = services.comments_of(idea)
    return render_template(
        "ideas/show.html",
        idea=idea,
        comments=comments,
        replies=sent_replies(idea),
        my_vote=services.my_vote(viewer, idea),
        following=services.is_following(viewer, idea),
        comment_form=CommentForm(),
        action_form=ActionForm(),
    )


@bp.post("/ideas/<id:idea_id>/vote")
@login_required
def vote(idea_id: int) -> Response | tuple[Response, int]:
    """Cast, change or withdraw a vote; JSON for scripts, a redirect for plain forms."""
    idea = services.get_idea(idea_id, current_user)
    raw = request.form.get("value", "")
    try:
        value = int(raw)
    except ValueError:
        raise ValidationFailed(_("A vote is 1 (up), -1 (down) or 0 (withdraw)."), "value") from None
    tally = services.cast_vote(current_user._get_current_object(), idea, value)
    db.session.commit()
    if wants_json():
        return jsonify(score=tally.score, up=tally.up, down=tally.down, my_vote=tally.my_vote)
    back = request.form.get("next") or url_for("ideas.show", idea_id=idea.id)
    return redirect(safe_target(back, url_for("ideas.index")))


@bp.post("/ideas/<id:idea_id>/comments")
@login_required
@limiter.limit(lambda: current_app.config["IDEABOARD_LIMIT_COMMENT"])
def comment(idea_id: int) -> Response | tuple[str, int]:
    """Add a comment to an idea."""
    viewer = current_user._get_current_object()
    idea = services.get_idea(idea_id, viewer)
    form = CommentForm()
    status = 422
    if form.validate_on_submit():
        try:
            added = services.add_comment(viewer, idea, form.body.data or "")
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            apply_domain_error(form, error, "body")
            status = 403 if isinstance(error, UserBlocked) else 422
        else:
            flash(_("Your comment is posted."), "success")
            return redirect(url_for("ideas.show", idea_id=idea.id, _anchor=f"comment-{added.id}"))
    elif viewer.is_blocked:  # an empty comment from a blocked user: the reason, not "required"
        form.form_errors.append(refusal_message(viewer))
        status = 403
    html = render_template(
        "ideas/show.html",
        idea=idea,
        comments=services.comments_of(idea),
        replies=sent_replies(idea),
        my_vote=services.my_vote(viewer, idea),
        following=services.is_following(viewer, idea),
        comment_form=form,
        action_form=ActionForm(),
    )
    return html, status


def _follow_action(idea_id: int, follow: bool) -> Response:
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    viewer = current_user._get_current_object()
    idea: Idea = services.get_idea(idea_id, viewer)
    if follow:
        services.follow_idea(viewer, idea)
        message = _("You follow this idea: you will hear when its stage changes.")
    else:
        services.unfollow_idea(viewer, idea)
        message = _("You no longer follow this idea.")
    db.session.commit()
    flash(message, "info")
    return redirect(url_for("ideas.show", idea_id=idea.id))


@bp.post("/ideas/<id:idea_id>/follow")
@login_required
def follow(idea_id: int) -> Response:
    """Follow an idea."""
    return _follow_action(idea_id, True)


@bp.post("/ideas/<id:idea_id>/unfollow")
@login_required
def unfollow(idea_id: int) -> Response:
    """Stop following an idea."""
    return _follow_action(idea_id, False)


@bp.get("/notifications")
@login_required
def notifications() -> str:
    """List the signed-in user's notifications, newest first."""
    viewer = current_user._get_current_object()
    return render_template(
        "ideas/notifications.html",
        notifications=notes.recent_notifications(viewer),
        action_form=ActionForm(),
    )


@bp.post("/notifications/read")
@login_required
def mark_notifications_read() -> Response:
    """Mark all notifications read."""
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    notes.mark_all_read(current_user._get_current_object())
    db.session.commit()
    return redirect(url_for("ideas.notifications"))
