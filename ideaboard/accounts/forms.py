"""Account forms: they check shape; the services check the rules."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    SelectField,
    StringField,
)
from wtforms.validators import DataRequired, EqualTo, Length

from ..forms import FlaskForm, NextField


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
