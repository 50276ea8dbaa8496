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

from .. import memberpages
from ..accounts.blocking import UserBlocked, refusal_message
from ..accounts.guards import login_required
from ..errors import DomainError, ValidationFailed
from ..extensions import db, limiter
from ..forms import SelectChoice, apply_domain_error
from ..i18n import display_name
from ..outbox.queries import sent_replies
from ..pagecache import cache_for_visitors, forget_pages
from ..redirects import safe_target
from ..text import render_markdown
from ..web import RATE_LIMITED_FORMS, wants_json
from . import notifications as notes
from . import queries, services
from .forms import ActionForm, CommentEditForm, CommentForm, HideCommentForm, IdeaForm
from .models import Comment, Idea
from .permissions import can_triage

bp = Blueprint("ideas", __name__)


def _viewer() -> Any:
    return current_user._get_current_object() if current_user.is_authenticated else None


@bp.get("/")
@cache_for_visitors
def index() -> str | tuple[str, int]:
    """Show the board: a tab, filters, a search and one keyset page.

    Most requests are answered from the page's shared copy (memberpages.py), looked up by
    the values its cards show (one plain query); ideas are loaded only to render it.
    """
    args = request.args
    viewer = _viewer()
    filters = {k: args.get(k, "") for k in ("stage", "category", "q")}
    try:
        sort = queries.parse_sort(args.get("sort"))
        board = {
            "sort": sort,
            "stage": args.get("stage") or None,
            "category": args.get("category") or None,
            "q": args.get("q") or None,
            "cursor": args.get("cursor") or None,
            "limit": current_app.config["IDEABOARD_PAGE_SIZE"],
            "viewer": viewer,
        }
        if board["q"]:  # a search finds its ideas its own way (ideas/search.py)
            page = queries.list_ideas(**board, cards=True)
            cards = queries.CardPage(
                values=[queries.card_values(idea) for idea in page.items],
                next_cursor=page.next_cursor,
                ids=[idea.id for idea in page.items],
            )
        else:
            page = None
            cards = queries.list_cards(**{k: v for k, v in board.items() if k != "q"})
    except ValidationFailed as exc:
        return _board_page(
            queries.Sort.TRENDING, queries.IdeaPage(items=[], next_cursor=None), filters, {},
            error=exc.message,
        ), 400  # fmt: skip
    my_votes = queries.votes_on(viewer, cards.ids) if viewer else {}

    def ideas() -> queries.IdeaPage:
        if page is not None:
            return page
        return queries.IdeaPage(queries.cards_by_id(cards.ids, viewer), cards.next_cursor)

    return memberpages.render_page(
        "ideas/index.html",
        content=[cards.values, cards.next_cursor, queries.workflow_rows()],
        # The copy is kept under what was rendered (the ideas may have moved on meanwhile).
        rendered_content=lambda context: [
            [queries.card_values(idea) for idea in context["page"].items],
            context["page"].next_cursor,
            queries.workflow_rows(),
        ],
        reader_votes=my_votes,
        more_context=lambda: _board_context(sort, ideas(), filters, my_votes),
    )


def _board_context(
    sort: queries.Sort, page: queries.IdeaPage, filters: dict[str, str], my_votes: dict[int, int]
) -> dict[str, Any]:
    return {
        "page": page,
        "sort": sort,
        "sorts": list(queries.Sort),
        "filters": filters,
        "active_filters": {k: v for k, v in filters.items() if v},
        "stages": queries.all_stages(),
        "categories": queries.all_categories(),
        "my_votes": my_votes,
        "error": None,
        "first_page": not request.args.get("cursor"),
    }


def _board_page(
    sort: queries.Sort,
    page: queries.IdeaPage,
    filters: dict[str, str],
    my_votes: dict[int, int],
    *,
    error: str,
) -> str:
    return render_template(
        "ideas/index.html", **{**_board_context(sort, page, filters, my_votes), "error": error}
    )


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


def _show_page(
    idea: Idea,
    viewer: Any,
    *,
    comment_form: CommentForm | None = None,
    rate_limited: str | None = None,
) -> str:
    """The idea page as viewer sees it (also re-rendered with a refused comment form)."""
    is_author = services.is_author(viewer, idea)
    comments = services.comments_of(idea)
    replies = sent_replies(idea)
    my_vote = services.my_vote(viewer, idea)
    following = services.is_following(viewer, idea)
    edited = services.was_edited(idea)
    return memberpages.render_page(
        "ideas/show.html",
        # The timeline (status changes with their stages and staff) is part of what it shows.
        content=[idea, idea.status_changes, comments, replies, edited, queries.workflow_rows()],
        # A reader who wrote the idea or a comment on it sees their own edit links (and
        # their hidden text): never a shared copy. Neither is a refused form.
        authors=[idea.author_id, *(c.author_id for c in comments)],
        shared=comment_form is None and rate_limited is None,
        reader_votes={idea.id: my_vote},
        reader_follows={idea.id: following},
        idea=idea,
        comments=comments,
        replies=replies,
        my_vote=my_vote,
        following=following,
        edited=edited,
        is_author=is_author,
        rate_limited=rate_limited,
        more_context=lambda: {
            "comment_form": comment_form or CommentForm(),
            "action_form": ActionForm(),
            # For its author: None when they may edit, else why not (shown on the page).
            "edit_refusal": services.edit_refusal(viewer, idea) if is_author else None,
            "can_delete": is_author and services.delete_refusal(viewer, idea) is None,
        },
    )


