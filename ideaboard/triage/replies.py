"""Saved replies (canned answers per language): the staff page that manages them, and the
text the staff idea page inserts into its answer, stage-note and internal-note boxes."""

from __future__ import annotations

from typing import cast

from flask import flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Response

from ..accounts.models import User
from ..errors import Conflict, DomainError, NotFound
from ..extensions import db
from ..forms import apply_domain_error
from ..i18n import current_language
from ..ideas.forms import ActionForm
from . import queries, services
from .forms import SavedReplyForm
from .models import SavedReply
from .permissions import staff_required
from .views import bp


def _me() -> User:
    return cast(User, current_user._get_current_object())


def _reply(reply_id: int) -> SavedReply:
    reply = db.session.get(SavedReply, reply_id)
    if reply is None:
        raise NotFound(_("There is no saved reply with this number."))
    return reply


def _save(form: SavedReplyForm, run: object) -> bool:
    """Validate, run, commit; on a refusal roll back and put the message on the form."""
    if not form.validate_on_submit():
        db.session.rollback()
        return False
    try:
        run(form)  # type: ignore[operator]
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        apply_domain_error(form, error, "title")
        return False
    except IntegrityError:  # another tab saved the same title a moment ago
        db.session.rollback()
        taken = Conflict(_("A saved reply in this language already has this title."), "title")
        apply_domain_error(form, taken, "title")
        return False
    return True


def _list_page(form: SavedReplyForm | None = None, status: int = 200) -> tuple[str, int]:
    if form is None:
        form = SavedReplyForm(formdata=None, data={"lang": current_language()})
    html = render_template(
        "triage/saved_replies.html",
        replies=queries.saved_replies(current_language()),
        form=form,
        delete_form=ActionForm(formdata=None),
    )
    return html, status


@bp.get("/saved-replies")
@staff_required
def saved_replies() -> tuple[str, int]:
    """List the saved replies (the reader's language first) with a form to add one."""
    return _list_page()


@bp.post("/saved-replies")
@staff_required
def add_saved_reply() -> Response | tuple[str, int]:
    """Add a saved reply."""
    form = SavedReplyForm()

    def run(f: SavedReplyForm) -> None:
        services.add_saved_reply(
            _me(), title=f.title.data or "", body=f.body.data or "", lang=f.lang.data or ""
        )

    if _save(form, run):
        flash(_("The saved reply is added."), "success")
        return redirect(url_for("triage.saved_replies"))
    return _list_page(form, 422)


@bp.route("/saved-replies/<id:reply_id>", methods=["GET", "POST"])
@staff_required
def edit_saved_reply(reply_id: int) -> Response | tuple[str, int]:
    """Change a saved reply."""
    reply = _reply(reply_id)
    if request.method == "GET":
        form = SavedReplyForm(
            formdata=None, data={"title": reply.title, "body": reply.body, "lang": reply.lang}
        )
        return render_template("triage/saved_reply.html", reply=reply, form=form), 200
    form = SavedReplyForm()

    def run(f: SavedReplyForm) -> None:
        services.update_saved_reply(
            reply, _me(), title=f.title.data or "", body=f.body.data or "", lang=f.lang.data or ""
        )

    if _save(form, run):
        flash(_("The saved reply is changed."), "success")
        return redirect(url_for("triage.saved_replies"))
    return render_template("triage/saved_reply.html", reply=_reply(reply_id), form=form), 422


@bp.post("/saved-replies/<id:reply_id>/delete")
@staff_required
def delete_saved_reply(reply_id: int) -> Response:
    """Delete a saved reply."""
    reply = _reply(reply_id)
    form = ActionForm()
    if not form.validate_on_submit():
        flash(
            _("The form expired or was sent from another site. Reload the page and try again."),
            "error",
        )
        return redirect(url_for("triage.saved_replies"))
    services.delete_saved_reply(reply, _me())
    db.session.commit()
    flash(_("The saved reply is deleted."), "success")
    return redirect(url_for("triage.saved_replies"))


@bp.get("/saved-replies/<id:reply_id>/text")
@staff_required
def saved_reply_text(reply_id: int) -> Response:
    """A saved reply's text, as JSON, for the idea page's "Insert" button."""
    reply = _reply(reply_id)
    return jsonify(id=reply.id, title=reply.title, lang=reply.lang, body=reply.body)
