"""Saved replies in the listening inbox: each reply box offers them (the mention's language
first), without JS ?mention=&reply= re-renders the inbox with the box filled, and what is sent
is checked and queued like any typed reply."""

from __future__ import annotations

import html
import re
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from ideaboard.accounts.models import User
from ideaboard.extensions import db
from ideaboard.social.models import MentionLog
from ideaboard.triage import services
from ideaboard.triage.models import SavedReply
from tests.helpers import login, post
from tests.listening.test_inbox import account, act, fresh, logged, outbox_rows

PLAN_KO = "마이페이지 > 요금제 변경에서 바로 바꾸실 수 있어요."
PLAN_EN = "You can change your plan under My page > Plan."


@pytest.fixture
def replies(staff: User) -> tuple[SavedReply, SavedReply]:
    """A saved reply in Korean and one in English (titled so English sorts first by title)."""
    ko = services.add_saved_reply(staff, title="요금제 변경", body=PLAN_KO, lang="ko")
    en = services.add_saved_reply(staff, title="Change of plan", body=PLAN_EN, lang="en")
    db.session.commit()
    return ko, en


def row_html(page: str, entry: MentionLog) -> str:
    start = page.index(f'id="mention-{entry.id}"')
    end = page.find('<li class="card listening-row"', start)
    return page[start : end if end != -1 else len(page)]


def box_text(page: str, entry: MentionLog) -> str:
    found = re.search(rf'<textarea id="reply-{entry.id}"[^>]*>(.*?)</textarea>', page, re.S)
    assert found is not None
    return html.unescape(found.group(1))


def picker_options(row: str) -> list[str]:
    picker = row[row.index("data-saved-reply-picker") : row.index("</form>")]
    return re.findall(r'<option value="(\d+)">', picker)


def test_each_reply_box_offers_the_saved_replies_in_the_mentions_language_first(
    staff_client: FlaskClient, replies: tuple[SavedReply, SavedReply]
) -> None:
    ko, en = replies
    acct = account()
    korean = logged(acct, handle="minji")
    english = logged(acct, "@hanbit where do I change my plan?", handle="jamie")
    english.lang = "en"
    unknown = logged(acct, "@hanbit 🙂", handle="emoji")
    unknown.lang = None
    db.session.commit()
    page = staff_client.get("/staff/listening").get_data(as_text=True)
    assert "Manage saved replies" in page
    assert picker_options(row_html(page, korean)) == [str(ko.id), str(en.id)]
    assert picker_options(row_html(page, english)) == [str(en.id), str(ko.id)]
    # No language on the mention: the staff member's language (English here) first.
    assert picker_options(row_html(page, unknown)) == [str(en.id), str(ko.id)]
    row = row_html(page, korean)
    assert f'data-target="reply-{korean.id}"' in row
    assert f'action="/staff/listening#mention-{korean.id}"' in row
    assert f'<input type="hidden" name="mention" value="{korean.id}">' in row
    assert '<label for="reply-saved-' in row


def test_the_picker_keeps_the_filters_and_page(
    staff_client: FlaskClient, replies: tuple[SavedReply, SavedReply]
) -> None:
    acct = account()
    entry = logged(acct)
    page = staff_client.get(f"/staff/listening?account={acct.id}&label=question").get_data(True)
    row = row_html(page, entry)
    assert f'<input type="hidden" name="account" value="{acct.id}">' in row
    assert '<input type="hidden" name="label" value="question">' in row


def test_handled_mentions_have_no_picker(
    staff_client: FlaskClient, replies: tuple[SavedReply, SavedReply]
) -> None:
    entry = logged(account(), state="dismissed")
    page = staff_client.get("/staff/listening?state=dismissed").get_data(as_text=True)
    assert "data-saved-reply-picker" not in row_html(page, entry)


def test_without_saved_replies_no_picker_but_a_link_to_add_them(
    staff_client: FlaskClient,
) -> None:
    entry = logged(account())
    page = staff_client.get("/staff/listening").get_data(as_text=True)
    assert "data-saved-reply-picker" not in page
    assert "none yet. Add canned answers to insert them here." in page
    assert 'href="/staff/saved-replies"' in page
    assert f'id="reply-{entry.id}"' in page  # the reply box itself is there


def test_without_js_the_chosen_reply_fills_that_rows_box_and_is_sent_signed(
    staff_client: FlaskClient, replies: tuple[SavedReply, SavedReply]
) -> None:
    ko, _en = replies
    acct = account()
    entry = logged(acct, handle="minji")
    other = logged(acct, handle="dohyun")
    answer = staff_client.get(f"/staff/listening?mention={entry.id}&reply={ko.id}")
    assert answer.status_code == 200
    page = answer.get_data(as_text=True)
    assert box_text(page, entry) == PLAN_KO
    assert box_text(page, other) == ""  # only the row it was picked for
    # The picker's query fills once: the row forms go back to the inbox without it.
    assert 'name="next" value="/staff/listening"' in page
    listed = page[page.index('class="listening-list"') :]
    nexts = re.findall(r'name="next" value="([^"]*)"', listed)
    assert nexts
    assert all("reply=" not in n and "mention=" not in n for n in nexts)
    sent = act(staff_client, entry, "reply", text=box_text(page, entry), next="/staff/listening")
    assert sent.status_code == 302
    (row,) = outbox_rows()
    assert row.text == f"{PLAN_KO} ^KG"
    assert row.kind == "x_reply"
    assert fresh(entry).inbox_state == "replied"


