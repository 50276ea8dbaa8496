"""Admin routes of the accounts page: add a brand account, disable and enable one."""

from __future__ import annotations

from flask import flash, redirect, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from ..database import utcnow
from ..errors import DomainError, NotFound
from ..extensions import db
from ..forms import apply_domain_error
from ..ideas.forms import ActionForm
from ..triage.permissions import admin_required
from . import accounts
from .forms import AddAccountForm
from .models import SocialAccount
from .views import _accounts_page, bp


@bp.post("/accounts/new")
@admin_required
def account_add() -> Response | tuple[str, int]:
    """Connect another brand account on X, Bluesky or Mastodon (credentials come from the
    environment; see social/accounts.py). Bluesky and Mastodon are asked who it is."""
    form = AddAccountForm(prefix="new")
    if form.validate_on_submit():
        try:
            if form.network.data == "x":
                account = accounts.add_account("x", form.username.data or "", form.user_id.data)
                db.session.commit()
            else:
                account = accounts.add_open_account(
                    str(form.network.data), form.username.data or "", form.service.data
                )
        except DomainError as error:
            db.session.rollback()
            apply_domain_error(form, error, "username")
        else:
            flash(_("@%(name)s is connected.", name=account.username), "success")
            return redirect(url_for("social.accounts"))
    return _accounts_page(add_form=form), 422


def _set_active(account_id: int, active: bool) -> Response:
    ActionForm().validate_on_submit()
    account = db.session.get(SocialAccount, account_id)
    if account is None:
        raise NotFound(_("There is no such account."))
    accounts.set_active(account, active, utcnow())
    db.session.commit()
    if active:
        flash(_("@%(name)s is enabled again.", name=account.username), "success")
    else:
        flash(
            _(
                "@%(name)s is disabled: it is not polled and its replies wait. Its history stays.",
                name=account.username,
            ),
            "success",
        )
    return redirect(url_for("social.accounts"))


@bp.post("/accounts/<id:account_id>/disable")
@admin_required
def account_disable(account_id: int) -> Response:
    """Stop polling the account and hold its replies."""
    return _set_active(account_id, False)


@bp.post("/accounts/<id:account_id>/enable")
@admin_required
def account_enable(account_id: int) -> Response:
    """Poll the account again and send the replies that waited."""
    return _set_active(account_id, True)
