"""The staff People page: search, paging, block and unblock through the forms."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ideaboard.accounts import blocking
from ideaboard.accounts.models import User
from ideaboard.extensions import db
from tests.helpers import login, post


def test_customers_get_403_and_visitors_are_sent_to_log_in(client, make_user):
    person = make_user()
    for path in ("/staff/people", f"/staff/people/{person.id}"):
        anonymous = client.get(path)
        assert anonymous.status_code == 302
        assert "/login" in anonymous.headers["Location"]
    login(client, make_user())
    assert client.get("/staff/people").status_code == 403
    assert post(client, f"/staff/people/{person.id}/block", {"reason": "x"}).status_code == 403
    assert db.session.get(User, person.id).blocked_at is None


def test_search_by_name_or_email_case_insensitively(client, make_user):
    staff = make_user("staff", name="Staff Person")
    make_user(name="Minji Kim", email="minji@example.com")
    make_user(name="김민수", email="minsu@example.kr")
    make_user(name="Other", email="other@example.com")
    login(client, staff)
    by_name = client.get("/staff/people?q=MINJI").get_data(as_text=True)
    assert "Minji Kim" in by_name
    assert "Other" not in by_name
    by_korean = client.get("/staff/people?q=민수").get_data(as_text=True)
    assert "김민수" in by_korean
    assert "Minji Kim" not in by_korean
    by_email = client.get("/staff/people?q=example.kr").get_data(as_text=True)
    assert "김민수" in by_email
    assert "Minji Kim" not in by_email
    wildcard = client.get("/staff/people?q=%25").get_data(as_text=True)
    assert "Minji Kim" not in wildcard  # % is matched literally, not as a wildcard


def test_people_are_paged_and_the_page_number_is_bounded(client, make_user):
    staff = make_user("staff", name="Aaron Staff")
    for n in range(blocking.PAGE_SIZE + 2):
        make_user(name=f"Person {n:03d}")
    login(client, staff)
    first = client.get("/staff/people").get_data(as_text=True)
    assert "Aaron Staff" in first
    assert 'rel="next"' in first
    assert "Person 025" not in first
    second = client.get("/staff/people?page=2").get_data(as_text=True)
    assert "Person 025" in second
    assert "Person 026" in second
    assert 'rel="next"' not in second
    assert client.get("/staff/people?page=99999999999999").status_code == 200
    assert client.get("/staff/people?page=abc").status_code == 200
    page = blocking.search_people(page=10**9)
    assert page.page == blocking.PAGE_MAX
    assert page.people == []


def test_blocked_only_lists_the_blocked(client, make_user):
    staff = make_user("staff")
    bad, good = make_user(name="Bad Actor"), make_user(name="Good Member")
    blocking.block_user(bad, staff, "spam")
    db.session.commit()
    login(client, staff)
    html = client.get("/staff/people?blocked=1").get_data(as_text=True)
    assert "Bad Actor" in html
    assert good.name not in html


def test_staff_block_and_unblock_through_the_person_page(client, make_user):
    staff, person = make_user("staff"), make_user(name="Jisoo")
    login(client, staff)
    assert client.get(f"/staff/people/{person.id}").status_code == 200
    response = post(client, f"/staff/people/{person.id}/block", {"reason": "도배 (flooding)"})
    assert response.status_code == 302
    page = client.get(f"/staff/people/{person.id}").get_data(as_text=True)
    assert "도배 (flooding)" in page
    db.session.expire_all()
    assert db.session.get(User, person.id).blocked_by_id == staff.id
    assert post(client, f"/staff/people/{person.id}/unblock").status_code == 302
    db.session.expire_all()
    assert db.session.get(User, person.id).blocked_at is None


@pytest.mark.parametrize(("reason", "message"), [
    ("", "This field is required."),
    ("x" * 301, "300"),
])  # fmt: skip
def test_a_bad_reason_is_a_form_error_that_keeps_the_text(client, make_user, reason, message):
    staff, person = make_user("staff"), make_user()
    login(client, staff)
    response = post(client, f"/staff/people/{person.id}/block", {"reason": reason})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in html
    assert reason in html
    db.session.expire_all()
    assert db.session.get(User, person.id).blocked_at is None


def test_blocking_staff_or_yourself_through_the_form_is_403(client, make_user):
    admin, staff = make_user("admin"), make_user("staff")
    login(client, admin)
    for target, message in ((staff, "cannot be blocked"), (admin, "cannot block yourself")):
        response = post(client, f"/staff/people/{target.id}/block", {"reason": "no"})
        assert response.status_code == 403
        assert message in response.get_data(as_text=True)
    page = client.get(f"/staff/people/{staff.id}").get_data(as_text=True)
    assert 'action="/staff/people/' not in page  # no block form for staff
    assert db.session.scalar(select(User.id).where(User.blocked_at.is_not(None))) is None


def test_unknown_people_are_404(client, make_user):
    login(client, make_user("staff"))
    assert client.get("/staff/people/999999").status_code == 404
    assert post(client, "/staff/people/999999/block", {"reason": "x"}).status_code == 404
