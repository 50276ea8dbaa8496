"""Registration, login, logout and the profile page."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    session,
    stream_with_context,
    url_for,
)
from flask_babel import format_time, ngettext, refresh
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Response

from .. import account_data, timezones
from ..api import services as api_services
from ..api.forms import TokenForm
from ..database import utcnow
from ..errors import DomainError, EmailTaken, NotFound, TooManyAttempts
from ..extensions import db, limiter
from ..forms import SelectChoice, apply_domain_error
from ..i18n import (
    LANGUAGE_NAMES,
    LOCALE_COOKIE,
    LOCALE_COOKIE_MAX_AGE,
    SUPPORTED_LOCALES,
    current_language,
)
from ..ideas import queries
from ..ideas.forms import ActionForm
from ..redirects import referrer_target, safe_target
from ..social import claims
from ..social.forms import ClaimForm
from ..social.networks import NETWORKS
from . import addresses, erasure, forms, preferences, recovery, services, sessions, tokens
from .forms import (
    EmailChangeForm,
    ForgotPasswordForm,
    LocaleForm,
    LoginForm,
    LogoutForm,
    PasswordForm,
    RegisterForm,
    ResetPasswordForm,
)
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
    A new address is sent a verification link; the owner of a taken one is told instead.
    """
    if current_user.is_authenticated:
        return redirect(url_for("ideas.index"))
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            services.sign_up(form.email.data or "", form.name.data or "",
                             form.password.data or "")  # fmt: skip
            db.session.commit()
        except (EmailTaken, IntegrityError):
            db.session.rollback()  # registered a moment ago by another request: same answer
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
    email_form: EmailChangeForm | None = None,
    notifications_form: forms.EmailNotificationsForm | None = None,
    name_form: forms.DisplayNameForm | None = None,
    timezone_form: forms.TimezoneForm | None = None,
    claim_form: ClaimForm | None = None,
    new_claim: claims.IssuedCode | None = None,
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
        email_form=email_form or EmailChangeForm(formdata=None),
        notifications_form=notifications_form or _notifications_form(user),
        name_form=name_form or forms.DisplayNameForm(formdata=None, data={"name": user.name}),
        timezone_form=timezone_form or _timezone_form(user),
        shown_zone=_shown_zone(),
        shown_zone_label=timezones.zone_label(utcnow()),
        digest_time=_digest_time(),
        sign_ins=sessions.live_sessions(user),
        this_sign_in=sessions.current(user),
        describe_agent=sessions.describe_agent,
        claim_form=claim_form or _claim_form(formdata=None),
        new_claim=new_claim,
        claim_codes=claims.open_codes(user),
        linked_identities=claims.linked_identities(user),
        claim_handle=claims.display_handle,
        network_name=_network_name,
    )


def _claim_form(**kwargs: Any) -> ClaimForm:
    """The claim form, offering the networks the site has a brand account on."""
    form = ClaimForm(**kwargs)
    form.network.choices = [
        SelectChoice(slug, NETWORKS[slug].name) for slug in claims.connected_networks()
    ]
    return form


def _network_name(slug: str) -> str:
    known = NETWORKS.get(slug)
    return known.name if known else slug


def _shown_zone() -> str:
    """The reader's zone, named in their language: "South Korea Time", "대한민국 시간"."""
    return timezones.zone_name(timezones.select_timezone(), current_language())


def _digest_time() -> str:
    """When the daily digest goes out (00:00 UTC, mail/digest.py), in the reader's zone:
    "9:00 AM KST", "오전 9:00 KST"."""
    midnight = utcnow().replace(hour=0, minute=0, second=0, microsecond=0)
    return f"{format_time(midnight, 'short')} {timezones.zone_label(midnight)}"


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


# --- account e-mail: password reset, verification, address change ---------------------------


def _reset_limit() -> str:
    return str(current_app.config["IDEABOARD_LIMIT_RESET"])


def _link_page(template: str, status: int = 200, **context: object) -> Response:
    """A page reached through a link with a secret in its URL: the URL must not leak.

    No Referer leaves it (a link on the page would carry the token to the next site), and
    no cache keeps it.
    """
    response = make_response(render_template(template, **context), status)
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response


