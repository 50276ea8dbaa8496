"""The Bluesky connector: one brand account over the atproto SDK (Bluesky's own Python client).

It logs in with the account's handle and an app password (Bluesky → Settings → Privacy and
security → App passwords), never the account's main password. The SDK keeps the session: it
refreshes the short-lived access token with the refresh token before it expires. When the
server still refuses the tokens (a revoked session), the connector logs in once more with the
app password; when Bluesky refuses the app password itself, FetchError/SendError carry
auth=True and a message for staff, and nothing retries until the password is replaced.

Mentions come from the account's notifications (app.bsky.notification.listNotifications)
with the reasons mention, reply and quote: a reply to one of the brand's posts, or a quote of
one, is addressed to the brand as much as an @mention is. Notifications are listed newest
first by their index time; a Mention's cursor is "<indexedAt>|<uri>", which cursor_key()
orders, so the importer can stop where it stopped last time and re-read an overlap.

Replies carry the strong references Bluesky needs (reply.root and reply.parent: uri and cid;
the root is the thread's first post), facets for links and #tags at UTF-8 byte offsets, and a
language. A post holds 300 graphemes (post_length) and 3000 bytes.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import unicodedata
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import httpx
import regex
from atproto import Client, models
from atproto_client.exceptions import (
    BadRequestError,
    InvokeTimeoutError,
    LoginRequiredError,
    NetworkError,
    RateLimitExceededError,
    RequestErrorBase,
    UnauthorizedError,
)
from atproto_client.models.common import XrpcError
from atproto_client.models.utils import get_model_as_dict
from atproto_client.request import Request
from atproto_core.exceptions import AtProtocolError

from ..database import utcnow
from ..text import graphemes
from .connectors import FetchError, Identity, Mention, Posted, SendError
from .networks import bluesky_length

logger = logging.getLogger(__name__)

NETWORK = "bluesky"
DEFAULT_SERVICE = "https://bsky.social"
MAX_GRAPHEMES = 300  # app.bsky.feed.post text: maxGraphemes
MAX_TEXT_BYTES = 3000  # …and maxLength in UTF-8 bytes
MAX_PAGES = 8  # 8 pages of 100 notifications per round, like X's reachable 800
PAGE_SIZE = 100
REASONS = ("mention", "reply", "quote")
POST_COLLECTION = "app.bsky.feed.post"
MAX_TAG_GRAPHEMES = 64
# What the server says when the tokens (not the password) are the problem: log in again.
TOKEN_ERRORS = frozenset(
    {"ExpiredToken", "InvalidToken", "AuthRequired", "AuthMissing", "AuthenticationRequired"}
)

# (load, save): where the session string is kept between runs (it holds tokens: keep it secret).
SessionStore = tuple[Callable[[], str | None], Callable[[str], None]]

# Without a session_store, sessions are kept in this process, so a connector made for each
# round does not log in each time (Bluesky allows about 100 logins a day per account). The key
# includes a hash of the app password: a connector with another password never reuses them.
_PROCESS_SESSIONS: dict[str, str] = {}
_PROCESS_SESSIONS_LOCK = threading.Lock()


def process_session_store(service_url: str, handle: str, app_password: str) -> SessionStore:
    """A session store in this process's memory for one account (the default)."""
    digest = hashlib.sha256(app_password.encode()).hexdigest()
    key = f"{service_url.rstrip('/')}|{handle.lower()}|{digest}"

    def load() -> str | None:
        with _PROCESS_SESSIONS_LOCK:
            return _PROCESS_SESSIONS.get(key)

    def save(session: str) -> None:
        with _PROCESS_SESSIONS_LOCK:
            _PROCESS_SESSIONS[key] = session

    return load, save


_HANGUL = regex.compile(r"\p{Hangul}")
_LINK = regex.compile(r"https?://[^\s<>\"']+")
_LINK_TAIL = regex.compile(r"[.,;:!?)\]}'\"]+$")
_TAG = regex.compile(r"(?:^|(?<=\s))[#＃]([^\s#＃]+)")
_TAG_TAIL = regex.compile(r"[\p{P}\p{S}]+$")
_AT_URI = regex.compile(
    r"^at://(did:[a-z]+:[A-Za-z0-9._:%-]+)/([A-Za-z0-9.-]+)/([A-Za-z0-9._:~-]+)$"
)


