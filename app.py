"""Entry point for `flask run`, `flask ideaboard …` and gunicorn (`gunicorn app:app`)."""

import gc

from ideaboard import create_app

app = create_app()

# Everything built so far (the app, its routes and templates, SQLAlchemy's mappers and
# compiled statements) lives as long as the process. Moving it out of the garbage
# collector's generations means the collections a request's allocations set off scan only
# that request's objects: fewer long pauses in the slowest requests.
gc.freeze()
