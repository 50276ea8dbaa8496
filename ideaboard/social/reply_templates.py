"""Reply wording: built-in defaults per language, overridden by admins per kind/stage/lang."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.wrappers import Response

from ..campaigns.wording import CAMPAIGN_CLOSED, CAMPAIGN_OPENED
from ..database import utcnow
from ..errors import ValidationFailed
from ..extensions import db
from ..i18n import SUPPORTED_LOCALES, display_name, reply_stage_name, supported_language
from ..ideas.attribution import network_name
from ..ideas.forms import ActionForm
from ..text import clean_text
from ..triage.models import Stage, StageRole
from ..triage.permissions import admin_required, staff_required
from . import placeholders
from .answers import ANSWER_TEMPLATES
from .compose import (
    ACK_TEMPLATES,
    FALLBACK_TEMPLATE,
    LAUNCH_ANNOUNCEMENT,
    STAGE_TEMPLATES,
    X_LIMIT,
    compose_stage_posts,
)
from .models import ReplyTemplate
from .networks import NETWORKS

LANGS = SUPPORTED_LOCALES
KINDS = (
    "stage", "ack_imported", "ack_matched", "launch_announcement", "ack_launched", "ack_declined",
    "campaign_opened", "campaign_closed",
)  # fmt: skip
PLACEHOLDERS = {
    "stage": {"title", "url", "signature", "stage", "note"},
    "ack_imported": {"url", "signature"},
    "ack_matched": {"url", "signature"},
    "launch_announcement": {"title", "url", "author"},
    # A mention repeating a launched or declined idea (social/answers.py).
    "ack_launched": {"title", "url", "signature"},
    "ack_declined": {"title", "url", "note", "signature"},
    # Posts on the brand accounts when a campaign opens and closes (campaigns/announce.py).
    "campaign_opened": {"title", "hashtag", "deadline", "url", "signature"},
    "campaign_closed": {"title", "hashtag", "ideas", "launched", "url", "signature"},
}
# Placeholders a kind's wording must use: a campaign post without its hashtag asks for ideas
# nobody can tag (the link may be left out, the hashtag may not).
REQUIRED = {
    "campaign_opened": {"hashtag"},
    "campaign_closed": {"hashtag"},
}
CAMPAIGN_DEFAULTS = {"campaign_opened": CAMPAIGN_OPENED, "campaign_closed": CAMPAIGN_CLOSED}

bp = Blueprint("reply_templates", __name__, url_prefix="/staff/reply-templates")


@dataclass(frozen=True)
class Wording:
    text: str
    include_link: bool
    custom: bool
    network: str = ""  # the network a custom wording is for ("" = every network)


def default_text(kind: str, stage_slug: str, lang: str) -> str:
    """Return the built-in template."""
    if kind == "stage":
        return STAGE_TEMPLATES.get(stage_slug, FALLBACK_TEMPLATE)[lang]
    if kind == "launch_announcement":
        return LAUNCH_ANNOUNCEMENT[lang]
    if kind in CAMPAIGN_DEFAULTS:
        return CAMPAIGN_DEFAULTS[kind][lang]
    if kind in ("ack_launched", "ack_declined"):
        return ANSWER_TEMPLATES[kind.removeprefix("ack_")][lang]
    return ACK_TEMPLATES[kind.removeprefix("ack_")][lang]


def wording(kind: str, stage_slug: str, lang: str, network: str = "") -> Wording:
    """Return the template in force for (kind, stage, lang) on a network: the admin's for
    that network, else the admin's for every network, else the default."""
    lang = supported_language(lang, "en")
    found = db.session.scalars(
        select(ReplyTemplate).where(
            ReplyTemplate.kind == kind,
            ReplyTemplate.stage_slug == (stage_slug if kind == "stage" else ""),
            ReplyTemplate.lang == lang,
            ReplyTemplate.network.in_({network, ""}),
        )
    ).all()
    custom = min(found, key=lambda t: t.network == "", default=None)  # the network's first
    if custom is not None:
        return Wording(custom.text, custom.include_link, True, custom.network)
    return Wording(
        default_text(kind, stage_slug, lang),
        default_include_link(kind, stage_slug, network),
        False,
    )


