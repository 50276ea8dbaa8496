"""Account forms: they check shape; the services check the rules."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    RadioField,
    SelectField,
    StringField,
)
from wtforms.validators import AnyOf, DataRequired, EqualTo, InputRequired, Length

from ..forms import FlaskForm, NextField, SelectChoice


class RegisterForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    # Length limits here are shape guards only; the service counts after NFC normalisation.
    name = StringField(_l("Display name"), validators=[DataRequired(), Length(max=400)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(min=10, max=200)])
    confirm = PasswordField(
        _l("Repeat the password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))],
    )


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    remember = BooleanField(_l("Keep me logged in"))
    next = NextField()


class PasswordForm(FlaskForm):
    """Change the password: the current one, then the new one twice."""

    current_password = PasswordField(
        _l("Current password"), validators=[DataRequired(), Length(max=200)]
    )
    new_password = PasswordField(
        _l("New password"), validators=[DataRequired(), Length(min=10, max=200)]
    )
    new_password_confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[
            DataRequired(),
            EqualTo("new_password", message=_l("The passwords differ.")),
        ],
    )


class LogoutForm(FlaskForm):
    """Only the CSRF token: logging out changes state, so it is a POST."""


class LocaleForm(FlaskForm):
    """The language of the site for this user; "" follows the browser."""

    locale = SelectField(_l("Language"), choices=[])


class ForgotPasswordForm(FlaskForm):
    """Ask for a password-reset link: the account's address."""

    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])


class ResetPasswordForm(FlaskForm):
    """Set a new password through a reset link: the new one, twice."""

    password = PasswordField(
        _l("New password"), validators=[DataRequired(), Length(min=10, max=200)]
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))],
    )


class EmailChangeForm(FlaskForm):
    """Move the account to another address: the new address and the current password."""

    email = EmailField(_l("New e-mail address"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=200)])


class EmailNotificationsForm(FlaskForm):
    """How the user hears about the ideas they follow by e-mail (accounts.models.EmailChoice)."""

    email_notifications = RadioField(
        _l("E-mails about the ideas you follow"),
        choices=[
            SelectChoice(
                "each", _l("Each update: an e-mail when a stage changes or our team answers")
            ),
            SelectChoice("daily", _l("Daily digest: at most one e-mail a day with all the news")),
            SelectChoice("none", _l("None: I read the news on the site")),
        ],
        validate_choice=False,  # AnyOf says it in the user's language
        validators=[
            InputRequired(message=_l("Choose one of the listed options.")),
            AnyOf(["each", "daily", "none"], message=_l("Choose one of the listed options.")),
        ],
    )


class DisplayNameForm(FlaskForm):
    """The name shown with the user's ideas and comments (the service counts 1–80 graphemes)."""

    name = StringField(_l("Display name"), validators=[DataRequired(), Length(max=400)])


class TimezoneForm(FlaskForm):
    """The zone times are shown in; "" follows the site's default (the view fills the choices)."""

    timezone = SelectField(
        _l("Time zone"),
        choices=[],
        validate_choice=False,  # the service checks it and says so in the user's language
        validators=[Length(max=64)],
    )


class DeleteAccountForm(FlaskForm):
    """Delete the account: what happens to the content, the password, and the typed address."""

    content = RadioField(
        _l("Your ideas and comments"),
        choices=[
            SelectChoice("keep", _l("Keep them on the board, shown as by “a former member”")),
            SelectChoice("remove", _l("Remove them, with the votes and replies they received")),
        ],
        validate_choice=False,
        validators=[
            InputRequired(message=_l("Choose one of the listed options.")),
            AnyOf(["keep", "remove"], message=_l("Choose one of the listed options.")),
        ],
    )
    password = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=200)])
    confirmation = StringField(
        _l("Type your e-mail address to confirm"), validators=[DataRequired(), Length(max=254)]
    )
