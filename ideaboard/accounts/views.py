"""Registration, login, logout and the profile page."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import refresh
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from ..api import services as api_services
from ..api.forms import TokenForm
from ..errors import DomainError
from ..extensions import db, limiter
from ..i18n import LANGUAGE_NAMES, LOCALE_COOKIE, LOCALE_COOKIE_MAX_AGE
from ..ideas import queries
from ..ideas.forms import ActionForm
from ..redirects import referrer_target, safe_target
from . import services
from .forms import LocaleForm, LoginForm, LogoutForm, RegisterForm
from .models import User

bp = Blueprint("accounts", __name__)


def safe_next(target: str | None) -> str:
    """Return target if it is a path on this site (redirects.safe_target), else the board."""
    return safe_target(target, url_for("ideas.index"))


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
            refresh()  # the user's own language setting applies from this message on
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


def _profile(
    token_form: TokenForm | None = None,
    new_token: str | None = None,
    locale_form: LocaleForm | None = None,
) -> str:
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
        tokens=api_services.tokens_of(user),
        token_form=token_form or TokenForm(formdata=None),
        new_token=new_token,
        action_form=ActionForm(),
        locale_form=locale_form or _locale_form(user),
    )


@bp.get("/me")
@login_required
def profile() -> str:
    """Show the signed-in user's ideas, votes, follows and API tokens."""
    return _profile()


@bp.post("/me/tokens")
@login_required
def token_create() -> str | tuple[str, int]:
    """Create an API token and show its secret this once (it is stored only as a hash)."""
    form = TokenForm()
    if form.validate_on_submit():
        try:
            _token, secret = api_services.issue_token(
                current_user._get_current_object(), form.name.data or ""
            )
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            form.name.errors.append(error.message)
        else:
            return _profile(new_token=secret)
    return _profile(token_form=form), 422


@bp.post("/me/tokens/<id:token_id>/revoke")
@login_required
def token_revoke(token_id: int) -> Response:
    """Revoke one of the signed-in user's API tokens."""
    if not ActionForm().validate_on_submit():
        abort(400)
    api_services.revoke_token(current_user._get_current_object(), token_id)
    db.session.commit()
    flash(_("The token is revoked; requests with it are refused from now on."), "success")
    return redirect(url_for("accounts.profile", _anchor="api-tokens"))


def _locale_form(user: User | None = None) -> LocaleForm:
    """Return the profile's language form; given a user, filled with their setting."""
    if user is None:
        form = LocaleForm()
    else:
        form = LocaleForm(formdata=None, data={"locale": user.locale or ""})
    form.locale.choices = [SelectChoice("", _("Same as my browser"))] + [
        SelectChoice(code, LANGUAGE_NAMES.get(code, code), render_kw={"lang": code})
        for code in current_app.config["IDEABOARD_LOCALES"]
    ]
    return form


def _remember_locale(response: Response, code: str | None) -> Response:
    """Keep the choice in a cookie too, so it outlives the session (or clear it)."""
    if code:
        response.set_cookie(
            LOCALE_COOKIE,
            code,
            max_age=LOCALE_COOKIE_MAX_AGE,
            samesite="Lax",
            httponly=True,
            secure=request.is_secure,
        )
    else:
        response.delete_cookie(LOCALE_COOKIE, samesite="Lax", httponly=True)
    return response


@bp.post("/locale/<code>")
def set_locale(code: str) -> Response:
    """Switch the language from the header; a signed-in user's setting changes with it."""
    locales = current_app.config["IDEABOARD_LOCALES"]
    if code not in locales:
        abort(404)
    if current_user.is_authenticated:
        services.set_locale(current_user._get_current_object(), code, locales)
        db.session.commit()
    target = request.form.get("next") or referrer_target()
    return _remember_locale(redirect(safe_next(target)), code)


@bp.post("/me/locale")
@login_required
def save_locale() -> Response | tuple[str, int]:
    """Store the signed-in user's language ("" follows the browser)."""
    form = _locale_form()
    if form.validate_on_submit():
        code = form.locale.data or None
        try:
            services.set_locale(
                current_user._get_current_object(), code, current_app.config["IDEABOARD_LOCALES"]
            )
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            form.locale.errors.append(error.message)
        else:
            refresh()  # say it in the language just chosen
            flash(_("Your language setting is saved."), "success")
            return _remember_locale(redirect(url_for("accounts.profile")), code)
    return _profile(locale_form=form), 422
