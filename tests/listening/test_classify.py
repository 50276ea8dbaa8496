"""The listening classifier: its quality on labelled samples, its precedence, its bounds.

samples.tsv (255 posts) was written before the rules. It is split deterministically, every
second post: `tune` is posts 1, 3, 5, … (looked at while the rules were written), `held_out`
is posts 2, 4, 6, … (not looked at until the rules were done); the floors are asserted on
held_out. fresh.tsv (120 posts) was written after the first rules were frozen (commit 2c21934)
and measured them as unseen traffic; the second round of rules was then written from its
errors, so it is tuning data now. fresh2.tsv (120 posts) was written and committed (b513b39)
before that second round and has not been used to change it: it is the closest thing here to
unseen traffic. Run with -s to see the tables:

    .venv/bin/pytest -s tests/listening/test_classify.py
"""

from __future__ import annotations

import csv
import time
import unicodedata
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from ideaboard.listening.classify import (
    LABELS,
    MAX_INPUT_CHARS,
    RULES,
    Classification,
    classify,
    normalise,
)

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Post:
    label: str
    lang: str
    text: str


def _read(name: str) -> list[Post]:
    with (HERE / name).open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        return [Post(row["label"], row["lang"], row["text"]) for row in reader]


SAMPLE = _read("samples.tsv")
TUNE = SAMPLE[0::2]
HELD_OUT = SAMPLE[1::2]
FRESH = _read("fresh.tsv")
FRESH2 = _read("fresh2.tsv")


@dataclass(frozen=True)
class Scores:
    accuracy: float
    macro_f1: float
    per_class: dict[str, tuple[float, float, float, int]]  # precision, recall, F1, support
    errors: list[tuple[Post, Classification]]


def _score(posts: list[Post]) -> Scores:
    results = [(post, classify(post.text)) for post in posts]
    per_class = {}
    for label in LABELS:
        tp = sum(1 for post, got in results if got.label == label and post.label == label)
        predicted = sum(1 for _, got in results if got.label == label)
        actual = sum(1 for post, _ in results if post.label == label)
        precision = tp / predicted if predicted else 0.0
        recall = tp / actual if actual else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_class[label] = (precision, recall, f1, actual)
    correct = sum(1 for post, got in results if got.label == post.label)
    present = [label for label in LABELS if per_class[label][3]]
    return Scores(
        accuracy=correct / len(results),
        macro_f1=sum(per_class[label][2] for label in present) / len(present),
        per_class=per_class,
        errors=[(post, got) for post, got in results if got.label != post.label],
    )


def _table(title: str, posts: list[Post]) -> str:
    scores = _score(posts)
    lines = [
        f"== {title}: {len(posts)} posts, accuracy {scores.accuracy:.3f}, "
        f"macro-F1 {scores.macro_f1:.3f}",
        f"   {'class':<11}{'precision':>10}{'recall':>8}{'F1':>7}{'support':>9}",
    ]
    for label, (precision, recall, f1, support) in scores.per_class.items():
        lines.append(f"   {label:<11}{precision:>10.3f}{recall:>8.3f}{f1:>7.3f}{support:>9}")
    for lang in ("ko", "en"):
        subset = [post for post in posts if post.lang == lang]
        sub = _score(subset)
        lines.append(
            f"   lang {lang}: {len(subset)} posts, accuracy {sub.accuracy:.3f}, "
            f"macro-F1 {sub.macro_f1:.3f}"
        )
    return "\n".join(lines)


def _errors(title: str, posts: list[Post]) -> str:
    lines = [f"-- {title}: misclassified"]
    for post, got in _score(posts).errors:
        lines.append(f"   {post.label:>10} -> {got.describe()} | {post.text}")
    return "\n".join(lines)


def test_the_classifier_quality_on_the_samples_is_printed_and_above_its_floors(
    record_property: pytest.RecordProperty,
) -> None:
    report = "\n".join(
        [
            "",
            _table("samples.tsv, tune half (posts 1, 3, 5, …)", TUNE),
            _table("samples.tsv, held-out half (posts 2, 4, 6, …)", HELD_OUT),
            _table("samples.tsv, all", SAMPLE),
            _table("fresh.tsv (round-1 unseen sample, round-2 tuning)", FRESH),
            _table("fresh2.tsv (written before round 2, never tuned on)", FRESH2),
            _errors("held-out half", HELD_OUT),
            _errors("fresh.tsv", FRESH),
            _errors("fresh2.tsv", FRESH2),
        ]
    )
    print(report)
    record_property("classifier_figures", report)

    held_out, fresh, fresh2 = _score(HELD_OUT), _score(FRESH), _score(FRESH2)
    # Measured (round 2): held-out accuracy 0.984, macro-F1 0.984; fresh (now tuning data)
    # 0.958 / 0.958; fresh2 (unseen) 0.833 / 0.818, complaint
    # recall 0.43 (complaints without a complaint word: docs/listening.md).
    assert held_out.accuracy >= 0.93
    assert held_out.macro_f1 >= 0.93
    for label, (precision, recall, _f1, _n) in held_out.per_class.items():
        assert precision >= 0.88, label
        assert recall >= 0.88, label
    assert fresh.accuracy >= 0.90
    assert fresh.macro_f1 >= 0.90
    assert fresh2.accuracy >= 0.80
    assert fresh2.macro_f1 >= 0.80


