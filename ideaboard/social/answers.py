"""Answer a mention that repeats an idea the board already decided on.

A mention matching a **launched** idea gets "it is already live" with the idea's link; one
matching a **declined** idea gets the decline note. Neither creates an idea or a vote (voting
is closed on both stages everywhere on the board). The wording is a reply template like the
others (kinds `ack_launched` and `ack_declined`, admins override it per language).
"""

from __future__ import annotations

import re

from flask import current_app
from sqlalchemy import select

from ..extensions import db
from ..i18n import supported_language
from ..ideas.models import Idea
from ..outbox.models import OutboxMessage
from ..text import graphemes
from ..triage.models import StageRole, StatusChange
from ..urls import idea_url
from .compose import ELLIPSIS, X_LIMIT, PostLimit
from .models import SocialAccount
from .networks import limit_for, network
from .placeholders import render

ANSWER_TEMPLATES: dict[str, dict[str, str]] = {
    "launched": {
        "ko": '이미 출시된 아이디어입니다: "{title}" 지금 바로 써 보실 수 있습니다. {url} '
        "^{signature}",
        "en": 'Good news: "{title}" has already launched, you can use it today. {url} ^{signature}',
    },
    "declined": {
        "ko": '"{title}" 아이디어는 검토 끝에 이번에는 반영하지 못했습니다. 이유: {note} {url} '
        "^{signature}",
        "en": 'We looked at "{title}" and declined it for now: {note} {url} ^{signature}',
    },
}
_MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MD_MARKS = re.compile(r"[*_`#>]+")


def plain(note: str) -> str:
    """Return a Markdown note as plain one-line text (links keep their words)."""
    return " ".join(_MD_MARKS.sub("", _MD_LINK.sub(r"\1", note)).split())


def _shorten(text: str, keep: int) -> str:
    """Keep the first `keep` graphemes, cut back to a whole word, and add an ellipsis."""
    clusters = graphemes(text)
    if keep >= len(clusters):
        return text
    cut = "".join(clusters[:keep])
    if " " in cut.strip():
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip() + ELLIPSIS


def fit_answer(template: str, values: dict[str, str], limit: PostLimit = X_LIMIT) -> str:
    """Fill template within the post limit, shortening the note, then the title.

    Neither the link nor the signature is ever cut; a note or title is cut at a word.
    """
    values = dict(values)
    for name in ("note", "title"):
        text = " ".join(render(template, values).split())
        if limit.fits(text):
            return text
        original = values.get(name, "")
        low, high, best = 0, len(graphemes(original)), ""
        while low <= high:  # the longest prefix that fits
            middle = (low + high) // 2
            trial = _shorten(original, middle) if middle else ELLIPSIS
            candidate = " ".join(render(template, {**values, name: trial}).split())
            if limit.fits(candidate):
                best, low = trial, middle + 1
            else:
                high = middle - 1
        values[name] = best or ELLIPSIS
    text = " ".join(render(template, values).split())
    if not limit.fits(text):
        raise ValueError("the answer template is too long even with a short title and note")
    return text


def decline_note(idea: Idea) -> str:
    """Return the note of the idea's latest move into the declined stage ("" if none)."""
    change = db.session.scalar(
        select(StatusChange)
        .where(StatusChange.idea_id == idea.id, StatusChange.to_stage_id == idea.stage_id)
        .order_by(StatusChange.created_at.desc(), StatusChange.id.desc())
        .limit(1)
    )
    return plain(change.note) if change is not None else ""


def answer_kind(idea: Idea) -> str | None:
    """Return "launched" or "declined" for an idea in that stage, else None."""
    if idea.stage.has_role(StageRole.LAUNCHED):
        return "launched"
    if idea.stage.has_role(StageRole.DECLINED):
        return "declined"
    return None


def compose_answer(
    kind: str,
    *,
    lang: str,
    title: str,
    url: str,
    note: str,
    signature: str,
    template: str | None = None,
    limit: PostLimit = X_LIMIT,
) -> str:
    """Return the answer to a repeat of a launched or declined idea, within limit."""
    lang = supported_language(lang, "en")
    return fit_answer(
        template or ANSWER_TEMPLATES[kind][lang],
        {"title": title, "url": url, "note": note, "signature": signature or "IB"},
        limit,
    )


def enqueue_answer(
    account: SocialAccount, idea: Idea, kind: str, post_id: str, lang: str | None
) -> OutboxMessage:
    """Queue the answer to post_id about idea (launched or declined)."""
    from .reply_templates import wording

    lang = supported_language(lang, str(current_app.config["IDEABOARD_DEFAULT_LOCALE"]))
    words = wording(f"ack_{kind}", "", lang, account.network)
    text = compose_answer(
        kind,
        lang=lang,
        title=idea.title,
        url=idea_url(idea) if words.include_link else "",
        note=decline_note(idea) if kind == "declined" else "",
        signature=account.signature,
        template=words.text,
        limit=limit_for(account),
    )
    kind_of_row = network(account.network).reply_kind
    row = OutboxMessage(
        kind=kind_of_row,
        account_id=account.id,
        dedupe_key=f"{kind_of_row}:ack:{account.id}:post:{post_id}",
        idea_id=idea.id,
        target=post_id,
        lang=lang,
        text=text,
        payload={"in_reply_to_tweet_id": post_id, "ack": kind},
    )
    db.session.add(row)
    return row
