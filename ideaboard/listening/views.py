"""The staff's listening inbox: the queue of mentions per account, and the actions on them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import parse_qsl, urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from ..accounts.models import User
from ..errors import ValidationFailed
from ..extensions import db
from ..forms import SelectChoice
from ..i18n import current_language, display_name
from ..inputs import parse_row_id
from ..paging import page_number, paginate
from ..redirects import safe_target
from ..social.models import MentionLog, SocialAccount
from ..social.networks import limit_for
from ..triage import queries as triage_queries
from ..triage.models import SavedReply, Team
from ..triage.permissions import staff_required
from ..triage.services import REPLY_LANGUAGES
from . import inbox
from .classify import classify
from .forms import InboxActionForm, ReplyForm, RouteForm

bp = Blueprint("listening", __name__, url_prefix="/staff/listening")
PAGE = 25  # mentions a page of the inbox shows
NETWORK_SIGNS = {"x": "𝕏", "bluesky": "🦋", "mastodon": "🐘"}  # as the idea cards name them
# The saved-reply picker's query (without JS): ?mention=<row>&reply=<saved reply>. They fill
# one box once, so they are left out of the pager's links and of where the forms go back to.
PICKER_ARGS = ("mention", "reply")


def _me() -> User:
    # flask-login is untyped (current_user is Any); its user loader gives a User
    return cast(User, current_user._get_current_object())


@bp.app_template_global()
def listening_open_count() -> int:
    """Mentions waiting in the listening inbox (the staff navigation's count)."""
    return inbox.open_count()


@dataclass(frozen=True)
class Failed:
    """An action refused with a form error: shown on its mention's row (text kept)."""

    entry_id: int
    action: str
    message: str
    text: str = ""


def _teams() -> list[Team]:
    return list(db.session.scalars(select(Team).order_by(Team.position, Team.id)))


def _reader_language(entry: MentionLog) -> str:
    """The language the mention's author reads: the mention's own, else the staff member's."""
    return entry.lang if entry.lang in REPLY_LANGUAGES else current_language()


def _page(
    failed: Failed | None = None,
    args: Any = None,
    back: str | None = None,
    filled: dict[int, str] | None = None,
) -> str:
    args = args if args is not None else request.args
    if any(name in args for name in PICKER_ARGS):
        args = MultiDict([(k, v) for k, v in args.items(multi=True) if k not in PICKER_ARGS])
        back = back or url_for("listening.index", **args.to_dict())
    filters = inbox.InboxFilters.from_args(args)
    accounts = list(db.session.scalars(select(SocialAccount).order_by(SocialAccount.id)))
    teams = _teams()
    page = paginate(inbox.inbox_query(filters), page_number(args.get("page")), PAGE)
    saved_replies = triage_queries.saved_replies()
    rows = [
        {
            "entry": entry,
            "why": classify(entry.text).describe(),
            "when": inbox.when(entry),
            "saved_replies": triage_queries.group_saved_replies(
                saved_replies, _reader_language(entry)
            ),
        }
        for entry in page.items
    ]
    return render_template(
        "listening/inbox.html",
        filters=filters,
        page=page,
        rows=rows,
        accounts=accounts,
        account_by_id={a.id: a for a in accounts},
        team_by_id={t.id: t for t in teams},
        teams=teams,
        account_counts=inbox.counts_by_account(filters),
        state_counts=inbox.counts_by_state(filters),
        states=inbox.STATES,
        labels=inbox.LABELS,
        state_names=inbox.STATE_NAMES,
        label_names=inbox.LABEL_NAMES,
        network_signs=NETWORK_SIGNS,
        post_limit=limit_for,
        unit_name=lambda unit: str(inbox.UNIT_NAMES.get(unit, unit)),
        can={
            "reply": {s.value for s in inbox.REPLY_FROM},
            "convert": {s.value for s in inbox.CONVERT_FROM},
            "route": {s.value for s in inbox.ROUTE_FROM},
            "dismiss": {s.value for s in inbox.DISMISS_FROM},
            "reopen": {s.value for s in inbox.REOPEN_FROM},
        },
        failed=failed,
        filled=filled or {},
        has_saved_replies=bool(saved_replies),
        page_args=args.to_dict(),
        back=back or request.full_path,
    )


@bp.get("")
@staff_required
def index() -> str | tuple[str, int]:
    """The listening inbox: mentions that are not ideas, per account, newest first."""
    if not any(name in request.args for name in PICKER_ARGS):
        return _page()
    return _with_saved_reply()


def _with_saved_reply() -> tuple[str, int]:
    """The inbox with a saved reply in one mention's reply box: the picker without JS
    (?mention=<id>&reply=<saved reply id>), as the staff idea page's picker fills its boxes.

    An unknown mention is a 404; a saved reply that is gone (or a made-up number) is an
    error on the mention's row. A saved reply too long for the mention's network, signed, is
    put in the box with the error the send would give, so staff shorten it before sending."""
    entry = inbox.get_entry(parse_row_id(request.args.get("mention")) or 0)
    reply_id = parse_row_id(request.args.get("reply"))
    saved = db.session.get(SavedReply, reply_id) if reply_id is not None else None
    if saved is None:
        message = _("There is no saved reply with this number.")
        return _page(Failed(entry.id, "reply", message)), 422
    account = db.session.get_one(SocialAccount, entry.account_id)
    try:
        inbox.check_reply(account, saved.body, _me(), entry.author_handle)
    except ValidationFailed as error:
        return _page(Failed(entry.id, "reply", error.message, saved.body)), 200
    return _page(filled={entry.id: saved.body}), 200


def _back(form: InboxActionForm) -> str:
    return safe_target(form.next.data, url_for("listening.index"))


def _refuse(form: InboxActionForm, failed: Failed) -> tuple[str, int]:
    """The inbox page again (the one the form came from), with the error on the row."""
    back = _back(form)
    return _page(failed, MultiDict(parse_qsl(urlsplit(back).query)), back), 422


def _form_message(form: InboxActionForm) -> str:
    errors: dict[str, list[str]] = form.errors
    if errors.get("csrf_token"):
        return str(
            _("The form expired or was sent from another site. Reload the page and try again.")
        )
    if "state" in errors:
        return str(_("Reload the page: the mention's state is unknown."))
    return " ".join(str(e) for field_errors in errors.values() for e in field_errors)


def _act(entry_id: int, action: str) -> Response | tuple[str, int]:
    entry = inbox.get_entry(entry_id)
    me = _me()
    form: InboxActionForm
    if action == "reply":
        form = ReplyForm()
    elif action == "route":
        form = RouteForm()
        form.team.choices = [SelectChoice(t.id, t.name) for t in _teams()]
    else:
        form = InboxActionForm()
    text = str(getattr(form, "text", None) and form.text.data or "")
    if not form.validate_on_submit():
        message = _form_message(form)
        if action == "route" and "team" in form.errors:
            message = _("Choose one of the teams.")
        return _refuse(form, Failed(entry.id, action, message, text))
    expected = str(form.state.data)
    try:
        if action == "reply":
            inbox.reply(entry, text, me, expected)
            done = _("Reply queued: it goes out with the next delivery round.")
        elif action == "convert":
            idea = inbox.convert(entry, me, expected)
            done = _("The mention is idea #%(id)d now.", id=idea.id)
        elif action == "route":
            team = inbox.get_team(cast(RouteForm, form).team.data)
            inbox.route(entry, team, me, expected)
            done = _("Routed to %(team)s.", team=display_name(team))
        elif action == "dismiss":
            inbox.dismiss(entry, me, expected)
            done = _("Dismissed.")
        else:
            inbox.reopen(entry, me, expected)
            done = _("Open again.")
        db.session.commit()
    except inbox.AlreadyHandled as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(_back(form))
    except ValidationFailed as error:
        db.session.rollback()
        return _refuse(form, Failed(entry.id, action, error.message, text))
    flash(done, "success")
    return redirect(_back(form))


@bp.post("/<id:entry_id>/reply")
@staff_required
def reply(entry_id: int) -> Response | tuple[str, int]:
    """Queue a reply to the mention, signed with the staff member's initials."""
    return _act(entry_id, "reply")


@bp.post("/<id:entry_id>/convert")
@staff_required
def convert(entry_id: int) -> Response | tuple[str, int]:
    """Make the mention an idea (its author gets the acknowledgement)."""
    return _act(entry_id, "convert")


@bp.post("/<id:entry_id>/route")
@staff_required
def route(entry_id: int) -> Response | tuple[str, int]:
    """Hand the mention to a team."""
    return _act(entry_id, "route")


@bp.post("/<id:entry_id>/dismiss")
@staff_required
def dismiss(entry_id: int) -> Response | tuple[str, int]:
    """Close the mention without an answer."""
    return _act(entry_id, "dismiss")


@bp.post("/<id:entry_id>/reopen")
@staff_required
def reopen(entry_id: int) -> Response | tuple[str, int]:
    """Put a handled mention back in the open queue."""
    return _act(entry_id, "reopen")
