"""Staff pages of the social loop: the outbox, the connected accounts, the mention log."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from ..accounts.models import User
from ..api import services as api_services
from ..api.forms import WebhookForm
from ..database import utcnow
from ..errors import DomainError, NotFound, ValidationFailed
from ..extensions import db
from ..forms import apply_domain_error
from ..heartbeat import worker_status
from ..ideas.forms import ActionForm
from ..ideas.models import Idea
from ..ideas.permissions import can_administer
from ..mail.settings import mode as mail_mode
from ..outbox import rules as outbox
from ..outbox.models import OutboxKind, OutboxMessage, OutboxState
from ..paging import page_number, paginate
from ..redirects import safe_target
from ..text import clean_text, is_invisible
from ..triage.models import StatusChange
from ..triage.permissions import staff_required
from ..webhooks.models import Webhook
from . import echo
from .forms import AccountForm, AddAccountForm
from .importer import approve_held_idea
from .labels import match_why
from .models import MentionLog, SocialAccount
from .networks import limit_for, network
from .undo import can_undo, undo_match
from .usage import spend_by_kind

bp = Blueprint("social", __name__, url_prefix="/staff")
PAGE = 50  # rows a page of the outbox, the bounced addresses and the mention log shows
HELD_SHOWN = 50  # stage changes whose held replies the outbox lists (the oldest first)


@bp.get("/outbox")
@staff_required
def outbox_list() -> str:
    """List outbox rows, newest first, filtered by state and kind, a page at a time; and the
    bounced addresses, a page at a time too (`page` and `bounced` carry the page numbers)."""
    state = request.args.get("state", "")
    if state not in {s.value for s in OutboxState}:
        state = ""
    kind = request.args.get("kind", "")
    if kind not in {k.value for k in OutboxKind}:
        kind = ""
    query = select(OutboxMessage).order_by(OutboxMessage.id.desc())
    by_state = select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state)
    if state:
        query = query.where(OutboxMessage.state == state)
    if kind:
        query = query.where(OutboxMessage.kind == kind)
        by_state = by_state.where(OutboxMessage.kind == kind)
    by_kind = select(OutboxMessage.kind, func.count()).group_by(OutboxMessage.kind)
    undeliverable = (
        select(User)
        .where(User.email_undeliverable_at.is_not(None))
        .order_by(User.email_undeliverable_at.desc(), User.id.desc())
    )
    return render_template(
        "social/outbox.html",
        rows=paginate(query, page_number(request.args.get("page")), PAGE),
        state=state,
        states=[s.value for s in OutboxState],
        counts=dict(db.session.execute(by_state).all()),
        kind=kind,
        kinds=[k.value for k in OutboxKind],
        kind_counts=dict(db.session.execute(by_kind).all()),
        undeliverable=paginate(
            undeliverable, page_number(request.args.get("bounced")), PAGE, param="bounced"
        ),
        mailbox_on=mail_mode(current_app.config) == "mailbox",
        action_form=ActionForm(),
        worker=worker_status(),
        held_echoes=echo.held_echoes(limit=HELD_SHOWN),
        held_total=echo.held_changes_count(),
    )


def _row(row_id: int) -> OutboxMessage:
    row = db.session.get(OutboxMessage, row_id)
    if row is None:
        raise NotFound(_("There is no such message."))
    return row


def _row_action(row_id: int, action: str) -> Response:
    ActionForm().validate_on_submit()
    row = _row(row_id)
    try:
        (outbox.retry if action == "retry" else outbox.cancel)(row)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        flash(_("Queued again.") if action == "retry" else _("Cancelled."), "success")
    return redirect(safe_target(request.form.get("next"), url_for("social.outbox_list")))


@bp.post("/outbox/<id:row_id>/retry")
@staff_required
def outbox_retry(row_id: int) -> Response:
    """Send a failed, dead or cancelled message again."""
    return _row_action(row_id, "retry")


@bp.post("/outbox/<id:row_id>/cancel")
@staff_required
def outbox_cancel(row_id: int) -> Response:
    """Stop a message from being sent."""
    return _row_action(row_id, "cancel")


def _held_action(change_id: int, action: str) -> Response:
    """Confirm or cancel the held replies of one stage change (a POST with CSRF)."""
    ActionForm().validate_on_submit()
    change = db.session.get(StatusChange, change_id)
    if change is None:
        raise NotFound(_("There is no such stage change."))
    back = safe_target(request.form.get("next"), url_for("triage.idea", idea_id=change.idea_id))
    if action == "confirm":
        count = echo.confirm_held(change.id, utcnow())
        message = ngettext(
            "%(num)d reply on X is queued.", "%(num)d replies on X are queued.", count
        )
    else:
        count = echo.cancel_held(change.id)
        message = ngettext(
            "%(num)d reply on X is cancelled.", "%(num)d replies on X are cancelled.", count
        )
    db.session.commit()
    if count:
        flash(message, "success")
    else:
        flash(_("No replies of this stage change wait for a confirmation any more."), "error")
    return redirect(back)


@bp.post("/echo/<id:change_id>/confirm")
@staff_required
def echo_confirm(change_id: int) -> Response:
    """Send the replies on X a stage change holds for confirmation."""
    return _held_action(change_id, "confirm")


@bp.post("/echo/<id:change_id>/cancel")
@staff_required
def echo_cancel(change_id: int) -> Response:
    """Cancel the replies on X a stage change holds for confirmation."""
    return _held_action(change_id, "cancel")


@bp.get("/accounts")
@staff_required
def accounts() -> str:
    """Show each connected account: its posts and estimated spend this month, its settings."""
    return _accounts_page()


def _accounts_page(add_form: AddAccountForm | None = None) -> str:
    now = utcnow()
    month = datetime(now.year, now.month, 1, tzinfo=UTC)
    rows = []
    for account in db.session.scalars(select(SocialAccount).order_by(SocialAccount.id)):
        posts = db.session.scalar(
            select(func.count()).where(
                OutboxMessage.account_id == account.id,
                OutboxMessage.state == OutboxState.SENT.value,
                OutboxMessage.sent_at >= month,
            )
        )
        waiting = db.session.scalar(
            select(func.count()).where(
                OutboxMessage.account_id == account.id,
                OutboxMessage.state.in_(outbox.DUE_STATES),
            )
        )
        form = AccountForm(prefix=f"a{account.id}", obj=account)
        spend = spend_by_kind(account.id, now)
        rows.append((account, posts or 0, spend, waiting, form))
    log = paginate(
        select(MentionLog).order_by(MentionLog.id.desc()),
        page_number(request.args.get("mentions")),
        PAGE,
        param="mentions",
    )
    return render_template(
        "social/accounts.html",
        rows=rows,
        log=log,
        worker=worker_status(now),
        add_form=add_form or AddAccountForm(prefix="new"),
        match_why=match_why,
        post_limit=limit_for,
        network_paid=lambda slug: network(slug).paid,
        can_undo=can_undo,
        action_form=ActionForm(),
    )


@bp.post("/accounts/<id:account_id>")
@staff_required
def account_save(account_id: int) -> Response | tuple[str, int]:
    """Change an account's tags, signature, moderation, acknowledgements and cap (admins)."""
    if not can_administer(current_user):
        flash(_("Only admins can change account settings."), "error")
        return redirect(url_for("social.accounts"))
    account = db.session.get(SocialAccount, account_id)
    if account is None:
        raise NotFound(_("There is no such account."))
    form = AccountForm(prefix=f"a{account.id}")
    if not form.validate_on_submit():
        flash(" ".join(e for errors in form.errors.values() for e in errors), "error")
        return _accounts_page(), 422
    try:
        # The shared text rules: no control or bidi characters, nothing invisible.
        text = clean_text(form.tags.data, field="tags", label=_("Idea tags"))
        signature = clean_text(
            form.signature.data, field="signature", label=_("Signature on acknowledgements")
        )
    except ValidationFailed as error:
        flash(error.message, "error")
        return _accounts_page(), 422
    tags = [t.strip().lstrip("#") for t in text.split(",") if not is_invisible(t.lstrip("#"))]
    if not tags:
        flash(_("Give at least one tag."), "error")
        return _accounts_page(), 422
    account.tags = ",".join(tags)
    account.signature = signature
    account.moderation = form.moderation.data or "publish"
    account.acknowledge = bool(form.acknowledge.data)
    cap = form.monthly_cap_usd.data
    account.monthly_cap_usd = float(cap) if cap is not None else None
    # Rows the old cap parked until next month may go now; over_cap parks them again if not.
    outbox.release_capped(account.id, utcnow())
    db.session.commit()
    flash(_("Account settings saved."), "success")
    return redirect(url_for("social.accounts"))


