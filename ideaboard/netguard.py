"""Outbound requests to addresses admins type in (webhooks): public destinations only.

A URL passes when it is http(s), carries no user name or password, has a sane port, and
its host name resolves only to global addresses: no loopback, private, link-local (cloud
metadata at 169.254.169.254), shared (100.64/10), multicast, reserved or unspecified
address, also not hidden in IPv6 (IPv4-mapped, NAT64, 6to4, Teredo). Names that only mean
something inside a network (`localhost`, `*.internal`, `*.local`) are refused too.
`IDEABOARD_WEBHOOK_ALLOW_PRIVATE=1` lets intranet receivers (private, loopback and shared
addresses, internal names) through; link-local, multicast and the rest stay refused.

Sending checks again and connects to the very address it checked (the URL's name is kept
for the Host header, TLS SNI and the certificate check), so a name that resolves
differently the second time (DNS rebinding) cannot move the request. Redirects are not
followed and proxies from the environment are not used.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
_SHARED = ipaddress.ip_network("100.64.0.0/10")
_INTERNAL_NAMES = ("localhost", "localdomain", "internal", "local", "home.arpa", "intranet")


class BlockedDestination(Exception):
    """The URL is malformed or points somewhere IdeaBoard must not send to."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Destination:
    """A checked URL: where to connect (address) and what to call it (host)."""

    url: str
    scheme: str
    host: str  # as in the URL, IDNA-encoded, without brackets
    port: int
    address: IPAddress

    @property
    def pinned_url(self) -> str:
        """The URL with the host replaced by the checked address."""
        parts = urlsplit(self.url)
        literal = f"[{self.address}]" if self.address.version == 6 else str(self.address)
        return urlunsplit(
            (parts.scheme, f"{literal}:{self.port}", parts.path or "/", parts.query, "")
        )

    @property
    def host_header(self) -> str:
        literal = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return literal if self.port == default else f"{literal}:{self.port}"


def allow_private() -> bool:
    """Tell whether this app allows intranet receivers (IDEABOARD_WEBHOOK_ALLOW_PRIVATE=1)."""
    from flask import current_app

    return bool(current_app.config.get("IDEABOARD_WEBHOOK_ALLOW_PRIVATE"))


def address_problem(address: IPAddress, *, allow_private: bool = False) -> str | None:
    """Return why the address is refused, or None when a webhook may go there."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded: ipaddress.IPv4Address | None = address.ipv4_mapped or address.sixtofour
        if embedded is None and address in _NAT64[0]:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            return address_problem(embedded, allow_private=allow_private)
        if address in _NAT64[1] or address.teredo is not None:
            return "a tunnelled IPv6 address"
        if address.scope_id:
            return "a scoped IPv6 address"
    if address.is_unspecified:
        return "an unspecified address"
    if address.is_link_local:
        return "a link-local address (cloud metadata lives there)"
    if address.is_multicast:
        return "a multicast address"
    if address.is_loopback:
        return None if allow_private else "a loopback address"
    if isinstance(address, ipaddress.IPv4Address) and address in _SHARED:
        return None if allow_private else "a shared (carrier-grade NAT) address"
    if address.is_reserved:
        return "a reserved address"
    if address.is_global:
        return None
    if address.is_private:
        return None if allow_private else "a private address"
    return "a non-public address"


def _internal_name(host: str) -> bool:
    name = host.rstrip(".").lower()
    return any(name == suffix or name.endswith("." + suffix) for suffix in _INTERNAL_NAMES)


def parse(url: str) -> tuple[str, str, int]:
    """Return (scheme, IDNA host, port) of an http(s) URL, or raise BlockedDestination."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise BlockedDestination("the address is not a valid URL") from None
    if parts.scheme not in ("http", "https"):
        raise BlockedDestination("only http:// and https:// addresses are allowed")
    if parts.username is not None or parts.password is not None:
        raise BlockedDestination("the address must not contain a user name or password")
    host = parts.hostname or ""
    if not host:
        raise BlockedDestination("the address has no host")
    if port is None:
        port = 443 if parts.scheme == "https" else 80
    if not 1 <= port <= 65535:
        raise BlockedDestination("the port is out of range")
    try:
        host = host.encode("idna").decode("ascii") if not host.isascii() else host
    except UnicodeError:
        raise BlockedDestination("the host name is not valid") from None
    if any(c in host for c in "%\\/@ ") or not host.isprintable():
        raise BlockedDestination("the host name is not valid")
    return parts.scheme, host, port


def resolve(host: str, port: int) -> list[IPAddress]:
    """Return every address the host resolves to (an IP literal resolves to itself)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as error:
        raise BlockedDestination(f"the host name does not resolve ({error})") from None
    addresses: list[IPAddress] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        text = str(sockaddr[0]).split("%", 1)[0]
        address = ipaddress.ip_address(text)
        if isinstance(address, ipaddress.IPv6Address) and len(sockaddr) > 3 and sockaddr[3]:
            return [ipaddress.IPv6Address(f"{text}%{sockaddr[3]}")]  # scoped: refused below
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise BlockedDestination("the host name does not resolve")
    return addresses


def check(url: str, *, allow_private: bool = False) -> Destination:
    """Parse and resolve the URL; return where to connect, or raise BlockedDestination.

    Every address the name resolves to must be allowed, not just the first.
    """
    scheme, host, port = parse(url)
    if not allow_private and _internal_name(host):
        raise BlockedDestination(f"{host} is a name for an internal network")
    addresses = resolve(host, port)
    for address in addresses:
        problem = address_problem(address, allow_private=allow_private)
        if problem:
            raise BlockedDestination(f"{host} resolves to {problem} ({address})")
    return Destination(url=url, scheme=scheme, host=host, port=port, address=addresses[0])


class _PinnedAdapter(HTTPAdapter):
    """Connects to the checked address; TLS still names and verifies the URL's host."""

    def __init__(self, destination: Destination) -> None:
        self._destination = destination
        super().__init__(max_retries=0)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        host = self._destination.host
        try:
            ipaddress.ip_address(host)
        except ValueError:  # a name: send it as SNI and check the certificate against it
            kwargs["server_hostname"] = host
            kwargs["assert_hostname"] = host
        super().init_poolmanager(*args, **kwargs)


def post(
    url: str,
    *,
    data: bytes,
    headers: dict[str, str],
    timeout: float,
    allow_private: bool = False,
) -> requests.Response:
    """POST data to a checked, pinned destination; return the (unread, streamed) response.

    Raises BlockedDestination when the URL is refused now, else requests' own exceptions.
    The caller closes the response (use `with`); the body is never read here.
    """
    destination = check(url, allow_private=allow_private)
    with requests.Session() as session:
        session.trust_env = False  # no proxies or .netrc from the environment
        session.mount(f"{destination.scheme}://", _PinnedAdapter(destination))
        return session.post(
            destination.pinned_url,
            data=data,
            headers={**headers, "Host": destination.host_header},
            timeout=timeout,
            allow_redirects=False,
            stream=True,
        )


def describe_status(response: requests.Response) -> str:
    """Return a short, fixed description of the answer ("HTTP 500 Internal Server Error").

    Only the status code and its standard phrase: nothing the receiver wrote is kept.
    """
    from http import HTTPStatus

    try:
        phrase = HTTPStatus(response.status_code).phrase
    except ValueError:
        phrase = ""
    return f"HTTP {response.status_code}" + (f" {phrase}" if phrase else "")
