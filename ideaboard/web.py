"""Request-side wiring: locale choice, current user, template helpers, error pages, headers."""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from babel import Locale, numbers
from flask import (
    Flask,
    Response,
    current_app,
    g,
    has_request_context,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import format_datetime, format_timedelta, get_locale, get_translations
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy import select
from werkzeug.exceptions import HTTPException, SecurityError
from werkzeug.routing import IntegerConverter

from .accounts import sessions
from .accounts.models import User
from .database import utcnow
from .errors import DomainError
from .extensions import db, login_manager
from .i18n import LANGUAGE_NAMES, LOCALE_COOKIE, SUPPORTED_LOCALES, display_name
from .ideas import permissions
from .ideas.attribution import attribution, network_name
from .social import labels as social_labels
from .timezones import zone_label
from .triage import labels as triage_labels
from .urls import public_url_for

logger = logging.getLogger(__name__)


def default_locale() -> str:
    """Return the site's language (IDEABOARD_DEFAULT_LOCALE, e.g. "ko" or "ko-KR")."""
    locales = SUPPORTED_LOCALES
    wanted = str(current_app.config["IDEABOARD_DEFAULT_LOCALE"]).replace("_", "-")
    for candidate in (wanted, wanted.split("-")[0].lower()):
        if candidate in locales:
            return candidate
    return str(locales[0])


def select_locale() -> str | None:
    """Pick the user's setting, else the switcher's cookie, else the browser's, else the site's."""
    locales = SUPPORTED_LOCALES
    if not has_request_context():
        return default_locale()
    if current_user and current_user.is_authenticated and current_user.locale in locales:
        return str(current_user.locale)
    chosen = request.cookies.get(LOCALE_COOKIE)
    if chosen in locales:
        return chosen
    return request.accept_languages.best_match(list(locales)) or default_locale()


def _load_user(login_key: str) -> User | None:
    # The cookies name a sign-in (user_sessions row), not a user: ended sign-ins load nobody.
    return sessions.load(login_key)


def _unauthorized() -> ResponseReturnValue:
    if wants_json():
        return error_response(401, "unauthorized", _("Please log in first."))
    return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))


# Registered by call, not as decorators: flask-login is untyped, and a decorator it returns
# would make the functions untyped too.
login_manager.user_loader(_load_user)
login_manager.unauthorized_handler(_unauthorized)


def wants_json() -> bool:
    """Whether the caller wants JSON, not a page: the one check every view and handler uses.

    Yes for an /api/ path, for the site's own scripts (`X-Requested-With: fetch`), and when
    the Accept header prefers JSON to HTML.
    """
    if request.path.startswith("/api/") or request.headers.get("X-Requested-With") == "fetch":
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return (
        best == "application/json"
        and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]
    )


def error_response(
    status: int, code: str, message: str, fields: dict[str, Any] | None = None
) -> tuple[Response | str, int]:
    """Answer an error as JSON for API and script callers, as a page for people."""
    if wants_json():
        body: dict[str, Any] = {"code": code, "message": message}
        if fields:
            body["fields"] = fields
        return jsonify(error=body), status
    return render_template("errors/error.html", status=status, message=message), status


def label(name: str | None) -> str:
    """Translate a name stored as data (stage, category, team), as plain text.

    In templates, newstyle `_()` marks its result safe; names from the database must stay
    escaped, so they go through this instead.
    """
    if not name:
        return ""
    if has_request_context():
        return str(_request_translations().ugettext(name))
    return str(_(name))


def _relative_time(value: datetime | None) -> str:
    """Say how long ago (or how soon): "3 hours ago", "3시간 전", "just now"."""
    if value is None:
        return ""
    delta = value - utcnow()
    if abs(delta.total_seconds()) < 60:
        return str(_("just now"))
    return str(format_timedelta(delta, add_direction=True, granularity="minute", threshold=0.9))


# CLDR's Korean medium format abbreviates the day period to "AM"/"PM"; Korean readers
# expect 오전/오후 and the 년/월/일 date.
_KOREAN_DATETIME = {"medium": "y년 M월 d일 aaaa h:mm", "long": "y년 M월 d일 aaaa h:mm:ss"}


