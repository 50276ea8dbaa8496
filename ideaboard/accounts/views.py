"""Registration, login, logout and the profile page."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext, refresh
from flask_login import current_user, login_user, logout_user
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Response

from ..api import services as api_services
from ..api.forms import TokenForm
from ..errors import DomainError, EmailTaken
from ..extensions import db, limiter
from ..forms import SelectChoice, apply_domain_error
from ..i18n import LANGUAGE_NAMES, LOCALE_COOKIE, LOCALE_COOKIE_MAX_AGE, SUPPORTED_LOCALES
from ..ideas import queries
from ..ideas.forms import ActionForm
from ..redirects import referrer_target, safe_target
from . import forms, preferences, services, sessions
from .forms import LocaleForm, LoginForm, LogoutForm, PasswordForm, RegisterForm
from .guards import login_required
from .models import User

bp = Blueprint("accounts", __name__)


def safe_next(target: str | None) -> str:
    """Return target if it is a path on this site (redirects.safe_target), else the board."""
    return safe_target(target, url_for("ideas.index"))


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["IDEABOARD_LIMIT_REGISTER"], methods=["POST"])
def register() -> Response | str | tuple[str, int]:
    """Create a customer account, then send the visitor to sign in.

    A taken address gets the very same answer as a new one (and the same work: the service
    hashes the password either way), so the form tells nobody which addresses have accounts.
    """
    if current_user.is_authenticated:
        return redirect(url_for("ideas.index"))
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            services.register_user(form.email.data or "", form.name.data or "",
                                   form.password.data or "")  # fmt: skip
            db.session.commit()
        except (EmailTaken, IntegrityError):
            db.session.rollback()  # the owner already has an account: same answer
        except DomainError as error:
            db.session.rollback()
            apply_domain_error(form, error, "email")
            return render_template("accounts/register.html", form=form), 422
        flash(_("If this address was not registered yet, your account is ready: sign in."), "info")
        return redirect(url_for("accounts.login"))
    status = 422 if form.is_submitted() else 200
    return render_template("accounts/register.html", form=form), status


def _new_csrf_token() -> None:
    """Drop the session's CSRF secret at sign-in and sign-out: forms then get a fresh one."""
    session.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)
    g.pop("csrf_token", None)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["IDEABOARD_LIMIT_LOGIN"], methods=["POST"])
def login() -> Response | str | tuple[str, int] | tuple[str, int, dict[str, str]]:
    """Log in with e-mail and password (throttled per account as well as per address)."""
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if current_user.is_authenticated:
        return redirect(safe_next(form.next.data))
    if form.validate_on_submit():
        email = form.email.data or ""
        try:
            user = services.sign_in(email, form.password.data or "")
        except DomainError as error:  # TooManyAttempts: the account is locked for a while
            db.session.rollback()
            form.email.errors = [*form.email.errors, error.message]
            headers = {"Retry-After": str(getattr(error, "retry_after", 60))}
            return render_template("accounts/login.html", form=form), error.status, headers
        if user is not None:
            remember = bool(form.remember.data)
            sessions.start(user, remember=remember)
            db.session.commit()
            _new_csrf_token()
            login_user(user, remember=remember)
            refresh()  # the user's own language setting applies from this message on
            flash(_("You are logged in."), "success")
            return redirect(safe_next(form.next.data))
        db.session.commit()  # the failed attempt counts towards the account's lock
        form.password.errors = [
            *form.password.errors,
            _("The e-mail address or the password is wrong."),
        ]
    status = 422 if form.is_submitted() else 200
    return render_template("accounts/login.html", form=form), status


@bp.post("/logout")
def logout() -> Response:
    """Log out (a POST with a CSRF token, so other sites cannot log people out).

    The sign-in ends on the server too: a copy of the session or remember cookie is dead.
    """
    form = LogoutForm()
    if not form.validate_on_submit():
        abort(400)
    if current_user.is_authenticated:
        user = current_user._get_current_object()
        row = sessions.current(user)
        if row is not None:
            sessions.revoke(user, row.id)
            db.session.commit()
    logout_user()
    _new_csrf_token()
    flash(_("You are logged out."), "info")
    return redirect(url_for("ideas.index"))