@bp.get("/ideas/<id:idea_id>")
@cache_for_visitors
def show(idea_id: int) -> str:
    """Show an idea with its timeline and comments (a hidden one to its author, with why)."""
    viewer = _viewer()
    idea = services.get_idea_for_page(idea_id, viewer)
    return _show_page(idea, viewer)


@bp.post("/ideas/<id:idea_id>/vote")
@login_required
def vote(idea_id: int) -> Response | tuple[Response, int]:
    """Cast, change or withdraw a vote; JSON for scripts, a redirect for plain forms."""
    viewer = current_user._get_current_object()
    raw = request.form.get("value", "")
    try:
        value = int(raw)
    except ValueError:
        services.get_idea(idea_id, viewer)  # no such idea (or hidden) is 404 before a bad value
        raise ValidationFailed(_("A vote is 1 (up), -1 (down) or 0 (withdraw)."), "value") from None
    # One statement on PostgreSQL (the busiest write on the board): the idea is not loaded.
    tally = services.vote_on(viewer, idea_id, value)
    db.session.commit()
    if wants_json():
        return jsonify(score=tally.score, up=tally.up, down=tally.down, my_vote=tally.my_vote)
    back = request.form.get("next") or url_for("ideas.show", idea_id=idea_id)
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
    return _show_page(idea, viewer, comment_form=form), status


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


# --- customers manage their own ideas and comments; staff hide comments ---------------------


def _changed() -> None:
    """After a committed edit, deletion or hiding: anonymous visitors see it at once."""
    forget_pages()


def _idea_form_for(idea: Idea) -> IdeaForm:
    form = IdeaForm(
        data={
            "title": idea.title,
            "body": idea.body,
            "category": idea.category.slug if idea.category else "",
        }
    )
    form.category.choices = _category_choices()
    return form


@bp.route("/ideas/<id:idea_id>/edit", methods=["GET", "POST"])
@login_required
@limiter.limit(lambda: current_app.config["IDEABOARD_LIMIT_SUBMIT"], methods=["POST"])
def edit(idea_id: int) -> Response | str | tuple[str, int]:
    """The author edits their idea until staff answer it; after that, a page saying why not."""
    viewer = current_user._get_current_object()
    idea = services.get_idea_for_page(idea_id, viewer)
    refusal = services.edit_refusal(viewer, idea)
    if refusal:
        return render_template("ideas/edit_closed.html", idea=idea, message=refusal), 403
    form = _idea_form_for(idea)
    if form.validate_on_submit():
        try:
            changed = services.edit_own_idea(
                viewer,
                idea,
                title=form.title.data or "",
                body=form.body.data or "",
                category_slug=form.category.data or None,
            )
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            apply_domain_error(form, error, "title")
        else:
            _changed()
            flash(_("Your idea is updated.") if changed else _("Nothing changed."), "success")
            return redirect(url_for("ideas.show", idea_id=idea.id))
    status = 422 if form.is_submitted() else 200
    return render_template("ideas/edit.html", idea=idea, form=form), status


@bp.get("/ideas/<id:idea_id>/history")
@cache_for_visitors
def history(idea_id: int) -> str:
    """Every version of an idea's title, description and category, newest first."""
    viewer = _viewer()
    idea = services.get_idea_for_page(idea_id, viewer)
    revisions = services.revisions_of(idea)
    return render_template(
        "ideas/history.html",
        idea=idea,
        revisions=[(revision, render_markdown(revision.body)) for revision in revisions],
    )


@bp.route("/ideas/<id:idea_id>/delete", methods=["GET", "POST"])
@login_required
def delete(idea_id: int) -> Response | str | tuple[str, int]:
    """Ask, then delete the author's idea while nobody else has a stake in it."""
    viewer = current_user._get_current_object()
    idea = services.get_idea_for_page(idea_id, viewer)
    refusal = services.delete_refusal(viewer, idea)
    form = ActionForm()
    if refusal:
        return render_template("ideas/delete.html", idea=idea, form=form, refusal=refusal), 403
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        services.delete_own_idea(viewer, idea)
        db.session.commit()
        _changed()
        flash(_("Your idea is deleted."), "success")
        return redirect(url_for("ideas.index"))
    return render_template("ideas/delete.html", idea=idea, form=form, refusal=None)


def _own_comment(idea_id: int, comment_id: int) -> tuple[Any, Idea, Comment]:
    viewer = current_user._get_current_object()
    idea = services.get_idea_for_page(idea_id, viewer)
    return viewer, idea, services.get_comment(idea, comment_id)


