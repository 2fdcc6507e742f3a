"""This server's public address, as clients see it: the base of absolute URLs in answers (an export's
downloadUrl, a SCIM resource's meta.location)."""

from __future__ import annotations

from starlette.requests import HTTPConnection

from seatwise.models.core.settings import settings


def public_base_url(request: HTTPConnection | None) -> str:
    """The address without a trailing slash: SEATWISE_PUBLIC_URL if set, else scheme and Host of the request
    (behind a proxy, uvicorn's proxy headers give the scheme: FORWARDED_ALLOW_IPS must name the proxy); "" when
    there is no request or it named no host."""
    configured = (settings().public_url or "").strip().rstrip("/")
    if configured:
        return configured
    if request is None or not request.headers.get("host"):
        return ""
    return str(request.base_url).rstrip("/")
