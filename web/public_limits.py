"""Rate limits of what anyone may ask without signing in: the certificate check and the case progress lookup.

Both are oracles: a certificate check says whether a guessed number exists, and the progress lookup whether a
case number and a credit code belong together. Limits per client address (``ONETHING_PROXY_HOPS`` decides
which address that is) make guessing slow; the API's and the UI's certificate checks share one counter, so
switching between them gains nothing. Over the limit: 429 in the API's error model, or a page in the UI's
language. They use the app's one ``limiter`` (``web.api.limits``), so they follow its storage.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import request

from web.api.limits import limiter

CERTIFICATE_CHECK_LIMIT = "30 per minute; 300 per hour"  # a desk checking licences all day stays well inside
PROGRESS_LOOKUP_LIMIT = "20 per minute; 200 per hour"
CERTIFICATE_CHECK_SCOPE = "certificate-check"
REGISTRATION_LIMIT = "5 per minute; 30 per hour"  # an enterprise registers once; each try hashes a password
REGISTRATION_SCOPE = "enterprise-registration"


def certificate_check(only_with_number: bool = False) -> Callable[[Any], Any]:
    """The limit of certificate checks, shared by the API and the UI (``only_with_number``: the bare form,
    a page without ``?number=``, checks nothing and is not counted)."""
    return limiter.shared_limit(
        CERTIFICATE_CHECK_LIMIT, scope=CERTIFICATE_CHECK_SCOPE,
        exempt_when=(lambda: "number" not in request.args) if only_with_number else None)


def progress_lookup() -> Callable[[Any], Any]:
    """The limit of case progress lookups (the form's POST; showing the form is free)."""
    return limiter.limit(PROGRESS_LOOKUP_LIMIT, methods=["POST"])


def registration() -> Callable[[Any], Any]:
    """The limit of enterprise registrations (网上办), shared by the API and the UI form (its POST)."""
    return limiter.shared_limit(REGISTRATION_LIMIT, scope=REGISTRATION_SCOPE,
                                exempt_when=lambda: request.method != "POST")
