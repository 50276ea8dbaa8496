"""Does a mention repeat an idea already on the board? Word matching, Korean and English.

People ask for the same thing in many ways: "@brand 데이터 이월 서비스 해주세요 #아이디어",
"데이터 이월 서비스 부탁드립니다", "please add family data sharing". The words that make the
request — endings, politeness, the verb that asks — say nothing about *what* is asked, so
they are left out before comparing (the lists below, each entry tested in
tests/social/test_matching.py). No morphological analyser: a handful of rules cover the
request endings and the particles glued to a Korean word's end, and Korean words are compared
as substrings of the other text with its spaces removed, so "서비스를" finds "서비스" and
"데이터이월" finds "데이터 이월".

Comparison, both texts normalised first (NFKC, case folded, URLs, @mentions, #hashtags and
punctuation removed):
- the mention's key words (`key_terms`) are looked for in the idea: a word in the title
  counts 1, one only in the body ½; `score` is the share. A match needs at least
  MIN_TERMS key words and score ≥ CLEAR_MATCH (0.8);
- and the other way round, at least MIN_COVERAGE (½) of the idea title's key words must be
  in the mention, so "앱 개선 해주세요" does not match "앱 알림 개선 다크 모드".
Korean words (any Hangul in them) match as substrings, other words as whole words (a plural
"s" aside), so "plan" does not find "planet".
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any

CLEAR_MATCH = 0.8  # share of the mention's key words the idea must contain
MIN_COVERAGE = 0.5  # share of the idea title's key words the mention must contain
MIN_TERMS = 2  # fewer key words than this never match (too little to tell)
MIN_TERM_LENGTH = 2  # shorter words are not compared ("a", "앱")
MAX_TERMS = 16

# Whole request phrases, removed wherever they stand (word by word, longest first).
KO_REQUEST_PHRASES: tuple[str, ...] = (
    "했으면 좋겠습니다",
    "했으면 좋겠어요",
    "했으면 좋겠네요",
    "했으면 좋겠다",
    "하면 좋겠습니다",
    "하면 좋겠어요",
    "해 주시면 좋겠습니다",
    "해 주시면 좋겠어요",
    "해 주세요",
    "해 주십시오",
    "해 줘요",
    "해 줘",
    "해주세요",
    "해주십시오",
    "해주시면",
    "해줘요",
    "해줘",
    "부탁드립니다",
    "부탁드려요",
    "부탁합니다",
    "부탁해요",
    "주세요",
    "주십시오",
    "줘요",
    "좋겠습니다",
    "좋겠어요",
    "좋겠네요",
    "좋겠다",
    "제발",
    "좀",
)
EN_REQUEST_PHRASES: tuple[str, ...] = (
    "it would be nice if",
    "it would be nice to have",
    "it would be great if",
    "would be nice to have",
    "it would be nice",
    "it would be great",
    "would be nice",
    "would be great",
    "i wish there was",
    "i wish there were",
    "i wish you would",
    "i wish you could",
    "i wish",
    "i would love",
    "i d love",
    "we would love",
    "could you please",
    "can you please",
    "could you",
    "can you",
    "would you",
    "will you",
    "could we",
    "can we",
    "please",
    "pls",
    "plz",
    "kindly",
    "thanks",
    "thank you",
    "thx",
)
# Korean request endings glued to the word before them ("추가해주세요"): cut off.
KO_GLUED_ENDINGS: tuple[str, ...] = (
    "해주시면좋겠습니다",
    "해주시면좋겠어요",
    "했으면좋겠습니다",
    "했으면좋겠어요",
    "해주십시오",
    "해주세요",
    "해주시면",
    "부탁드립니다",
    "부탁드려요",
    "부탁합니다",
    "부탁해요",
    "해줘요",
    "주세요",
    "해줘",
    "줘요",
)
# Before "좋겠어요": "이월되면", "생겼으면" — the conditional ending is cut off the word.
KO_CONDITIONAL_ENDINGS: tuple[str, ...] = ("했으면", "됐으면", "있었으면", "있으면", "하면", "되면")
# The verb that asks, right before a request ending ("추가해 주세요"): ignored.
KO_REQUEST_VERBS: frozenset[str] = frozenset(
    {"추가", "도입", "제공", "지원", "만들어", "생겼으면", "생기면"}
)
# The verb that asks, first in the text or right after a request phrase ("please add …").
EN_REQUEST_VERBS: frozenset[str] = frozenset(
    {"add", "make", "bring", "introduce", "offer", "provide", "support", "allow", "enable",
     "let", "give", "get", "have", "create", "build"}
)  # fmt: skip
# Function words that say nothing about the idea (left out when enough words remain).
EN_STOP_WORDS: frozenset[str] = frozenset(
    {"a", "an", "the", "to", "of", "for", "and", "or", "in", "on", "at", "with", "by", "my",
     "our", "me", "us", "we", "i", "you", "your", "it", "its", "is", "be", "so", "that",
     "this", "there", "some", "any", "more", "also", "too"}
)  # fmt: skip
# Particles (josa) glued to the end of a Korean word, longest first. Cut off when at least
# two characters remain, so "서비스를" compares as "서비스", "이월이" as "이월", "나이" stays.
KO_PARTICLES: tuple[str, ...] = (
    "에서는", "에게서", "으로는", "이라도", "에서", "에게", "으로", "부터", "까지", "처럼",
    "보다", "이랑", "하고", "라도", "마저", "조차", "은", "는", "이", "가", "을", "를", "의",
    "에", "로", "와", "과", "도", "만", "랑", "께",
)  # fmt: skip

_URL = re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)
_HANDLE_OR_TAG = re.compile(r"[@#＃][\w가-힣]+")
_HANGUL = re.compile(r"[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]")


def _phrase_tokens(phrases: tuple[str, ...]) -> list[tuple[str, ...]]:
    return sorted((tuple(p.split()) for p in phrases), key=len, reverse=True)


_REQUEST_PHRASES = _phrase_tokens(KO_REQUEST_PHRASES + EN_REQUEST_PHRASES)


def normalise(text: str) -> str:
    """Return text compared as: NFKC, case folded, no URLs, @mentions, #hashtags or punctuation."""
    text = unicodedata.normalize("NFKC", text or "").casefold()
    text = _URL.sub(" ", text)
    text = _HANDLE_OR_TAG.sub(" ", text)
    kept = [ch if unicodedata.category(ch)[0] in "LNM" else " " for ch in text]
    return " ".join("".join(kept).split())


