"""Security headers on every response of the app: UI pages, API answers, the API docs, files, errors, redirects.

The Content-Security-Policy allows no inline script and no inline style at all: every script and stylesheet
is a file of this site (``web/static``, and Swagger UI's vendored files for the API docs), so text that an
attacker slips into a page cannot run. Pages therefore carry no ``on…=`` handlers, no ``<script>`` bodies and
no ``style=`` attributes; htmx is told not to insert its indicator ``<style>`` (``app.css`` has those rules).
``style-src 'self'`` is the strictest value the pages allow; styles set from script through the DOM
(``element.style``, as Swagger UI's React code does) are not inline styles and stay allowed. ``img-src``
adds ``data:`` for the small SVG icons inside Swagger UI's stylesheet.

Caching: every answer is ``no-store`` (personal pages, API answers, even the sign-in and public pages,
which carry a session's CSRF token) except static files — this site's ``/static/`` and Swagger UI's files —
which hold nothing personal (but their error pages do: they show who is signed in). A header that a view
set itself (a download's own CSP ``sandbox``) is kept.
"""

from __future__ import annotations

from flask import Flask, Response, request

CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "manifest-src 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "base-uri 'self'",
    "object-src 'none'",
))
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",  # for browsers that do not know frame-ancestors
    "Referrer-Policy": "same-origin",  # case pages' addresses never reach another site
    "Cross-Origin-Opener-Policy": "same-origin",
}
STATIC_ENDPOINTS = frozenset({"static", "swagger_assets"})  # files that are the same for everyone


def register(app: Flask) -> None:
    """Add the security headers to every response of ``app``."""
    app.after_request(add_security_headers)


def add_security_headers(response: Response) -> Response:
    """Set each security header the response does not set itself; forbid storing anything but static files."""
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if request.endpoint not in STATIC_ENDPOINTS or response.status_code >= 400:  # an error page shows who asks
        cache = response.cache_control
        cache.no_store = True
        cache.public = False  # no shared cache may keep it either, whatever a view said
        cache.max_age = None
    return response
