"""Alembic environment, run by `flask db …` (Flask-Migrate) inside the app context."""

import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app
from sqlalchemy import types as sa_types

config = context.config
if config.config_file_name and not logging.getLogger().handlers:
    # Only configure logging when nobody else has (the tests and the app may have).
    fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")


def get_engine():
    return current_app.extensions["migrate"].db.engine


config.set_main_option(
    "sqlalchemy.url", get_engine().url.render_as_string(hide_password=False).replace("%", "%%")
)
target_db = current_app.extensions["migrate"].db


def get_metadata():
    return target_db.metadata


def include_name(name, type_, parent_names):
    """Leave search structures that no model maps out of autogenerate's comparison.

    idea_fts and its shadow tables are SQLite's FTS5 search index; ix_ideas_*_trgm are
    PostgreSQL's pg_trgm indexes, and ideas.search_text the generated column one of them
    indexes (PostgreSQL only, so not on the model). All are created by migrations.
    """
    if type_ == "table" and name and name.startswith("idea_fts"):
        return False
    if type_ == "column" and name == "search_text" and parent_names.get("table_name") == "ideas":
        return False
    return not (type_ == "index" and name and name.endswith("_trgm"))


def compare_type(context, inspected_column, metadata_column, inspected_type, metadata_type):
    """On SQLite, a VARCHAR's length is not compared: SQLite never enforces it, and widening
    one there would rebuild the table by copy for nothing. Migrations change lengths on
    PostgreSQL only (e.g. 20261205_e5b7c9d1f3a4); everything else is compared as usual."""
    if context.dialect.name == "sqlite":
        lengths = (getattr(inspected_type, "length", None), getattr(metadata_type, "length", None))
        same_kind = type(inspected_type).__name__ in ("VARCHAR", "String") and isinstance(
            metadata_type, sa_types.String
        )
        if same_kind and None not in lengths:
            return False
    return None  # the default comparison


def render_item(type_, obj, autogen_context):
    """Write our UTCDateTime as a plain DateTime, so migrations do not import app code."""
    if type_ == "type" and type(obj).__name__ == "UTCDateTime":
        return "sa.DateTime()"
    return False


def run_migrations_offline():
    """Emit SQL for the migrations without a database connection."""
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=get_metadata(),
        literal_binds=True,
        include_name=include_name,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    """Run the migrations on a connection of the app's engine."""

    def process_revision_directives(context, revision, directives):
        # Do not write an empty migration when autogenerate finds no change.
        if getattr(config.cmd_opts, "autogenerate", False):
            script = directives[0]
            if script.upgrade_ops.is_empty():
                directives[:] = []
                logger.info("No changes in schema detected.")

    conf_args = dict(current_app.extensions["migrate"].configure_args)
    conf_args.setdefault("process_revision_directives", process_revision_directives)
    conf_args["compare_type"] = compare_type  # Flask-Migrate passes True: ours refines it

    with get_engine().connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # Batch mode rebuilds a table by copy, DROP and rename; with foreign keys on,
            # the DROP would cascade and delete the votes and comments of every idea.
            # The pragma only works outside a transaction, so set it on the raw connection.
            connection.connection.dbapi_connection.execute("PRAGMA foreign_keys = OFF")
        context.configure(
            connection=connection,
            target_metadata=get_metadata(),
            include_name=include_name,
            render_item=render_item,
            **conf_args,
        )
        with context.begin_transaction():
            context.run_migrations()
        if sqlite:
            connection.connection.dbapi_connection.execute("PRAGMA foreign_keys = ON")


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
