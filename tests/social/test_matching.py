"""Matching a mention with an existing idea (issue 15): request endings and politeness words
in Korean and English are ignored, staff see why a match was made and can undo it, and a
repeat of a launched or declined idea is answered without creating anything.

The import tests drive `jobs.run_import` with tweepy against the sandbox X API on 127.0.0.1
and deliver the replies there.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from ideaboard.accounts.models import User
from ideaboard.extensions import db
from ideaboard.ideas.models import Idea, Vote
from ideaboard.outbox.delivery import deliver_due
from ideaboard.outbox.models import OutboxMessage
from ideaboard.social import jobs, matching
from ideaboard.social.answers import compose_answer
from ideaboard.social.compose import weighted_length
from ideaboard.social.connectors import XConnector
from ideaboard.social.models import MentionLog, SocialAccount
from ideaboard.triage.services import change_stage, find_stage
from ideaboard.urls import idea_url
from sandboxes.x import SandboxStore, post_mention
from tests.helpers import login, post

Replies = Callable[[], dict[str, list[dict[str, Any]]]]

IDEA_KO = "데이터 이월 서비스"
KO_VARIANTS = [
    "@hanbit 데이터 이월 서비스 해주세요 #아이디어",
    "@hanbit 데이터 이월 서비스 해 주세요 #아이디어",
    "@hanbit #아이디어 데이터 이월 서비스 부탁드립니다",
    "@hanbit 데이터 이월 서비스 했으면 좋겠어요! #아이디어",
    "@hanbit 데이터 이월 서비스를 추가해주세요 #아이디어",
    "@hanbit 데이터 이월 서비스 좀 부탁해요 #아이디어",
]
IDEA_EN = "Family data sharing plan"
EN_VARIANTS = [
    "@hanbit #idea Please add a family data sharing plan",
    "@hanbit Could you add family data sharing plans? #Idea",
    "@hanbit #idea I wish there was a family data sharing plan",
    "@hanbit #idea Family data sharing plan would be nice, pls",
]


def log_of(post_id: int | str) -> MentionLog:
    entry = db.session.scalar(select(MentionLog).where(MentionLog.post_id == str(post_id)))
    assert entry is not None
    return entry


def links(reply: dict[str, Any]) -> list[str]:
    """The links a reply in the sandbox carries (X shows them shortened to t.co)."""
    return [u["expanded_url"] for u in (reply["entities"] or {}).get("urls", [])]


def count(model: type[Any]) -> int:
    return int(db.session.scalar(select(func.count()).select_from(model)) or 0)


def run(account: SocialAccount, connector: XConnector) -> Any:
    result = jobs.run_import(account, connector, owner="test-importer")
    assert result is not None
    db.session.expire_all()
    return result


# --- the word lists and the normalisation -------------------------------------------------------


@pytest.mark.parametrize("phrase", matching.KO_REQUEST_PHRASES)
def test_every_korean_request_phrase_is_ignored(phrase: str) -> None:
    terms = matching.key_terms(f"@brand {IDEA_KO} {phrase} #아이디어")
    assert terms.terms == ("데이터", "이월", "서비스")
    assert phrase in terms.ignored


@pytest.mark.parametrize("phrase", matching.EN_REQUEST_PHRASES)
def test_every_english_request_phrase_is_ignored(phrase: str) -> None:
    terms = matching.key_terms(f"{phrase} family data sharing plan")
    assert terms.terms == ("family", "data", "sharing", "plan")
    assert phrase in terms.ignored


@pytest.mark.parametrize("ending", matching.KO_GLUED_ENDINGS)
def test_korean_request_endings_glued_to_the_last_word_are_cut(ending: str) -> None:
    assert matching.key_terms(f"데이터 이월 서비스{ending}").terms == ("데이터", "이월", "서비스")


@pytest.mark.parametrize(
    ("word", "stem"),
    [("서비스를", "서비스"), ("이월이", "이월"), ("데이터가", "데이터"), ("요금제에서", "요금제"),
     ("가족과", "가족"), ("나이", "나이"), ("데이터", "데이터"), ("plans", "plans")],
)  # fmt: skip
def test_particles_are_cut_off_korean_words_when_two_characters_remain(
    word: str, stem: str
) -> None:
    assert matching.stem(word) == stem


def test_normalisation_folds_width_case_and_drops_tags_mentions_links_and_punctuation() -> None:
    assert (
        matching.normalise(
            "＠hanbit ＦＡＭＩＬＹ Data—sharing!! #Idea https://t.co/x @minji 데이터…"
        )
        == "family data sharing 데이터"
    )


def test_request_verbs_and_conditional_endings_are_ignored_but_content_words_stay() -> None:
    assert matching.key_terms("데이터가 이월되면 좋겠어요").terms == ("데이터", "이월")
    assert matching.key_terms("Add dark mode to the app please").terms == ("dark", "mode", "app")
    # With too few words left, the request verb and function words count after all.
    assert matching.key_terms("Support for eSIM").terms == ("esim", "support", "for")


def test_compare_needs_most_mention_words_and_half_the_ideas_title() -> None:
    repeat = matching.compare(
        matching.key_terms("데이터 이월 서비스를 부탁드립니다"), 1, IDEA_KO, ""
    )
    assert (repeat.clear, repeat.score, repeat.coverage) == (True, 1.0, 1.0)
    assert repeat.matched == ("데이터", "이월", "서비스")
    assert repeat.ignored == ("부탁드립니다",)
    # All its words are in the idea, but it names too little of it.
    broad = matching.compare(
        matching.key_terms("앱 알림 좀 해주세요"), 2, "앱 알림 개선 다크 모드", ""
    )
    assert (broad.score, broad.clear) == (1.0, False)
    # English words match whole words (a plural aside): "plan" is not in "planet".
    planet = matching.compare(matching.key_terms("family plan"), 3, "Family planet", "")
    assert planet.matched == ("family",)
    assert not planet.clear
    # Korean spacing differs from person to person: compared without spaces.
    spaced = matching.compare(matching.key_terms("데이터이월 서비스 해줘요"), 4, IDEA_KO, "")
    assert spaced.clear


# --- importing: variants become votes, and staff see why ----------------------------------------


def test_korean_request_variants_become_votes_on_the_existing_idea(
    brand_account: SocialAccount,
    x_connector: XConnector,
    sandbox_store: SandboxStore,
    make_idea: Callable[..., Idea],
    brand_replies: Replies,
) -> None:
    idea = make_idea(title=IDEA_KO)
    posts = [
        post_mention(sandbox_store, username=f"fan{n}", text=t) for n, t in enumerate(KO_VARIANTS)
    ]

    result = run(brand_account, x_connector)

    assert (result.voted, result.imported, result.answered) == (len(KO_VARIANTS), 0, 0)
    assert count(Idea) == 1
    db.session.refresh(idea)
    assert (idea.up_count, idea.score) == (len(KO_VARIANTS), len(KO_VARIANTS))
    assert count(Vote) == len(KO_VARIANTS)
    for p in posts:
        entry = log_of(p["id"])
        assert (entry.outcome, entry.reason, entry.idea_id) == (
            "voted",
            f"matches idea #{idea.id}",
            idea.id,
        )
        assert entry.match_detail["matched"] == ["데이터", "이월", "서비스"]
        assert entry.match_detail["score"] == 1.0
        assert entry.match_detail["new_vote"] is True
    assert log_of(posts[0]["id"]).match_detail["ignored"] == ["해주세요"]
    # Each poster hears their vote counted, on their own post, with the idea's link.
    assert deliver_due(worker="test-worker").sent == len(KO_VARIANTS)
    replies = brand_replies()
    assert sorted(replies) == sorted(str(p["id"]) for p in posts)
    assert all(links(r[0]) == [idea_url(idea)] for r in replies.values())


def test_english_please_add_variants_become_votes(
    brand_account: SocialAccount,
    x_connector: XConnector,
    sandbox_store: SandboxStore,
    import_posts: Callable[..., tuple[list[dict[str, Any]], list[Any]]],
) -> None:
    _posts, (idea,) = import_posts(("minji", f"@hanbit #idea {IDEA_EN}"))
    posts = [
        post_mention(sandbox_store, username=f"fan{n}", text=t) for n, t in enumerate(EN_VARIANTS)
    ]
    other = post_mention(sandbox_store, username="doyun", text="@hanbit #idea Family planet photos")

    result = run(brand_account, x_connector)

    assert (result.voted, result.imported) == (len(EN_VARIANTS), 1)
    assert [log_of(p["id"]).idea_id for p in posts] == [idea.id] * len(EN_VARIANTS)
    assert log_of(posts[0]["id"]).match_detail["ignored"] == ["please", "add"]
    assert log_of(other["id"]).outcome == "imported"
    db.session.refresh(idea)
    assert idea.up_count == len(EN_VARIANTS)


def test_staff_see_why_a_mention_matched_and_customers_do_not(
    brand_account: SocialAccount,
    x_connector: XConnector,
    sandbox_store: SandboxStore,
    make_idea: Callable[..., Idea],
    make_user: Callable[..., User],
    client: FlaskClient,
) -> None:
    make_idea(title=IDEA_KO)
    post_mention(sandbox_store, username="fan1", text=KO_VARIANTS[0])
    run(brand_account, x_connector)

    login(client, make_user("customer"))
    refused = client.get("/staff/accounts")
    assert refused.status_code == 403
    assert "3 of 3 words match" not in refused.get_data(as_text=True)
    other = client.application.test_client()
    login(other, make_user("staff", locale="en"))
    page = other.get("/staff/accounts").get_data(as_text=True)
    assert "3 of 3 words match (100%): 데이터, 이월, 서비스" in page
    assert "ignored: 해주세요" in page
    assert "Wrong match: make it its own idea" in page


# --- launched and declined repeats --------------------------------------------------------------


def test_repeat_of_a_launched_idea_gets_the_launched_reply_and_creates_nothing(
    brand_account: SocialAccount,
    x_connector: XConnector,
    sandbox_store: SandboxStore,
    make_idea: Callable[..., Idea],
    make_user: Callable[..., User],
    brand_replies: Replies,
) -> None:
    staff = make_user("staff", initials="KG")
    idea = make_idea(title=IDEA_KO)
    change_stage(idea, find_stage("launched"), "지난주에 출시했어요.", staff, check_workflow=False)
    db.session.commit()
    repeat = post_mention(sandbox_store, username="jisoo", text=KO_VARIANTS[1])
    english = post_mention(
        sandbox_store, username="doyun", text="@hanbit #idea Please add data carry-over service"
    )
    make_idea(title="Data carry-over service")  # open, but launched idea wins for the Korean one

    result = run(brand_account, x_connector)

    assert result.answered == 1
    assert count(Idea) == 2  # no idea from the Korean repeat
    assert db.session.scalar(select(func.count()).where(Vote.idea_id == idea.id)) == 0
    db.session.refresh(idea)
    assert (idea.up_count, idea.stage.slug) == (0, "launched")
    entry = log_of(repeat["id"])
    assert (entry.outcome, entry.reason, entry.idea_id) == (
        "answered", f"launched as idea #{idea.id}", idea.id,
    )  # fmt: skip
    (row,) = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.target == str(repeat["id"]))
    )
    assert row.payload["ack"] == "launched"
    assert log_of(english["id"]).outcome == "voted"  # the open English idea takes its vote
    deliver_due(worker="test-worker")
    (reply,) = brand_replies()[str(repeat["id"])]
    assert "이미 출시된 아이디어" in reply["text"]
    assert links(reply) == [idea_url(idea)]


def test_repeat_of_a_declined_idea_gets_the_decline_note(
    brand_account: SocialAccount,
    x_connector: XConnector,
    sandbox_store: SandboxStore,
    make_idea: Callable[..., Idea],
    make_user: Callable[..., User],
    brand_replies: Replies,
) -> None:
    staff = make_user("staff", initials="KG")
    idea = make_idea(title=IDEA_EN)
    note = "Sharing needs **billing** changes the network team cannot make this year."
    change_stage(idea, find_stage("declined"), note, staff, check_workflow=False)
    db.session.commit()
    repeat = post_mention(sandbox_store, username="jisoo", text=EN_VARIANTS[0])

    result = run(brand_account, x_connector)

    assert (result.answered, result.voted, result.imported) == (1, 0, 0)
    assert count(Idea) == 1
    assert log_of(repeat["id"]).reason == f"declined as idea #{idea.id}"
    deliver_due(worker="test-worker")
    (reply,) = brand_replies()[str(repeat["id"])]
    assert "Sharing needs billing changes the network team cannot make this year." in reply["text"]
    assert "declined" in reply["text"]


def test_a_long_decline_note_is_cut_at_a_word_and_keeps_link_and_signature() -> None:
    note = " ".join(["네트워크팀이 내년 상반기에 다시 검토합니다"] * 30)
    text = compose_answer(
        "declined", lang="ko", title=IDEA_KO, url="https://ideas.example/ideas/7",
        note=note, signature="KG",
    )  # fmt: skip
    assert weighted_length(text) <= 280
    assert text.endswith("https://ideas.example/ideas/7 ^KG")
    kept = text.split("이유: ", 1)[1].split(" https://", 1)[0]
    assert kept.endswith("…")
    assert note.startswith(kept[:-1].rstrip())
    assert kept[:-1].rstrip().split()[-1] in {
        "네트워크팀이",
        "내년",
        "상반기에",
        "다시",
        "검토합니다",
    }


# --- undoing a wrong match ----------------------------------------------------------------------


def test_staff_undo_a_wrong_match_and_the_mention_becomes_its_own_idea(
    brand_account: SocialAccount,
    x_connector: XConnector,
    sandbox_store: SandboxStore,
    make_idea: Callable[..., Idea],
    make_user: Callable[..., User],
    client: FlaskClient,
) -> None:
    idea = make_idea(title=IDEA_KO)
    fan = post_mention(sandbox_store, username="fan1", text=KO_VARIANTS[0])
    run(brand_account, x_connector)
    entry = log_of(fan["id"])
    db.session.refresh(idea)
    assert idea.up_count == 1
    login(client, make_user("customer"))
    assert post(client, f"/staff/mentions/{entry.id}/undo-match").status_code == 403
    staff_client = client.application.test_client()
    login(staff_client, make_user("staff"))
    assert staff_client.post(f"/staff/mentions/{entry.id}/undo-match").status_code == 400  # CSRF

    response = post(staff_client, f"/staff/mentions/{entry.id}/undo-match")

    assert response.status_code == 302
    db.session.expire_all()
    own = db.session.scalar(select(Idea).where(Idea.source_post_id == str(fan["id"])))
    assert own is not None
    assert own.id != idea.id
    assert own.title == "데이터 이월 서비스 해주세요"
    assert (idea.up_count, idea.score) == (0, 0)
    assert count(Vote) == 0
    entry = log_of(fan["id"])
    assert (entry.outcome, entry.idea_id, entry.reason) == (
        "imported", own.id, f"match with #{idea.id} undone",
    )  # fmt: skip
    assert entry.undone_at is not None
    acks = list(
        db.session.scalars(select(OutboxMessage).where(OutboxMessage.target == str(fan["id"])))
    )
    assert [(a.payload["ack"], a.state) for a in acks] == [
        ("matched", "cancelled"), ("imported", "pending"),
    ]  # fmt: skip
    page = staff_client.get("/staff/accounts").get_data(as_text=True)
    assert f"match with #{idea.id} undone by staff" in page
    # Twice is refused, and nothing changes.
    again = post(staff_client, f"/staff/mentions/{entry.id}/undo-match", follow_redirects=True)
    assert again.status_code == 200
    assert count(Idea) == 2


def test_undo_keeps_a_vote_the_author_had_cast_before_the_match(
    brand_account: SocialAccount,
    x_connector: XConnector,
    sandbox_store: SandboxStore,
    import_posts: Callable[..., tuple[list[dict[str, Any]], list[Any]]],
    make_user: Callable[..., User],
) -> None:
    from ideaboard.social.undo import undo_match

    (first,), (idea,) = import_posts(("minji", f"@hanbit #아이디어 {IDEA_KO}"))
    reply = post_mention(
        sandbox_store,
        username="jisoo",
        text="@hanbit 저도요 #아이디어",
        in_reply_to_tweet_id=first["id"],
    )
    again = post_mention(sandbox_store, username="jisoo", text=KO_VARIANTS[2])
    run(brand_account, x_connector)
    assert log_of(reply["id"]).outcome == "voted"
    assert log_of(again["id"]).match_detail["new_vote"] is False
    db.session.refresh(idea)
    assert idea.up_count == 1

    undo_match(log_of(again["id"]), make_user("staff"))
    db.session.commit()

    db.session.refresh(idea)
    assert idea.up_count == 1  # the vote from the reply stays
    assert count(Idea) == 2


def test_undo_of_a_launched_answer_makes_the_idea_and_cancels_the_unsent_answer(
    brand_account: SocialAccount,
    x_connector: XConnector,
    sandbox_store: SandboxStore,
    make_idea: Callable[..., Idea],
    make_user: Callable[..., User],
) -> None:
    from ideaboard.social.undo import undo_match

    staff = make_user("staff", initials="KG")
    launched = make_idea(title=IDEA_KO)
    change_stage(launched, find_stage("launched"), "출시했어요.", staff, check_workflow=False)
    db.session.commit()
    repeat = post_mention(sandbox_store, username="jisoo", text=KO_VARIANTS[3])
    run(brand_account, x_connector)
    assert log_of(repeat["id"]).outcome == "answered"

    own = undo_match(log_of(repeat["id"]), staff)
    db.session.commit()

    assert (own.source_post_id, own.stage.slug) == (str(repeat["id"]), "new")
    rows = list(
        db.session.scalars(select(OutboxMessage).where(OutboxMessage.target == str(repeat["id"])))
    )
    assert [(r.payload["ack"], r.state) for r in rows] == [
        ("launched", "cancelled"), ("imported", "pending"),
    ]  # fmt: skip
    assert log_of(repeat["id"]).reason == f"match with #{launched.id} undone"
