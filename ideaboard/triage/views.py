"""The staff workspace: inbox and queues, stage changes, routing, edits, hide, merge, bulk."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any, cast
from urllib.parse import parse_qsl, urlencode

from flask import (
    Blueprint,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from ..accounts.models import User
from ..database import utcnow
from ..errors import DomainError, NotFound, ValidationFailed
from ..extensions import db
from ..forms import SelectChoice, apply_domain_error
from ..i18n import SUPPORTED_LOCALES, current_language, display_name
from ..ideas import queries as idea_queries
from ..ideas import services as idea_services
from ..ideas.forms import ActionForm
from ..ideas.models import Idea
from ..inputs import parse_row_id
from ..paging import Page, page_number
from ..redirects import safe_target
from ..social.echo import held_echoes
from . import queries, saved_filters, services
from .forms import (
    AnswerForm,
    AssignForm,
    BulkStageForm,
    EditForm,
    HideForm,
    MergeForm,
    NoteForm,
    SaveFilterForm,
    StageForm,
)
from .models import SavedReply, Stage, StageRole, Team, stage_with_role
from .permissions import staff_required

bp = Blueprint("triage", __name__, url_prefix="/staff")

# The inbox's sort orders (queries.SORTS) as the sort menu names them.
SORT_LABELS = {
    "oldest": _l("Oldest first"),
    "newest": _l("Newest first"),
    "votes": _l("Most votes"),
    "activity": _l("Latest activity"),
}


def _me() -> User:
    # flask-login is untyped (current_user is Any); its user loader gives a User
    return cast(User, current_user._get_current_object())


def _idea(idea_id: int) -> Idea:
    idea = db.session.get(Idea, idea_id)
    if idea is None:
        raise NotFound(_("There is no idea with this number."))
    return idea


def _stage_choices(stages: list[Stage]) -> list[SelectChoice]:
    return [SelectChoice(s.slug, display_name(s)) for s in stages]


def _all_stages() -> list[Stage]:
    return list(db.session.scalars(select(Stage).order_by(Stage.position, Stage.id)))


def _waiting_slug() -> str:
    """The inbox's default queue: ideas still in the initial stage, waiting for an answer."""
    initial = stage_with_role(StageRole.INITIAL)
    return initial.slug if initial is not None else ""


def _filters(args: Mapping[str, str] | None = None) -> queries.InboxFilters:
    return queries.parse_filters(request.args if args is None else args, _waiting_slug())


def _render_inbox(
    filters: queries.InboxFilters, *, save_form: SaveFilterForm | None = None, status: int = 200
) -> tuple[str, int]:
    """The inbox page: one page of the filtered ideas, the queues with their counts, the
    viewer's saved filters. A filter naming nothing that exists is a 400 with its message."""
    me, now, target = _me(), utcnow(), queries.response_target()
    waiting = _waiting_slug()
    error = None
    page: Page[queries.InboxRow]
    try:
        page = queries.inbox(
            filters, viewer=me, now=now, target=target, page=page_number(request.args.get("page"))
        )
    except DomainError as exc:
        page = Page([], 1, 1, 0, queries.INBOX_PAGE)
        error = exc.message
        status = 400 if status == 200 else status  # a refused save keeps its own 422
    teams = queries.teams()
    my_teams = queries.teams_of(me)
    queue_list = [
        q
        for q in queries.queues(viewer=me, now=now, target=target, waiting=waiting, teams=teams)
        if q.key != "my-teams" or my_teams
    ]
    stages = _all_stages()
    bulk = BulkStageForm()
    bulk.stage.choices = _stage_choices(stages)
    if save_form is None:
        save_form = SaveFilterForm(formdata=None)
    save_form.query.data = filters.query_string(waiting)
    saved = [
        (entry, saved_filters.filters_of(entry, waiting).as_args(waiting))
        for entry in saved_filters.saved_filters_of(me)
    ]
    # Where the forms on the page come back to: this list, this page (also after a POST).
    list_args = filters.as_args(waiting)
    query = urlencode({**list_args, "page": page.number} if page.number > 1 else list_args)
    html = render_template(
        "triage/inbox.html",
        list_args=list_args,
        back_path=url_for("triage.inbox") + (f"?{query}" if query else ""),
        rows=page.items,
        page=page,
        filters=filters,
        base_filters=replace(filters, sort=queries.DEFAULT_SORT),
        waiting_slug=waiting,
        sorts=SORT_LABELS,
        sort_ok=filters.sort in queries.SORTS,
        queues=queue_list,
        saved=saved,
        save_form=save_form,
        action_form=ActionForm(),
        error=error,
        stages=stages,
        categories=idea_queries.all_categories(),
        teams=teams,
        staff=queries.staff_members(),
        bulk_form=bulk,
        target_hours=current_app.config["IDEABOARD_RESPONSE_TARGET_HOURS"],
        my_teams=my_teams,
    )
    return html, status


