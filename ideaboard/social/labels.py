"""How the staff pages name the social loop's stored codes, in the reader's language.

The outbox state, the mention outcome and the importer's reason are stored in English (the
API and the logs read them); these functions translate them where people read them.
"""

from __future__ import annotations

import re
from typing import Any

from flask_babel import gettext as _

from ..outbox.models import OutboxKind, OutboxState
from .models import MentionOutcome


def outbox_state_label(state: str) -> str:
    """Name an outbox state ("pending", "sent", …) for people."""
    names: dict[str, str] = {
        OutboxState.PENDING.value: _("pending"),
        OutboxState.SENDING.value: _("sending"),
        OutboxState.SENT.value: _("sent"),
        OutboxState.FAILED.value: _("failed"),
        OutboxState.DEAD.value: _("gave up"),
        OutboxState.CANCELLED.value: _("cancelled"),
        OutboxState.PARKED.value: _("parked (spending cap)"),
        OutboxState.HELD.value: _("waiting for confirmation"),
        OutboxState.SUPERSEDED.value: _("replaced by a newer reply"),
        OutboxState.WAITING.value: _("waiting for the post before it"),
    }
    return names.get(state, state)


def outbox_kind_label(kind: str) -> str:
    """Name an outbox kind ("x_reply", "email", …) for people."""
    names: dict[str, str] = {
        OutboxKind.X_REPLY.value: _("reply on X"),
        OutboxKind.X_POST.value: _("post on X"),
        OutboxKind.BLUESKY_REPLY.value: _("reply on Bluesky"),
        OutboxKind.BLUESKY_POST.value: _("post on Bluesky"),
        OutboxKind.MASTODON_REPLY.value: _("reply on Mastodon"),
        OutboxKind.MASTODON_POST.value: _("post on Mastodon"),
        OutboxKind.EMAIL.value: _("e-mail"),
        OutboxKind.WEBHOOK.value: _("webhook"),
    }
    return names.get(kind, kind)


def mention_outcome_label(outcome: str) -> str:
    """Name what the importer did with a mention ("imported", "skipped", …)."""
    names: dict[str, str] = {
        MentionOutcome.IMPORTED.value: _("imported"),
        MentionOutcome.HELD.value: _("held"),
        MentionOutcome.VOTED.value: _("counted as a vote"),
        MentionOutcome.SKIPPED.value: _("skipped"),
        MentionOutcome.ANSWERED.value: _("answered with an existing idea"),
        MentionOutcome.FAILED.value: _("failed"),
    }
    return names.get(outcome, outcome)


_ABOUT_IDEA = re.compile(
    r"^(reply to idea|voting closed on|matches idea|launched as idea|declined as idea) #(\d+)$"
)
_UNDONE = re.compile(r"^match with #(\d+) undone$")


def mention_reason(reason: str) -> str:
    """Translate the importer's reason (social.importer writes these exact English texts)."""
    fixed: dict[str, str] = {
        "the account's own post": _("the account's own post"),
        "a retweet": _("a repost"),
        "no idea tag": _("no idea tag"),
        "already imported": _("already imported"),
        "held for approval": _("held for approval"),
        "new idea": _("new idea"),
        "campaign closed": _("campaign closed"),
    }
    if reason in fixed:
        return fixed[reason]
    undone = _UNDONE.match(reason)
    if undone is not None:
        return str(_("match with #%(id)d undone by staff", id=int(undone.group(1))))
    match = _ABOUT_IDEA.match(reason)
    if match is None:
        return reason
    kind, number = match.group(1), int(match.group(2))
    if kind == "reply to idea":
        return str(_("reply to idea #%(id)d", id=number))
    if kind == "voting closed on":
        return str(_("voting is closed on #%(id)d", id=number))
    if kind == "launched as idea":
        return str(_("already launched as idea #%(id)d", id=number))
    if kind == "declined as idea":
        return str(_("declined before as idea #%(id)d", id=number))
    return str(_("matches idea #%(id)d", id=number))


def match_why(detail: dict[str, Any] | None) -> str:
    """Say why a mention matched an idea: the words found, the score and what was ignored."""
    if not detail:
        return ""
    matched = [str(w) for w in detail.get("matched", [])]
    total = len(matched) + len(detail.get("missing", []))
    text = str(
        _(
            "%(found)d of %(total)d words match (%(score)d%%): %(words)s",
            found=len(matched),
            total=total,
            score=round(float(detail.get("score", 0)) * 100),
            words=", ".join(matched),
        )
    )
    ignored = [str(w) for w in detail.get("ignored", [])]
    if ignored:
        text += " · " + str(_("ignored: %(words)s", words=", ".join(ignored)))
    if detail.get("via"):
        via = int(detail["via"])
        text += " · " + str(_("matched #%(id)d, which was merged into this idea", id=via))
    return text