def has_hangul(word: str) -> bool:
    return _HANGUL.search(word) is not None


def stem(word: str) -> str:
    """Cut one particle off a Korean word's end when two characters or more remain."""
    if not has_hangul(word):
        return word
    for particle in KO_PARTICLES:
        if word.endswith(particle) and len(word) - len(particle) >= MIN_TERM_LENGTH:
            return word[: -len(particle)]
    return word


@dataclass(frozen=True)
class KeyTerms:
    """A text's key words, the request words left out, and the normalised text."""

    terms: tuple[str, ...]
    ignored: tuple[str, ...]
    text: str

    @cached_property
    def words(self) -> frozenset[str]:
        return frozenset(_fold_plural(w) for w in self.text.split())

    @cached_property
    def squeezed(self) -> str:
        return self.text.replace(" ", "")


def _fold_plural(word: str) -> str:
    if not has_hangul(word) and len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


@dataclass
class _Token:
    word: str
    after_request: bool  # first in the text, or right after a request phrase
    before_request: bool = False  # right before a request phrase or glued ending


def _remove_phrases(tokens: list[str], ignored: list[str]) -> list[_Token]:
    """Drop request phrases; mark the words right before and after one."""
    out: list[_Token] = []
    i = 0
    after = True  # the start of the text counts as "right after a request"
    while i < len(tokens):
        for phrase in _REQUEST_PHRASES:
            if tuple(tokens[i : i + len(phrase)]) == phrase:
                ignored.append(" ".join(phrase))
                if out:
                    out[-1].before_request = True
                i += len(phrase)
                after = True
                break
        else:
            out.append(_Token(tokens[i], after))
            after = False
            i += 1
    return out