@bp.get("/")
@staff_required
def inbox() -> tuple[str, int]:
    """List ideas waiting for an answer (New, oldest first) with filters, sorts and queues."""
    return _render_inbox(_filters())


def _selected_ideas() -> list[Idea]:
    """The ideas ticked in the inbox (a number past the id range names none: it is skipped)."""
    raw_ids = request.form.getlist("ideas")
    if len(raw_ids) > services.BULK_MAX:
        raise ValidationFailed(_("Select at most %(n)d ideas.", n=services.BULK_MAX), "ideas")
    if not all(v.isascii() and v.isdigit() for v in raw_ids):
        raise ValidationFailed(_("Some of the selected ideas are not idea numbers."), "ideas")
    ids = [i for i in map(parse_row_id, raw_ids) if i is not None]
    return list(db.session.scalars(select(Idea).where(Idea.id.in_(ids))).unique())


def _assign_to_me(ideas: list[Idea]) -> Response:
    back = safe_target(request.form.get("next"), url_for("triage.inbox"))
    if not ActionForm().validate_on_submit():
        flash(_("The form has expired. Please try again."), "error")
        return redirect(back)
    try:
        changed = services.assign_to_me(ideas, _me())
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(back)
    if changed:
        message = ngettext(
            "%(num)d idea is assigned to you: %(ids)s.",
            "%(num)d ideas are assigned to you: %(ids)s.",
            len(changed),
            ids=", ".join(f"#{idea.id}" for idea in changed),
        )
        flash(message, "success")
    else:
        flash(_("Nothing changed: the selected ideas were already assigned to you."), "info")
    return redirect(back)


@bp.post("/ideas/<id:idea_id>/assign-to-me")
@staff_required
def assign_to_me(idea_id: int) -> Response:
    """Assign one idea to the signed-in staff member (its team stays), back to the list."""
    return _assign_to_me([_idea(idea_id)])


@bp.post("/bulk-assign-to-me")
@staff_required
def bulk_assign_to_me() -> Response:
    """Assign the selected ideas to the signed-in staff member (their teams stay)."""
    try:
        ideas = _selected_ideas()
    except DomainError as error:
        flash(error.message, "error")
        return redirect(safe_target(request.form.get("next"), url_for("triage.inbox")))
    return _assign_to_me(ideas)


@bp.post("/saved-filters")
@staff_required
def save_filter() -> Response | tuple[str, int]:
    """Save the inbox's current filter and sort under a name; back to that filter."""
    form = SaveFilterForm()
    waiting = _waiting_slug()
    raw = (form.query.data or "")[: saved_filters.QUERY_MAX]
    args = dict(parse_qsl(raw, keep_blank_values=True))
    filters = _filters({k: v for k, v in args.items() if k in queries.FILTER_KEYS})
    if form.validate_on_submit():
        try:
            saved = saved_filters.save_filter(_me(), form.name.data or "", filters, waiting=waiting)
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            apply_domain_error(form, error, "name")
        else:
            flash(_("Filter saved as %(name)s.", name=saved.name), "success")
            query = filters.query_string(waiting)
            return redirect(url_for("triage.inbox") + (f"?{query}" if query else ""))
    return _render_inbox(filters, save_form=form, status=422)