def _link_problem(kind: str, error: tokens.LinkError | DomainError) -> Response:
    """The page for a link that does not work: why, and how to get a working one."""
    db.session.rollback()
    reason = error.reason if isinstance(error, tokens.LinkError) else "taken"
    status = 400 if reason == "invalid" else 410 if reason in ("expired", "used") else 409
    return _link_page("accounts/link_problem.html", status, kind=kind, reason=reason)


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(_reset_limit, methods=["POST"])
def forgot_password() -> Response | str | tuple[str, int]:
    """Ask for a password-reset link by e-mail.

    Every well-formed address gets the same answer and the same page, whether it has an
    account or not; a link goes out only to an active account (at most a few an hour).
    """
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        try:
            recovery.request_password_reset(form.email.data or "")
        except DomainError as error:
            db.session.rollback()
            apply_domain_error(form, error, "email")
            return render_template("accounts/forgot.html", form=form), error.status
        db.session.commit()
        return redirect(url_for("accounts.forgot_password_sent"))
    status = 422 if form.is_submitted() else 200
    return render_template("accounts/forgot.html", form=form), status


@bp.get("/password/forgot/sent")
def forgot_password_sent() -> str:
    """What everyone who asked for a reset link reads (known address or not)."""
    return render_template("accounts/forgot_sent.html", minutes=tokens.reset_minutes())


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@limiter.limit(_reset_limit, methods=["POST"])
def reset_password(token: str) -> Response:
    """The link from the reset e-mail: choose a new password (once, while the link works).

    Afterwards every device of the account is signed out, this one included, and the person
    logs in with the new password (no sign-in straight from a link).
    """
    try:
        tokens.check_reset_token(token)
    except tokens.LinkError as error:
        return _link_problem("reset", error)
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            recovery.reset_password(token, form.password.data or "")
        except tokens.LinkError as error:
            return _link_problem("reset", error)
        except DomainError as error:
            db.session.rollback()
            apply_domain_error(form, error, "password")
            return _link_page("accounts/reset.html", error.status, form=form)
        db.session.commit()
        if current_user.is_authenticated:
            logout_user()  # whoever this browser was signed in as, its sign-in is over
        _new_csrf_token()
        flash(
            _("Your new password is set and every device is signed out. Log in with it."),
            "success",
        )
        return redirect(url_for("accounts.login"))
    status = 422 if form.is_submitted() else 200
    return _link_page("accounts/reset.html", status, form=form)


@bp.get("/verify/<token>")
def verify_email(token: str) -> Response:
    """The link from the verification e-mail: the address is verified (opening it again is
    fine). Works without signing in."""
    try:
        user, newly = addresses.verify_email(token)
    except tokens.LinkError as error:
        return _link_problem("verify", error)
    db.session.commit()
    return _link_page("accounts/verified.html", user=user, newly=newly)


@bp.post("/me/email/verify")
@login_required
@limiter.limit(_reset_limit)
def resend_verification() -> Response:
    """Send the verification link again (at most one every few minutes goes out)."""
    if not ActionForm().validate_on_submit():
        abort(400)
    user = current_user._get_current_object()
    address = user.email  # read before the commit expires it
    if addresses.request_verification(user):
        db.session.commit()
        flash(
            _(
                "A new link is on its way to %(address)s. If you asked a moment ago, wait "
                "for that one: we send one every few minutes at most.",
                address=address,
            ),
            "success",
        )
    else:
        flash(_("Your address is verified already."), "info")
    return redirect(url_for("accounts.profile", _anchor="email"))


@bp.post("/me/email")
@login_required
@limiter.limit(_reset_limit)
def change_email() -> Response | tuple[str, int]:
    """Ask to move the account to another address (it changes when the link sent there is
    opened). A taken address gets the same answer; its owner is told instead."""
    form = EmailChangeForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        current = user.email
        try:
            address = addresses.request_email_change(
                user, form.email.data or "", form.password.data or ""
            )
        except DomainError as error:
            # The only write before a refusal is the failed-attempt count of a wrong
            # password, which must stay (as for the password change).
            db.session.commit()
            if isinstance(error, TooManyAttempts):  # the lock is about the password
                error.field = "password"
            apply_domain_error(form, error, "email")
            return _profile(email_form=form), error.status
        db.session.commit()
        flash(
            _(
                "We sent a link to %(address)s. Your address changes when you open it; until "
                "then you keep signing in with %(current)s.",
                address=address,
                current=current,
            ),
            "success",
        )
        return redirect(url_for("accounts.profile", _anchor="email"))
    return _profile(email_form=form), 422


