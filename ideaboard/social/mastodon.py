"""The Mastodon connector: mentions from notifications, replies as statuses, through Mastodon.py.

One connector serves one brand account on one server (`base_url`), with an access token made
under Preferences → Development (scopes read:notifications read:statuses write:statuses
read:accounts). Mastodon.py is set up so that it never waits on its own: rate limits raise
(`ratelimit_method="throw"`), no version probe is made (`version_check_mode="none"`), and
every request has a timeout. Requests go to base_url only.

- Mentions are the `mention` notifications. The cursor is the notification id; later ones are
  read forwards with `min_id` (oldest first, a page cap per round, the rest next round).
  Without a cursor (the first poll) the newest are read backwards with `max_id`, back to
  `start_time` when one is given.
- A reply repeats the mention's visibility, never more public (public → `public_visibility`,
  "unlisted" by default), starts with "@author" so a private or direct reply reaches its
  author, keeps the mention's content warning, and is tagged "ko" or "en".
- Status text is HTML on Mastodon: mastodon_text.html_to_text turns it into plain text.
"""

from __future__ import annotations

import hashlib
import ipaddress
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import requests
from mastodon import (
    Mastodon,
    MastodonAPIError,
    MastodonError,
    MastodonNetworkError,
    MastodonNotFoundError,
    MastodonRatelimitError,
    MastodonServerError,
    MastodonUnauthorizedError,
)

from .connectors import FetchError, Identity, Mention, Posted, SendError
from .mastodon_text import (
    MAX_CHARACTERS,
    URL_CHARACTERS,
    graphemes,
    html_to_text,
    language_of,
    mentions_map,
    post_length,
    reply_prefix,
    strip_leading_mentions,
)

PAGE_SIZE = 40  # Mastodon's default and most servers' sensible page of notifications
MAX_PAGES = 8  # per round: 320 mentions; the rest is read in the next round
# From most public to least: a reply is never more public than the post it answers.
VISIBILITIES = ("public", "unlisted", "private", "direct")
# Room kept in a reply for "@" + a username (at most 30) + " ", and a content warning of 48.
REPLY_RESERVE = 32 + 48
USER_AGENT = "IdeaBoard (Mastodon.py)"


class MastodonSession(requests.Session):
    """The requests Session Mastodon.py sends through: notifications include the filtered.

    Since Mastodon 4.3 a server filters some notifications by the account's notification
    policy — by default the private mentions of people the account does not follow, i.e. a
    customer's direct message to the brand — and leaves them out of /api/v1/notifications
    unless asked with include_filtered=true. Mastodon.py's notifications() has no such
    parameter, so the session adds it; the importer's own rules decide what becomes an idea.
    """

    def request(
        self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any
    ) -> requests.Response:
        target = url.decode() if isinstance(url, bytes) else url
        verb = method.decode() if isinstance(method, bytes) else method
        if verb.upper() == "GET" and urlsplit(target).path.endswith("/api/v1/notifications"):
            kwargs["params"] = {**dict(kwargs.get("params") or {}), "include_filtered": "true"}
        return super().request(method, url, *args, **kwargs)


@dataclass(frozen=True)
class InstanceLimits:
    """What a server allows in one status (from /api/v2/instance)."""

    max_characters: int = MAX_CHARACTERS
    characters_reserved_per_url: int = URL_CHARACTERS