@bp.post("/ideas/<id:idea_id>/approve")
@staff_required
def approve(idea_id: int) -> Response:
    """Publish an imported idea that was held for moderation."""
    ActionForm().validate_on_submit()
    idea = db.session.get(Idea, idea_id)
    if idea is None:
        raise NotFound(_("There is no idea with this number."))
    approve_held_idea(idea, current_user._get_current_object())
    db.session.commit()
    flash(_("The idea is public and its author will get the acknowledgement."), "success")
    return redirect(url_for("triage.idea", idea_id=idea.id))


@bp.post("/mentions/<id:entry_id>/undo-match")
@staff_required
def mention_undo_match(entry_id: int) -> Response:
    """Undo a wrong match: the mention becomes its own idea (its vote leaves the other)."""
    if not ActionForm().validate_on_submit():
        abort(400)
    entry = db.session.get(MentionLog, entry_id)
    if entry is None:
        raise NotFound(_("There is no such mention."))
    try:
        idea = undo_match(entry, current_user._get_current_object())
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("social.accounts"))
    flash(_("The match is undone: the mention is idea #%(id)d now.", id=idea.id), "success")
    return redirect(url_for("social.accounts"))


def _webhooks_page(
    form: WebhookForm | None = None, created: Webhook | None = None, rotated: Webhook | None = None
) -> str:
    """The Webhooks page; a secret appears only in the answer that made it (created, rotated)."""
    return render_template(
        "social/webhooks.html",
        webhooks=api_services.all_webhooks(),
        form=form or WebhookForm(formdata=None),
        created=created,
        rotated=rotated,
        action_form=ActionForm(),
    )