@bp.route("/email/confirm/<token>", methods=["GET", "POST"])
@limiter.limit(_reset_limit, methods=["POST"])
def confirm_email(token: str) -> Response:
    """The link sent to a new address: a button makes it the account's address (a button,
    not the link itself, so a mail scanner that opens links changes nothing)."""
    try:
        change = tokens.check_change_token(token)
    except tokens.LinkError as error:
        return _link_problem("change", error)
    form = ActionForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        try:
            user, _old = addresses.confirm_email_change(token)
            address = user.email
            db.session.commit()
        except (tokens.LinkError, EmailTaken) as error:
            return _link_problem("change", error)
        except IntegrityError:  # another account took it in the same instant
            return _link_problem("change", EmailTaken(""))
        return _link_page("accounts/email_changed.html", address=address)
    return _link_page(
        "accounts/confirm_email.html", form=form, user=change.user, address=change.new_address
    )


@bp.route("/email/undo/<token>", methods=["GET", "POST"])
@limiter.limit(_reset_limit, methods=["POST"])
def undo_email(token: str) -> Response:
    """The link sent to the old address after a change: put it back, sign every device out,
    then choose a new password (whoever made the change knew the old one)."""
    try:
        undo = tokens.check_undo_token(token)
    except tokens.LinkError as error:
        return _link_problem("undo", error)
    form = ActionForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        try:
            user = addresses.undo_email_change(token)
            address, reset = user.email, tokens.reset_token(user)
            db.session.commit()
        except (tokens.LinkError, EmailTaken) as error:
            return _link_problem("undo", error)
        except IntegrityError:  # another account took it in the same instant
            return _link_problem("undo", EmailTaken(""))
        if current_user.is_authenticated:
            logout_user()
        _new_csrf_token()
        flash(
            _(
                "%(address)s is your account's address again, and every device is signed "
                "out. Now choose a new password: the old one may be known to whoever changed "
                "your address.",
                address=address,
            ),
            "success",
        )
        # The link came to this address, so its reader may set the password right away.
        return redirect(url_for("accounts.reset_password", token=reset))
    return _link_page(
        "accounts/undo_email.html", form=form, user=undo.user, address=undo.old_address
    )


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


# --- display name and time zone ------------------------------------------------------------


@bp.post("/me/name")
@login_required
def save_name() -> Response | tuple[str, int]:
    """Change the display name (1–80 graphemes, as at sign-up)."""
    form = forms.DisplayNameForm()
    if form.validate_on_submit():
        try:
            services.set_display_name(current_user._get_current_object(), form.name.data or "")
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            apply_domain_error(form, error, "name")
        else:
            flash(_("Your display name is saved."), "success")
            return redirect(url_for("accounts.profile", _anchor="display-name"))
    return _profile(name_form=form), 422


def _timezone_form(user: User | None = None) -> forms.TimezoneForm:
    """The profile's time-zone form: "automatic", the common zones, then every zone by region;
    given a user, filled with their setting."""
    if user is None:
        form = forms.TimezoneForm()
    else:
        form = forms.TimezoneForm(formdata=None, data={"timezone": user.timezone or ""})
    language = current_language()
    automatic = timezones.zone_name(timezones.default_zone(language), language)
    choices = [SelectChoice("", _("Automatic: %(zone)s", zone=automatic))]
    for group, options in timezones.zone_choices(utcnow(), language):
        label = _(timezones.REGION_NAMES[group]) if group else _("Common time zones")
        choices += [SelectChoice(value, text, optgroup=label) for value, text in options]
    form.timezone.choices = choices
    return form


@bp.post("/me/timezone")
@login_required
def save_timezone() -> Response | tuple[str, int]:
    """Store the zone times are shown to the signed-in user in ("" follows the default)."""
    form = _timezone_form()
    if form.validate_on_submit():
        try:
            services.set_timezone(current_user._get_current_object(), form.timezone.data or None)
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            apply_domain_error(form, error, "timezone")
        else:
            refresh()  # this request's times (the message) in the zone just chosen
            flash(
                _("Times are now shown in %(zone)s.", zone=_shown_zone()),
                "success",
            )
            return redirect(url_for("accounts.profile", _anchor="time-zone"))
    return _profile(timezone_form=form), 422


# --- download my data, delete my account -----------------------------------------------------