class _CredentialsRefused(Exception):
    """Bluesky refused the handle and app password (revoked, wrong, or the account is gone)."""


def post_length(text: str) -> int:
    """The length Bluesky limits: extended grapheme clusters of the NFC text (한, 👍🏽 are one)."""
    return bluesky_length(text)


def length_problem(text: str) -> str | None:
    """Why text cannot be one Bluesky post, or None when it fits."""
    text = unicodedata.normalize("NFC", text)
    if post_length(text) > MAX_GRAPHEMES:
        return f"the post has {post_length(text)} graphemes; Bluesky allows {MAX_GRAPHEMES}"
    if len(text.encode("utf-8")) > MAX_TEXT_BYTES:
        return f"the post is over Bluesky's {MAX_TEXT_BYTES} bytes"
    return None


def guess_lang(text: str) -> str:
    """ "ko" for text with Hangul, else "en": the language the post is tagged with."""
    return "ko" if _HANGUL.search(text) else "en"


def _tags_in_text(text: str) -> Iterator[tuple[int, int, str]]:
    """(start, end, tag) code-point spans of #tags, as the Bluesky app detects them."""
    for match in _TAG.finditer(text):
        tag = _TAG_TAIL.sub("", match.group(1))
        if tag and not tag.isdigit() and len(graphemes(tag)) <= MAX_TAG_GRAPHEMES:
            yield match.start(1) - 1, match.start(1) + len(tag), tag


def build_facets(text: str) -> list[dict[str, Any]]:
    """Facets for the links and #tags of text: ranges in UTF-8 bytes, as the lexicon wants."""

    def at(index: int) -> int:
        return len(text[:index].encode("utf-8"))

    facets: list[dict[str, Any]] = []
    for match in _LINK.finditer(text):
        url = _LINK_TAIL.sub("", match.group(0))
        end = match.start() + len(url)
        facets.append(
            {
                "index": {"byteStart": at(match.start()), "byteEnd": at(end)},
                "features": [{"$type": "app.bsky.richtext.facet#link", "uri": url}],
            }
        )
    for start, end, tag in _tags_in_text(text):
        facets.append(
            {
                "index": {"byteStart": at(start), "byteEnd": at(end)},
                "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": tag}],
            }
        )
    facets.sort(key=lambda facet: facet["index"]["byteStart"])
    return facets


def hashtags_of(text: str, facets: list[dict[str, Any]] | None) -> list[str]:
    """Tags from the post's tag facets and from #words in its text, once each (case folded)."""
    found: list[str] = []
    seen: set[str] = set()
    candidates = [
        str(feature.get("tag") or "")
        for facet in facets or []
        for feature in facet.get("features") or []
        if feature.get("$type") == "app.bsky.richtext.facet#tag"
    ]
    candidates += [tag for _, _, tag in _tags_in_text(text)]
    for tag in candidates:
        tag = unicodedata.normalize("NFC", tag.lstrip("#＃")).strip()
        if tag and tag.casefold() not in seen:
            seen.add(tag.casefold())
            found.append(tag)
    return found


def permalink(handle_or_did: str, uri: str) -> str:
    """The post's address in the Bluesky web app."""
    return f"https://bsky.app/profile/{handle_or_did}/post/{uri.rsplit('/', 1)[-1]}"


