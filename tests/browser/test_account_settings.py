"""Account settings in a real Chromium: a new name and time zone (a time then shows in the new
zone with its name), "download my data", and deleting the account while keeping the ideas
(they then read as by "a former member"); axe-core on /me and on the delete page.

English at desktop size for the settings and the download; Korean at 390 px for the deletion.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from ideaboard.accounts.models import User
from ideaboard.extensions import db
from tests.browser.helpers import FAIL_ON, TIMEOUT_MS, LiveServer, axe_violations
from tests.helpers import PASSWORD, IdeaBuilder, UserBuilder

expect = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed").expect

MOBILE = {"width": 390, "height": 844}
MOMENT = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)  # 04:00 EST, 18:00 KST


def serious(violations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [v for v in violations if v["impact"] in FAIL_ON]


def fill_login(page: Any, user: User) -> None:
    page.goto("/login")
    page.locator("input[name=email]").fill(user.email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(lambda url: "/login" not in url)


# The markup does not depend on the database; the rules' queries are unit-tested on both
# (tests/accounts/test_erasure.py, tests/accounts/test_settings_and_time_zones.py).
@pytest.mark.sqlite_only
def test_settings_download_and_deletion_keeping_the_ideas(
    browser: Any,
    page: Any,
    live_server: LiveServer,
    make_user: UserBuilder,
    make_idea: IdeaBuilder,
    axe_source: str,
    tmp_path: Path,
) -> None:
    minji = make_user(email="minji@example.com", name="Minji")
    minji.created_at = MOMENT
    hana = make_user(email="hana@example.com", name="하나", locale="ko")
    idea = make_idea(hana, title="지하철 5G 개선")
    db.session.commit()

    # --- desktop, English: a new name and time zone --------------------------------------
    fill_login(page, minji)
    page.goto("/me")
    expect(page.locator("main h1")).to_have_text("Minji")
    expect(page.get_by_text("member since Dec 4, 2026, 9:00:00\u202fAM UTC")).to_be_visible()
    found = serious(axe_violations(page, axe_source))
    assert not found, found

    page.get_by_role("textbox", name="Display name").fill("Minji Kim")
    page.get_by_role("button", name="Save name").click()
    expect(page.get_by_text("Your display name is saved.")).to_be_visible()
    expect(page.locator("main h1")).to_have_text("Minji Kim")

    page.get_by_role("combobox", name="Time zone").select_option("America/New_York")
    page.get_by_role("button", name="Save time zone").click()
    expect(
        page.get_by_text("Times are now shown in United States (New York) Time.")
    ).to_be_visible()
    # The same moment, now in New York time, with its zone named.
    expect(page.get_by_text("member since Dec 4, 2026, 4:00:00\u202fAM EST")).to_be_visible()

    # --- download my data ----------------------------------------------------------------
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download my data").click()
    download = download_info.value
    assert re.fullmatch(r"ideaboard-my-data-\d{8}\.json", download.suggested_filename)
    saved = tmp_path / "my-data.json"
    download.save_as(saved)
    data = json.loads(saved.read_text(encoding="utf-8"))
    assert data["profile"]["name"] == "Minji Kim"
    assert data["profile"]["settings"]["time_zone"] == "America/New_York"
    assert data["sign_ins"]["count"] == 1

    # --- mobile, Korean: delete the account, keeping the ideas -----------------------------
    phone = browser.new_context(base_url=live_server.url, viewport=MOBILE, locale="ko-KR")
    phone.set_default_timeout(TIMEOUT_MS)
    try:
        tab = phone.new_page()
        fill_login(tab, hana)
        tab.goto("/me")
        tab.get_by_role("link", name="계정 삭제…").click()
        expect(tab.get_by_role("heading", name="계정 삭제", exact=True)).to_be_visible()
        found = serious(axe_violations(tab, axe_source))
        assert not found, found
        # Nothing overflows the phone's width.
        assert tab.evaluate("document.documentElement.scrollWidth") <= MOBILE["width"]

        tab.get_by_label("보드에 남기고 “탈퇴한 회원”의 글로 표시합니다").check()
        tab.get_by_label("현재 비밀번호").fill(PASSWORD)
        tab.get_by_label("확인을 위해 이메일 주소를 입력해 주세요").fill("wrong@example.com")
        tab.get_by_role("button", name="계정을 영구 삭제").click()
        expect(
            tab.get_by_text("확인하려면 표시된 이메일 주소를 그대로 입력해 주세요.")
        ).to_be_visible()
        # The choice made is still made; the password is typed again.
        expect(tab.get_by_label("보드에 남기고 “탈퇴한 회원”의 글로 표시합니다")).to_be_checked()
        tab.get_by_label("현재 비밀번호").fill(PASSWORD)
        tab.get_by_label("확인을 위해 이메일 주소를 입력해 주세요").fill("hana@example.com")
        tab.get_by_role("button", name="계정을 영구 삭제").click()
        expect(tab.get_by_text("계정을 삭제했습니다.", exact=False)).to_be_visible()

        tab.goto(f"/ideas/{idea.id}")
        expect(tab.get_by_text("탈퇴한 회원", exact=False).first).to_be_visible()
        expect(tab.get_by_text("하나", exact=True)).to_have_count(0)
        tab.goto("/me")  # signed out: the profile asks to log in
        assert "/login" in tab.url
    finally:
        phone.close()