@bp.get("/me/data.json")
@login_required
def download_data() -> Response:
    """Everything the site holds about the signed-in person, as a JSON file (account_data.py).

    A GET that only reads: another site can start the download, but never read it.
    """
    user = current_user._get_current_object()
    stamp = utcnow().strftime("%Y%m%d")
    response = Response(stream_with_context(account_data.export(user)), mimetype="application/json")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="ideaboard-my-data-{stamp}.json"'
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _delete_page(form: forms.DeleteAccountForm, status: int = 200) -> tuple[str, int]:
    user = current_user._get_current_object()
    form.confirmation.description = _("Your address is %(address)s.", address=user.email)
    return (
        render_template(
            "accounts/delete.html",
            form=form,
            user=user,
            last_admin=erasure.is_last_admin(user),
        ),
        status,
    )


@bp.route("/me/delete", methods=["GET", "POST"])
@login_required
@limiter.limit(_reset_limit, methods=["POST"])
def delete_account() -> Response | tuple[str, int]:
    """Delete the signed-in person's account: their password, their address typed again, and
    what becomes of their ideas and comments (kept as "a former member's", or removed)."""
    form = forms.DeleteAccountForm()
    if request.method == "GET":
        return _delete_page(forms.DeleteAccountForm(formdata=None))
    if not form.validate_on_submit():
        return _delete_page(form, 422)
    user = current_user._get_current_object()
    try:
        erasure.delete_account(
            user, form.password.data or "", form.confirmation.data or "", form.content.data or ""
        )
    except DomainError as error:
        # Every check runs before anything is deleted; the only write before a refusal is
        # the failed-attempt count of a wrong password, which must stay (as for the password
        # change).
        db.session.commit()
        if isinstance(error, TooManyAttempts):
            error.field = "password"
        apply_domain_error(form, error, "confirmation")
        return _delete_page(form, error.status)
    db.session.commit()
    logout_user()
    _new_csrf_token()
    flash(_("Your account is deleted. Thank you for your ideas."), "success")
    return redirect(url_for("ideas.index"))


# --- claim your posts (social/claims.py) ---------------------------------------------------------


def _no_store(body: str, status: int = 200) -> Response:
    """A page showing a one-time code: no cache keeps it."""
    response = make_response(body, status)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/me/social")
@login_required
@limiter.limit(_reset_limit)
def claim_create() -> Response:
    """Issue a code to link a social handle, and show it (and the post to make) this once."""
    form = _claim_form()
    if form.validate_on_submit():
        try:
            issued = claims.issue_code(
                current_user._get_current_object(), form.network.data or "", form.handle.data or ""
            )
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            apply_domain_error(form, error, "handle")
        else:
            return _no_store(_profile(new_claim=issued))
    return _no_store(_profile(claim_form=form), 422)


@bp.post("/me/social/codes/<id:code_id>/renew")
@login_required
@limiter.limit(_reset_limit)
def claim_renew(code_id: int) -> Response:
    """Replace an open code with a new one (the old one stops working), shown this once."""
    if not ActionForm().validate_on_submit():
        abort(400)
    form = _claim_form(formdata=None)
    try:
        issued = claims.renew_code(current_user._get_current_object(), code_id)
        db.session.commit()
    except NotFound:
        db.session.rollback()
        abort(404)
    except DomainError as error:
        db.session.rollback()
        apply_domain_error(form, error, "handle")
        return _no_store(_profile(claim_form=form), 409)
    return _no_store(_profile(new_claim=issued))


@bp.post("/me/social/codes/<id:code_id>/revoke")
@login_required
def claim_revoke(code_id: int) -> Response:
    """Cancel an open code."""
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        claims.revoke_code(current_user._get_current_object(), code_id)
    except NotFound:
        db.session.rollback()
        abort(404)
    db.session.commit()
    flash(_("The code is cancelled: posting it no longer links anything."), "success")
    return redirect(url_for("accounts.profile", _anchor="social-accounts"))


@bp.post("/me/social/<id:identity_id>/unlink")
@login_required
def claim_unlink(identity_id: int) -> Response:
    """Unlink a social identity (what moved to the account stays)."""
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        identity = claims.unlink_identity(current_user._get_current_object(), identity_id)
    except NotFound:
        db.session.rollback()
        abort(404)
    handle = claims.display_handle(identity.handle)
    db.session.commit()
    flash(
        _(
            "@%(handle)s is unlinked. The ideas and votes that moved to your account stay yours.",
            handle=handle,
        ),
        "success",
    )
    return redirect(url_for("accounts.profile", _anchor="social-accounts"))
