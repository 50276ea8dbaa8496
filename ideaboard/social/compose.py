"""Compose the posts that go back to X: stage replies that fit X's 280 weighted characters."""

from __future__ import annotations

from twitter_text import parse_tweet

from ..i18n import supported_language
from ..text import graphemes

MAX_WEIGHTED = 280
ELLIPSIS = "…"

# Default reply templates per stage and language. {title} is shortened to fit; {url} and
# {signature} never are.
STAGE_TEMPLATES: dict[str, dict[str, str]] = {
    "under-review": {
        "ko": '[검토 중] "{title}" 아이디어를 검토하고 있습니다. {url} ^{signature}',
        "en": '[Under review] We are looking at your idea "{title}". {url} ^{signature}',
    },
    "planned": {
        "ko": '[계획됨] "{title}" 아이디어를 개선 계획에 넣었습니다. {url} ^{signature}',
        "en": '[Planned] Your idea "{title}" is on our plan. {url} ^{signature}',
    },
    "in-progress": {
        "ko": '[진행 중] "{title}" 아이디어를 만들고 있습니다. {url} ^{signature}',
        "en": '[In progress] We are building your idea "{title}". {url} ^{signature}',
    },
    "launched": {
        "ko": '[출시] "{title}" 아이디어가 실현되었습니다. 감사합니다! {url} ^{signature}',
        "en": '[Launched] Your idea "{title}" is live. Thank you! {url} ^{signature}',
    },
    "declined": {
        "ko": '[보류] "{title}" 아이디어는 이번에는 반영하지 못합니다. 이유: {url} ^{signature}',
        "en": '[Declined] We cannot take "{title}" forward now. Why: {url} ^{signature}',
    },
    "duplicate": {
        "ko": '[중복] "{title}" 아이디어는 이미 있는 아이디어와 합쳤습니다. {url} ^{signature}',
        "en": '[Duplicate] We merged "{title}" with an existing idea. {url} ^{signature}',
    },
}
FALLBACK_TEMPLATE = {
    "ko": '[{stage}] "{title}" 아이디어의 상태가 바뀌었습니다. {url} ^{signature}',
    "en": '[{stage}] Your idea "{title}" has a new status. {url} ^{signature}',
}


LAUNCH_ANNOUNCEMENT = {
    "ko": '[출시] 고객님의 아이디어 "{title}"이(가) 실현되었습니다. 제안: {author} {url}',
    "en": '[Launched] A customer idea is live: "{title}", suggested by {author}. {url}',
}


def weighted_length(text: str) -> int:
    """Return X's weighted length of text (CJK weighs 2, a URL 23)."""
    return int(parse_tweet(text).weightedLength)


def fit(template: str, title: str, **values: str) -> str:
    """Fill template, shortening only the title until the post fits in 280 weighted chars."""
    text = template.format(title=title, **values)
    if weighted_length(text) <= MAX_WEIGHTED:
        return text
    clusters = graphemes(title)
    low, high = 0, len(clusters)
    best = template.format(title=ELLIPSIS, **values)
    # Binary search on the number of graphemes kept: length grows with the prefix.
    while low <= high:
        middle = (low + high) // 2
        short = "".join(clusters[:middle]).rstrip() + ELLIPSIS
        candidate = template.format(title=short, **values)
        if weighted_length(candidate) <= MAX_WEIGHTED:
            best, low = candidate, middle + 1
        else:
            high = middle - 1
    if weighted_length(best) > MAX_WEIGHTED:
        raise ValueError("the template is too long even with an empty title")
    return best


def compose_stage_reply(
    *,
    stage_slug: str,
    stage_name: str,
    lang: str,
    title: str,
    url: str,
    signature: str,
    template: str | None = None,
) -> str:
    """Return the reply announcing a stage change, in lang ('ko' or 'en'), within 280.

    template overrides the default wording; pass url="" to leave the link out.
    """
    lang = supported_language(lang, "en")
    template = template or STAGE_TEMPLATES.get(stage_slug, FALLBACK_TEMPLATE)[lang]
    text = fit(template, title, url=url, signature=signature or "IB", stage=stage_name)
    return " ".join(text.split())


def compose_launch(
    *, lang: str, title: str, url: str, author: str, template: str | None = None
) -> str:
    """Return the brand-account post announcing a launched idea, within 280."""
    lang = supported_language(lang, "en")
    text = fit(template or LAUNCH_ANNOUNCEMENT[lang], title, url=url, author=author)
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
    kind: str, *, lang: str, url: str, signature: str, template: str | None = None
) -> str:
    """Return the acknowledgement reply for an imported ('imported') or matched idea."""
    lang = supported_language(lang, "en")
    template = template or ACK_TEMPLATES[kind][lang]
    text = " ".join(template.format(url=url, signature=signature or "IB").split())
    if weighted_length(text) > MAX_WEIGHTED:
        raise ValueError("acknowledgement template too long")
    return text