def test_the_samples_have_the_promised_shape() -> None:
    assert len(SAMPLE) >= 200
    every = SAMPLE + FRESH + FRESH2
    assert len({post.text for post in every}) == len(every)
    for posts in (SAMPLE, FRESH, FRESH2):
        assert {post.label for post in posts} == set(LABELS)
        assert {post.lang for post in posts} == {"ko", "en"}
    counts = Counter(post.label for post in SAMPLE)
    assert min(counts.values()) >= 40, counts
    korean = sum(1 for post in SAMPLE if post.lang == "ko") / len(SAMPLE)
    assert 0.55 <= korean <= 0.65
    # Both halves keep every class: the split is by line, and each class spans many lines.
    for half in (TUNE, HELD_OUT):
        assert min(Counter(post.label for post in half).values()) >= 20


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("요금제 변경은 어디서 하나요?", "question"),
        ("인터넷이 또 끊겼어요…", "complaint"),
        ("다크 모드 넣어 주세요", "suggestion"),
        ("좋은 아침!", "other"),
        ("why does my bill go up again??", "complaint"),
    ],
)
def test_the_issue_examples_get_their_class(text: str, label: str) -> None:
    assert classify(text).label == label


def test_an_angry_question_is_a_complaint_by_the_complaint_first_rule() -> None:
    result = classify("why does my bill go up again??")
    assert result.decided_by == "complaint-first"
    assert "question.en.why" in result.reasons  # the question rule fired, and lost
    assert {"complaint.en.again", "complaint.any.angry-punctuation"} <= set(result.reasons)
    assert result.scores["complaint"] >= 2
    assert result.scores["question"] >= 2


def test_a_complaint_that_ends_with_a_request_is_a_complaint() -> None:
    result = classify("인터넷 안돼요 빨리 복구해 주세요")
    assert (result.label, result.decided_by) == ("complaint", "complaint-first")
    assert "suggestion.ko.please" in result.reasons


@pytest.mark.parametrize(
    "text",
    ["요금제 비교 기능을 추가하면 어떨까요?", "How about letting us roll over unused data?"],
)
def test_a_proposal_phrased_as_a_question_is_a_suggestion(text: str) -> None:
    result = classify(text)
    assert (result.label, result.decided_by) == ("suggestion", "suggestion-over-question")
    assert result.scores["question"] >= 1


def test_a_question_beats_thanks() -> None:
    result = classify("감사합니다. 요금제 변경은 어디서 하나요?")
    assert (result.label, result.decided_by) == ("question", "question")
    assert "other.ko.thanks" in result.reasons


def test_thanks_beat_a_weak_sign() -> None:
    result = classify("thanks again for the help!")
    assert (result.label, result.decided_by) == ("other", "courtesy")
    assert "complaint.en.again" in result.reasons


def test_weak_signs_tie_towards_complaint_then_suggestion_then_question() -> None:
    refund = classify("Refund please")  # complaint 1, suggestion 1
    assert (refund.label, refund.confidence, refund.decided_by) == (
        "complaint",
        "weak",
        "weak-signal",
    )
    assert classify("좀 주세요?").label == "suggestion"  # suggestion 1, question 1
    lone = classify("5G?")
    assert (lone.label, lone.confidence) == ("question", "weak")


def test_two_weak_complaint_signs_make_a_strong_one() -> None:
    result = classify("또 ㅡㅡ")
    assert (result.label, result.confidence) == ("complaint", "strong")


def test_no_sign_at_all_is_other_with_no_reasons() -> None:
    result = classify("ㅋㅋㅋㅋ")
    assert result == Classification("other", "none", "no-signal", (), result.scores)
    assert result.describe() == "other (none, no-signal): no rule fired"