@pytest.mark.parametrize("reply", ["999999", "abc", "1e9", "-1", "", "9" * 40])
def test_an_unknown_saved_reply_is_an_error_on_the_row(
    staff_client: FlaskClient, replies: tuple[SavedReply, SavedReply], reply: str
) -> None:
    entry = logged(account())
    answer = staff_client.get(f"/staff/listening?mention={entry.id}&reply={reply}")
    assert answer.status_code == 422
    page = answer.get_data(as_text=True)
    assert "There is no saved reply with this number." in row_html(page, entry)
    assert box_text(page, entry) == ""
    assert outbox_rows() == []


def test_a_saved_reply_deleted_meanwhile_is_an_error_on_the_row(
    staff_client: FlaskClient, staff: User, replies: tuple[SavedReply, SavedReply]
) -> None:
    ko, _en = replies
    ko_id = ko.id
    entry = logged(account())
    services.delete_saved_reply(ko, staff)
    db.session.commit()
    answer = staff_client.get(f"/staff/listening?mention={entry.id}&reply={ko_id}")
    assert answer.status_code == 422
    assert "There is no saved reply with this number." in answer.get_data(as_text=True)


@pytest.mark.parametrize("mention", ["999999", "abc", ""])
def test_an_unknown_mention_is_404(
    staff_client: FlaskClient, replies: tuple[SavedReply, SavedReply], mention: str
) -> None:
    logged(account())
    answer = staff_client.get(f"/staff/listening?mention={mention}&reply={replies[0].id}")
    assert answer.status_code == 404


def test_a_saved_reply_too_long_for_x_is_filled_with_the_length_error(
    staff_client: FlaskClient, staff: User
) -> None:
    long_ko = services.add_saved_reply(staff, title="긴 안내", body="가" * 139, lang="ko")
    db.session.commit()
    entry = logged(account())
    answer = staff_client.get(f"/staff/listening?mention={entry.id}&reply={long_ko.id}")
    assert answer.status_code == 200
    page = answer.get_data(as_text=True)
    assert "282 of 280 weighted characters" in row_html(page, entry)
    assert box_text(page, entry) == "가" * 139  # kept, to shorten
    # Sent as it is, the server refuses it the same way and queues nothing.
    refused = act(staff_client, entry, "reply", text="가" * 139)
    assert refused.status_code == 422
    assert outbox_rows() == []
    # The same text fits Bluesky (300 graphemes): no error there.
    sky = logged(account("bluesky", "hanbit.bsky.social"))
    page = staff_client.get(f"/staff/listening?mention={sky.id}&reply={long_ko.id}").get_data(True)
    assert "too long" not in row_html(page, sky)
    assert box_text(page, sky) == "가" * 139


def test_sending_a_saved_reply_without_a_csrf_token_queues_nothing(
    staff_client: FlaskClient, replies: tuple[SavedReply, SavedReply]
) -> None:
    entry = logged(account())
    answer = staff_client.post(
        f"/staff/listening/{entry.id}/reply", data={"state": "open", "text": PLAN_KO}
    )
    assert answer.status_code == 400
    assert outbox_rows() == []
    assert fresh(entry).inbox_state == "open"


def test_customers_cannot_use_the_picker(
    app: Flask, make_user: Callable[..., User], replies: tuple[SavedReply, SavedReply]
) -> None:
    entry = logged(account())
    client = app.test_client()
    login(client, make_user())
    answer = client.get(f"/staff/listening?mention={entry.id}&reply={replies[0].id}")
    assert answer.status_code == 403
    assert PLAN_KO not in answer.get_data(as_text=True)


def test_the_picker_speaks_korean(
    app: Flask, make_user: Callable[..., User], replies: tuple[SavedReply, SavedReply]
) -> None:
    entry = logged(account())
    client = app.test_client()
    login(client, make_user("staff", name="김규", initials="KG", locale="ko"))
    page = client.get("/staff/listening").get_data(as_text=True)
    row = row_html(page, entry)
    assert "저장된 답변" in row
    assert "넣기" in row
    assert "저장된 답변 관리" in page
    answer = client.get(f"/staff/listening?mention={entry.id}&reply=999999")
    assert "이 번호의 저장된 답변이 없습니다." in answer.get_data(as_text=True)
    assert post(client, f"/staff/listening/{entry.id}/reply", {"state": "open"}).status_code == 422