@bp.route("/ideas/<id:idea_id>/comments/<id:comment_id>/edit", methods=["GET", "POST"])
@login_required
@limiter.limit(lambda: current_app.config["IDEABOARD_LIMIT_COMMENT"], methods=["POST"])
def edit_comment(idea_id: int, comment_id: int) -> Response | str | tuple[str, int]:
    """The author changes their comment (it is marked edited)."""
    viewer, idea, comment = _own_comment(idea_id, comment_id)
    refusal = services.comment_edit_refusal(viewer, comment)
    if refusal:
        return render_template("ideas/edit_closed.html", idea=idea, message=refusal), 403
    form = CommentEditForm(data={"body": comment.body})
    if form.validate_on_submit():
        try:
            services.edit_comment(viewer, comment, form.body.data or "")
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            apply_domain_error(form, error, "body")
        else:
            _changed()
            flash(_("Your comment is updated."), "success")
            return redirect(url_for("ideas.show", idea_id=idea.id, _anchor=f"comment-{comment.id}"))
    status = 422 if form.is_submitted() else 200
    return render_template("ideas/comment_edit.html", idea=idea, comment=comment, form=form), status


@bp.route("/ideas/<id:idea_id>/comments/<id:comment_id>/delete", methods=["GET", "POST"])
@login_required
def delete_comment(idea_id: int, comment_id: int) -> Response | str | tuple[str, int]:
    """Ask, then delete the author's comment (a placeholder stays in the thread)."""
    viewer, idea, comment = _own_comment(idea_id, comment_id)
    refusal = services.comment_edit_refusal(viewer, comment)
    if refusal:
        return render_template("ideas/edit_closed.html", idea=idea, message=refusal), 403
    form = ActionForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        services.delete_comment(viewer, comment)
        db.session.commit()
        _changed()
        flash(_("Your comment is deleted."), "success")
        return redirect(url_for("ideas.show", idea_id=idea.id, _anchor=f"comment-{comment.id}"))
    return render_template("ideas/comment_delete.html", idea=idea, comment=comment, form=form)


def _require_staff() -> Any:
    viewer = current_user._get_current_object()
    if not can_triage(viewer):
        abort(403)
    return viewer


@bp.route("/ideas/<id:idea_id>/comments/<id:comment_id>/hide", methods=["GET", "POST"])
@login_required
def hide_comment(idea_id: int, comment_id: int) -> Response | str | tuple[str, int]:
    """Staff hide a comment with a reason its author sees."""
    viewer = _require_staff()
    idea = services.get_idea(idea_id, viewer)
    comment = services.get_comment(idea, comment_id)
    form = HideCommentForm()
    if form.validate_on_submit():
        try:
            services.hide_comment(viewer, comment, form.reason.data or "")
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            apply_domain_error(form, error, "reason")
        else:
            _changed()
            flash(_("The comment is hidden."), "success")
            return redirect(url_for("ideas.show", idea_id=idea.id, _anchor=f"comment-{comment.id}"))
    status = 422 if form.is_submitted() else 200
    return render_template("ideas/comment_hide.html", idea=idea, comment=comment, form=form), status


@bp.post("/ideas/<id:idea_id>/comments/<id:comment_id>/restore")
@login_required
def restore_comment(idea_id: int, comment_id: int) -> Response:
    """Staff show a hidden comment again."""
    viewer = _require_staff()
    idea = services.get_idea(idea_id, viewer)
    comment = services.get_comment(idea, comment_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    services.restore_comment(viewer, comment)
    db.session.commit()
    _changed()
    flash(_("The comment is shown again."), "success")
    return redirect(url_for("ideas.show", idea_id=idea.id, _anchor=f"comment-{comment.id}"))


# --- a 429 on these forms shows the same page again, the typed text kept (web.py) -----------


def _submit_limited(message: str) -> str:
    form = IdeaForm()  # filled from the POST that was refused
    form.category.choices = _category_choices()
    return render_template("ideas/submit.html", form=form, rate_limited=message)


def _comment_limited(message: str) -> str:
    viewer = current_user._get_current_object()
    idea = services.get_idea(int((request.view_args or {})["idea_id"]), viewer)
    return _show_page(idea, viewer, comment_form=CommentForm(), rate_limited=message)


def _edit_limited(message: str) -> str:
    viewer = current_user._get_current_object()
    idea = services.get_idea_for_page(int((request.view_args or {})["idea_id"]), viewer)
    form = IdeaForm()
    form.category.choices = _category_choices()
    return render_template("ideas/edit.html", idea=idea, form=form, rate_limited=message)


def _edit_comment_limited(message: str) -> str:
    args = request.view_args or {}
    _viewer_, idea, comment = _own_comment(int(args["idea_id"]), int(args["comment_id"]))
    return render_template(
        "ideas/comment_edit.html",
        idea=idea,
        comment=comment,
        form=CommentEditForm(),
        rate_limited=message,
    )


RATE_LIMITED_FORMS.update(
    {
        "ideas.submit": _submit_limited,
        "ideas.comment": _comment_limited,
        "ideas.edit": _edit_limited,
        "ideas.edit_comment": _edit_comment_limited,
    }
)