def _profile(
    token_form: TokenForm | None = None,
    new_token: str | None = None,
    locale_form: LocaleForm | None = None,
    password_form: PasswordForm | None = None,
    notifications_form: forms.EmailNotificationsForm | None = None,
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
        password_form=password_form or PasswordForm(formdata=None),
        notifications_form=notifications_form or _notifications_form(user),
        sign_ins=sessions.live_sessions(user),
        this_sign_in=sessions.current(user),
        describe_agent=sessions.describe_agent,
    )


@bp.post("/me/password")
@login_required
def change_password() -> Response | tuple[str, int]:
    """Change the password; every other sign-in of the account ends."""
    form = PasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            services.change_password(
                user,
                form.current_password.data or "",
                form.new_password.data or "",
                keep=sessions.current(user),
            )
        except DomainError as error:
            # Nothing is half-written: the only write before a refusal is the failed-attempt
            # count of a wrong current password, which must stay.
            db.session.commit()
            field = getattr(form, error.field or "", None) or form.current_password
            field.errors = [*field.errors, error.message]
            return _profile(password_form=form), error.status
        db.session.commit()
        flash(_("Your password is changed; every other device is signed out."), "success")
        return redirect(url_for("accounts.profile", _anchor="security"))
    return _profile(password_form=form), 422


@bp.post("/me/sessions/<id:session_id>/revoke")
@login_required
def session_revoke(session_id: int) -> Response:
    """Sign one of the user's devices out."""
    if not ActionForm().validate_on_submit():
        abort(400)
    user = current_user._get_current_object()
    if not sessions.revoke(user, session_id):
        abort(404)
    db.session.commit()
    flash(_("That device is signed out."), "success")
    return redirect(url_for("accounts.profile", _anchor="security"))


@bp.post("/me/sessions/revoke-others")
@login_required
def session_revoke_others() -> Response:
    """Sign out everywhere else: every sign-in of the user but this one ends."""
    if not ActionForm().validate_on_submit():
        abort(400)
    user = current_user._get_current_object()
    count = sessions.revoke_all(user, keep=sessions.current(user))
    db.session.commit()
    flash(
        ngettext(
            "%(num)d other device is signed out.", "%(num)d other devices are signed out.", count
        ),
        "success",
    )
    return redirect(url_for("accounts.profile", _anchor="security"))


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
            apply_domain_error(form, error, "name")
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
        for code in SUPPORTED_LOCALES
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
    if code not in SUPPORTED_LOCALES:
        abort(404)
    if current_user.is_authenticated:
        services.set_locale(current_user._get_current_object(), code)
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
            services.set_locale(current_user._get_current_object(), code)
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            apply_domain_error(form, error, "locale")
        else:
            refresh()  # say it in the language just chosen
            flash(_("Your language setting is saved."), "success")
            return _remember_locale(redirect(url_for("accounts.profile")), code)
    return _profile(locale_form=form), 422


def _notifications_form(user: User) -> forms.EmailNotificationsForm:
    """The profile's e-mail choice, filled with the user's setting."""
    return forms.EmailNotificationsForm(
        formdata=None, data={"email_notifications": user.email_notifications}
    )


@bp.post("/me/notifications")
@login_required
def save_email_notifications() -> Response | tuple[str, int]:
    """Store how the signed-in user hears about the ideas they follow: each, daily or none."""
    form = forms.EmailNotificationsForm()
    if form.validate_on_submit():
        try:
            preferences.set_email_notifications(
                current_user._get_current_object(), form.email_notifications.data or ""
            )
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            apply_domain_error(form, error, "email_notifications")
        else:
            flash(_("Your e-mail setting is saved."), "success")
            return redirect(url_for("accounts.profile", _anchor="email-notifications"))
    return _profile(notifications_form=form), 422
