"""Connectors: the small interface the importer and the outbox use to talk to a network.

Everything network-specific lives in a connector: the importer, matching, moderation, the
fan-out and the outbox only see Mentions, Posted results and the two errors below, whatever
the network. X is here; Bluesky is in bluesky.py and Mastodon in mastodon.py.

The X connector runs on tweepy's Client (X API v2). With IDEABOARD_X_API_URL its requests go
to another base URL — the built-in sandbox in the demo and the tests — through the very same
tweepy code.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

import requests
import tweepy

from .x_client import make_x_client

logger = logging.getLogger(__name__)

TWEET_FIELDS = [
    "author_id",
    "created_at",
    "conversation_id",
    "entities",
    "lang",
    "referenced_tweets",
    "in_reply_to_user_id",
]
USER_FIELDS = ["username", "name", "profile_image_url"]
MAX_PAGES = 8  # X serves only the 800 most recent mentions: 8 pages of 100
_URL = re.compile(r"https?://\S+")
_LEADING_MENTIONS = re.compile(r"^(?:\s*@\w+)+\s*")


@dataclass(frozen=True)
class Mention:
    """A post that mentions the account, in the shape the importer needs.

    Ids are the network's own, as strings: X and Mastodon post ids, Bluesky at:// URIs (at
    most 300 characters). `author_id` is the one thing about a person that never changes
    (an X user id, a Bluesky DID, a Mastodon account's id on the brand's instance).
    `cursor` is where the import stands once this mention is handled: the connector's
    cursor_key() orders cursors, and the mention's own id stands in when it is empty (X).
    """

    id: str
    text: str
    author_id: str
    author_handle: str
    author_name: str
    created_at: datetime | None
    lang: str | None
    hashtags: list[str] = field(default_factory=list)
    replied_to: str | None = None
    quoted: str | None = None
    is_retweet: bool = False
    network: str = "x"
    permalink: str = ""  # the post's web address; X's is built from the handle and id
    cursor: str = ""

    @property
    def url(self) -> str:
        if self.permalink:
            return self.permalink
        return f"https://x.com/{self.author_handle or 'i'}/status/{self.id}"

    @property
    def position(self) -> str:
        return self.cursor or self.id


@dataclass(frozen=True)
class Identity:
    """Who a connector's account is on its network (learned when it is connected)."""

    remote_user_id: str  # X user id, Bluesky DID, Mastodon account id
    username: str  # X username, Bluesky handle, Mastodon username
    display_name: str = ""
    post_limit: int | None = None  # the server's own limit for a post, where it sets one


@dataclass(frozen=True)
class Posted:
    id: str
    url: str


