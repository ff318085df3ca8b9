"""How much of a request body the UI reads, and whose: decided before anything parses the body.

The CSRF check reads the form, so it runs after this: a visitor who is not signed in may post only to the
public forms below (anything else is sent to sign in, unread); a multipart body is read only by a route
that takes files (``UPLOAD_ROUTES``), with at most ``FORM_MAX_PARTS`` fields; every other form is small,
and a body announced larger than its limit is refused (413) before a byte of it is read — a streamed one
stops at the limit.
"""

from __future__ import annotations

from flask import Response, abort, request
from flask_login import current_user

from web.ui.desk.views import OPEN_ENDPOINT, UPLOADS_PER_FORM
from web.ui.errors import error_page
from web.ui.session import login_manager
from web.ui.urls import services

# The largest form without files: a reason and a commitment of 2,000 Chinese characters each, which a
# browser sends percent-encoded (9 bytes a character: 36 KB), and a few short fields.
FORM_MAX_BYTES = 48 * 1024
# Fields of one multipart form: the desk's form for the largest bundle (42 materials) has about 180.
FORM_MAX_PARTS = 400
# Routes whose forms carry files, with how many files of the largest size (ONETHING_MAX_UPLOAD_MB) each may send.
UPLOAD_ROUTES: dict[str, int] = {OPEN_ENDPOINT: UPLOADS_PER_FORM, "ui_case.upload_material": 1,
                                  "ui_applicant.file": UPLOADS_PER_FORM, "ui_applicant.upload": 1}
# Forms a visitor who is not signed in may send.
PUBLIC_FORMS = frozenset({"ui.login", "ui.logout", "ui.language", "ui_public.progress", "ui_accounts.register"})


def refuse_unread_body() -> Response | None:
    """A refusal of this UI post before its body is read, if it deserves one; else set the limits it is read with."""
    if request.routing_exception is not None:  # 404 or 405: answered now, without reading anything
        raise request.routing_exception
    endpoint = request.endpoint or ""
    if endpoint not in PUBLIC_FORMS and not current_user.is_authenticated:
        return login_manager.unauthorized()  # what the page's guard would answer, without parsing the form
    files = UPLOAD_ROUTES.get(endpoint)
    if request.mimetype == "multipart/form-data" and files is None:
        return error_page(415)
    limit = FORM_MAX_BYTES + (files or 0) * services().materials.max_bytes
    request.max_content_length = limit  # also stops a body streamed without Content-Length
    request.max_form_parts = FORM_MAX_PARTS  # (Flask's MAX_FORM_MEMORY_SIZE bounds each text field of it)
    if (request.content_length or 0) > limit:
        abort(413)
    return None