@bp.get("/webhooks")
@staff_required
def webhooks() -> str:
    """List the webhooks; admins add, test and switch them off here."""
    return _webhooks_page()


@bp.post("/webhooks")
@staff_required
def webhook_create() -> str | tuple[str, int]:
    """Add a webhook (admins) and show its signing secret."""
    form = WebhookForm()
    if form.validate_on_submit():
        try:
            hook = api_services.create_webhook(
                current_user._get_current_object(), form.url.data or "", form.events.data or []
            )
            db.session.commit()
        except ValidationFailed as error:  # PermissionDenied stays a 403
            db.session.rollback()
            apply_domain_error(form, error, "url")
        else:
            return _webhooks_page(created=hook), 201
    return _webhooks_page(form=form), 422


def _webhook_action(webhook_id: int, action: str) -> Response:
    if not ActionForm().validate_on_submit():
        abort(400)
    hook = db.session.get(Webhook, webhook_id)
    if hook is None:
        raise NotFound(_("There is no such webhook."))
    me = current_user._get_current_object()
    if action == "test":
        row = api_services.send_test(me, hook)
        message = _("Test event queued as message #%(id)d; see the outbox.", id=row.id)
    else:
        api_services.deactivate_webhook(me, hook)
        message = _("The webhook is switched off.")
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("social.webhooks"))


@bp.post("/webhooks/<id:webhook_id>/test")
@staff_required
def webhook_test(webhook_id: int) -> Response:
    """Queue a webhook.test event for one webhook (admins)."""
    return _webhook_action(webhook_id, "test")


@bp.post("/webhooks/<id:webhook_id>/deactivate")
@staff_required
def webhook_deactivate(webhook_id: int) -> Response:
    """Stop sending events to a webhook (admins)."""
    return _webhook_action(webhook_id, "deactivate")


@bp.post("/webhooks/<id:webhook_id>/rotate-secret")
@staff_required
def webhook_rotate_secret(webhook_id: int) -> str:
    """Give a webhook a new signing secret and show it this once (admins)."""
    if not ActionForm().validate_on_submit():
        abort(400)
    hook = db.session.get(Webhook, webhook_id)
    if hook is None:
        raise NotFound(_("There is no such webhook."))
    api_services.rotate_webhook_secret(current_user._get_current_object(), hook)
    db.session.commit()
    return _webhooks_page(rotated=hook)


from . import account_views  # noqa: E402,F401 - registers the account admin routes on bp