def _cut_glued(token: _Token, ignored: list[str]) -> None:
    """Cut a request ending glued to a Korean word ("추가해주세요" → "추가")."""
    if not has_hangul(token.word):
        return
    for ending in KO_GLUED_ENDINGS:
        if token.word.endswith(ending) and len(token.word) > len(ending):
            ignored.append(ending)
            token.word = token.word[: -len(ending)]
            token.before_request = True
            return


def _request_word(token: _Token, ignored: list[str]) -> str:
    """Return the token without the Korean ending that asks ("" if it is all request)."""
    word = token.word
    if not (token.before_request and has_hangul(word)):
        return word
    for ending in KO_CONDITIONAL_ENDINGS:  # "이월되면 좋겠어요" → "이월"
        if word.endswith(ending):
            ignored.append(ending)
            word = word[: -len(ending)]
            break
    else:
        if word.endswith("해"):  # "추가해 주세요" → "추가"
            ignored.append("해")
            word = word[:-1]
    if word in KO_REQUEST_VERBS:
        ignored.append(word)
        return ""
    return word


@lru_cache(maxsize=8192)
def key_terms(text: str) -> KeyTerms:
    """Return the key words of text: normalised, request and politeness words left out.

    Cached: the importer compares each mention with a few popular ideas over and over, and
    a KeyTerms is immutable.
    """
    normal = normalise(text)
    ignored: list[str] = []
    kept: list[str] = []
    optional: list[str] = []  # request verbs and stop words: left out if enough words remain
    for token in _remove_phrases(normal.split(), ignored):
        _cut_glued(token, ignored)
        word = _request_word(token, ignored)
        if not word:
            continue
        term = stem(word)
        if (token.after_request and term in EN_REQUEST_VERBS) or term in EN_STOP_WORDS:
            optional.append(term)
        elif len(term) >= MIN_TERM_LENGTH and term not in kept:
            kept.append(term)
    if len(kept) < MIN_TERMS:
        kept.extend(t for t in dict.fromkeys(optional) if len(t) >= MIN_TERM_LENGTH)
    else:
        ignored.extend(t for t in optional if t in EN_REQUEST_VERBS)
    return KeyTerms(tuple(kept[:MAX_TERMS]), tuple(dict.fromkeys(ignored)), normal)


def contains(haystack: KeyTerms, term: str) -> bool:
    """Tell whether term is in the text: Korean as a substring (spaces ignored), else a word."""
    if has_hangul(term):
        return term.replace(" ", "") in haystack.squeezed
    return _fold_plural(term) in haystack.words


@dataclass(frozen=True)
class Match:
    """Why a mention matches an idea (stored on the mention log and shown to staff)."""

    idea_id: int
    score: float
    coverage: float
    matched: tuple[str, ...]
    missing: tuple[str, ...]
    ignored: tuple[str, ...]
    terms: int = field(default=0)

    @property
    def clear(self) -> bool:
        return (
            self.terms >= MIN_TERMS and self.score >= CLEAR_MATCH and self.coverage >= MIN_COVERAGE
        )

    def detail(self) -> dict[str, Any]:
        """The match as stored in MentionLog.match_detail."""
        return {
            "idea_id": self.idea_id,
            "score": round(self.score, 3),
            "coverage": round(self.coverage, 3),
            "matched": list(self.matched),
            "missing": list(self.missing),
            "ignored": list(self.ignored),
        }


def compare(mention: KeyTerms, idea_id: int, title: str, body: str) -> Match:
    """Score how well the mention's key words are found in an idea's title and body."""
    title_terms = key_terms(title)
    body_terms = key_terms(body) if body else KeyTerms((), (), "")
    total = 0.0
    matched: list[str] = []
    missing: list[str] = []
    for term in mention.terms:
        if contains(title_terms, term):
            total += 1.0
            matched.append(term)
        elif body and contains(body_terms, term):
            total += 0.5
            matched.append(term)
        else:
            missing.append(term)
    score = total / len(mention.terms) if mention.terms else 0.0
    wanted = title_terms.terms
    found = sum(1 for t in wanted if contains(mention, t) or contains(mention, stem(t)))
    coverage = found / len(wanted) if wanted else 0.0
    return Match(
        idea_id=idea_id,
        score=score,
        coverage=coverage,
        matched=tuple(matched),
        missing=tuple(missing),
        ignored=mention.ignored,
        terms=len(mention.terms),
    )
