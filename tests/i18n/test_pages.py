"""A Korean and an English browser session read the same pages, each fully in its language."""

from __future__ import annotations

import re

import pytest
from babel.messages.pofile import read_po

from ideaboard import i18n
from ideaboard.extensions import db
from tests.helpers import csrf_token, login
from tests.i18n.pages import latin_words, readable_text

KO = "ko-KR,ko;q=0.9,en-US;q=0.6,en;q=0.4"
EN = "en-US,en;q=0.9"
HANGUL = re.compile(r"[\uac00-\ud7a3]")

# Latin words a Korean page may show: the brand and network, the switcher's "English",
# the board's own content (a handle, e-mail addresses, initials, "5G") and technical names.
ALLOWED_ON_KOREAN_PAGES = {
    "IdeaBoard", "X", "English", "G", "hanbit", "fan", "minji", "gayoung", "admin",
    "example", "com", "KG", "AD", "Atom", "UTC", "API", "URL", "IP",
    "README", "IDEABOARD", "USER", "ID", "SANDBOX",  # env var names in a setup hint
    "USD", "idea",  # the currency of X's prices; the #idea tag the brand account listens for
    "USERNAME", "CONSUMER", "KEY", "SECRET", "ACCESS", "TOKEN",  # per-account credential names
    "help",  # the example username hanbit_help of the "Add account" form
    "KST",  # the time zone written after times (timezones.zone_label)
    "JSON",  # the file format of "download my data"
    "Bluesky", "Mastodon",  # brand names, like X: never translated
    "BLUESKY", "MASTODON", "APP", "PASSWORD", "HANDLE",  # their credential variables' names
    "bsky", "social",  # the example handle hanbit.bsky.social
}  # fmt: skip


def _english_ui_phrases() -> list[str]:
    """Return our English UI texts of two words or more (no placeholders, no markup)."""
    path = i18n.TRANSLATIONS_DIR / "en" / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as source:
        catalog = read_po(source)
    phrases = []
    for message in catalog:
        for text in [message.id] if isinstance(message.id, str) else list(message.id):
            if text and "%(" not in text and "<" not in text and len(text.split()) >= 2:
                phrases.append(text)
    return phrases


ENGLISH_UI = _english_ui_phrases()


def _session(app, language: str, user=None):  # type: ignore[no-untyped-def]
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = language
    if user is not None:
        login(client, user)
        client.get("/")  # read the "You are logged in." flash, said in the session's language
    return client


def _fetch(client, board, page):  # type: ignore[no-untyped-def]
    method, path = page["request"]
    path = path.format(idea=board.idea.id, imported=board.imported.id)
    if method == "GET":
        return client.get(path)
    return client.post(path, data={**page.get("data", {}), "csrf_token": csrf_token(client)})


