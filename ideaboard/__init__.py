"""IdeaBoard: an open idea board joined to the social accounts where customers talk."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from . import i18n
from .config import DEFAULTS, load_settings
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
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.from_mapping(DEFAULTS)
    # An absolute path, so the catalogs are found whatever the working directory.
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(i18n.TRANSLATIONS_DIR)
    app.config.from_mapping(load_settings(app.instance_path))
    if config_overrides:
        app.config.from_mapping(config_overrides)
    # `make translations` builds the .mo files; if that step was skipped, build them now
    # (with a warning) rather than serve English to everyone.
    for directory in str(app.config["BABEL_TRANSLATION_DIRECTORIES"]).split(";"):
        i18n.compile_catalogs(Path(directory))

    from . import database, models, web  # noqa: F401 - models registers every table

    app.url_map.converters["id"] = web.IdConverter
    from .accounts.views import bp as accounts_bp
    from .cli import bp as cli_bp
    from .extensions import babel, csrf, db, limiter, login_manager, migrate

    db.init_app(app)
    database.init_database(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    login_manager.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=web.select_locale)
    limiter.init_app(app)
    from .pagecache import init_page_cache

    init_page_cache(app)  # after csrf: it wraps the templates' csrf_token()

    from .api.views import bp as api_bp
    from .ideas.views import bp as ideas_bp
    from .insights.views import bp as insights_bp
    from .social.reply_templates import bp as reply_templates_bp
    from .social.views import bp as social_bp
    from .triage.views import bp as triage_bp

    app.register_blueprint(accounts_bp)
    app.register_blueprint(ideas_bp)
    app.register_blueprint(insights_bp)
    app.register_blueprint(triage_bp)
    app.register_blueprint(social_bp)
    app.register_blueprint(reply_templates_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(cli_bp)
    web.init_web(app)
    init_inputs(app)  # JSON depth limit, control characters and file parts refused
    if app.config.get("IDEABOARD_BENCH"):
        from .benchmark import init_benchmark

        init_benchmark(app)
    if app.config.get("IDEABOARD_X_SANDBOX"):
        _mount_sandbox(app)
    return app


def _mount_sandbox(app: Flask) -> None:
    """Serve the sandbox X API under /x-sandbox; refuse when real X credentials are set."""
    from werkzeug.middleware.dispatcher import DispatcherMiddleware

    from .social.sandbox import create_sandbox_app

    real = [
        name
        for name in ("CONSUMER_KEY", "ACCESS_TOKEN", "BEARER_TOKEN")
        if app.config.get(f"IDEABOARD_X_{name}")
    ]
    if real:
        raise RuntimeError(
            "IDEABOARD_X_SANDBOX is on while real X credentials are configured "
            f"({', '.join(real)}); switch one of them off"
        )
    path = app.config.get("IDEABOARD_X_SANDBOX_DB") or str(
        Path(app.instance_path) / "x_sandbox.sqlite"
    )
    app.config["IDEABOARD_X_SANDBOX_DB"] = path
    sandbox = create_sandbox_app(path)
    app.extensions["x_sandbox"] = sandbox
    app.wsgi_app = DispatcherMiddleware(app.wsgi_app, {"/x-sandbox": sandbox})  # type: ignore[method-assign]