def _datetime(value: datetime | None, fmt: str = "medium") -> str:
    """Format a moment for the reader's language, in their time zone, with the zone named:
    "Dec 4, 2026, 6:00:00 PM KST", "2026년 12월 4일 오후 6:00 KST" (timezones.py)."""
    if value is None:
        return ""
    locale = get_locale()
    if locale is not None and locale.language == "ko":
        fmt = _KOREAN_DATETIME.get(fmt, fmt)
    return f"{format_datetime(value, fmt)} {zone_label(value)}"


def _request_translations() -> Any:
    """The translations of this request's locale, looked up once per request and locale.

    flask-babel's template callables find the translations anew for every string (a few
    hundred per board page); keeping them on `g` takes that off every page's render time.
    """
    locale = get_locale()  # the same object all request long, unless force_locale() swaps it
    cached = g.get("_ib_translations")
    if cached is None or cached[0] is not locale:
        cached = (locale, get_translations())
        g._ib_translations = cached
    return cached[1]


@lru_cache(maxsize=32)
def _groups_like_python(locale: Locale) -> bool:
    """Whether the locale writes whole numbers as f"{n:,}" does (en and ko: "1,234,567")."""
    return numbers.format_decimal(-1234567, locale=locale) == "-1,234,567"


def _numberformat(value: Any) -> str:
    """`numberformat`: flask-babel's filter, without Babel's pattern work for plain integers.

    A board page formats four numbers per idea; for the locales that group digits by three
    with a comma, Python's own formatting gives the same text in a fraction of the time.
    """
    locale = get_locale()
    if type(value) is int and locale is not None and _groups_like_python(locale):
        return f"{value:,}"
    return numbers.format_decimal(value, locale=locale)


def vote_texts() -> dict[str, str]:
    """The vote widget's words, translated once per request (a page shows twenty widgets)."""
    locale = get_locale()
    cached: tuple[Any, dict[str, str]] | None = g.get("_ib_vote_texts")
    if cached is None or cached[0] is not locale:
        gettext = _request_translations().ugettext
        texts = {
            "up": gettext("Vote up"),
            "down": gettext("Vote down"),
            "withdraw": gettext("Withdraw my vote"),
            "score": gettext("Score"),
        }
        cached = (locale, {key: str(value) for key, value in texts.items()})
        g._ib_vote_texts = cached
    return cached[1]


def _install_fast_gettext(app: Flask) -> None:
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]  # jinja2.ext.i18n adds it at run time
        gettext=lambda s: _request_translations().ugettext(s),
        ngettext=lambda s, p, n: _request_translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: _request_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _request_translations().unpgettext(c, s, p, n),
    )


class IdConverter(IntegerConverter):
    """`<id:…>`: a row id in URLs, 1 … 2³¹−1 (PostgreSQL's INTEGER); others are 404s.

    A bigger number would otherwise reach the database driver and fail with a 500.
    """

    def __init__(self, url_map: Any) -> None:
        super().__init__(url_map, min=1, max=2**31 - 1)


# Never sent again from the "form expired" page: secrets, and the stale token itself.
_NOT_KEPT = re.compile(r"password|passwd|secret|confirm|csrf|token", re.IGNORECASE)
_KEPT_FIELDS_MAX = 50


def _sent_from_this_site() -> bool:
    """Whether the browser says the form was on one of our pages (Origin, else Referer).

    Only then does a refused form get the "send it again" button: a form another site forged
    must not become one click away from going through.
    """
    source = request.headers.get("Origin") or request.referrer or ""
    return bool(source) and urlsplit(source).netloc == request.host


def _form_expired_page() -> tuple[str, int]:
    """The "this form expired, your text is kept" page: one click sends it again."""
    return _kept_fields_page(heading=None, lead=None, status=400)


