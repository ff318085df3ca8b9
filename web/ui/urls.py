"""Small helpers of the UI's views: the services, where a redirect may go, pagination links."""

from __future__ import annotations

from typing import Any
from urllib.parse import SplitResult, urlsplit

from flask import current_app, request, url_for

from web.services import Services


def services() -> Services:
    """The application services of this app."""
    found: Services = current_app.config["SERVICES"]
    return found


def local_path(target: str | None, default: str = "/") -> str:
    """``target`` if it is a path on this site, else ``default`` (no open redirects)."""
    if not target or not isinstance(target, str):
        return default
    parts = _split(target)
    if parts is None or parts.scheme or parts.netloc or not target.startswith("/") or target.startswith(("//", "/\\")):
        return default
    if any(ord(ch) < 32 or ch == "\\" for ch in target):
        return default
    return target


def same_site_path(url: str | None) -> str | None:
    """The path and query of ``url`` if it points to this site (a Referer, htmx's HX-Current-URL), else None."""
    parts = _split(url or "")
    if parts is None or parts.netloc != request.host:
        return None
    return local_path(parts.path + (f"?{parts.query}" if parts.query else ""), "") or None


def malformed_url(url: str | None) -> bool:
    """Whether ``url`` (a header's value) is there but cannot be read as an address."""
    return url is not None and _split(url) is None


def _split(url: str) -> SplitResult | None:
    """``url`` split into its parts, or None if it cannot be (``http://[::1`` makes urlsplit raise; a port
    such as ``:abc`` or ``:99999`` raises only when read, as Flask-WTF's Referer check reads it)."""
    try:
        parts = urlsplit(url)
        parts.port, parts.hostname  # noqa: B018 - read to raise now, not in a later reader
        return parts
    except ValueError:
        return None


def whole_number(text: str | None, low: int = 1, high: int = 2**31 - 1) -> int | None:
    """``text`` as a whole number from ``low`` to ``high``, else None (``"²".isdigit()`` is true, and Python
    reads no more than 4,300 digits: only up to ten ASCII digits are read here)."""
    if not text or len(text) > 10 or not (text.isascii() and text.isdigit()):
        return None
    number = int(text)
    return number if low <= number <= high else None


def page_url(page: int) -> str:
    """This page's URL with its query asking for page number ``page`` (filters kept)."""
    args: dict[str, Any] = request.args.to_dict(flat=False)  # query names, not url_for's own parameters
    args["page"] = [str(page)]
    return url_for(request.endpoint or "ui.home", **(request.view_args or {}), **args)


def is_htmx() -> bool:
    """Whether htmx sent this request (answer with the fragment it swaps in, not the whole page)."""
    return request.headers.get("HX-Request") == "true"