@pytest.mark.parametrize(
    ("spaced", "unspaced"),
    [
        ("요금제 변경은 어디서 하나요", "요금제변경은어디서하나요"),
        ("다크 모드 넣어 주세요", "다크모드넣어주세요"),
        ("인터넷이 또 끊겼어요", "인터넷이또끊겼어요"),
        ("앱 로그인이 안 돼요", "앱로그인이안돼요"),
    ],
)
def test_korean_without_spaces_matches_the_same_rules(spaced: str, unspaced: str) -> None:
    assert classify(spaced).reasons == classify(unspaced).reasons
    assert classify(spaced).reasons


def test_decomposed_hangul_is_read_like_composed_hangul() -> None:
    text = "인터넷이 또 끊겼어요"
    decomposed = unicodedata.normalize("NFD", text)
    assert decomposed != text
    assert classify(decomposed).reasons == classify(text).reasons


def test_urls_mentions_and_tags_are_taken_out_of_the_text() -> None:
    seen = normalise("@hanbit_help  PLEASE add  this https://example.com/a?b=1 #한빛텔레콤")
    assert seen.text == "please add this"
    assert seen.compact == "pleaseaddthis"
    assert seen.tags == ("한빛텔레콤",)
    assert "question.any.question-mark" not in classify("see https://x.example/?q=1").reasons
    assert classify("mail me at kim@example.com").reasons == ()


def test_a_complaint_tag_counts_and_a_brand_tag_does_not() -> None:
    assert classify("#불만").reasons == ("complaint.tag",)
    assert classify("#불만").label == "complaint"
    assert classify("#한빛텔레콤 #5G").reasons == ()
    assert classify("안 쓰는 데이터 기부 #5G아이디어").label == "suggestion"


def test_case_and_full_width_punctuation_are_folded() -> None:
    assert classify("PLEASE ADD DARK MODE").label == "suggestion"
    assert "question.any.question-mark" in classify("5G 되나요？").reasons
    assert "complaint.en.not-working" in classify("It doesn’t work").reasons


@pytest.mark.parametrize(
    ("text", "absent"),
    [
        ("지하철에서도 끊김 없이 잘 되네요", "complaint.ko.disconnected"),
        ("Not a single dropped call today", "complaint.en.outage"),
        ("요금제 A 또는 B 중에 뭐가 나아요?", "complaint.ko.again"),
        ("명의변경 서류 알려 주세요", "suggestion.ko.make-it-so"),
        ("추가 요금이 얼마예요?", "suggestion.ko.add"),
        ("전화나 문자로 연락 주세요", "complaint.ko.annoyed"),
        ("언제나 잘 쓰고 있어요", "question.ko.when"),
    ],
)
def test_look_alike_words_do_not_fire_the_rule(text: str, absent: str) -> None:
    assert absent not in classify(text).reasons


def test_every_rule_fires_on_at_least_one_labelled_post() -> None:
    fired = Counter(name for post in SAMPLE + FRESH for name in classify(post.text).reasons)
    dead = [rule.name for rule in RULES if not fired[rule.name]]
    assert not dead, f"rules no labelled post exercises: {dead}"


def test_every_rule_is_named_after_its_class_and_says_why() -> None:
    names = [rule.name for rule in RULES]
    assert len(names) == len(set(names))
    for rule in RULES:
        assert rule.name.split(".")[0] == rule.label
        assert rule.weight in (1, 2)
        assert len(rule.why) > 10


def test_docs_list_every_rule() -> None:
    docs = (HERE.parent.parent / "docs" / "listening.md").read_text(encoding="utf-8")
    missing = [rule.name for rule in RULES if f"`{rule.name}`" not in docs]
    assert not missing, f"docs/listening.md does not list: {missing}"


@pytest.mark.parametrize(
    "text",
    [
        "인터넷이 또 끊겼어요 " * 10_000,
        "?" * 100_000,
        "a" * 100_000,
        "@" * 100_000,
        "#" + "가" * 100_000,
        "http://" + "a/" * 50_000,
        "please " + "x " * 50_000 + "please",
        "ㅋ" * 100_000,
    ],
)
def test_a_100k_character_post_is_classified_quickly(text: str) -> None:
    assert len(text) >= 100_000
    started = time.perf_counter()
    classify(text)
    assert time.perf_counter() - started < 0.5


def test_text_past_the_input_limit_is_not_read() -> None:
    filler = "좋은 아침 " * (MAX_INPUT_CHARS // 6 + 1)
    assert len(filler) > MAX_INPUT_CHARS
    assert classify(filler + "최악").label == "other"
    assert classify("최악 " + filler).label == "complaint"
