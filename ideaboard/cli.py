"""`flask ideaboard …` commands."""

from __future__ import annotations

import click
from flask import Blueprint
from sqlalchemy import func, select

from .accounts import services as accounts
from .accounts.models import Role
from .database import write_intent
from .errors import DomainError
from .extensions import db

bp = Blueprint("ideaboard_cli", __name__, cli_group="ideaboard")


@bp.cli.command("create-user")
@click.option("--email", required=True)
@click.option("--password", required=True)
@click.option("--role", type=click.Choice([r.value for r in Role]), default=Role.CUSTOMER.value)
@click.option("--name", default=None, help="Display name (default: the part before @).")
@click.option("--initials", default="", help="Signature on social replies, e.g. KG.")
def create_user(email: str, password: str, role: str, name: str | None, initials: str) -> None:
    """Create a user with a role (staff and admins are made this way)."""
    with write_intent():
        try:
            user = accounts.register_user(
                email, name or email.split("@", 1)[0], password, role=Role(role), initials=initials
            )
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            raise click.ClickException(error.message) from None
    click.echo(f"Created {user.role} {user.email} (id {user.id}).")


@bp.cli.command("demo")
@click.option("--if-empty", is_flag=True, help="Do nothing when the board already has ideas.")
@click.option("--seed", default=7, show_default=True, help="Seed for votes and dates.")
def demo(if_empty: bool, seed: int) -> None:
    """Load the demo board: users, staff, ideas in Korean and English, votes, comments, stages."""
    from .demo import DEMO_PASSWORD, load_demo
    from .ideas.models import Idea

    if if_empty and db.session.scalar(select(func.count()).select_from(Idea)):
        click.echo("The board has ideas already; demo data not loaded.")
        return
    with write_intent():
        try:
            summary = load_demo(seed=seed, progress=click.progressbar)
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            raise click.ClickException(error.message) from None
    click.echo(
        f"Loaded {summary['ideas']} ideas, {summary['users']} users, {summary['votes']} votes, "
        f"{summary['comments']} comments."
    )
    click.echo(f"Staff login: staff@example.com / {DEMO_PASSWORD}")
    click.echo(f"Admin login: admin@example.com / {DEMO_PASSWORD}")
    click.echo(f"Customer login: {summary['customer']} / {DEMO_PASSWORD}")