@bp.post("/saved-filters/<id:saved_id>/delete")
@staff_required
def delete_saved_filter(saved_id: int) -> Response:
    """Delete one of my saved filters."""
    back = safe_target(request.form.get("next"), url_for("triage.inbox"))
    if not ActionForm().validate_on_submit():
        flash(_("The form has expired. Please try again."), "error")
        return redirect(back)
    saved = saved_filters.delete_filter(_me(), saved_id)
    db.session.commit()
    flash(_("Saved filter %(name)s deleted.", name=saved.name), "success")
    return redirect(back)


def idea_language(idea: Idea) -> str:
    """The language the idea is written in: its post's, else its author's, else the reader's."""
    if idea.source_lang in SUPPORTED_LOCALES:
        return str(idea.source_lang)
    if idea.author is not None and idea.author.locale in SUPPORTED_LOCALES:
        return str(idea.author.locale)
    return current_language()


def _with_choices(name: str, form: Any, idea: Idea) -> Any:
    """Give a card's form its choices (they depend on the idea and the board)."""
    if name == "stage_form":
        form.stage.choices = _stage_choices(services.allowed_next_stages(idea))
    elif name == "assign_form":
        form.team.choices = [SelectChoice("", _("— No team —"))] + [
            SelectChoice(t.slug, display_name(t)) for t in queries.teams()
        ]
        form.assignee.choices = [SelectChoice("", _("— Nobody —"))] + [
            SelectChoice(str(u.id), u.name) for u in queries.staff_members()
        ]
    elif name == "edit_form":
        form.category.choices = [SelectChoice("", _("— No category —"))] + [
            SelectChoice(c.slug, display_name(c)) for c in idea_queries.all_categories()
        ]
    return form


# Each card of the page: its form's name in the template, class and field prefix.
CARDS: dict[str, tuple[type[Any], str]] = {
    "stage_form": (StageForm, "stage"),
    "answer_form": (AnswerForm, "answer"),
    "note_form": (NoteForm, "note"),
    "assign_form": (AssignForm, "assign"),
    "edit_form": (EditForm, "edit"),
    "merge_form": (MergeForm, "merge"),
    "hide_form": (HideForm, "hide"),
    "restore_form": (ActionForm, ""),
}
# Where a saved reply can be inserted (?reply=<id>&into=<box>): the box's form and field.
INSERT_INTO = {"answer": "answer_form", "stage": "stage_form", "note": "note_form"}


def _current_values(name: str, idea: Idea) -> dict[str, Any]:
    """What a card shows when it was not the one sent: the idea as it is now."""
    if name == "assign_form":
        return {
            "team": idea.team.slug if idea.team else "",
            "assignee": str(idea.assignee_id or ""),
        }
    if name == "edit_form":
        return {"title": idea.title, "category": idea.category.slug if idea.category else ""}
    return {}


def _form(name: str, idea: Idea, *, submitted: bool) -> Any:
    """The card's form: as sent (submitted) or filled from the idea, never from the request
    (so a refused form elsewhere on the page never blanks this one)."""
    cls, prefix = CARDS[name]
    if submitted:
        return _with_choices(name, cls(prefix=prefix), idea)
    return _with_choices(
        name, cls(formdata=None, prefix=prefix, data=_current_values(name, idea)), idea
    )


def _forms(idea: Idea, sent: dict[str, Any]) -> dict[str, Any]:
    return {name: sent.get(name) or _form(name, idea, submitted=False) for name in CARDS}


def _prefill(idea: Idea, forms: dict[str, Any]) -> None:
    """Without JS, ?reply=<id>&into=answer|stage|note puts a saved reply into that box."""
    reply_id = parse_row_id(request.args.get("reply"))
    box = INSERT_INTO.get(request.args.get("into", ""))
    if reply_id is None or box is None:
        return
    reply = db.session.get(SavedReply, reply_id)
    if reply is None:
        return
    field = forms[box].note if box == "stage_form" else forms[box].body
    field.data = reply.body


def _reply_groups(first_lang: str) -> list[tuple[str, list[SavedReply]]]:
    """The saved replies by language, the idea's language first, each by title."""
    return queries.group_saved_replies(queries.saved_replies(), first_lang)


