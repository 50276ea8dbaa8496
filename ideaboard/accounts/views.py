"""Registration, login, logout and the profile page."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Response

from ..errors import DomainError
from ..extensions import db, limiter
from ..ideas import queries
from . import services
from .forms import LoginForm, LogoutForm, RegisterForm

bp = Blueprint("accounts", __name__)


def safe_next(target: str | None) -> str:
    """Return target if it is a path on this site, else the board."""
    if target and target.isprintable() and not any(ch.isspace() for ch in target):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and "\\" not in target:
            return target
    return url_for("ideas.index")


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["IDEABOARD_LIMIT_REGISTER"], methods=["POST"])
def register() -> Response | str | tuple[str, int]:
    """Create a customer account and log it in."""
    if current_user.is_authenticated:
        return redirect(url_for("ideas.index"))
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            user = services.register_user(form.email.data or "", form.name.data or "",
                                          form.password.data or "")  # fmt: skip
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            getattr(form, error.field or "email").errors.append(error.message)
        except IntegrityError:
            db.session.rollback()
            form.email.errors.append(_("An account with this e-mail address already exists."))
        else:
            login_user(user)
            flash(_("Welcome, %(name)s! Your account is ready.", name=user.name), "success")
            return redirect(url_for("ideas.index"))
    status = 422 if form.is_submitted() else 200
    return render_template("accounts/register.html", form=form), status


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["IDEABOARD_LIMIT_LOGIN"], methods=["POST"])
def login() -> Response | str | tuple[str, int]:
    """Log in with e-mail and password."""
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if current_user.is_authenticated:
        return redirect(safe_next(form.next.data))
    if form.validate_on_submit():
        user = services.authenticate(form.email.data or "", form.password.data or "")
        if user is not None:
            login_user(user, remember=bool(form.remember.data))
            flash(_("You are logged in."), "success")
            return redirect(safe_next(form.next.data))
        form.password.errors.append(_("The e-mail address or the password is wrong."))
    status = 422 if form.is_submitted() else 200
    return render_template("accounts/login.html", form=form), status


@bp.post("/logout")
def logout() -> Response:
    """Log out (a POST with a CSRF token, so other sites cannot log people out)."""
    form = LogoutForm()
    if not form.validate_on_submit():
        abort(400)
    logout_user()
    flash(_("You are logged out."), "info")
    return redirect(url_for("ideas.index"))


@bp.get("/me")
@login_required
def profile() -> str:
    """Show the signed-in user's ideas, votes and follows."""
    user = current_user._get_current_object()
    tab = request.args.get("tab", "ideas")
    if tab not in ("ideas", "votes", "follows"):
        tab = "ideas"
    return render_template(
        "accounts/profile.html",
        user=user,
        tab=tab,
        ideas=queries.ideas_by(user),
        votes=queries.voted_by(user),
        follows=queries.followed_by(user),
    )
