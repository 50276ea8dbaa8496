"""IdeaBoard: an open idea board joined to the social accounts where customers talk."""

from __future__ import annotations

import hashlib
import logging
import os
import re
from collections.abc import Callable, Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Flask

from . import i18n
from .config import (
    DEFAULTS,
    check_spike_settings,
    check_x_api_url,
    create_private_file,
    load_settings,
)
from .inputs import init_inputs

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent


def create_app(config_overrides: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: code defaults, then the environment, then the mapping given."""
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    _configure(app, config_overrides)
    _transport_security(app)

    from . import database, models, web  # noqa: F401 - models registers every table

    app.url_map.converters["id"] = web.IdConverter
    _init_extensions(app)
    _register_blueprints(app)
    from .ops import init_ops

    init_ops(app)  # /healthz, /readyz, /metrics
    web.init_web(app)
    _subscribe(app)
    init_inputs(app)  # JSON depth limit, control characters and file parts refused
    _mount_extras(app)
    return app


def _configure(app: Flask, config_overrides: Mapping[str, Any] | None) -> None:
    """Load the settings (defaults, environment, overrides) and build missing catalogs."""
    # Owner-only: it holds the secret key and the SQLite database.
    Path(app.instance_path).mkdir(mode=0o700, parents=True, exist_ok=True)
    app.config.from_mapping(DEFAULTS)
    # An absolute path, so the catalogs are found whatever the working directory.
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(i18n.TRANSLATIONS_DIR)
    app.config.from_mapping(load_settings(app.instance_path))
    if config_overrides:
        app.config.from_mapping(config_overrides)
    if app.config.get("MAX_CONTENT_LENGTH") is None:
        app.config["MAX_CONTENT_LENGTH"] = int(app.config["IDEABOARD_MAX_CONTENT_LENGTH"])
    check_x_api_url(app.config.get("IDEABOARD_X_API_URL"))
    check_spike_settings(app.config)
    from .mail.settings import check_mail_settings

    check_mail_settings(app.config)
    from .timezones import check_timezone_setting

    check_timezone_setting(app.config)
    # `make translations` builds the .mo files; if that step was skipped, build them now
    # (with a warning) rather than serve English to everyone.
    for directory in str(app.config["BABEL_TRANSLATION_DIRECTORIES"]).split(";"):
        i18n.compile_catalogs(Path(directory))


def _init_extensions(app: Flask) -> None:
    """Database, migrations, sign-in, CSRF, translations, rate limits and the page cache."""
    from . import database, timezones, web
    from .extensions import babel, csrf, db, limiter, login_manager, migrate
    from .pagecache import init_page_cache

    db.init_app(app)
    database.init_database(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    login_manager.init_app(app)
    csrf.init_app(app)
    babel.init_app(
        app, locale_selector=web.select_locale, timezone_selector=timezones.select_timezone
    )
    limiter.init_app(app)
    init_page_cache(app)  # after csrf: it wraps the templates' csrf_token()


def _register_blueprints(app: Flask) -> None:
    from .accounts.views import bp as accounts_bp
    from .api.views import bp as api_bp
    from .campaigns.views import bp as campaigns_bp
    from .cli import bp as cli_bp
    from .ideas.views import bp as ideas_bp
    from .insights.views import bp as insights_bp
    from .listening.spike_views import bp as spikes_bp
    from .listening.views import bp as listening_bp
    from .moderation.views import bp as moderation_bp
    from .social.reply_templates import bp as reply_templates_bp
    from .social.views import bp as social_bp
    from .triage.views import bp as triage_bp

    app.register_blueprint(accounts_bp)
    app.register_blueprint(ideas_bp)
    app.register_blueprint(insights_bp)
    app.register_blueprint(campaigns_bp)
    app.register_blueprint(triage_bp)
    app.register_blueprint(moderation_bp)
    app.register_blueprint(spikes_bp)
    app.register_blueprint(social_bp)
    app.register_blueprint(listening_bp)
    app.register_blueprint(reply_templates_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(cli_bp)


def _mount_extras(app: Flask) -> None:
    """The optional benchmark and X sandbox, then the proxy fix as the outermost wrapper."""
    if app.config.get("IDEABOARD_BENCH"):
        from .benchmark import init_benchmark

        init_benchmark(app)
    for name in SANDBOXES:
        if app.config.get(f"IDEABOARD_{name.upper()}_SANDBOX"):
            _mount_sandbox(app, name)
    _proxy_fix(app)


# The built-in sandboxes of the social networks, each mounted at /<name>-sandbox when
# IDEABOARD_<NAME>_SANDBOX=1 (make run turns them all on).
SANDBOXES = ("x", "bluesky", "mastodon")


# The settings that hold a real X account's credentials: the brand's, and a second account's
# IDEABOARD_X_<USERNAME>_<NAME> (read by social.jobs._credential).
X_CREDENTIALS = (
    "BEARER_TOKEN",
    "CONSUMER_KEY",
    "CONSUMER_SECRET",
    "ACCESS_TOKEN",
    "ACCESS_TOKEN_SECRET",
    "USER_ID",
)
_ACCOUNT_CREDENTIAL_RE = re.compile(
    r"^IDEABOARD_X_[A-Z0-9_]+_(?:" + "|".join(X_CREDENTIALS) + r")$", re.IGNORECASE
)


def x_credentials_set(app: Flask) -> list[str]:
    """Name every X credential configured, in the settings or as a per-account variable."""
    found = [
        f"IDEABOARD_X_{name}" for name in X_CREDENTIALS if app.config.get(f"IDEABOARD_X_{name}")
    ]
    found += sorted(
        name
        for name, value in os.environ.items()
        if value and _ACCOUNT_CREDENTIAL_RE.match(name) and name not in found
    )
    return found


def _subscribe(app: Flask) -> None:
    """Let each delivery package subscribe to the domain events and register its senders."""
    from .mail.subscribers import register as register_mail
    from .social.subscribers import register as register_social
    from .webhooks.subscribers import register as register_webhooks

    # Order matters only for the order of outbox rows: X replies first, then webhooks.
    register_social(app)
    register_webhooks(app)
    register_mail(app)


def _transport_security(app: Flask) -> None:
    """Secure cookies and HSTS when the site is served over https; the remember-cookie lifetime."""
    app.config["REMEMBER_COOKIE_DURATION"] = timedelta(
        days=float(app.config["IDEABOARD_REMEMBER_DAYS"])
    )
    public_url = str(app.config.get("IDEABOARD_PUBLIC_URL") or "")
    https = urlsplit(public_url).scheme.lower() == "https"
    app.config["IDEABOARD_HTTPS"] = https
    if https:
        app.config["SESSION_COOKIE_SECURE"] = True
        app.config["REMEMBER_COOKIE_SECURE"] = True


def _proxy_fix(app: Flask) -> None:
    """Trust X-Forwarded-* from IDEABOARD_PROXY_FIX proxies in front (the outermost wrapper)."""
    hops = int(app.config.get("IDEABOARD_PROXY_FIX") or 0)
    if hops <= 0:
        return
    from werkzeug.middleware.proxy_fix import ProxyFix

    app.wsgi_app = ProxyFix(  # type: ignore[method-assign]  # Flask's documented way to wrap it
        app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_prefix=hops
    )


def _real_credentials(app: Flask, name: str) -> list[str]:
    """Name the real credentials of a network that are configured (names, never values)."""
    if name == "x":
        return x_credentials_set(app)
    prefix = f"IDEABOARD_{name.upper()}_"
    secrets = ("APP_PASSWORD", "ACCESS_TOKEN")
    found = [f"{prefix}{s}" for s in secrets if app.config.get(f"{prefix}{s}")]
    found += sorted(
        variable
        for variable, value in os.environ.items()
        if value and variable.startswith(prefix) and variable.endswith(secrets)
        and variable not in found
    )  # fmt: skip
    return found


def _mount_sandbox(app: Flask, name: str) -> None:
    """Serve the sandbox of the network `name` under /<name>-sandbox; refuse when any real
    credential of that network is set.

    The only place IdeaBoard imports the sandboxes package
    (tests/social/test_sandbox_boundary.py checks).
    """
    from werkzeug.middleware.dispatcher import DispatcherMiddleware

    import sandboxes.bluesky
    import sandboxes.mastodon
    import sandboxes.x

    # Each sandbox package offers the same create_sandbox_app(path, *, ui_access, …).
    factories: dict[str, Callable[..., Flask]] = {
        "x": sandboxes.x.create_sandbox_app,
        "bluesky": sandboxes.bluesky.create_sandbox_app,
        "mastodon": sandboxes.mastodon.create_sandbox_app,
    }
    create_sandbox_app = factories[name]

    setting = f"IDEABOARD_{name.upper()}_SANDBOX"
    real = _real_credentials(app, name)
    if real:
        raise RuntimeError(
            f"{setting} is on while real credentials are configured "
            f"({', '.join(real)}); switch one of them off"
        )
    path = app.config.get(f"{setting}_DB") or str(
        Path(app.instance_path) / f"{name}_sandbox.sqlite"
    )
    app.config[f"{setting}_DB"] = path
    if path != ":memory:":
        create_private_file(path)
    public_host = urlsplit(str(app.config.get("IDEABOARD_PUBLIC_URL") or "")).hostname
    # Every web process must sign the sandbox's CSRF tokens alike: derive its key from ours.
    salt = f"{name}-sandbox-csrf:".encode()
    key = hashlib.sha256(salt + str(app.config["SECRET_KEY"]).encode()).digest()
    sandbox = create_sandbox_app(
        path,
        ui_access=lambda environ: _is_signed_in_staff(app, environ),
        allowed_hosts=[public_host] if public_host else [],
        secret_key=key,
    )
    app.extensions[f"{name}_sandbox"] = sandbox
    mounted = DispatcherMiddleware(app.wsgi_app, {f"/{name}-sandbox": sandbox})
    app.wsgi_app = mounted  # type: ignore[method-assign]  # Flask's documented way to wrap it


def _is_signed_in_staff(app: Flask, environ: dict[str, Any]) -> bool:
    """Whether the request's IdeaBoard session (or remember cookie) is a staff member's."""
    from flask_login import current_user

    with app.request_context(environ):
        return bool(current_user.is_authenticated and current_user.is_staff)
