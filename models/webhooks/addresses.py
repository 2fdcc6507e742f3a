"""The URL rules of webhook endpoints (SSRF): https only, no credentials, at most 2,048 characters, and a host that
resolves only to public addresses; the delivery connects to the address that was checked (no second lookup)."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

from seatwise.models.core.errors import DomainError, ErrorCode
from seatwise.models.core.settings import settings

MAX_URL = 2048


class Refused(Exception):
    """The URL may not be called; the message says why (it names no secret)."""


@dataclass(frozen=True)
class Target:
    """Where a delivery goes: the URL, its host name (for Host and TLS), and the checked address to connect to."""

    url: SplitResult
    host: str
    address: str
    port: int


def allow_private() -> bool:
    return settings().webhook_allow_private


def shape(url: str) -> SplitResult:
    """The URL's form, or Refused."""
    if len(url) > MAX_URL:
        raise Refused(f"The URL is longer than {MAX_URL} characters.")
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018  (a bad port raises ValueError)
    except ValueError:
        raise Refused("The URL is not a valid URL.") from None
    schemes = ("https", "http") if allow_private() else ("https",)
    if parts.scheme not in schemes or not parts.hostname:
        raise Refused("The URL must be https:// with a host.")
    if parts.username is not None or parts.password is not None:
        raise Refused("The URL may not carry a user name or password.")
    return parts


def is_public(address: str) -> bool:
    """Whether an address may be reached: not loopback, private, link-local, multicast, reserved, unspecified,
    shared (100.64/10) nor an IPv4-mapped IPv6 form of one of them."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_unspecified or ip.is_loopback or ip.is_link_local)


async def resolve(url: str) -> Target:
    """Check the URL and resolve its host once; every address must be public (unless private ones are allowed)."""
    parts = shape(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise Refused(f"The host {host} does not resolve.") from None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not addresses:
        raise Refused(f"The host {host} does not resolve.")
    if not allow_private() and not all(is_public(a) for a in addresses):
        raise Refused(f"The host {host} resolves to a loopback, private or otherwise non-public address.")
    return Target(parts, host, addresses[0], port)


async def check_for_endpoint(url: str) -> str:
    """The URL as stored, or INVALID_INPUT naming why (at creation and update)."""
    try:
        await resolve(url)
    except Refused as refused:
        raise DomainError(ErrorCode.INVALID_INPUT, str(refused), "url") from None
    return url.strip()


def check_shape(url: str) -> None:
    """The URL's form only (no lookup), as INVALID_INPUT on url."""
    try:
        shape(url)
    except Refused as refused:
        raise DomainError(ErrorCode.INVALID_INPUT, str(refused), "url") from None