# who reads, the request, the status, and (English, Korean) texts the page must show.
PAGES = {
    "board": dict(who=None, request=("GET", "/"), status=200, texts=[
        ("What should we build next?", "다음에는 무엇을 만들까요?"),
        ("Under Review", "검토 중"), ("Billing & payments", "요금·결제"),
        ("Share an idea", "아이디어 올리기"), ("Trending", "인기 급상승"),
    ]),
    "board search with no match": dict(who=None, request=("GET", "/?q=없는말"), status=200,
        texts=[("No idea matches", "에 맞는 아이디어가 없습니다")]),
    "idea page": dict(who="customer", request=("GET", "/ideas/{idea}"), status=200, texts=[
        ("Status updates", "진행 상황"), ("Post comment", "댓글 달기"),
        ("2 comments", "댓글 2개"), ("Official", "공식"), ("just now", "방금"),
        ("Suggested by 김민지", "김민지님이 제안"),
    ]),
    "imported idea page": dict(who=None, request=("GET", "/ideas/{imported}"), status=200,
        texts=[("See the original post on X", "X에서 원래 게시물 보기"),
               ("Log in to vote and comment.", "로그인하면 투표하고 댓글을 달 수 있습니다.")]),
    "submit form": dict(who="customer", request=("GET", "/ideas/new"), status=200, texts=[
        ("One sentence: what should we make or change?", "한 문장으로 적어 주세요"),
        ("— Choose a category —", "— 분류 선택 —"),
    ]),
    "submit form with errors": dict(
        who="customer", request=("POST", "/ideas/new"), data={"title": "", "category": "zzz"},
        status=422, texts=[("This field is required.", "이 항목은 필수입니다."),
                           ("Not a valid choice.", "올바르지 않은 선택값입니다.")]),
    "submit with a too short title": dict(
        who="customer", request=("POST", "/ideas/new"), data={"title": "짧음"}, status=422,
        texts=[("Title must be at least 5 characters long.",
                "제목 항목은 5자 이상이어야 합니다.")]),
    "login": dict(who=None, request=("GET", "/login"), status=200, texts=[
        ("Keep me logged in", "로그인 상태 유지"), ("Create an account", "계정 만들기")]),
    "login with a wrong password": dict(
        who=None, request=("POST", "/login"), status=422,
        data={"email": "minji@example.com", "password": "wrong password"},
        texts=[("The e-mail address or the password is wrong.",
                "이메일 주소 또는 비밀번호가 올바르지 않습니다.")]),
    "forgot password": dict(who=None, request=("GET", "/password/forgot"), status=200, texts=[
        ("Send me a link", "링크 보내기"), ("Back to log in", "로그인으로 돌아가기")]),
    "forgot password sent": dict(who=None, request=("GET", "/password/forgot/sent"),
        status=200, texts=[("Check your inbox", "받은편지함을 확인하세요")]),
    "broken reset link": dict(who=None, request=("GET", "/password/reset/broken"), status=400,
        texts=[("This link does not work", "이 링크는 쓸 수 없습니다"),
               ("Ask for a new link", "새 링크 요청하기")]),
    "broken verification link": dict(who=None, request=("GET", "/verify/broken"), status=400,
        texts=[("Log in, and ask for a new link on your profile.",
                "로그인한 뒤 프로필에서 새 링크를 요청하세요.")]),
    "register": dict(who=None, request=("GET", "/register"), status=200, texts=[
        ("Create your account", "계정 만들기"), ("Repeat the password", "비밀번호 확인")]),
    "register with errors": dict(
        who=None, request=("POST", "/register"), status=422,
        data={"email": "minji@example.com", "name": "", "password": "short", "confirm": "x"},
        texts=[("This field is required.", "이 항목은 필수입니다."),
               ("The passwords differ.", "비밀번호가 서로 다릅니다.")]),
    "notifications": dict(who="customer", request=("GET", "/notifications"), status=200, texts=[
        ("New status for", "새 진행 상황:"), ("Official answer on", "공식 답변:"),
        ("Mark all as read", "모두 읽음으로 표시")]),
    "profile": dict(who="customer", request=("GET", "/me"), status=200, texts=[
        ("My ideas (2)", "내 아이디어 (2)"), ("Save language", "언어 저장"),
        ("Change the address", "주소 바꾸기"),
        ("Same as my browser", "브라우저 설정에 따름")]),
    "profile votes": dict(who="customer", request=("GET", "/me?tab=votes"), status=200,
        texts=[("You have not voted yet.", "아직 투표한 아이디어가 없습니다.")]),
    "stats": dict(who=None, request=("GET", "/stats"), status=200, texts=[
        ("Our board in numbers", "숫자로 보는 아이디어 보드"),
        ("Where the ideas stand", "아이디어 단계별 현황"), ("Website", "웹사이트")]),
    "ideas in action": dict(who=None, request=("GET", "/ideas-in-action"), status=200, texts=[
        ("These ideas came from our customers", "고객님들이 제안해 주셔서"),
        ("1 person voted for it", "1명이 추천"), ("Launched", "출시됨")]),
    "not found": dict(who=None, request=("GET", "/no-such-page"), status=404, texts=[
        ("This page does not exist.", "페이지를 찾을 수 없습니다."),
        ("Back to the board", "아이디어 보드로 돌아가기")]),
    "staff inbox": dict(who="admin", request=("GET", "/staff/?stage="), status=200, texts=[
        ("Waiting for an answer", "답변 대기"), ("Response-time target", "답변 목표 시간"),
        ("Bulk stage change", "단계 일괄 변경"), ("Network", "네트워크")]),
    "staff idea page": dict(who="admin", request=("GET", "/staff/ideas/{idea}"), status=200,
        texts=[("Change stage", "단계 바꾸기"),
               ("Merge into another idea", "다른 아이디어와 합치기"),
               ("Public note", "공개 메모"), ("Team: — → Network", "팀: — → 네트워크"),
               ("Assignee: — → 김가영", "담당자: — → 김가영")]),
    "staff idea page of an imported idea": dict(
        who="admin", request=("GET", "/staff/ideas/{imported}"), status=200,
        texts=[("Hide from the public", "공개 목록에서 숨기기")]),
    "outbox": dict(who="admin", request=("GET", "/staff/outbox"), status=200, texts=[
        ("Every reply, post, e-mail and webhook", "IdeaBoard가 보내는 모든 답글, 게시물, 이메일"),
        ("Undeliverable e-mail addresses", "전달할 수 없는 이메일 주소"),
        ("pending", "대기 중"),
        ("in reply to 1861000000000000001", "1861000000000000001에 단 답글")]),
    "social accounts": dict(who="admin", request=("GET", "/staff/accounts"), status=200,
        texts=[("Recent mentions", "최근 멘션"), ("counted as a vote", "투표로 반영"),
               ("matches idea #", "아이디어와 같은 내용")]),
    "workflow": dict(who="admin", request=("GET", "/staff/workflow"), status=200, texts=[
        ("Allowed moves", "허용된 이동"), ("Open (voting allowed)", "열림(투표 가능)"),
        ("No members yet.", "아직 팀원이 없습니다."), ("Add to the team", "팀에 추가")]),
    "reply templates": dict(who="admin", request=("GET", "/staff/reply-templates/"), status=200,
        texts=[("Acknowledgement: new idea", "접수 답글: 새 아이디어"),
               ("Campaign closed: announcement on the brand accounts",
                "캠페인 마감: 브랜드 계정의 안내"),
               ("how many of them launched", "그중 출시된 수")]),
}  # fmt: skip
# Pages that show English content on purpose: the English wording of X replies.
CONTENT_IN_ENGLISH = {"reply templates"}