def default_include_link(kind: str, stage_slug: str, network: str = "") -> bool:
    """Whether the built-in wording carries the idea's link.

    The acknowledgement gives the link once; on X stage replies carry the staff note instead
    (a post with a URL costs IDEABOARD_X_COST_POST_WITH_URL, about 13 times a plain one),
    except the launched reply, and the launch announcement. On a free network (Bluesky,
    Mastodon) every reply carries the link. Admins turn it on or off per template.
    """
    if kind != "stage":
        return True
    if network in NETWORKS and not NETWORKS[network].paid:
        return True
    stage = db.session.scalar(select(Stage).where(Stage.slug == stage_slug))
    return stage is not None and stage.has_role(StageRole.LAUNCHED)


def _template_problem(kind: str, error: placeholders.TemplateError) -> str:
    """Say in the reader's language what is wrong with a template, naming the piece."""
    allowed = ", ".join("{" + n + "}" for n in sorted(PLACEHOLDERS[kind]))
    if error.problem == "brace":
        return str(_("Braces must pair up, like {title}; write {{ or }} for a brace itself."))
    if error.problem == "spec":
        return str(
            _(
                "%(piece)s: formatting after “:” is not allowed; write just the name.",
                piece=error.piece,
            )
        )
    if error.problem == "conversion":
        return str(
            _(
                "%(piece)s: conversions with “!” are not allowed; write just the name.",
                piece=error.piece,
            )
        )
    if error.problem == "access":
        return str(
            _(
                "%(piece)s: only plain names are allowed: %(allowed)s.",
                piece=error.piece,
                allowed=allowed,
            )
        )
    return str(
        _("Unknown placeholder: %(names)s. Use %(allowed)s.", names=error.piece, allowed=allowed)
    )


def validate_template(kind: str, text: str, network: str = "") -> str:
    """Check the placeholders and that the template leaves room for a title on the network
    (X's rule, the strictest for Korean, for a wording every network uses); return it."""
    text = " ".join(text.split())
    if not text:
        raise ValidationFailed(_("The template is empty."), field="text")
    try:
        used = placeholders.check(text, PLACEHOLDERS[kind])
    except placeholders.TemplateError as error:
        raise ValidationFailed(_template_problem(kind, error), field="text") from None
    missing = REQUIRED.get(kind, set()) - used
    if missing:
        raise ValidationFailed(
            _(
                "The wording must contain %(names)s.",
                names=", ".join("{" + n + "}" for n in sorted(missing)),
            ),
            field="text",
        )
    sample = placeholders.render(
        text,
        {
            "title": "…",
            "url": "https://example.com/ideas/1",
            "signature": "AB",
            "stage": "Stage",
            "note": "…",
            "author": "x",
            # A campaign: a hashtag of a usual length, the longest deadline format, counts.
            "hashtag": "가" * 12,
            "deadline": "12월 31일 23:59 GMT+05:30",
            "ideas": "1000",
            "launched": "100",
        },
    )
    limit = NETWORKS[network].limit if network in NETWORKS else X_LIMIT
    if limit.measure(sample) > limit.maximum - 20:
        raise ValidationFailed(
            _(
                "The template is too long for a post on %(network)s, even with a short title.",
                network=network_name(network or "x"),
            ),
            field="text",
        )
    return text


def _stages() -> list[Stage]:
    return list(db.session.scalars(select(Stage).order_by(Stage.position, Stage.id)))


def _rows(network: str) -> list[tuple[str, str, str, Wording]]:
    rows = []
    for stage in _stages():
        if stage.has_role(StageRole.INITIAL):  # nobody is answered by "it is new"
            continue
        for lang in LANGS:
            rows.append(("stage", stage.slug, lang, wording("stage", stage.slug, lang, network)))
    for kind in KINDS[1:]:
        for lang in LANGS:
            rows.append((kind, "", lang, wording(kind, "", lang, network)))
    return rows


def _network_arg(value: str | None) -> str:
    """The network a templates page or form is about ("" = every network); 400 otherwise."""
    value = value or ""
    if value and value not in NETWORKS:
        abort(400)
    return value