def check_base_url(base_url: str) -> str:
    """Return the base URL without a trailing slash; refuse plain http off this machine."""
    parts = urlsplit(base_url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(
            "the Mastodon base URL must be an http(s) address, e.g. https://mastodon.social"
        )
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise ValueError("the Mastodon base URL must use https (plain http only on this machine)")
    if parts.query or parts.fragment or parts.username or parts.password:
        raise ValueError("the Mastodon base URL takes no query, fragment or credentials")
    return base_url.strip().rstrip("/")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def text_budget(limits: InstanceLimits) -> int:
    """How long IdeaBoard's own text in a reply may be on this server: its limit less
    REPLY_RESERVE, the room for the "@author " put in front (a username has at most 30
    characters) and the mention's content warning (kept whole up to 48 characters)."""
    return max(limits.max_characters - REPLY_RESERVE, limits.max_characters // 2)


def fit_warning(spoiler_text: str, body: str, limits: InstanceLimits) -> str:
    """The content warning to repeat on a reply: whole, or shortened with "…" so that the
    warning and the body fit the server's limit together (Mastodon counts both)."""
    url = limits.characters_reserved_per_url
    room = limits.max_characters - post_length(body, url_characters=url)
    if post_length("", spoiler_text, url_characters=url) <= room or room < 2:
        return spoiler_text  # it fits; or nothing would: the server says so (final)
    kept = graphemes(spoiler_text)[: room - 1]
    return "".join(kept).rstrip() + "…"


def reply_limit(limits: InstanceLimits, author_handle: str, spoiler_text: str = "") -> int:
    """How long a reply's own text may be: the server's limit less the "@author " put in
    front (and the mention's content warning, when known), as Mastodon counts them."""
    taken = post_length(reply_prefix(author_handle), spoiler_text or "")
    return max(0, limits.max_characters - taken)


def reply_visibility(mention_visibility: str | None, public_visibility: str = "unlisted") -> str:
    """The visibility of a reply: the mention's, or less public; never more public."""
    wanted = mention_visibility if mention_visibility in VISIBILITIES else "direct"
    floor = public_visibility if public_visibility in ("public", "unlisted") else "unlisted"
    return max(wanted, floor, key=VISIBILITIES.index)


def _addressed(text: str, accts: list[str]) -> str:
    """The text with "@acct " in front for each acct its leading mentions do not name yet."""
    words = text.split()
    leading = set()
    for word in words:
        if not word.startswith("@"):
            break
        leading.add(word[1:].lower())
    missing = [a for a in dict.fromkeys(accts) if a and a.lower() not in leading]
    return "".join(reply_prefix(a) for a in missing) + text


def _status_code(error: MastodonAPIError) -> int | None:
    args = error.args
    return args[1] if len(args) > 1 and isinstance(args[1], int) else None


def _message(error: MastodonError) -> str:
    args = error.args
    if isinstance(error, MastodonAPIError) and len(args) >= 4:
        return f"{args[1]}: {args[3] or args[2]}"
    return str(error)[:300]


def _field(item: Any, name: str) -> Any:
    """A field of a Mastodon.py entity (a dict subclass), or None."""
    return item.get(name) if isinstance(item, dict) else getattr(item, name, None)


def _aware(value: Any) -> datetime | None:
    if not isinstance(value, datetime):
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class MastodonConnector:
    """One brand account on one Mastodon server."""

    network = "mastodon"

    def __init__(
        self,
        *,
        base_url: str,
        access_token: str,
        timeout: float = 10.0,
        public_visibility: str = "unlisted",
    ) -> None:
        self.base_url = check_base_url(base_url)
        if not access_token:
            raise ValueError("a Mastodon access token is required")
        if public_visibility not in ("public", "unlisted"):
            raise ValueError('public_visibility must be "public" or "unlisted"')
        self.public_visibility = public_visibility
        self.session = MastodonSession()
        self.api = Mastodon(
            api_base_url=self.base_url,
            ratelimit_method="throw",  # never sleep in the worker: report retry_at instead
            request_timeout=timeout,
            version_check_mode="none",  # no request on construction
            session=self.session,
            user_agent=USER_AGENT,
        )
        # Set after construction: given to the constructor, a token that happens to name a
        # file would be read from that file instead.
        self.api.access_token = access_token
        self._me: Any = None
        self._instance: list[Any] | None = None

    def __repr__(self) -> str:  # never show the token
        return f"MastodonConnector(base_url={self.base_url!r})"

    def close(self) -> None:
        """Close the HTTP session."""
        self.session.close()

    # the account ------------------------------------------------------------------------------
    def me(self) -> Any:
        """The brand's own account (verify_credentials, asked once per connector)."""
        if self._me is None:
            try:
                self._me = self.api.account_verify_credentials()
            except MastodonError as error:
                raise self._fetch_error(error) from error
        return self._me

    @property
    def account_id(self) -> str:
        return str(_field(self.me(), "id"))

    def identify(self) -> Identity:
        """Who the token's account is, and how long IdeaBoard's own text in a reply may be
        (text_budget: the server's limit less room for "@author " and a content warning).
        FetchError, auth=True when the token is refused."""
        me = self.me()
        return Identity(
            remote_user_id=str(_field(me, "id")),
            username=str(_field(me, "username") or _field(me, "acct") or ""),
            display_name=str(_field(me, "display_name") or ""),
            post_limit=text_budget(self.instance_limits()),
        )

    def instance(self) -> list[Any]:
        """The server's description: [/api/v2/instance] or, on old servers, [/api/v1/instance]
        (empty when neither answers); asked once per connector."""
        if self._instance is None:
            found: list[Any] = []
            for read in (self.api.instance_v2, self.api.instance_v1):
                try:
                    found = [read()]
                    break
                except MastodonNotFoundError:
                    continue
                except MastodonError as error:
                    raise self._fetch_error(error) from error
            self._instance = found
        return self._instance

    def instance_limits(self) -> InstanceLimits:
        """The server's status limits from /api/v2/instance (/api/v1/instance on old servers;
        500 characters and 23 per URL when neither says)."""
        for info in self.instance():
            statuses = _field(_field(info, "configuration") or {}, "statuses") or {}
            limit = _field(statuses, "max_characters")
            per_url = _field(statuses, "characters_reserved_per_url")
            if isinstance(limit, int) and limit > 0:
                return InstanceLimits(
                    max_characters=limit,
                    characters_reserved_per_url=per_url
                    if isinstance(per_url, int) and per_url >= 0
                    else URL_CHARACTERS,
                )
        return InstanceLimits()

    def account_handle(self) -> str:
        """The brand's full handle, "user@server"."""
        return self.full_handle(str(_field(self.me(), "acct") or ""))

    def full_handle(self, acct: str) -> str:
        """An acct as a full handle: Mastodon writes people on the brand's own server as
        "user"; this adds the server's own domain (which may differ from the host of its web
        address), so every handle names its server, as "user@other.server" does."""
        if not acct or "@" in acct:
            return acct
        domain = ""
        for info in self.instance():
            domain = str(_field(info, "domain") or _field(info, "uri") or "")
        return f"{acct}@{domain or urlsplit(self.base_url).hostname}"

    # reading ----------------------------------------------------------------------------------
    @staticmethod
    def cursor_key(cursor: str) -> tuple[Any, ...]:
        """Notification ids: numbers on Mastodon (compared as numbers), strings elsewhere."""
        return (int(cursor),) if cursor.isdigit() else (cursor,)

    def fetch_mentions(self, *, since_id: str | None, start_time: datetime | None) -> list[Mention]:
        """Every mention after the cursor since_id, oldest first; without a cursor, the newest
        ones (back to start_time when given).

        With a cursor, start_time is not needed: a server numbers notifications as they
        arrive (a late-federated mention too), so none can appear behind the cursor, and the
        forward read leaves nothing out — a burst over the page cap is read on in the next
        round — where a re-read back to a time would have to stop at the cap and lose the rest.
        """
        found: dict[str, Mention] = {}
        try:
            if since_id:
                self._read_forwards(since_id, found)
            else:
                self._read_backwards(_aware(start_time), found)
        except MastodonError as error:
            raise self._fetch_error(error) from error
        return sorted(found.values(), key=lambda m: self.cursor_key(m.cursor))

    def _read_forwards(self, since_id: str, found: dict[str, Mention]) -> None:
        """Pages after since_id, oldest page first (min_id), up to MAX_PAGES."""
        cursor: str = since_id
        for _page in range(MAX_PAGES):
            page = self.api.notifications(types=["mention"], min_id=cursor, limit=PAGE_SIZE)
            if not page:
                return
            ids = [str(_field(n, "id")) for n in page]
            for notification in page:
                self._add(notification, found)
            newest = max(ids, key=self.cursor_key)
            if len(page) < PAGE_SIZE or self.cursor_key(newest) <= self.cursor_key(cursor):
                return  # the last page (or a server that ignores min_id: stop, do not loop)
            cursor = newest

    def _read_backwards(self, start_time: datetime | None, found: dict[str, Mention]) -> None:
        """Newest first (max_id) until start_time is passed, up to MAX_PAGES."""
        max_id: str | None = None
        for _page in range(MAX_PAGES):
            page = self.api.notifications(types=["mention"], max_id=max_id, limit=PAGE_SIZE)
            if not page:
                return
            passed = False
            for notification in page:
                created = _aware(_field(notification, "created_at"))
                if start_time is not None and created is not None and created < start_time:
                    passed = True
                    continue
                self._add(notification, found)
            oldest = min((str(_field(n, "id")) for n in page), key=self.cursor_key)
            if (
                passed
                or len(page) < PAGE_SIZE
                or (max_id is not None and self.cursor_key(oldest) >= self.cursor_key(max_id))
            ):
                return
            max_id = oldest

    def _add(self, notification: Any, found: dict[str, Mention]) -> None:
        if _field(notification, "type") != "mention":
            return
        status = _field(notification, "status")
        if not status:
            return  # the status was deleted since
        mention = self._mention(status, str(_field(notification, "id")))
        found.setdefault(mention.id, mention)

    def _mention(self, status: Any, cursor: str) -> Mention:
        account = _field(status, "account") or {}
        tags = [str(_field(t, "name")) for t in _field(status, "tags") or [] if _field(t, "name")]
        quote = _field(status, "quote")
        quoted = None
        if quote:
            inner = _field(quote, "quoted_status")
            quoted_id = _field(inner, "id") if inner else _field(quote, "quoted_status_id")
            quoted = str(quoted_id) if quoted_id else None
        reply_to = _field(status, "in_reply_to_id")
        return Mention(
            id=str(_field(status, "id")),
            text=html_to_text(str(_field(status, "content") or ""), mentions_map(dict(status))),
            author_id=str(_field(account, "id") or ""),
            author_handle=self.full_handle(str(_field(account, "acct") or "")),
            author_name=str(_field(account, "display_name") or _field(account, "username") or ""),
            created_at=_aware(_field(status, "created_at")),
            lang=_field(status, "language") or None,
            hashtags=tags,
            replied_to=str(reply_to) if reply_to else None,
            quoted=quoted,
            is_retweet=bool(_field(status, "reblog")),
            network=self.network,
            permalink=str(_field(status, "url") or _field(status, "uri") or ""),
            cursor=cursor,
        )

    # writing ----------------------------------------------------------------------------------
    def post_reply(self, text: str, in_reply_to: str) -> Posted:
        """Reply to a status: its visibility or less public, its author mentioned first (on our
        own status, a thread's next part, the people it mentioned), its content warning kept
        (shortened with "…" only when the whole would not fit the server's limit)."""
        try:
            status = self.api.status(in_reply_to)
        except (MastodonNotFoundError, MastodonAPIError) as error:
            code = _status_code(error) if isinstance(error, MastodonAPIError) else None
            if isinstance(error, MastodonNotFoundError) or code in (404, 410):
                raise SendError(f"the status is gone: {_message(error)}", final=True) from error
            raise self._send_error(error, sending=False) from error
        except MastodonError as error:
            raise self._send_error(error, sending=False) from error
        try:
            mine = self.account_id
        except FetchError as error:
            raise SendError(error.message, retry_at=error.retry_at, auth=error.auth) from error
        author = _field(status, "account") or {}
        if str(_field(author, "id")) == mine:
            # Continuing our own reply (a thread): address whom it addressed, not ourselves.
            mentioned = _field(status, "mentions") or []
            accts = [str(_field(m, "acct")) for m in mentioned if str(_field(m, "id")) != mine]
        else:
            accts = [str(_field(author, "acct") or "")]
        body = _addressed(text, accts)
        try:
            limits = self.instance_limits()
        except FetchError as error:
            raise SendError(error.message, retry_at=error.retry_at, auth=error.auth) from error
        return self._create(
            body,
            in_reply_to=str(_field(status, "id")),
            visibility=reply_visibility(_field(status, "visibility"), self.public_visibility),
            spoiler_text=fit_warning(str(_field(status, "spoiler_text") or ""), body, limits),
        )

    def post(self, text: str) -> Posted:
        """A public status on the brand account."""
        return self._create(text, in_reply_to=None, visibility="public", spoiler_text="")

    def _create(
        self, text: str, *, in_reply_to: str | None, visibility: str, spoiler_text: str
    ) -> Posted:
        # The same reply twice within the hour is answered with the first one by Mastodon.
        key = hashlib.sha256(f"{in_reply_to or ''}\n{text}".encode()).hexdigest()
        try:
            created = self.api.status_post(
                text,
                in_reply_to_id=in_reply_to,
                visibility=visibility,
                spoiler_text=spoiler_text or None,
                language=language_of(text),
                idempotency_key=key,
            )
        except MastodonError as error:
            raise self._send_error(error, sending=True) from error
        post_id = str(_field(created, "id"))
        url = _field(created, "url") or _field(created, "uri") or ""
        return Posted(id=post_id, url=str(url))

    def find_reply(self, in_reply_to: str, text: str) -> str | None:
        """Our reply to in_reply_to with this text, if the thread has one.

        Failures are SendErrors (the outbox asks this between sends): rate limits with
        retry_at, a refused token with auth, anything else ambiguous (we still do not know)."""
        try:
            mine = self.account_id
            context = self.api.status_context(in_reply_to)
        except MastodonNotFoundError:
            return None  # the status is gone, and with it any reply
        except FetchError as error:
            raise SendError(
                f"lookup failed: {error.message}",
                retry_at=error.retry_at,
                auth=error.auth,
                ambiguous=not (error.auth or error.retry_at),
            ) from error
        except MastodonError as error:
            failure = self._send_error(error, sending=False)
            if failure.auth or failure.retry_at:
                raise failure from error
            raise SendError(f"lookup failed: {_message(error)}", ambiguous=True) from error
        wanted = strip_leading_mentions(text)
        for status in _field(context, "descendants") or []:
            author = _field(status, "account") or {}
            if str(_field(author, "id")) != mine:
                continue
            content = html_to_text(str(_field(status, "content") or ""), mentions_map(dict(status)))
            if strip_leading_mentions(content) == wanted:
                return str(_field(status, "id"))
        return None

    # errors -----------------------------------------------------------------------------------
    def _retry_at(self) -> datetime | None:
        reset = self.api.ratelimit_reset  # epoch seconds, from X-RateLimit-Reset
        return datetime.fromtimestamp(float(reset), UTC) if reset else None

    def _fetch_error(self, error: MastodonError) -> FetchError:
        if isinstance(error, MastodonRatelimitError):
            return FetchError("rate limited (429)", retry_at=self._retry_at())
        if isinstance(error, MastodonUnauthorizedError) or (
            isinstance(error, MastodonAPIError) and _status_code(error) == 403
        ):
            return FetchError(f"the access token was refused: {_message(error)}", auth=True)
        return FetchError(_message(error))

    def _send_error(self, error: MastodonError, *, sending: bool) -> SendError:
        if isinstance(error, MastodonRatelimitError):
            return SendError("rate limited (429)", retry_at=self._retry_at())
        if isinstance(error, MastodonUnauthorizedError):
            return SendError(f"the access token was refused: {_message(error)}", auth=True)
        if isinstance(error, MastodonServerError):
            return SendError(_message(error))
        if isinstance(error, MastodonNetworkError):
            # The status may have been created before the connection broke: check first.
            return SendError(f"network: {error}", ambiguous=sending)
        if isinstance(error, MastodonAPIError):
            code = _status_code(error)
            if code == 403:
                return SendError(f"the access token was refused: {_message(error)}", auth=True)
            if code == 429:
                return SendError("rate limited (429)", retry_at=self._retry_at())
            if code is not None and 400 <= code < 500:
                # Too long, a deleted target, a refused reply: sending again cannot help.
                return SendError(_message(error), final=True)
            return SendError(_message(error))
        return SendError(str(error)[:300])
