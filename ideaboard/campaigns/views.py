"""Campaign pages: the public list, a campaign with its ideas and form, its results; staff
pages to create, edit and close campaigns."""

from __future__ import annotations

import logging
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.wrappers import Response

from ..accounts.blocking import UserBlocked
from ..accounts.guards import login_required
from ..errors import DomainError
from ..extensions import db, limiter
from ..forms import SelectChoice, apply_domain_error
from ..i18n import display_name
from ..ideas import queries
from ..ideas import services as ideas
from ..ideas.models import Idea
from ..pagecache import cache_for_visitors, forget_pages
from ..paging import page_number, paginate
from ..triage.models import StageRole
from ..triage.permissions import staff_required
from ..web import RATE_LIMITED_FORMS
from . import services
from .forms import CampaignForm, CampaignIdeaForm, CloseForm, staff_zone, to_local, to_utc
from .models import Campaign, CampaignState

bp = Blueprint("campaigns", __name__)
logger = logging.getLogger(__name__)

IDEAS_PER_PAGE = 30


def _viewer() -> Any:
    return current_user._get_current_object() if current_user.is_authenticated else None


# --- public pages -----------------------------------------------------------------------------


@bp.get("/campaigns")
@cache_for_visitors
def index() -> str:
    """Open campaigns first (closing soonest first), then closed ones."""
    campaigns = services.public_campaigns()
    counts = {c.id: services.campaign_counts(c) for c in campaigns}
    return render_template("campaigns/index.html", campaigns=campaigns, counts=counts)


def _campaign_ideas(campaign: Campaign, viewer: Any) -> Any:
    """One page of the campaign's ideas the viewer may see, most votes first."""
    query = (
        queries.visible_ideas(viewer)
        .where(Idea.campaign_id == campaign.id)
        .order_by(Idea.score.desc(), Idea.id.desc())
    )
    return paginate(query, page_number(request.args.get("page")), IDEAS_PER_PAGE)


def _show_page(campaign: Campaign, form: CampaignIdeaForm | None = None) -> str:
    viewer = _viewer()
    page = _campaign_ideas(campaign, viewer)
    my_votes = queries.votes_on(viewer, [idea.id for idea in page.items]) if viewer else {}
    return render_template(
        "campaigns/show.html",
        campaign=campaign,
        page=page,
        my_votes=my_votes,
        counts=services.campaign_counts(campaign),
        form=form or CampaignIdeaForm(),
        open=campaign.state is CampaignState.OPEN,
    )


@bp.get("/campaigns/<slug>")
@cache_for_visitors
def show(slug: str) -> str:
    """A campaign: what it is about, its deadline, its ideas by votes, and (while open) a form."""
    campaign = services.get_campaign(slug, _viewer())
    return _show_page(campaign)


@bp.post("/campaigns/<slug>/ideas")
@login_required
@limiter.limit(lambda: current_app.config["IDEABOARD_LIMIT_SUBMIT"])
def submit(slug: str) -> Response | tuple[str, int]:
    """Submit an idea to the campaign (refused after its deadline)."""
    viewer = current_user._get_current_object()
    campaign = services.get_campaign(slug, viewer)
    form = CampaignIdeaForm()
    status = 422
    if form.validate_on_submit():
        try:
            idea = ideas.submit_idea(
                viewer, form.title.data or "", form.body.data or "", campaign=campaign
            )
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            blocked = isinstance(error, UserBlocked)
            closed = isinstance(error, services.CampaignClosed)
            apply_domain_error(form, error, None if blocked or closed else "title")
            if closed and error.message not in form.form_errors:
                form.form_errors.append(error.message)
            status = 403 if blocked else 409 if closed else status
        else:
            forget_pages()
            flash(_("Thank you! Your idea is in the campaign."), "success")
            return redirect(url_for("ideas.show", idea_id=idea.id))
    return _show_page(campaign, form), status


def _results_context(campaign: Campaign, viewer: Any) -> dict[str, Any]:
    rows = list(
        db.session.scalars(
            queries.visible_ideas(viewer)
            .where(Idea.campaign_id == campaign.id)
            .order_by(Idea.score.desc(), Idea.id.desc())
            .limit(1000)  # a campaign's results page; the ideas beyond are on its pages
        )
    )
    by_stage: dict[int, dict[str, Any]] = {}
    launched: list[Idea] = []
    for idea in rows:
        stage = idea.stage_for(viewer)
        group = by_stage.setdefault(stage.id, {"stage": stage, "ideas": []})
        group["ideas"].append(idea)
        if stage.has_role(StageRole.LAUNCHED):
            launched.append(idea)
    groups = sorted(by_stage.values(), key=lambda g: (g["stage"].position, g["stage"].id))
    return {"groups": groups, "launched": launched, "total": len(rows)}


@bp.get("/campaigns/<slug>/results")
@cache_for_visitors
def results(slug: str) -> str:
    """What came of the campaign: its ideas by stage, what launched, the counts."""
    viewer = _viewer()
    campaign = services.get_campaign(slug, viewer)
    return render_template(
        "campaigns/results.html",
        campaign=campaign,
        counts=services.campaign_counts(campaign),
        final=campaign.state is CampaignState.CLOSED,
        **_results_context(campaign, viewer),
    )


