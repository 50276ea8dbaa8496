from __future__ import annotations

from sqlalchemy import select

from ideaboard.accounts.models import User
from ideaboard.extensions import db


def test_create_user_makes_a_staff_member_with_initials(app):
    result = app.test_cli_runner().invoke(
        args=["ideaboard", "create-user", "--email", "Staff@Example.com", "--password",
              "password-1", "--role", "staff", "--name", "Kim Gayoung", "--initials", "KG"]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Created staff staff@example.com" in result.output
    user = db.session.scalar(select(User).where(User.email == "staff@example.com"))
    assert user is not None
    assert (user.role, user.name, user.initials) == ("staff", "Kim Gayoung", "KG")


def test_create_user_with_a_taken_email_fails_with_a_message(app, make_user):
    make_user(email="ann@example.com")
    result = app.test_cli_runner().invoke(
        args=[
            "ideaboard",
            "create-user",
            "--email",
            "ANN@example.com",
            "--password",
            "pw-1234567890",
        ]
    )
    assert result.exit_code == 1
    assert "already exists" in result.output


def test_create_user_refuses_an_unknown_role(app):
    result = app.test_cli_runner().invoke(
        args=["ideaboard", "create-user", "--email", "a@example.com", "--password", "pw-1234567890",
              "--role", "root"]
    )  # fmt: skip
    assert result.exit_code == 2
    assert db.session.scalar(select(User)) is None