def _kept_fields_page(heading: str | None, lead: str | None, status: int) -> tuple[str, int]:
    """A page that keeps a refused form's text: one click sends it again.

    The submitted text fields (never password fields or the old token) are put into a fresh
    form with a new CSRF token, posting to the same address on this site.
    """
    kept: list[tuple[str, str]] = []
    for name, value in request.form.items(multi=True):
        if _NOT_KEPT.search(name) or len(kept) >= _KEPT_FIELDS_MAX:
            continue
        kept.append((name, value))
    # The same view's own address (a path on this site), with the query it was sent with.
    action = url_for(str(request.endpoint), **(request.view_args or {}))
    if request.query_string:
        action += "?" + request.query_string.decode("latin-1")
    texts = [value for _name, value in kept if "\n" in value or len(value) > 40]
    return (
        render_template(
            "errors/form_expired.html",
            action=action,
            fields=kept,
            texts=texts,
            heading=heading,
            lead=lead,
        ),
        status,
    )


# Views whose form page can be shown again on a 429 with the typed text in it: endpoint →
# a function that renders that page (status 200) with the given message above the form.
# Other form POSTs get the generic "your text is kept" page.
RATE_LIMITED_FORMS: dict[str, Callable[[str], str]] = {}


def _retry_after_seconds() -> int:
    """Seconds until the limit this request broke lets the client in again (at least 1)."""
    from .extensions import limiter

    current = limiter.current_limit
    if current is None:
        return 60
    # reset_at is on the epoch clock utcnow() reads (a test that moves utcnow gets >= 1 s).
    return max(1, math.ceil(current.reset_at - utcnow().timestamp()))


def _rate_limited_form_page(seconds: int) -> Response:
    """A form POST that hit a rate limit: its page again, the text kept, and when to retry."""
    when = format_timedelta(timedelta(seconds=seconds), add_direction=True, threshold=1.1)
    message = str(
        _(
            "You are sending this too often. Your text is kept: please send it again %(when)s.",
            when=when,
        )
    )
    renderer = RATE_LIMITED_FORMS.get(str(request.endpoint))
    html = None
    if renderer is not None:
        try:
            html = renderer(message)
        except DomainError:  # e.g. the idea is gone meanwhile: the generic page keeps the text
            db.session.rollback()
    if html is None:
        html = _kept_fields_page(
            heading=_("Please wait a moment — your text is kept"), lead=message, status=429
        )[0]
    response = make_response(html, 429)
    response.headers["Retry-After"] = str(seconds)
    return response