@pytest.mark.parametrize("name", PAGES)
def test_korean_session_reads_the_page_in_korean(app, board, name):
    page = PAGES[name]
    client = _session(app, KO, page["who"] and getattr(board, page["who"]))
    response = _fetch(client, board, page)
    assert response.status_code == page["status"]
    html = response.get_data(as_text=True)
    assert '<html lang="ko">' in html
    text = readable_text(html)
    for english, korean in page["texts"]:
        assert korean in text
        assert english not in text
    leftovers = [phrase for phrase in ENGLISH_UI if phrase in text]
    assert not leftovers, f"English UI text on the Korean page: {leftovers}"
    if name not in CONTENT_IN_ENGLISH:
        assert latin_words(text) <= ALLOWED_ON_KOREAN_PAGES


@pytest.mark.parametrize("name", PAGES)
def test_english_session_reads_the_page_in_english(app, board, name):
    page = PAGES[name]
    client = _session(app, EN, page["who"] and getattr(board, page["who"]))
    response = _fetch(client, board, page)
    assert response.status_code == page["status"]
    html = response.get_data(as_text=True)
    assert '<html lang="en">' in html
    text = readable_text(html)
    for english, korean in page["texts"]:
        assert english in text
        assert korean not in text
    for korean_ui in ("아이디어 올리기", "로그인", "통계", "본문으로 건너뛰기"):
        assert korean_ui not in text


def test_flash_messages_speak_the_readers_language(app, board):
    client = _session(app, KO, board.customer)
    response = client.post(
        f"/ideas/{board.imported.id}/follow", data={"csrf_token": csrf_token(client)}
    )
    assert response.status_code == 302
    text = readable_text(client.get(response.location).get_data(as_text=True))
    assert "이 아이디어를 팔로우합니다. 단계가 바뀌면 알려 드릴게요." in text


def test_json_errors_speak_the_readers_language(app, board):
    client = _session(app, KO, board.customer)
    response = client.post(
        f"/ideas/{board.idea.id}/vote",
        data={"value": "7", "csrf_token": csrf_token(client)},
        headers={"Accept": "application/json", "X-Requested-With": "fetch"},
    )
    assert response.status_code == 422
    assert response.get_json()["error"]["message"].startswith("투표 값은")


def test_large_counts_are_grouped_for_the_reader(app, board):
    board.idea.comment_count = 12345
    board.idea.score = 1234
    board.idea.up_count = 1500
    db.session.commit()
    ko = readable_text(_session(app, KO).get(f"/ideas/{board.idea.id}").get_data(as_text=True))
    en = readable_text(_session(app, EN).get(f"/ideas/{board.idea.id}").get_data(as_text=True))
    for expected in ("댓글 12,345개", "1,234", "1,500 ↑"):
        assert expected in ko
    for expected in ("12,345 comments", "1,234", "1,500 ↑"):
        assert expected in en


def test_dates_read_naturally_in_korean(app, board):
    html = _session(app, KO).get(f"/ideas/{board.idea.id}").get_data(as_text=True)
    year = board.idea.created_at.year
    titles = re.findall(r'<time datetime="[^"]+" title="([^"]+)"', html)
    assert titles
    assert all(t.startswith(f"{year}년 ") for t in titles)
    assert all(("오전" in t or "오후" in t) and "AM" not in t and "PM" not in t for t in titles)


def test_relative_times_follow_the_language(app, board):
    from datetime import timedelta

    board.idea.created_at = board.idea.created_at - timedelta(hours=3, minutes=5)
    db.session.commit()
    ko = readable_text(_session(app, KO).get(f"/ideas/{board.idea.id}").get_data(as_text=True))
    en = readable_text(_session(app, EN).get(f"/ideas/{board.idea.id}").get_data(as_text=True))
    assert "3시간 전" in ko
    assert "3 hours ago" in en
