"""Compose the posts that go back to the networks: stage replies that fit each post's limit.

Every function takes the network's PostLimit (networks.limit_for gives an account's); the
default is X's 280 weighted characters, the strictest for Korean text.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from twitter_text import parse_tweet

from ..i18n import supported_language
from ..text import graphemes
from .placeholders import render

MAX_WEIGHTED = 280
ELLIPSIS = "…"

# Default reply templates per stage and language. {title} is shortened to fit; {note} (the
# staff member's note of the stage change) is never cut: a long one continues in a short thread
# (compose_stage_posts). {url} and {signature} are never shortened. Stage replies leave the link
# out by default (the acknowledgement gave it, and a post with a URL costs X's much higher
# price); the launched reply carries it (reply_templates.default_include_link).
STAGE_TEMPLATES: dict[str, dict[str, str]] = {
    "under-review": {
        "ko": '[검토 중] "{title}" 아이디어를 검토하고 있습니다. {note} {url} ^{signature}',
        "en": '[Under review] We are looking at your idea "{title}". {note} {url} ^{signature}',
    },
    "planned": {
        "ko": '[계획됨] "{title}" 아이디어를 개선 계획에 넣었습니다. {note} {url} ^{signature}',
        "en": '[Planned] Your idea "{title}" is on our plan. {note} {url} ^{signature}',
    },
    "in-progress": {
        "ko": '[진행 중] "{title}" 아이디어를 만들고 있습니다. {note} {url} ^{signature}',
        "en": '[In progress] We are building your idea "{title}". {note} {url} ^{signature}',
    },
    "launched": {
        "ko": '[출시] "{title}" 아이디어가 실현되었습니다. 감사합니다! {note} {url} ^{signature}',
        "en": '[Launched] Your idea "{title}" is live. Thank you! {note} {url} ^{signature}',
    },
    "declined": {
        "ko": '[보류] "{title}" 아이디어는 이번에는 반영하지 못합니다. 이유: {note} {url} '
        "^{signature}",
        "en": '[Declined] We cannot take "{title}" forward now. Why: {note} {url} ^{signature}',
    },
    "duplicate": {
        "ko": '[중복] "{title}" 아이디어는 이미 있는 아이디어와 합쳤습니다. {note} {url} '
        "^{signature}",
        "en": '[Duplicate] We merged "{title}" with an existing idea. {note} {url} ^{signature}',
    },
}
FALLBACK_TEMPLATE = {
    "ko": '[{stage}] "{title}" 아이디어의 상태가 바뀌었습니다. {note} {url} ^{signature}',
    "en": '[{stage}] Your idea "{title}" has a new status. {note} {url} ^{signature}',
}


LAUNCH_ANNOUNCEMENT = {
    "ko": '[출시] 고객님의 아이디어 "{title}"이(가) 실현되었습니다. 제안: {author} {url}',
    "en": '[Launched] A customer idea is live: "{title}", suggested by {author}. {url}',
}


def weighted_length(text: str) -> int:
    """Return X's weighted length of text (CJK weighs 2, a URL 23)."""
    return int(parse_tweet(text).weightedLength)


@dataclass(frozen=True)
class PostLimit:
    """How a network measures a post, and the most one post may measure."""

    maximum: int
    measure: Callable[[str], int]
    unit: str = "weighted characters"

    def fits(self, text: str) -> bool:
        return self.measure(text) <= self.maximum


X_LIMIT = PostLimit(MAX_WEIGHTED, weighted_length)


def fit_title(template: str, title: str, limit: PostLimit = X_LIMIT, **values: str) -> str:
    """Return title, or its longest prefix + "…", with which the filled template fits."""
    if limit.fits(render(template, {**values, "title": title})):
        return title
    clusters = graphemes(title)
    low, high = 0, len(clusters)
    best = ELLIPSIS
    # Binary search on the number of graphemes kept: length grows with the prefix.
    while low <= high:
        middle = (low + high) // 2
        short = "".join(clusters[:middle]).rstrip() + ELLIPSIS
        if limit.fits(render(template, {**values, "title": short})):
            best, low = short, middle + 1
        else:
            high = middle - 1
    if not limit.fits(render(template, {**values, "title": best})):
        raise ValueError("the template is too long even with an empty title")
    return best


def fit(template: str, title: str, limit: PostLimit = X_LIMIT, **values: str) -> str:
    """Fill template, shortening only the title until the post fits."""
    return render(template, {**values, "title": fit_title(template, title, limit, **values)})


def compose_stage_reply(
    *,
    stage_slug: str,
    stage_name: str,
    lang: str,
    title: str,
    url: str,
    signature: str,
    template: str | None = None,
    note: str = "",
    limit: PostLimit = X_LIMIT,
) -> str:
    """Return the first post of the reply announcing a stage change (see compose_stage_posts)."""
    return compose_stage_posts(
        stage_slug=stage_slug,
        stage_name=stage_name,
        lang=lang,
        title=title,
        url=url,
        signature=signature,
        template=template,
        note=note,
        limit=limit,
    )[0]


MAX_POSTS = 3  # a stage reply is at most a first reply and two continuations
CONTINUED = "…"  # ends every post of a thread but the last


def squash(text: str) -> str:
    """Return text on one line with single spaces (notes are multi-line Markdown)."""
    return " ".join(text.split())


