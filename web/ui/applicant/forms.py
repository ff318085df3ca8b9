"""The applicant's filing form: answers to the bundle's questions, and per material files to upload or a
choice from the enterprise's vault. Read and checked here in words; nothing is stored until all is right
(``web.ui.desk.forms.keep_files`` then stores the files, the vault's first)."""

from __future__ import annotations

import posixpath
from typing import Any

from werkzeug.datastructures import FileStorage

from domain.catalogue.definitions import BundleDef
from domain.shared.values import Channel
from web.ui.desk.forms import IntakeForm, Received, read_answer


def read_filing(form: Any, files: Any, bundle: BundleDef) -> IntakeForm:
    """The filing as entered: each answer of its question's type, each material's files and vault choice."""
    entered = IntakeForm(channel=str(Channel.ONLINE))
    for question in bundle.questions:
        read_answer(entered, form, question)
    for material in bundle.materials:
        key = material.key
        uploads: list[FileStorage] = [u for u in files.getlist(f"file-{key}") if u.filename]
        if uploads:
            entered.uploads[key] = uploads
            entered.filenames[key] = posixpath.basename((uploads[0].filename or "").replace("\\", "/"))
            entered.received[key] = [Received(entered.filenames[key])]
        choice = form.get(f"reuse-{key}", "")[:200]
        kind, _sep, value = choice.partition(":")
        if choice and kind in ("file", "licence") and value:
            entered.reuse[key] = (kind, value)
    return entered
