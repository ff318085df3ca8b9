"""Languages of the UI: Chinese (the default) and English, and the words for roles and statuses.

Source strings are English; the Chinese catalogue lives under ``zh_Hans_CN`` (the name Babel 2.18
looks for). A missing or stale ``.mo`` is compiled from its ``.po`` when the app starts, so a plain
``pip install -e .`` works without ``make``.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, g, session
from flask_babel import get_locale, get_translations
from flask_babel import lazy_gettext as _l

log = logging.getLogger(__name__)

TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"
DEFAULT_LOCALE = "zh_Hans_CN"
LOCALES = {"zh_Hans_CN": "中文", "en": "English"}  # code -> the language's own name, for the switch
HTML_LANG = {"zh_Hans_CN": "zh-CN", "en": "en"}

ROLE_LABELS = {
    "intake": _l("Intake officer"),
    "reviewer": _l("Reviewer"),
    "supervisor": _l("Supervisor"),
    "auditor": _l("Auditor"),
    "admin": _l("Administrator"),
}

STATUS_LABELS = {  # cases, items, certificates, escalations, petitions: one word each
    "open": _l("Open"),
    "completed": _l("Completed"),
    "rejected": _l("Rejected"),
    "withdrawn": _l("Withdrawn"),
    "not_applicable": _l("Not needed"),
    "waiting": _l("Waiting"),
    "in_review": _l("In review"),
    "supplement_requested": _l("Supplement requested"),
    "approved": _l("Approved"),
    "valid": _l("Valid"),
    "revoked": _l("Revoked"),
    "void": _l("Void"),
    "held": _l("Held"),
    "closed": _l("Closed"),
    "submitted": _l("Submitted"),
    "routed": _l("Routed"),
    "answered": _l("Answered"),
}


def select_locale() -> str:
    """The language chosen in this session, else Chinese."""
    chosen = session.get("lang")
    return chosen if chosen in LOCALES else DEFAULT_LOCALE


def translations() -> Any:
    """This request's translations, looked up once per request (the catalogue of its locale).

    flask_babel looks them up again on every call, through a handful of context lookups each: about a tenth
    of the time of a page with a hundred and fifty words. Outside a request, flask_babel's own answer."""
    if not g:
        return get_translations()
    found = g.get("ui_translations")
    if found is None:
        found = g.ui_translations = get_translations()
    return found


def install_template_gettext(app: Flask) -> None:
    """Templates' ``_``, ``gettext``, ``ngettext``, ``pgettext`` and ``npgettext`` use ``translations()``
    (after ``Babel(app)``, which installs its own)."""
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]  # added by jinja2.ext.i18n (Babel's)
        gettext=lambda s: translations().ugettext(s),
        ngettext=lambda s, p, n: translations().ungettext(s, p, n),
        pgettext=lambda c, s: translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: translations().unpgettext(c, s, p, n),
        newstyle=True,
    )


def current_locale() -> str:
    """The code of the language this request is rendered in (a key of ``LOCALES``)."""
    return str(get_locale() or DEFAULT_LOCALE)


def is_english() -> bool:
    """Whether this request is rendered in English."""
    return current_locale() == "en"


def role_label(role: str | None) -> str:
    """A role in words, in the UI's language."""
    return str(ROLE_LABELS.get(str(role), role or ""))


def status_label(status: str | None) -> str:
    """A status in words, in the UI's language (the code itself when it has no words yet); translated once per
    request and status (a list shows one per row)."""
    if not g:
        return str(STATUS_LABELS.get(str(status), status or ""))
    words: dict[str, str] = g.setdefault("ui_status_words", {})
    key = str(status)
    if key not in words:
        words[key] = str(STATUS_LABELS.get(key, status or ""))
    return words[key]


def localized_name(row: dict | None, fallback: str = "") -> str:
    """A catalogue row's ``name`` in Chinese, or its ``name_en`` in English (when it has one)."""
    if not row:
        return fallback
    if is_english() and row.get("name_en"):
        return str(row["name_en"])
    return str(row.get("name") or fallback)


def compile_catalogues(directory: Path = TRANSLATIONS) -> list[Path]:
    """Compile every ``messages.po`` whose ``.mo`` is missing or older; return the files written."""
    written = []
    for po_path in sorted(directory.glob("*/LC_MESSAGES/messages.po")):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        try:
            with po_path.open("rb") as po_file:
                catalog = read_po(po_file, locale=po_path.parent.parent.name)
            with mo_path.open("wb") as mo_file:
                write_mo(mo_file, catalog)
            written.append(mo_path)
        except OSError as error:  # a read-only install: the UI falls back to English words
            log.warning("cannot compile %s: %s", po_path, error)
    return written