# --- staff pages ------------------------------------------------------------------------------


def _category_choices() -> list[SelectChoice]:
    return [SelectChoice("", _("— No category —"))] + [
        SelectChoice(c.slug, display_name(c)) for c in queries.all_categories()
    ]


def _form(campaign: Campaign | None = None) -> CampaignForm:
    zone = staff_zone()
    if campaign is not None and request.method == "GET":
        form = CampaignForm(
            data={
                "title": campaign.title,
                "description": campaign.description,
                "hashtag": "#" + campaign.hashtag,
                "category": campaign.category.slug if campaign.category else "",
                "opens_at": to_local(campaign.opens_at, zone),
                "closes_at": to_local(campaign.closes_at, zone),
                "announce": campaign.announce,
                "slug": campaign.slug,
            }
        )
    else:
        form = CampaignForm()
    form.category.choices = _category_choices()
    return form


def _save(form: CampaignForm, campaign: Campaign | None) -> Campaign | None:
    """Validate and save the form; the campaign, or None with the errors on the form."""
    if not form.validate_on_submit():
        return None
    zone = staff_zone()
    values: dict[str, Any] = {
        "title": form.title.data,
        "description": form.description.data or "",
        "hashtag": form.hashtag.data,
        "category_slug": form.category.data or None,
        "opens_at": to_utc(form.opens_at.data, zone),
        "closes_at": to_utc(form.closes_at.data, zone),
        "announce": bool(form.announce.data),
        "slug": form.slug.data,
    }
    by = current_user._get_current_object()
    try:
        if campaign is None:
            saved = services.create_campaign(by, **values)
        else:
            saved = services.update_campaign(campaign, by, **values)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        apply_domain_error(form, error, "title")
        return None
    forget_pages()
    return saved


@bp.get("/staff/campaigns")
@staff_required
def staff_list() -> str:
    """Every campaign with its state and counts, and the links to edit them."""
    campaigns = services.all_campaigns()
    counts = {c.id: services.campaign_counts(c) for c in campaigns}
    return render_template(
        "campaigns/staff_list.html", campaigns=campaigns, counts=counts, close_form=CloseForm()
    )


@bp.route("/staff/campaigns/new", methods=["GET", "POST"])
@staff_required
def create() -> Response | tuple[str, int]:
    """Open a new campaign."""
    form = _form()
    saved = _save(form, None)
    if saved is not None:
        flash(_("The campaign is saved."), "success")
        return redirect(url_for("campaigns.staff_list"))
    status = 422 if form.is_submitted() else 200
    return render_template(
        "campaigns/edit.html", form=form, campaign=None, zone=staff_zone()
    ), status


def _staff_campaign(campaign_id: int) -> Campaign:
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None:
        abort(404)
    return campaign


@bp.route("/staff/campaigns/<id:campaign_id>/edit", methods=["GET", "POST"])
@staff_required
def edit(campaign_id: int) -> Response | tuple[str, int]:
    """Change a campaign (a new deadline must lie ahead)."""
    campaign = _staff_campaign(campaign_id)
    form = _form(campaign)
    saved = _save(form, campaign)
    if saved is not None:
        flash(_("The campaign is saved."), "success")
        return redirect(url_for("campaigns.staff_list"))
    status = 422 if form.is_submitted() else 200
    return render_template(
        "campaigns/edit.html", form=form, campaign=campaign, zone=staff_zone()
    ), status


@bp.post("/staff/campaigns/<id:campaign_id>/close")
@staff_required
def close(campaign_id: int) -> Response:
    """Close a campaign now: its deadline becomes this moment."""
    campaign = _staff_campaign(campaign_id)
    form = CloseForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        services.close_now(campaign, current_user._get_current_object())
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        forget_pages()
        flash(_("The campaign is closed."), "success")
    return redirect(url_for("campaigns.staff_list"))


def _submit_limited(message: str) -> str:
    campaign = services.get_campaign(str((request.view_args or {})["slug"]), _viewer())
    form = CampaignIdeaForm()  # filled from the POST that was refused: the text is kept
    form.form_errors.append(message)
    return _show_page(campaign, form)


RATE_LIMITED_FORMS.update({"campaigns.submit": _submit_limited})


@bp.app_context_processor
def _campaign_helpers() -> dict[str, Any]:
    """`has_campaigns()` (the main nav's link) and `campaign_of(idea)` (the badge) in templates."""
    return {"has_campaigns": _has_campaigns, "campaign_of": campaign_of}


def _has_campaigns() -> bool:
    """Whether the main nav links /campaigns: once per request; never an error of its own
    (an error page drawn while the database is away still gets its navigation)."""
    found: bool | None = g.get("_ib_has_campaigns")
    if found is None:
        try:
            found = services.any_public_campaign()
        except SQLAlchemyError:
            logger.warning("could not tell whether campaigns exist", exc_info=True)
            found = False
        g._ib_has_campaigns = found
    return found


def campaign_of(idea: Idea) -> Campaign | None:
    """The idea's campaign for its badge (None for most ideas)."""
    return idea.campaign if idea.__dict__.get("campaign_id") is not None else None