def _feed_labels() -> dict[str, str]:
    return {
        queries.FeedKind.STAGE: _("Stage change"),
        queries.FeedKind.ANSWER: _("Official answer"),
        queries.FeedKind.NOTE: _("Internal note"),
        queries.FeedKind.MERGED_IN: _("Merge"),
    }


def _render_idea(idea: Idea, status: int = 200, **sent: Any) -> tuple[str, int]:
    context = _forms(idea, sent)
    if not sent:
        _prefill(idea, context)
    merge_q = request.args.get("merge_q", "")[:200].strip()
    feed, older = queries.activity(idea)
    html = render_template(
        "triage/idea.html",
        idea=idea,
        feed=feed,
        older_entries=older,
        held_echoes=held_echoes(idea),  # replies on X waiting for a confirmation
        saved_reply_groups=_reply_groups(idea_language(idea)),
        feed_labels=_feed_labels(),
        merge_q=merge_q,
        merge_candidates=queries.merge_candidates(idea, merge_q) if merge_q else None,
        **context,
    )
    return html, status


@bp.get("/ideas/<id:idea_id>")
@staff_required
def idea(idea_id: int) -> tuple[str, int]:
    """Show the staff panel of an idea."""
    return _render_idea(_idea(idea_id))


def _act(idea: Idea, name: str, action: Any, success: str) -> Response | tuple[str, int]:
    """Validate the card's form, run action, commit; on any refusal roll everything back and
    show the page again: this form as typed with its error, every other card as the idea is."""
    form = _form(name, idea, submitted=True)
    if form.validate_on_submit():
        try:
            action(form)
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            first = next(iter(form)).short_name
            apply_domain_error(form, error, None if first == "csrf_token" else first)
        else:
            flash(success, "success")
            return redirect(url_for("triage.idea", idea_id=idea.id))
    else:
        db.session.rollback()
    return _render_idea(_idea(idea.id), 422, **{name: form})


def _sent(form: Any, field: str) -> bool:
    """Whether the request carried the field (a field the form did not show is left alone)."""
    return bool(form[field].name in request.form)


@bp.post("/ideas/<id:idea_id>/stage")
@staff_required
def change_stage(idea_id: int) -> Response | tuple[str, int]:
    """Move the idea to another stage with a public note."""
    target = _idea(idea_id)
    return _act(
        target,
        "stage_form",
        lambda form: services.change_stage(
            target, services.find_stage(form.stage.data or ""), form.note.data or "", _me()
        ),
        _("The stage is changed and the update is public."),
    )


@bp.post("/ideas/<id:idea_id>/answer")
@staff_required
def answer(idea_id: int) -> Response | tuple[str, int]:
    """Post an official answer: a comment by staff, public and sent to the followers."""
    target = _idea(idea_id)
    return _act(
        target,
        "answer_form",
        lambda form: idea_services.add_comment(_me(), target, form.body.data or ""),
        _("The official answer is posted."),
    )


@bp.post("/ideas/<id:idea_id>/notes")
@staff_required
def add_note(idea_id: int) -> Response | tuple[str, int]:
    """Add an internal note (staff only: never shown to customers or sent anywhere)."""
    target = _idea(idea_id)
    return _act(
        target,
        "note_form",
        lambda form: services.add_note(target, _me(), form.body.data or ""),
        _("The internal note is saved."),
    )


@bp.post("/ideas/<id:idea_id>/assign")
@staff_required
def assign(idea_id: int) -> Response | tuple[str, int]:
    """Route the idea to a team and a staff member (a field not sent is left as it is)."""
    target = _idea(idea_id)

    def run(form: Any) -> None:
        team, assignee = target.team, target.assignee
        if _sent(form, "team"):
            team = None
            if form.team.data:
                team = db.session.scalar(select(Team).where(Team.slug == form.team.data))
        if _sent(form, "assignee"):
            assignee = db.session.get(User, int(form.assignee.data)) if form.assignee.data else None
        services.assign_idea(target, _me(), team=team, assignee=assignee)

    return _act(target, "assign_form", run, _("Routing saved."))


