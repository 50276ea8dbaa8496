"""With REDIS_URL, rate limits are shared through Redis (several processes see one count)."""

from __future__ import annotations

import os
import uuid

import pytest
import redis

from tests.helpers import csrf_token

REDIS_URL = os.environ.get("IDEABOARD_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
def redis_url() -> str:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"CI must test Redis, but {REDIS_URL} does not answer: {error}")
        pytest.skip(f"Redis at {REDIS_URL} does not answer ({error})")
    return REDIS_URL


def test_login_rate_limit_is_counted_in_redis_across_app_instances(app_factory, redis_url):
    prefix = f"ib-test-{uuid.uuid4().hex[:8]}"
    config = {
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_STORAGE_URI": redis_url,
        "RATELIMIT_KEY_PREFIX": prefix,
        "IDEABOARD_LIMIT_LOGIN": "3 per minute",
    }
    # Two app instances stand for two worker processes sharing one Redis.
    first, second = app_factory(**config), app_factory(**config)
    statuses = []
    for app in (first, second, first, second):
        with app.app_context():
            client = app.test_client()
            data = {"email": "nobody@example.com", "password": "wrong password"}
            data["csrf_token"] = csrf_token(client)
            statuses.append(client.post("/login", data=data).status_code)
    assert statuses == [422, 422, 422, 429]
    keys = redis.Redis.from_url(redis_url).keys(f"*{prefix}*")
    assert keys, "the limiter stored nothing in Redis"
    redis.Redis.from_url(redis_url).delete(*keys)


def test_anonymous_pages_are_shared_through_redis_across_app_instances(
    app_factory, make_idea, redis_url
):
    """With REDIS_URL, every web process serves the same cached copy of a page."""
    from sqlalchemy import update

    from ideaboard.extensions import db
    from ideaboard.ideas.models import Idea
    from ideaboard.pagecache import cache

    config = {"REDIS_URL": redis_url, "IDEABOARD_PAGE_CACHE_SECONDS": 60}
    first, second = app_factory(**config), app_factory(**config)
    with first.app_context():
        cache.clear()
    idea_id = make_idea(title="Shared page in Redis").id
    path = f"/?q=Shared&t={uuid.uuid4().hex}"  # a key no earlier run left behind
    assert "Shared page in Redis" in first.test_client().get(path).get_data(as_text=True)
    db.session.execute(update(Idea).where(Idea.id == idea_id).values(title="Shared page renamed"))
    db.session.commit()
    # The second process never rendered this page: it can only have it from Redis.
    page = second.test_client().get(path).get_data(as_text=True)
    assert "Shared page in Redis" in page
    assert "csrf-placeholder" not in page
    with first.app_context():
        cache.clear()