# What the preview on the templates page fills in: a note long enough to need a thread.
SAMPLE = {
    "ko": {
        "title": "데이터 이월 서비스",
        "handle": "minji",
        "note": "검토 결과 내년 1분기 요금제 개편에 반영하기로 했습니다. 네트워크 팀이 이 일을 "
        "맡았고, 해외 로밍 중에 남은 데이터를 다음 달로 넘기는 방식과 가족 회선끼리 나누어 쓰는 "
        "방식을 함께 시험하고 있습니다. 시험이 끝나면 일정과 조건을 이 페이지와 답글로 다시 "
        "알려드리겠습니다. 기다려 주셔서 고맙습니다.",
    },
    "en": {
        "title": "Roll over unused data",
        "handle": "jisoo",
        "note": "We will include this in the plan changes of the first quarter next year. The "
        "network team owns it and is testing two ways to do it: carrying unused data into the "
        "next month, and sharing it between family lines. When the test ends we will post the "
        "date and the conditions on the idea's page and reply here again. Thank you for waiting.",
    },
}


def preview(stage: Stage, lang: str, words: Wording, network: str = "") -> list[str]:
    """Return the posts a stage change with the sample note would send (the thread in full)
    on the network (X's rule for a wording every network uses)."""
    sample = SAMPLE[supported_language(lang, "en")]
    page = str(current_app.config["IDEABOARD_PUBLIC_URL"]).rstrip("/") + "/ideas/1"
    try:
        return compose_stage_posts(
            stage_slug=stage.slug,
            stage_name=reply_stage_name(stage, lang),
            lang=lang,
            title=sample["title"],
            url=page if words.include_link else "",
            signature="KG",
            template=words.text,
            note=sample["note"],
            handle=sample["handle"],
            more_url=page,
            limit=NETWORKS[network].limit if network in NETWORKS else X_LIMIT,
        )
    except ValueError:  # a stored template too long for any title
        return []


@bp.get("/")
@staff_required
def index() -> str:
    """List every reply template in force (admins edit them), with a preview of each reply;
    ?network=bluesky shows (and edits) the wording of one network's posts."""
    network = _network_arg(request.args.get("network"))
    limit = NETWORKS[network].limit if network in NETWORKS else X_LIMIT
    stages = {s.slug: s for s in _stages()}
    rows = _rows(network)
    previews = {
        (slug, lang): [
            (text, limit.measure(text)) for text in preview(stages[slug], lang, w, network)
        ]
        for kind, slug, lang, w in rows
        if kind == "stage"
    }
    stage_names = {slug: display_name(stage) for slug, stage in stages.items()}
    return render_template(
        "social/reply_templates.html",
        rows=rows,
        stage_names=stage_names,
        previews=previews,
        action_form=ActionForm(),
        placeholders=PLACEHOLDERS,
        network=network,
        networks=NETWORKS,
        limit=limit,
    )


@bp.post("/")
@admin_required
def save() -> Response | tuple[str, int]:
    """Save (or, with reset, delete) the admin's wording for one kind/stage/lang."""
    ActionForm().validate_on_submit()
    kind = request.form.get("kind", "")
    stage_slug = request.form.get("stage_slug", "") if kind == "stage" else ""
    lang = request.form.get("lang", "")
    network = _network_arg(request.form.get("network"))
    back = url_for("reply_templates.index", network=network or None)
    if kind not in KINDS or lang not in LANGS:
        abort(400)
    existing = db.session.scalar(
        select(ReplyTemplate).where(
            ReplyTemplate.kind == kind,
            ReplyTemplate.stage_slug == stage_slug,
            ReplyTemplate.lang == lang,
            ReplyTemplate.network == network,
        )
    )
    if request.form.get("reset"):
        if existing is not None:
            db.session.delete(existing)
            db.session.commit()
        flash(_("Back to the default wording."), "success")
        return redirect(back)
    try:
        # The shared text rules first: no control or bidi characters (NUL would 500 on PostgreSQL).
        text = validate_template(
            kind, clean_text(request.form.get("text"), field="text", label=_("Wording")), network
        )
    except ValidationFailed as error:
        flash(error.message, "error")
        return redirect(back)
    if existing is None:
        existing = ReplyTemplate(
            kind=kind, stage_slug=stage_slug, lang=lang, network=network, text=text
        )
        db.session.add(existing)
    existing.text = text
    existing.include_link = bool(request.form.get("include_link"))
    existing.updated_at = utcnow()
    db.session.commit()
    flash(_("The template is saved."), "success")
    return redirect(back)