@bp.post("/ideas/<id:idea_id>/edit")
@staff_required
def edit(idea_id: int) -> Response | tuple[str, int]:
    """Change the title and category, keeping the history (a field not sent is kept)."""
    target = _idea(idea_id)

    def run(form: Any) -> None:
        category = target.category.slug if target.category else None
        if _sent(form, "category"):
            category = form.category.data or None
        services.edit_idea(target, _me(), title=form.title.data or "", category_slug=category)

    return _act(target, "edit_form", run, _("The idea is updated."))


@bp.post("/ideas/<id:idea_id>/hide")
@staff_required
def hide(idea_id: int) -> Response | tuple[str, int]:
    """Hide the idea from the public (spam, abuse)."""
    target = _idea(idea_id)
    return _act(
        target,
        "hide_form",
        lambda form: services.hide_idea(target, _me(), form.reason.data or ""),
        _("The idea is hidden from the public."),
    )


@bp.post("/ideas/<id:idea_id>/restore")
@staff_required
def restore(idea_id: int) -> Response | tuple[str, int]:
    """Show a hidden idea again."""
    target = _idea(idea_id)
    return _act(
        target,
        "restore_form",
        lambda form: services.restore_idea(target, _me()),
        _("The idea is public again."),
    )


@bp.post("/ideas/<id:idea_id>/merge")
@staff_required
def merge(idea_id: int) -> Response | tuple[str, int]:
    """Merge this idea into another one."""
    duplicate = _idea(idea_id)

    def run(form: Any) -> None:
        into = db.session.get(Idea, form.target.data or 0)
        if into is None:
            raise NotFound(_("There is no idea with this number."), "target")
        services.merge_ideas(duplicate, into, _me(), form.note.data or "")

    return _act(duplicate, "merge_form", run, _("The ideas are merged."))


@bp.get("/ideas/<id:idea_id>/merge-candidates")
@staff_required
def merge_candidates(idea_id: int) -> Response:
    """Ideas this one could be merged into, by title words or number (JSON for the search)."""
    target = _idea(idea_id)
    q = request.args.get("q", "")[:200]
    found = queries.merge_candidates(target, q) if q.strip() else []
    return jsonify(
        items=[
            {
                "id": idea.id,
                "title": idea.title,
                "stage": display_name(idea.stage),
                "votes": idea.score,
                "url": url_for("triage.idea", idea_id=idea.id),
            }
            for idea in found
        ]
    )


@bp.post("/bulk-stage")
@staff_required
def bulk_stage() -> Response:
    """Move the selected ideas to one stage with one note."""
    form = BulkStageForm()
    form.stage.choices = _stage_choices(_all_stages())
    back = safe_target(request.form.get("next"), url_for("triage.inbox"))
    raw_ids = request.form.getlist("ideas")
    if not all(v.isascii() and v.isdigit() for v in raw_ids):
        raise ValidationFailed(_("Some of the selected ideas are not idea numbers."), "ideas")
    # A number past the id range names no idea, like a deleted one: it is skipped.
    ids = [i for i in map(parse_row_id, raw_ids) if i is not None]
    if not form.validate_on_submit():
        flash(" ".join(e for errors in form.errors.values() for e in errors), "error")
        return redirect(back)
    ideas = list(db.session.scalars(select(Idea).where(Idea.id.in_(ids))).unique())
    try:
        stage = services.find_stage(form.stage.data or "")
        changes, refused = services.bulk_change_stage(ideas, stage, form.note.data or "", _me())
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(back)
    if changes:
        flash(ngettext("%(num)d idea moved.", "%(num)d ideas moved.", len(changes)), "success")
    else:  # nothing moved is not a success: say so, and why (each refusal follows)
        flash(
            ngettext(
                "Nothing was moved: %(num)d selected idea cannot move to %(stage)s from its stage.",
                "Nothing was moved: none of the %(num)d selected ideas can move to %(stage)s "
                "from their stage.",
                len(refused),
                stage=display_name(stage),
            ),
            "warning",
        )
    for idea, reason in refused:
        flash(_("#%(id)d not moved: %(reason)s", id=idea.id, reason=reason), "error")
    return redirect(back)


from . import admin, replies  # noqa: E402,F401 - register the admin and saved-reply routes on bp
