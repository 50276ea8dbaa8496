"""Account settings (display name, time zone) and times shown in the reader's zone with its name.

The zone: the user's choice, else IDEABOARD_TIMEZONE, else Asia/Seoul for Korean readers and
UTC for the others (ideaboard/timezones.py). Every absolute time carries its zone.
"""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime

import pytest
from flask import Flask

from ideaboard import timezones
from ideaboard.accounts import services
from ideaboard.accounts.models import User
from ideaboard.errors import ValidationFailed
from ideaboard.extensions import db
from ideaboard.ideas import services as idea_services
from ideaboard.ideas.models import Notification, NotificationKind
from ideaboard.mail import letters
from ideaboard.mail.digest import DIGEST_LETTER
from tests.accounts.helpers import cheap_password
from tests.helpers import Clock, IdeaBuilder, UserBuilder, login, post

MOMENT = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)  # 18:00 in Seoul, 04:00 in New York


def _text(response) -> str:
    # CLDR puts a narrow no-break space before AM/PM; compare with plain spaces.
    return html.unescape(response.get_data(as_text=True)).replace("\u202f", " ")


def _created_title(page: str) -> str:
    """The full time in the title of the idea's creation time (the `datetime` filter)."""
    match = re.search(r'<time datetime="2026-12-04T09:00:00\+00:00" title="([^"]+)"', page)
    assert match, "the idea's time is not on the page"
    return match.group(1)


@pytest.fixture
def idea_at_moment(clock: Clock, make_idea: IdeaBuilder):
    clock.set(MOMENT)
    idea = make_idea(title="Subway 5G")
    clock.set(datetime(2026, 12, 5, tzinfo=UTC))
    return idea


# --- display name -----------------------------------------------------------------------------


def test_display_name_is_bounded_like_registration(app: Flask, make_user: UserBuilder) -> None:
    user = make_user(name="Old Name")
    services.set_display_name(user, "  김민지 👩‍💻  ")
    assert user.name == "김민지 👩‍💻"
    services.set_display_name(user, "가" * 80)  # 80 graphemes: the registration limit
    db.session.commit()
    for bad in ("", "   ", "가" * 81, "bad\x00name"):
        with pytest.raises(ValidationFailed) as error:
            services.set_display_name(user, bad)
        assert error.value.field == "name"
    db.session.rollback()
    assert db.session.get(User, user.id).name == "가" * 80


def test_the_name_form_keeps_the_typed_name_through_an_error_and_saves_a_good_one(
    app: Flask, client, make_user: UserBuilder
) -> None:
    user = cheap_password(make_user(name="Old Name"))
    login(client, user)
    too_long = "N" * 81
    response = post(client, "/me/name", {"name": too_long})
    assert response.status_code == 422
    page = _text(response)
    assert f'value="{too_long}"' in page  # what was typed is still in the field
    assert 'id="name-error"' in page
    db.session.expire_all()
    assert db.session.get(User, user.id).name == "Old Name"
    response = post(client, "/me/name", {"name": "  New Name "})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, user.id).name == "New Name"


# --- time zone setting ------------------------------------------------------------------------


def test_a_time_zone_must_be_one_of_the_listed_zones(app: Flask, make_user: UserBuilder) -> None:
    user = make_user()
    services.set_timezone(user, "Asia/Seoul")
    assert user.timezone == "Asia/Seoul"
    for bad in ("Mars/Olympus", "US/Eastern", "asia/seoul", "Asia/Seoul\n", "x" * 500):
        with pytest.raises(ValidationFailed) as error:
            services.set_timezone(user, bad)
        assert error.value.field == "timezone"
    services.set_timezone(user, "")  # back to the default
    assert user.timezone is None
    assert "Asia/Seoul" in timezones.available_zones()
    assert "US/Eastern" not in timezones.available_zones()


