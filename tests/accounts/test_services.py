from __future__ import annotations

import pytest
from sqlalchemy import func, select

from ideaboard.accounts import services
from ideaboard.accounts.models import Role, User
from ideaboard.errors import EmailTaken, ValidationFailed
from ideaboard.extensions import db


def _count_users() -> int:
    return int(db.session.scalar(select(func.count()).select_from(User)) or 0)


def test_register_user_stores_casefolded_email_and_scrypt_hash(app):
    user = services.register_user("  Minji.Kim@Example.COM ", "김민지", "s3cret-pass")
    db.session.commit()
    assert user.email == "minji.kim@example.com"
    assert user.role == Role.CUSTOMER
    assert user.password_hash.startswith("scrypt:")
    assert "s3cret-pass" not in user.password_hash


def test_register_user_twice_in_another_case_is_refused(app):
    services.register_user("ann@example.com", "Ann", "password-1")
    db.session.commit()
    with pytest.raises(EmailTaken):
        services.register_user("ANN@example.com", "Ann again", "password-2")
    db.session.rollback()
    assert _count_users() == 1


@pytest.mark.parametrize(
    ("email", "name", "password", "field"),
    [
        ("", "Ann", "password-1", "email"),
        ("not-an-email", "Ann", "password-1", "email"),
        ("ann@example.com", "", "password-1", "name"),
        ("ann@example.com", "   ", "password-1", "name"),
        ("ann@example.com", "A" * 81, "password-1", "name"),
        ("ann@example.com", "Ann\x00", "password-1", "name"),
        ("ann@example.com", "Ann", "short", "password"),
        ("ann@example.com", "Ann", "x" * 201, "password"),
        ("ann@example.com", "Ann", "pass\x00word-1", "password"),
    ],
)
def test_register_user_refuses_bad_input_and_stores_nothing(app, email, name, password, field):
    with pytest.raises(ValidationFailed) as caught:
        services.register_user(email, name, password)
    db.session.rollback()
    assert caught.value.field == field
    assert caught.value.message
    assert _count_users() == 0


def test_register_user_accepts_korean_and_emoji_names(app):
    user = services.register_user("k@example.com", "김민지 🌸", "password-1")
    db.session.commit()
    assert db.session.get(User, user.id).name == "김민지 🌸"


def test_authenticate_accepts_right_password_in_any_email_case(app):
    services.register_user("ann@example.com", "Ann", "password-1")
    db.session.commit()
    assert services.authenticate("ANN@EXAMPLE.COM", "password-1") is not None
    assert services.authenticate("ann@example.com", "password-2") is None
    assert services.authenticate("nobody@example.com", "password-1") is None


def test_authenticate_refuses_deactivated_user(app):
    user = services.register_user("ann@example.com", "Ann", "password-1")
    user.active = False
    db.session.commit()
    assert services.authenticate("ann@example.com", "password-1") is None


def test_display_initials_default_to_the_name(app, make_user):
    assert make_user(name="Kim Gayoung").display_initials == "KG"
    assert make_user(name="Lee", initials="SL").display_initials == "SL"
