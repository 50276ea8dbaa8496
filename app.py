"""Entry point for `flask run` and `flask ideaboard …`."""

from ideaboard import create_app

app = create_app()