def init_web(app: Flask) -> None:
    """Register template helpers, error pages and response headers."""
    _install_fast_gettext(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = ""  # the login page says why on its own
    _register_template_helpers(app)
    _register_error_handlers(app)
    app.after_request(_security_headers)
    app.after_request(_cache_headers)


def _register_template_helpers(app: Flask) -> None:
    """The Jinja filters, globals and context every page template can use."""
    from . import memberpages  # it builds on this module

    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.filters["relative_time"] = _relative_time
    app.jinja_env.filters["datetime"] = _datetime
    app.jinja_env.filters["numberformat"] = _numberformat
    app.jinja_env.globals.update(
        can_vote=permissions.can_vote,
        can_comment=permissions.can_comment,
        can_triage=permissions.can_triage,
        attribution=attribution,
        network_name=network_name,
        can_administer=permissions.can_administer,
        get_locale=get_locale,
        vote_texts=vote_texts,
        shared_render=memberpages.shared_render,
        slot=memberpages.slot,
        label=label,
        name_of=display_name,
        public_url_for=public_url_for,
        language_names=LANGUAGE_NAMES,
        outbox_state_label=social_labels.outbox_state_label,
        outbox_kind_label=social_labels.outbox_kind_label,
        mention_outcome_label=social_labels.mention_outcome_label,
        mention_reason=social_labels.mention_reason,
        edit_field_label=triage_labels.edit_field_label,
        edit_value=triage_labels.edit_value,
    )
    app.context_processor(_inject_page_context)


@lru_cache(maxsize=1)
def _nav_counts_query() -> Any:
    from .ideas.notifications import unread_count_query
    from .insights.roadmap import new_launches_voted_query

    return select(
        unread_count_query().scalar_subquery(), new_launches_voted_query().scalar_subquery()
    )


def nav_counts() -> tuple[int, int]:
    """The signed-in reader's unread notifications and new launches they voted for, as the
    navigation shows them on every page: one statement, once per request."""
    from .insights.roadmap import last_visit

    counts: tuple[int, int] | None = g.get("_ib_nav_counts")
    if counts is None:
        user = current_user._get_current_object()
        row = db.session.execute(
            _nav_counts_query(), {"user_id": user.id, "since": last_visit(user)}
        ).one()
        counts = (int(row[0] or 0), int(row[1] or 0))
        g._ib_nav_counts = counts
    return counts


def _inject_page_context() -> dict[str, Any]:
    count = 0
    # A shared copy of a signed-in page leaves the navigation, which shows the count, to a
    # slot (memberpages.py).
    if current_user.is_authenticated and not g.get("_ib_shared_render"):
        count = nav_counts()[0]
    return {"unread_notifications": count, "locales": SUPPORTED_LOCALES}


def _register_error_handlers(app: Flask) -> None:
    """Every error is answered as a page or JSON, after the transaction is rolled back."""
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(DomainError, _domain_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)


def _csrf_error(error: CSRFError) -> ResponseReturnValue:
    db.session.rollback()
    if (
        request.method == "POST"
        and request.endpoint
        and not wants_json()
        and not request.is_json
        and _sent_from_this_site()
    ):
        return _form_expired_page()
    return error_response(
        400,
        "csrf_failed",
        _("The form expired or was sent from another site. Reload the page and try again."),
    )


def _domain_error(error: DomainError) -> Response:
    db.session.rollback()
    response = make_response(
        error_response(error.status, error.code, error.message, error.fields or None)
    )
    if retry_after := getattr(error, "retry_after", None):
        response.headers["Retry-After"] = str(int(retry_after))
    return response


def _http_error(error: HTTPException) -> ResponseReturnValue:
    db.session.rollback()
    if isinstance(error, SecurityError):
        # A Host outside TRUSTED_HOSTS: no URLs can be built for it, so no page either.
        return Response(_("The request could not be understood."), 400, mimetype="text/plain")
    status = error.code or 500
    if (
        status == 429
        and request.method == "POST"
        and request.endpoint
        and not wants_json()
        and not request.is_json
        and _sent_from_this_site()
    ):
        return _rate_limited_form_page(_retry_after_seconds())
    messages = {
        400: _("The request could not be understood."),
        401: _("Please log in first."),
        403: _("You are not allowed to do that."),
        404: _("This page does not exist."),
        405: _("This address does not accept that kind of request."),
        413: _("What you sent is too large."),
        429: _("Too many requests. Please wait a moment and try again."),
    }
    message = messages.get(status, error.description or error.name)
    codes = {413: "too_large"}
    code = codes.get(status) or error.name.lower().replace(" ", "_")
    return error_response(status, code, message)


def _unexpected(error: Exception) -> ResponseReturnValue:
    db.session.rollback()
    logger.exception("unhandled error on %s %s", request.method, request.path)
    return error_response(500, "internal_error", _("Something went wrong on our side."))


def _cache_headers(response: Response) -> Response:
    """Pages with personal state are never reused: `no-store` for signed-in people.

    So the back button (the browser's back/forward cache) and HTTP caches never show a vote,
    a follow or a form as it was before the last change; the browser asks for a fresh page.
    Anonymous pages are left alone (they are the same for everyone, and pagecache.py keeps
    them on the server); static files too.
    """
    if request.endpoint == "static" or "Cache-Control" in response.headers:
        return response
    # The method first: after a write's commit the user object is expired, and asking it
    # whether it is signed in would cost a query (and a transaction) for nothing.
    if request.method not in ("GET", "HEAD") or current_user.is_authenticated:
        response.headers["Cache-Control"] = "no-store"
    return response


def _security_headers(response: Response) -> Response:
    if current_app.config.get("IDEABOARD_HTTPS"):
        response.headers.setdefault(
            "Strict-Transport-Security",
            f"max-age={int(current_app.config['IDEABOARD_HSTS_SECONDS'])}",
        )
    # Pages speak the reader's language: caches must keep one copy per language.
    response.vary.update(("Accept-Language", "Cookie"))
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        # Stage colours are data, set as a CSS variable in a style attribute.
        "style-src-attr 'unsafe-inline'; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'self'",
    )
    return response