class SendError(Exception):
    """A post failed. `final` means trying again cannot help; `retry_at` is the network's
    rate-limit reset; `auth` means the credentials were refused (an expired app password, a
    revoked token): the account needs staff, and sending waits instead of retrying."""

    def __init__(
        self,
        message: str,
        *,
        final: bool = False,
        retry_at: datetime | None = None,
        ambiguous: bool = False,
        duplicate: bool = False,
        auth: bool = False,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.final = final
        self.retry_at = retry_at
        self.auth = auth
        # X refused the post as duplicate content: the same text is already there.
        self.duplicate = duplicate
        # The request may have reached X (a timeout): check before sending again.
        self.ambiguous = ambiguous


class FetchError(Exception):
    """Reading mentions failed; `retry_at` is set for rate limits; `auth` when the network
    refused the credentials (shown to staff; polling pauses instead of retrying for ever)."""

    def __init__(
        self, message: str, *, retry_at: datetime | None = None, auth: bool = False
    ) -> None:
        super().__init__(message)
        self.message = message
        self.retry_at = retry_at
        self.auth = auth


class Connector(Protocol):
    """What IdeaBoard needs from a social network."""

    network: str

    def fetch_mentions(self, *, since_id: str | None, start_time: datetime | None) -> list[Mention]:
        """Every reachable mention after the cursor `since_id` (a Mention.position), or
        since `start_time` when given (the overlap re-read), oldest first, without
        duplicates."""
        ...

    def cursor_key(self, cursor: str) -> tuple[Any, ...]:
        """Order cursors: a bigger key is further on."""
        ...

    def identify(self) -> Identity:
        """Who the account is (FetchError, auth=True when the credentials are refused)."""
        ...

    def post_reply(self, text: str, in_reply_to: str) -> Posted: ...

    def post(self, text: str) -> Posted: ...

    def find_reply(self, in_reply_to: str, text: str) -> str | None: ...

    def close(self) -> None:
        """Let go of the network connection (the worker calls it after each round)."""


def _comparable(text: str) -> str:
    """Text without links (X rewrites them to t.co), leading @mentions and extra spaces."""
    text = _LEADING_MENTIONS.sub("", unicodedata.normalize("NFC", _URL.sub("", text)))
    return " ".join(text.split())


def _reset_time(error: tweepy.errors.TooManyRequests) -> datetime | None:
    reset = getattr(error, "reset_time", None)
    if reset is None and error.response is not None:
        header = error.response.headers.get("x-rate-limit-reset")
        reset = int(header) if header and header.isdigit() else None
    return datetime.fromtimestamp(int(reset), UTC) if reset else None


def _messages(error: tweepy.errors.HTTPException) -> str:
    messages = [m for m in error.api_messages if m]
    if not messages and error.response is not None:
        messages = [error.response.text[:300]]
    return "; ".join(messages)


class XConnector:
    """The X API v2 through tweepy, for one brand account."""

    network = "x"

    def __init__(
        self,
        *,
        user_id: str,
        username: str,
        bearer_token: str | None,
        consumer_key: str | None,
        consumer_secret: str | None,
        access_token: str | None,
        access_token_secret: str | None,
        api_url: str | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.user_id = user_id
        self.username = username
        self.user_auth = not bearer_token
        self.client = make_x_client(
            bearer_token=bearer_token,
            consumer_key=consumer_key,
            consumer_secret=consumer_secret,
            access_token=access_token,
            access_token_secret=access_token_secret,
            api_url=api_url,
            timeout=timeout,
        )

    def close(self) -> None:
        """Close the HTTP session."""
        self.client.session.close()

    @staticmethod
    def cursor_key(cursor: str) -> tuple[Any, ...]:
        """X post ids grow with time."""
        return (int(cursor),)

    def identify(self) -> Identity:
        """Ask X who the credentials belong to."""
        try:
            me = self.client.get_me(user_auth=True).data
        except tweepy.errors.Unauthorized as error:
            raise FetchError(f"401: {_messages(error)}", auth=True) from error
        except (tweepy.errors.TweepyException, requests.RequestException) as error:
            raise FetchError(str(error)) from error
        return Identity(remote_user_id=str(me.id), username=me.username, display_name=me.name)

    def fetch_mentions(self, *, since_id: str | None, start_time: datetime | None) -> list[Mention]:
        """Return every reachable mention newer than since_id / start_time, oldest first."""
        params: dict[str, Any] = {
            "max_results": 100,
            "tweet_fields": TWEET_FIELDS,
            "expansions": ["author_id"],
            "user_fields": USER_FIELDS,
            "user_auth": self.user_auth,
        }
        if start_time is not None:
            params["start_time"] = start_time
        elif since_id:
            params["since_id"] = since_id
        mentions: dict[str, Mention] = {}
        token: str | None = None
        try:
            for _page in range(MAX_PAGES):
                if token:
                    params["pagination_token"] = token
                response = self.client.get_users_mentions(self.user_id, **params)
                users = {str(u.id): u for u in (response.includes or {}).get("users", [])}
                for tweet in response.data or []:
                    mention = self._mention(tweet, users)
                    mentions[mention.id] = mention
                token = (response.meta or {}).get("next_token")
                if not token:
                    break
        except tweepy.errors.TooManyRequests as error:
            raise FetchError("rate limited", retry_at=_reset_time(error)) from error
        except tweepy.errors.HTTPException as error:
            raise FetchError(f"{error.response.status_code}: {_messages(error)}") from error
        except (requests.RequestException, tweepy.errors.TweepyException) as error:
            raise FetchError(str(error)) from error
        return sorted(mentions.values(), key=lambda m: int(m.id))

    @staticmethod
    def _mention(tweet: Any, users: dict[str, Any]) -> Mention:
        data = tweet.data if hasattr(tweet, "data") else tweet
        author_id = str(data.get("author_id", ""))
        user = users.get(author_id)
        entities = data.get("entities") or {}
        hashtags = [h.get("tag", "") for h in entities.get("hashtags", []) if h.get("tag")]
        refs = data.get("referenced_tweets") or data.get("referenced_posts") or []
        kinds = {r.get("type"): str(r.get("id")) for r in refs}
        created = data.get("created_at")
        return Mention(
            id=str(data["id"]),
            text=data.get("text", ""),
            author_id=author_id,
            author_handle=user.username if user else "",
            author_name=user.name if user else "",
            created_at=datetime.fromisoformat(created.replace("Z", "+00:00")) if created else None,
            lang=data.get("lang"),
            hashtags=hashtags,
            replied_to=kinds.get("replied_to"),
            quoted=kinds.get("quoted"),
            is_retweet="retweeted" in kinds,
        )

    def _create(self, text: str, in_reply_to: str | None) -> Posted:
        try:
            response = self.client.create_tweet(text=text, in_reply_to_tweet_id=in_reply_to)
        except tweepy.errors.TooManyRequests as error:
            raise SendError("rate limited (429)", retry_at=_reset_time(error)) from error
        except tweepy.errors.Forbidden as error:
            message = _messages(error)
            # Duplicate content, reply not allowed, deleted target: sending again cannot help.
            raise SendError(
                f"403: {message}", final=True, duplicate="duplicate content" in message.lower()
            ) from error
        except (tweepy.errors.NotFound, tweepy.errors.BadRequest) as error:
            raise SendError(
                f"{error.response.status_code}: {_messages(error)}", final=True
            ) from error
        except tweepy.errors.Unauthorized as error:
            raise SendError(f"401: {_messages(error)}") from error
        except tweepy.errors.TwitterServerError as error:
            raise SendError(f"{error.response.status_code}: {_messages(error)}") from error
        except requests.Timeout as error:
            raise SendError(f"timeout: {error}", ambiguous=True) from error
        except requests.ConnectionError as error:
            raise SendError(f"connection: {error}", ambiguous=True) from error
        except tweepy.errors.TweepyException as error:
            raise SendError(str(error)) from error
        post_id = str(response.data["id"])
        return Posted(id=post_id, url=f"https://x.com/{self.username}/status/{post_id}")

    def post_reply(self, text: str, in_reply_to: str) -> Posted:
        """Reply to a post as the brand account."""
        return self._create(text, in_reply_to)

    def post(self, text: str) -> Posted:
        """Post on the brand account."""
        return self._create(text, None)

    def find_reply(self, in_reply_to: str, text: str) -> str | None:
        """Return the id of our existing reply to in_reply_to with this text, if X has one."""
        query = f"in_reply_to_tweet_id:{in_reply_to} from:{self.username}"
        try:
            response = self.client.search_recent_tweets(
                query, max_results=100, user_auth=self.user_auth
            )
        except tweepy.errors.TooManyRequests as error:
            raise SendError("rate limited (429)", retry_at=_reset_time(error)) from error
        except (tweepy.errors.TweepyException, requests.RequestException) as error:
            raise SendError(f"lookup failed: {error}", ambiguous=True) from error
        wanted = _comparable(text)
        for tweet in response.data or []:
            if _comparable(tweet.text) == wanted:
                return str(tweet.id)
        return None