def compose_stage_posts(
    *,
    stage_slug: str,
    stage_name: str,
    lang: str,
    title: str,
    url: str,
    signature: str,
    template: str | None = None,
    note: str = "",
    handle: str = "",
    more_url: str = "",
    limit: PostLimit = X_LIMIT,
) -> list[str]:
    """Return the posts announcing a stage change, in lang ('ko' or 'en'), each within limit.

    template overrides the default wording; pass url="" to leave the link out. The staff
    note fills {note} in full: when the reply with the note is over the limit
    it becomes a thread of at most MAX_POSTS posts — the reply, then continuations that
    answer it ("@handle <more of the note> ^signature", handle being the customer's, so they
    are told and two threads never carry the same text). Posts are cut between words only,
    so no word, URL or signature is ever split (a single "word" longer than a whole post, the
    one exception, is split between characters). A note too long even for MAX_POSTS posts ends
    the last one with "… more_url" (the idea's page shows the note in full).
    """
    lang = supported_language(lang, "en")
    template = template or STAGE_TEMPLATES.get(stage_slug, FALLBACK_TEMPLATE)[lang]
    values = {"url": url, "signature": signature or "IB", "stage": stage_name}
    note = squash(note)
    # One post if the whole note fits beside the title, shortened to no fewer than TITLE_KEEP
    # characters (the customer wrote the title; the note is the news)…
    single = _single_post(template, title, note, values, limit)
    if single is not None:
        return [single]
    # …else a thread, whose first post shortens the title only as it would without a note.
    fitted_title = fit_title(template, title, limit, **values, note="")
    words = note.split(" ") if note else []

    def first(part: list[str], more: bool) -> str:
        shown = " ".join(part) + (f" {CONTINUED}" if more and part else "")
        return squash(render(template, {**values, "title": fitted_title, "note": shown}))

    prefix = f"@{handle} " if handle else ""
    suffix = f" ^{values['signature']}"

    def continuation(part: list[str], more: bool, link: str = "") -> str:
        tail = f" {CONTINUED}" if more else ""
        if link:
            tail = f" {CONTINUED} {link}"
        return squash(prefix + " ".join(part) + tail + suffix)

    posts = []
    taken = _take(words, lambda part: first(part, True), limit)
    posts.append(first(words[:taken], True))
    rest = words[taken:]
    while rest:
        last = len(posts) == MAX_POSTS - 1
        if limit.fits(continuation(rest, False)):
            posts.append(continuation(rest, False))
            break
        if last:
            rest = _split_long_word(rest, lambda part: continuation(part, True, more_url), limit)
            taken = _take(rest, lambda part: continuation(part, True, more_url), limit)
            posts.append(continuation(rest[:taken], True, more_url))
            break
        rest = _split_long_word(rest, lambda part: continuation(part, True), limit)
        taken = _take(rest, lambda part: continuation(part, True), limit)
        posts.append(continuation(rest[:taken], True))
        rest = rest[taken:]
    return posts


TITLE_KEEP = 30  # graphemes of a long title kept when shortening it makes room for the note


def _single_post(
    template: str, title: str, note: str, values: dict[str, str], limit: PostLimit
) -> str | None:
    """Return the reply with the whole note in one post, if the title can stay long enough."""
    try:
        short = fit_title(template, title, limit, **values, note=note)
    except ValueError:  # not even an empty title leaves room for the note
        return None
    if short != title and len(graphemes(short)) - 1 < TITLE_KEEP:
        return None
    return squash(render(template, {**values, "title": short, "note": note}))


def _take(words: list[str], make: Callable[[list[str]], str], limit: PostLimit) -> int:
    """Return how many of words fit in the post make(words[:n]) (0 if not even one)."""
    taken = 0
    while taken < len(words) and limit.fits(make(words[: taken + 1])):
        taken += 1
    return taken


def _split_long_word(
    words: list[str], make: Callable[[list[str]], str], limit: PostLimit
) -> list[str]:
    """Split words[0] between characters if it cannot fit in a post on its own."""
    if not words or limit.fits(make(words[:1])):
        return words
    clusters = graphemes(words[0])
    keep = 0
    while keep < len(clusters) and limit.fits(make(["".join(clusters[: keep + 1])])):
        keep += 1
    keep = max(keep, 1)
    return ["".join(clusters[:keep]), "".join(clusters[keep:]), *words[1:]]


def compose_launch(
    *,
    lang: str,
    title: str,
    url: str,
    author: str,
    template: str | None = None,
    limit: PostLimit = X_LIMIT,
) -> str:
    """Return the brand-account post announcing a launched idea, within limit."""
    lang = supported_language(lang, "en")
    text = fit(template or LAUNCH_ANNOUNCEMENT[lang], title, limit, url=url, author=author)
    return " ".join(text.split())


ACK_TEMPLATES = {
    "imported": {
        "ko": "아이디어 고맙습니다! 진행 상황은 여기에서 알려드릴게요: {url} ^{signature}",
        "en": "Thanks for the idea! Follow its progress here: {url} ^{signature}",
    },
    "matched": {
        "ko": "비슷한 아이디어가 이미 있어 한 표로 더했습니다. 함께 지켜봐 주세요: "
        "{url} ^{signature}",
        "en": "A similar idea is already on our board, so we added your vote: {url} ^{signature}",
    },
}


def compose_ack(
    kind: str,
    *,
    lang: str,
    url: str,
    signature: str,
    template: str | None = None,
    limit: PostLimit = X_LIMIT,
) -> str:
    """Return the acknowledgement reply for an imported ('imported') or matched idea."""
    lang = supported_language(lang, "en")
    template = template or ACK_TEMPLATES[kind][lang]
    text = " ".join(render(template, {"url": url, "signature": signature or "IB"}).split())
    if not limit.fits(text):
        raise ValueError("acknowledgement template too long")
    return text