def test_the_zone_form_lists_common_zones_first_and_keeps_a_refused_choice(
    app: Flask, client, make_user: UserBuilder
) -> None:
    user = cheap_password(make_user())
    login(client, user)
    page = _text(client.get("/me"))
    common = page.index('<optgroup label="Common time zones">')
    seoul = page.index('<option value="Asia/Seoul">(UTC+9) South Korea Time</option>')
    assert common < seoul < page.index('<optgroup label="Africa">')
    assert "Automatic: UTC" in page  # an English reader's default
    response = post(client, "/me/timezone", {"timezone": "Mars/Olympus"})
    assert response.status_code == 422
    assert "Choose one of the listed time zones." in _text(response)
    db.session.expire_all()
    assert db.session.get(User, user.id).timezone is None
    response = post(client, "/me/timezone", {"timezone": "America/New_York"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, user.id).timezone == "America/New_York"
    page = _text(client.get("/me"))
    assert '<option selected value="America/New_York">' in page
    assert "shown to you in United States (New York) Time (EST)" in page


# --- times shown per reader -------------------------------------------------------------------


def test_times_are_shown_in_the_readers_zone_with_the_zone_named(
    app: Flask, client, make_user: UserBuilder, idea_at_moment
) -> None:
    path = f"/ideas/{idea_at_moment.id}"
    # Anonymous: by language.
    assert _created_title(_text(client.get(path))) == "Dec 4, 2026, 9:00:00 AM UTC"
    korean = client.get(path, headers={"Accept-Language": "ko"})
    assert _created_title(_text(korean)) == "2026년 12월 4일 오후 6:00 KST"
    # Signed in with a zone of their own.
    user = cheap_password(make_user())
    user.timezone = "America/New_York"
    db.session.commit()
    login(client, user)
    assert _created_title(_text(client.get(path))) == "Dec 4, 2026, 4:00:00 AM EST"


def test_IDEABOARD_TIMEZONE_is_the_default_for_every_language(
    app_factory, clock: Clock, make_user: UserBuilder
) -> None:
    berlin = app_factory(IDEABOARD_TIMEZONE="Europe/Berlin")
    with berlin.app_context():
        clock.set(MOMENT)
        idea = idea_services.submit_idea(make_user(), "Subway 5G", "", None)
        db.session.commit()
        client = berlin.test_client()
        english = _created_title(_text(client.get(f"/ideas/{idea.id}")))
        korean = client.get(f"/ideas/{idea.id}", headers={"Accept-Language": "ko"})
        assert english == "Dec 4, 2026, 10:00:00 AM CET"
        assert _created_title(_text(korean)) == "2026년 12월 4일 오전 10:00 CET"
        # A person's own choice still wins.
        user = make_user(locale="ko")
        user.timezone = "Asia/Seoul"
        db.session.commit()
        login(client, user)
        assert "오후 6:00 KST" in _created_title(_text(client.get(f"/ideas/{idea.id}")))


def test_an_unknown_IDEABOARD_TIMEZONE_refuses_to_start(app_factory) -> None:
    with pytest.raises(ValueError, match="IDEABOARD_TIMEZONE"):
        app_factory(IDEABOARD_TIMEZONE="Nowhere/City")


def test_the_anonymous_page_cache_keeps_one_copy_per_zone(
    app_factory, clock: Clock, make_user: UserBuilder
) -> None:
    cached = app_factory(IDEABOARD_PAGE_CACHE_SECONDS=60)
    with cached.app_context():
        clock.set(MOMENT)
        idea = idea_services.submit_idea(make_user(), "Subway 5G", "", None)
        db.session.commit()
        client = cached.test_client()
        path = f"/ideas/{idea.id}"
        korean = _created_title(_text(client.get(path, headers={"Accept-Language": "ko"})))
        english = _created_title(_text(client.get(path, headers={"Accept-Language": "en"})))
        again = _created_title(_text(client.get(path, headers={"Accept-Language": "ko"})))
        assert korean == again == "2026년 12월 4일 오후 6:00 KST"
        assert english.endswith("AM UTC")


def test_zone_labels_are_abbreviations_or_offsets(app: Flask) -> None:
    label = timezones.zone_label
    import pytz

    assert label(MOMENT, pytz.timezone("Asia/Seoul")) == "KST"
    assert label(MOMENT, pytz.utc) == "UTC"
    assert label(MOMENT, pytz.timezone("America/Sao_Paulo")) == "GMT-3"  # tzdata says "-03"
    assert label(MOMENT, pytz.timezone("Asia/Kathmandu")) == "GMT+5:45"
    summer = datetime(2026, 7, 1, 12, tzinfo=UTC)
    assert label(summer, pytz.timezone("America/New_York")) == "EDT"


def test_the_digest_is_written_in_its_recipients_zone(
    app: Flask, clock: Clock, make_user: UserBuilder, make_idea: IdeaBuilder
) -> None:
    clock.set(MOMENT)
    staff = make_user("staff", name="Kim Gayoung")
    korean = make_user(locale="ko")
    new_yorker = make_user(locale="en")
    new_yorker.timezone = "America/New_York"
    idea = make_idea(title="Subway 5G")
    comment = idea_services.add_comment(staff, idea, "We are on it.")
    for reader in (korean, new_yorker):
        db.session.add(
            Notification(
                user_id=reader.id,
                idea_id=idea.id,
                kind=NotificationKind.OFFICIAL_COMMENT.value,
                actor_id=staff.id,
                comment_id=comment.id,
                created_at=MOMENT,
            )
        )
        reader.email_notifications = "daily"
    db.session.commit()
    payload = {"letter": DIGEST_LETTER, "params": {"until": "2026-12-05T00:00:00+00:00"}}
    written = {}
    for reader in (korean, new_yorker):
        rendered = letters.render(DIGEST_LETTER, payload["params"], reader, reader.locale)
        assert not isinstance(rendered, str), rendered
        written[reader.id] = rendered.text.replace("\u202f", " ")
    assert "2026년 12월 4일 오후 6:00 KST" in written[korean.id]
    assert "Dec 4, 2026, 4:00:00 AM EST" in written[new_yorker.id]
    assert " UTC UTC" not in written[new_yorker.id]


def test_korean_staff_read_the_history_in_korean_time(
    app: Flask, client, clock: Clock, make_user: UserBuilder, make_idea: IdeaBuilder
) -> None:
    """The staff idea page's history was 9 hours off for Korean staff (shown in UTC, unlabelled)."""
    from ideaboard.triage import services as triage

    staff = cheap_password(make_user("staff", locale="ko"))
    clock.set(MOMENT)
    idea = make_idea(title="Subway 5G")
    triage.change_stage(idea, triage.find_stage("under-review"), "Looking", staff)
    db.session.commit()
    login(client, staff)
    page = _text(client.get(f"/staff/ideas/{idea.id}"))
    assert "2026년 12월 4일 오후 6:00 KST" in page