def _stamp(moment: datetime) -> str:
    """A fixed-width UTC time stamp: string order is time order."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _as_dict(value: Any) -> dict[str, Any]:
    """An SDK model or DotDict as the plain JSON dict the lexicon describes."""
    if value is None:
        return {}
    if isinstance(value, dict):
        return value
    try:
        result = get_model_as_dict(value)
    except (AttributeError, TypeError):
        return {}
    return result if isinstance(result, dict) else {}


def _quoted_uri(record: dict[str, Any]) -> str | None:
    embed = record.get("embed") or {}
    inner = embed.get("record") or {}
    if embed.get("$type") == "app.bsky.embed.recordWithMedia":
        inner = inner.get("record") or {}
    if embed.get("$type") in ("app.bsky.embed.record", "app.bsky.embed.recordWithMedia"):
        uri = inner.get("uri")
        return str(uri) if uri else None
    return None


def _comparable(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def _error_name(error: RequestErrorBase) -> str:
    content = error.response.content if error.response is not None else None
    return str(content.error) if isinstance(content, XrpcError) else ""


def _describe(error: BaseException) -> str:
    """A short message for logs and staff (SDK errors carry the XRPC error and message)."""
    text = str(error) or type(error).__name__
    return text[:300]


def _retry_at(error: RateLimitExceededError) -> datetime | None:
    reset: datetime | None = error.reset_at
    if reset is not None:
        return reset
    if error.retry_after is not None:
        return utcnow() + timedelta(seconds=error.retry_after)
    return None


class BlueskyConnector:
    """A Bluesky account through the atproto SDK (see the module docstring)."""

    network = NETWORK

    def __init__(
        self,
        *,
        handle: str,
        app_password: str,
        service_url: str = DEFAULT_SERVICE,
        timeout: float = 10.0,
        session_store: SessionStore | None = None,
    ) -> None:
        self.handle = handle.strip().lstrip("@").lower()
        self._app_password = app_password
        self.service_url = (service_url or DEFAULT_SERVICE).rstrip("/")
        self.timeout = timeout
        self._session_store = session_store or process_session_store(
            self.service_url, self.handle, app_password
        )
        self.did: str | None = None
        self.client = Client(base_url=self.service_url, request=Request(timeout=timeout))
        self.client.on_session_change(self._session_changed)
        self._logged_in = False

    def __repr__(self) -> str:  # never show the password or tokens
        return f"<BlueskyConnector @{self.handle} {self.service_url}>"

    # session ---------------------------------------------------------------------------------
    @property
    def session_string(self) -> str | None:
        """The current session, opaque (service URL and the SDK's session string, which holds
        the tokens): what `session_store` saves. None before the first login."""
        session = self.client._session  # the SDK's own session object; read-only here
        if session is None:
            return None
        return json.dumps({"service": self.service_url, "session": session.export()})

    def _session_changed(self, _event: Any, _session: Any) -> None:
        if self.session_string is None:
            return
        try:
            self._session_store[1](self.session_string)
        except Exception:  # a session that was not saved only costs a login next time
            logger.warning("bluesky: could not save the session of @%s", self.handle, exc_info=True)

    def _restore_session(self) -> bool:
        """Reuse a saved session for this handle and service; False when there is none."""
        saved = self._session_store[0]()
        if not saved:
            return False
        try:
            data = json.loads(saved)
            if data.get("service") != self.service_url:
                return False
            session = str(data["session"])
            handle, did = session.split(":::")[:2]
        except (ValueError, KeyError, TypeError, AttributeError):
            return False
        if handle.lower() != self.handle and did != self.handle:
            return False
        try:
            self.client.login(session_string=session, fetch_bsky_profile=False)
            restored = self.client._session
            # The SDK reads the tokens' expiry before every call: they must decode.
            if restored is None or restored.access_jwt_payload.exp is None:
                return False
        except Exception:  # noqa: BLE001 - a damaged saved session is replaced by a login
            logger.info("bluesky: the saved session of @%s is unusable; logging in", self.handle)
            return False
        self.did = did
        return True

    def _login(self) -> None:
        """Create a session with the handle and app password (at the configured service: a
        restored session may have moved the client to the account's own PDS)."""
        self.client.update_base_url(self.service_url)
        try:
            self.client.login(self.handle, self._app_password, fetch_bsky_profile=False)
        except (UnauthorizedError, BadRequestError) as error:
            raise _CredentialsRefused(
                f"Bluesky refused the app password for @{self.handle} ({_describe(error)}). "
                "Create a new app password in Bluesky (Settings → Privacy and security → "
                "App passwords) and set IDEABOARD_BLUESKY_APP_PASSWORD; polling and sending "
                "for this account wait until then."
            ) from error
        session = self.client._session
        self.did = session.did if session is not None else None
        self._logged_in = True
        logger.info("bluesky: logged in as @%s", self.handle)

    def _ensure_session(self) -> None:
        if self._logged_in:
            return
        if self._restore_session():
            self._logged_in = True
            return
        self._login()

    def _call(self, method: Callable[[], Any]) -> Any:
        """Run one SDK call; when the server refuses the tokens, log in again once and retry.

        Safe to retry: a refused token means the server did nothing with the request.
        """
        self._ensure_session()
        try:
            return method()
        except (BadRequestError, UnauthorizedError, LoginRequiredError) as error:
            if isinstance(error, RequestErrorBase) and _error_name(error) not in TOKEN_ERRORS:
                raise
            logger.info(
                "bluesky: session of @%s refused (%s); logging in again",
                self.handle,
                _describe(error),
            )
        self._logged_in = False
        self._login()
        return method()

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self.client.request.close()

    def account_info(self) -> dict[str, str]:
        """Log in and return the account's {"did", "handle", "display_name"}: what the
        add-account form checks and stores. FetchError (auth=True when the app password is
        refused) otherwise."""
        try:
            profile = self._call(
                lambda: self.client.app.bsky.actor.get_profile(
                    models.AppBskyActorGetProfile.Params(actor=self.did or self.handle)
                )
            )
        except _CredentialsRefused as error:
            raise FetchError(str(error), auth=True) from error
        except RateLimitExceededError as error:
            raise FetchError("rate limited (429)", retry_at=_retry_at(error)) from error
        except (AtProtocolError, httpx.HTTPError, ValueError) as error:
            raise FetchError(f"Bluesky: {_describe(error)}") from error
        return {
            "did": str(profile.did),
            "handle": str(profile.handle),
            "display_name": str(profile.display_name or profile.handle),
        }

    def identify(self) -> Identity:
        """Who the account is: its DID (kept as the account's remote id) and handle."""
        info = self.account_info()
        return Identity(
            remote_user_id=info["did"], username=info["handle"], display_name=info["display_name"]
        )

    # reading ---------------------------------------------------------------------------------
    @staticmethod
    def cursor_key(cursor: str) -> tuple[Any, ...]:
        """Order "<indexedAt>|<uri>" cursors by time, then URI; anything else sorts first."""
        stamp, _, uri = (cursor or "").partition("|")
        moment = _parse_time(stamp) if uri else None
        if moment is None:
            return ("", cursor or "")
        return (_stamp(moment), uri)

    def fetch_mentions(self, *, since_id: str | None, start_time: datetime | None) -> list[Mention]:
        """Mentions, replies and quotes after the cursor since_id (or indexed at or after
        start_time, the overlap re-read), oldest first, each once."""
        since = self.cursor_key(since_id) if since_id and start_time is None else None
        start = _stamp(start_time) if start_time is not None else None
        mentions: dict[str, Mention] = {}
        page_cursor: str | None = None
        try:
            for _page in range(MAX_PAGES):
                params = models.AppBskyNotificationListNotifications.Params(
                    limit=PAGE_SIZE, reasons=list(REASONS), cursor=page_cursor
                )
                response = self._call(partial(self._list_notifications, params))
                passed = False
                for notification in response.notifications:
                    if notification.reason not in REASONS:
                        continue
                    mention = self._mention(notification)
                    key = self.cursor_key(mention.cursor)
                    # Skip what is at or before the cursor; stop paging only after a page
                    # that reached an earlier time (ties in time may straddle pages).
                    if start is not None and key[0] < start:
                        passed = True
                        continue
                    if since is not None and key <= since:
                        passed = passed or key[0] < since[0]
                        continue
                    mentions.setdefault(mention.id, mention)
                page_cursor = response.cursor
                if passed or not page_cursor or not response.notifications:
                    break
        except _CredentialsRefused as error:
            raise FetchError(str(error), auth=True) from error
        except RateLimitExceededError as error:
            raise FetchError("rate limited (429)", retry_at=_retry_at(error)) from error
        except UnauthorizedError as error:
            raise FetchError(
                f"Bluesky refused the session: {_describe(error)}", auth=True
            ) from error
        except (AtProtocolError, httpx.HTTPError, ValueError) as error:
            raise FetchError(f"Bluesky: {_describe(error)}") from error
        return sorted(mentions.values(), key=lambda m: self.cursor_key(m.cursor))

    def _list_notifications(self, params: Any) -> Any:
        return self.client.app.bsky.notification.list_notifications(params)

    def _mention(self, notification: Any) -> Mention:
        record = _as_dict(notification.record)
        author = notification.author
        text = str(record.get("text") or "")
        langs = record.get("langs") or []
        indexed = _parse_time(notification.indexed_at) or utcnow()
        created = _parse_time(record.get("createdAt")) or indexed
        reply = record.get("reply") or {}
        uri = str(notification.uri)
        return Mention(
            id=uri,
            text=text,
            author_id=str(author.did),
            author_handle=str(author.handle or ""),
            author_name=str(author.display_name or ""),
            created_at=created,
            lang=str(langs[0]) if langs else None,
            hashtags=hashtags_of(text, record.get("facets")),
            replied_to=(reply.get("parent") or {}).get("uri"),
            quoted=_quoted_uri(record),
            network=NETWORK,
            permalink=permalink(str(author.handle or author.did), uri),
            cursor=f"{_stamp(indexed)}|{uri}",
        )

    # writing ---------------------------------------------------------------------------------
    def post_reply(self, text: str, in_reply_to: str) -> Posted:
        """Reply to the post at in_reply_to (an at:// URI) in its thread."""
        if not _AT_URI.match(in_reply_to or "") or len(in_reply_to) > 300:
            raise SendError(f"not a Bluesky post URI: {in_reply_to[:80]!r}", final=True)
        try:
            response = self._call(
                lambda: self.client.app.bsky.feed.get_posts(
                    models.AppBskyFeedGetPosts.Params(uris=[in_reply_to])
                )
            )
        except Exception as error:  # noqa: BLE001 - translated; nothing was sent yet
            raise self._send_error(error, sending=False) from error
        if response.posts:
            parent = response.posts[0]
            uri, cid, record = parent.uri, parent.cid, _as_dict(parent.record)
        else:
            # Not in the AppView's index: deleted, or too new to be indexed yet (a thread's
            # next part answers the brand's own reply a moment after it was written; seen on
            # the reference servers). The repository itself answers at once.
            uri, cid, record = self._record(in_reply_to)
        parent_ref = models.ComAtprotoRepoStrongRef.Main(uri=uri, cid=cid)
        parent_reply = record.get("reply") or {}
        root = parent_reply.get("root") or {}
        root_ref = (
            models.ComAtprotoRepoStrongRef.Main(uri=root["uri"], cid=root["cid"])
            if root.get("uri") and root.get("cid")
            else parent_ref
        )
        return self._create(text, models.AppBskyFeedPost.ReplyRef(root=root_ref, parent=parent_ref))

    def _record(self, uri: str) -> tuple[str, str, dict[str, Any]]:
        """Read the post at uri from its repository: (uri, cid, record). SendError(final)
        when the repository says it is not there (deleted); retryable otherwise."""
        match = _AT_URI.match(uri)
        if match is None:
            raise SendError(f"not a Bluesky post URI: {uri[:80]!r}", final=True)
        repo, collection, rkey = match.groups()
        try:
            found = self._call(
                lambda: self.client.com.atproto.repo.get_record(
                    models.ComAtprotoRepoGetRecord.Params(
                        repo=repo, collection=collection, rkey=rkey
                    )
                )
            )
        except BadRequestError as error:
            if _error_name(error) == "RecordNotFound":
                raise SendError(
                    f"the post {uri} is deleted; it cannot be replied to", final=True
                ) from error
            raise self._send_error(error, sending=False) from error
        except Exception as error:  # noqa: BLE001 - translated; nothing was sent yet
            raise self._send_error(error, sending=False) from error
        return str(found.uri), str(found.cid), _as_dict(found.value)

    def post(self, text: str) -> Posted:
        """A top-level post on the brand account."""
        return self._create(text, None)

    def _create(self, text: str, reply: Any) -> Posted:
        text = unicodedata.normalize("NFC", text)
        problem = length_problem(text)
        if problem:
            raise SendError(problem, final=True)
        facets = [models.AppBskyRichtextFacet.Main.model_validate(f) for f in build_facets(text)]
        try:
            created = self._call(
                lambda: self.client.send_post(
                    text,
                    profile_identify=self.did,
                    reply_to=reply,
                    langs=[guess_lang(text)],
                    facets=facets or None,
                )
            )
        except Exception as error:  # noqa: BLE001 - translated below
            raise self._send_error(error, sending=True) from error
        uri = str(created.uri)
        return Posted(id=uri, url=permalink(self.handle, uri))

    def _send_error(self, error: Exception, *, sending: bool) -> SendError:
        """Translate an SDK error: rate limit, refused credentials, final, ambiguous or not."""
        if isinstance(error, SendError):
            return error
        if isinstance(error, _CredentialsRefused):
            return SendError(str(error), auth=True)
        if isinstance(error, RateLimitExceededError):
            return SendError("rate limited (429)", retry_at=_retry_at(error))
        if isinstance(error, InvokeTimeoutError):
            return SendError(f"timeout: {_describe(error)}", ambiguous=sending)
        if isinstance(error, NetworkError):
            status = error.response.status_code if error.response is not None else None
            if status == 413:
                return SendError(f"Bluesky: {_describe(error)}", final=True)
            # No answer at all: the request may have arrived. A 502 or 409 answer is a refusal
            # to retry later, like any server error.
            return SendError(f"Bluesky: {_describe(error)}", ambiguous=sending and status is None)
        status = getattr(getattr(error, "response", None), "status_code", None)
        if status == 504:  # the gateway gave up waiting: the post may have been made
            return SendError(f"Bluesky: {_describe(error)}", ambiguous=sending)
        if isinstance(error, UnauthorizedError):
            return SendError(f"Bluesky refused the session: {_describe(error)}", auth=True)
        if isinstance(error, BadRequestError):
            return SendError(f"Bluesky refused the post: {_describe(error)}", final=True)
        if isinstance(error, httpx.HTTPError):  # a transport failure the SDK did not wrap
            return SendError(f"Bluesky: {_describe(error)}", ambiguous=sending)
        if isinstance(error, AtProtocolError):
            return SendError(f"Bluesky: {_describe(error)}")
        raise error

    def find_reply(self, in_reply_to: str, text: str) -> str | None:
        """The URI of our reply to in_reply_to with this text, if Bluesky has one."""
        if not _AT_URI.match(in_reply_to or "") or len(in_reply_to) > 300:
            return None
        params = models.AppBskyFeedGetPostThread.Params(uri=in_reply_to, depth=1, parent_height=0)
        try:
            response = self._call(lambda: self.client.app.bsky.feed.get_post_thread(params))
        except BadRequestError as error:
            if _error_name(error) == "NotFound":
                return None
            raise SendError(f"lookup failed: {_describe(error)}", ambiguous=True) from error
        except RateLimitExceededError as error:
            raise SendError("rate limited (429)", retry_at=_retry_at(error)) from error
        except (_CredentialsRefused, UnauthorizedError) as error:
            raise SendError(str(error), auth=True) from error
        except (AtProtocolError, httpx.HTTPError) as error:
            raise SendError(f"lookup failed: {_describe(error)}", ambiguous=True) from error
        wanted = _comparable(text)
        for reply in getattr(response.thread, "replies", None) or []:
            post = getattr(reply, "post", None)
            if post is None or post.author.did != self.did:
                continue
            if _comparable(str(_as_dict(post.record).get("text") or "")) == wanted:
                return str(post.uri)
        return None
