"""schemathesis against the live app on loopback: every operation, all checks, a fixed seed.

The document is built at import time (schemathesis parametrizes tests from it) and a test
checks that the live app serves the very same document.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, settings

from ideaboard.accounts.models import Role, User
from ideaboard.api import openapi
from ideaboard.api import views as _views  # noqa: F401 - declares the operations
from ideaboard.extensions import db
from ideaboard.ideas.models import Idea
from ideaboard.ideas.services import add_comment
from ideaboard.triage.services import change_stage, find_stage

MAX_EXAMPLES = 25
SEED = 20261122
DOCUMENT = openapi.build("session")
CONFIG = schemathesis.Config.from_dict(
    {
        "seed": SEED,
        "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True},
        "checks": {
            # Some rules cannot be written in JSON Schema: a category or stage slug must
            # exist, a cursor must decode, text is counted after NFC normalisation.
            # Schema-valid requests that break them get 422 naming the field, as documented.
            "positive_data_acceptance": {
                "expected-statuses": ["2xx", "401", "403", "404", "409", "422"]
            },
        },
    }
)
schema = schemathesis.openapi.from_dict(DOCUMENT, config=CONFIG)


@pytest.fixture
def live_api(
    live_app: tuple[Flask, str],
    make_user: Callable[..., User],
    make_idea: Callable[..., Idea],
    token_for: Callable[[User], str],
) -> Iterator[dict[str, Any]]:
    """The live app with some ideas, a comment, a status change and a staff token."""
    _app, base = live_app
    staff = make_user(Role.STAFF, initials="ST")
    customer = make_user()
    ideas = [make_idea(customer, title=f"Seeded idea {n}") for n in range(1, 6)]
    add_comment(customer, ideas[0], "A first comment")
    change_stage(ideas[1], find_stage("under-review"), "Looking at it", staff)
    db.session.commit()
    session = requests.Session()
    yield {
        "base_url": f"{base}/api/v1",
        "headers": {"Authorization": f"Bearer {token_for(staff)}"},
        "session": session,
    }
    session.close()


def test_live_app_serves_the_document_under_test(live_api: dict[str, Any]) -> None:
    response = live_api["session"].get(f"{live_api['base_url']}/openapi.json", timeout=10)
    assert response.json() == DOCUMENT


@schema.parametrize()
# One live app per operation, shared by its examples on purpose: state builds up as it would.
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_api_conforms_to_its_openapi_document(
    case: schemathesis.Case, live_api: dict[str, Any]
) -> None:
    case.call_and_validate(
        base_url=live_api["base_url"], headers=live_api["headers"], session=live_api["session"]
    )
