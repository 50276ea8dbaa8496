"""One-click unsubscribe (RFC 8058): the link in every notification e-mail.

POST with the body `List-Unsubscribe=One-Click` (what mail programs send) turns the account's
notification e-mails off and answers 200 — no login and no CSRF token: the URL's signed token
names the account. A GET (a person who clicked the link) shows a page to confirm it with.
"""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request

from ..accounts.models import EmailChoice
from ..extensions import csrf, db, limiter
from .tokens import user_from_unsubscribe_token

bp = Blueprint("mail", __name__)


@bp.route("/mail/unsubscribe/<token>", methods=["GET", "POST"])
@limiter.limit("30 per minute")
def unsubscribe(token: str) -> tuple[str, int] | str:
    user = user_from_unsubscribe_token(token)
    if user is None:
        abort(404)
    if request.method == "POST":
        if request.form.get("List-Unsubscribe") != "One-Click":
            return render_template("mail/unsubscribe.html", user=user, done=False, bad=True), 400
        user.email_notifications = EmailChoice.NONE.value
        db.session.commit()
        return render_template("mail/unsubscribe.html", user=user, done=True, bad=False), 200
    return render_template("mail/unsubscribe.html", user=user, done=False, bad=False)


# RFC 8058: the signed token in the URL is the proof; mail programs send no CSRF token.
csrf.exempt(unsubscribe)
