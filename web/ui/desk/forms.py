"""The intake desk's open-a-case form: read it, check every field in words, rehearse it on an unsaved case.

Everything is checked before anything is saved, so a refused form leaves no case behind: first each field
(with words for the field's error), then a rehearsal of the very commands the desk will run — opening,
recording each material, accepting with deficiency — on a case that is built in memory and never saved, so
the domain's own rules have their say too.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from stdnum import exceptions as stdnum_errors
from stdnum.cn import uscc
from werkzeug.datastructures import FileStorage, ImmutableMultiDict, MultiDict

from application.cases.applicants import check_applicant
from application.cases.intake import Deficiency, MaterialReceived
from application.cases.rehearsal import rehearse_opening
from application.common.errors import ApplicationError, InvalidInput
from application.materials.files import FileTooLarge, StoredFile, UnsupportedFileType
from domain.catalogue.definitions import ISO_DATE, MAX_NUMBER, BundleDef, QuestionDef
from domain.shared.errors import DomainError
from domain.shared.text import MAX_TEXT, is_storable_text
from domain.shared.values import Actor, Channel, MaterialSource

MAX_NAME = 200  # characters of an applicant's name at the window
NUMBER = re.compile(r"-?[0-9]{1,16}(\.[0-9]{1,12})?")  # an answer typed as a number
CHANNELS = {Channel.WINDOW: _l("At the window"), Channel.ONLINE: _l("Online"), Channel.MOBILE: _l("Mobile app"),
            Channel.ASSISTED_AGENT: _l("Assisted filing (agent)")}


@dataclass
class Received:
    """A material the officer received: its file name, and if a scan was attached, the scan as the file store
    keeps it (digest, size, type)."""

    filename: str
    sha256: str | None = None
    size: int = 0
    media_type: str = ""
    source: str = "upload"
    licence: str = ""


@dataclass
class IntakeForm:
    """What the officer entered, and the error (in words) of each field that is wrong."""

    applicant_name: str = ""
    credit_code: str = ""
    channel: str = str(Channel.WINDOW)
    reason: str = ""
    supplement_due: str = ""
    received: dict[str, list[Received]] = field(default_factory=dict)  # several files: successive versions
    filenames: dict[str, str] = field(default_factory=dict)
    excused: list[str] = field(default_factory=list)
    ticked: set[str] = field(default_factory=set)  # "received" boxes ticked, as entered (to show them again)
    excuse_ticked: set[str] = field(default_factory=set)
    errors: dict[str, str] = field(default_factory=dict)
    uploads: dict[str, list[FileStorage]] = field(default_factory=dict)  # scans to store once all is checked
    reuse: dict[str, tuple[str, str]] = field(default_factory=dict)  # vault choices: (kind, value)
    typed: set[str] = field(default_factory=set)  # materials whose file name was typed (else: each file's own)
    answers: dict[str, Any] = field(default_factory=dict)  # to the bundle's questions, of their types
    answer_texts: dict[str, str] = field(default_factory=dict)  # as entered, to show again

    @property
    def due_date(self) -> date | None:
        """The supplement's due date, if one was entered well."""
        try:
            return date.fromisoformat(self.supplement_due)
        except ValueError:
            return None

    def materials(self) -> list[MaterialReceived]:
        """The materials received, as the intake command takes them."""
        return [MaterialReceived(key, r.filename, r.sha256, r.size, r.media_type, MaterialSource(r.source), r.licence)
                for key, files in self.received.items() for r in files]

    def deficiency(self) -> Deficiency | None:
        """The materials excused and their due date, as the intake command takes them (None if none are)."""
        due = self.due_date
        return Deficiency(tuple(self.excused), due) if self.excused and due is not None else None


def credit_code_problem(code: str) -> str | None:
    """Why ``code`` is no unified social credit code, in words (None if it is one): the application's check
    (``check_applicant``) decides, stdnum's error kind chooses the words."""
    compact = uscc.compact(code or "")
    if not compact:
        return _("Enter the unified social credit code.")
    try:
        check_applicant("-", compact)
        return None
    except InvalidInput:
        pass
    try:
        uscc.validate(compact)
    except stdnum_errors.InvalidLength:
        return _("A unified social credit code has 18 characters; this one has %(count)s.", count=len(compact))
    except stdnum_errors.InvalidFormat:
        return _("The first 8 characters are digits; the others are digits or capital letters other than I, O, "
                 "S, V and Z.")
    except stdnum_errors.InvalidChecksum:
        return _("The check digit (the last character) does not match: look for a typing error.")
    except stdnum_errors.ValidationError:
        pass
    return _("This is not a valid unified social credit code.")


Keep = Callable[[FileStorage], StoredFile]  # stores an attached scan in the file store (``Materials.keep``)
# A choice of the applicant's vault ("file:<sha256>" or "licence:<number>") for a material, as stored.
FromVault = Callable[[str, str, str], Received]  # (material key, kind, value)


def read_form(form: ImmutableMultiDict | MultiDict, files: Any, bundle: BundleDef, today: date) -> IntakeForm:
    """The form as entered, with an error next to each field that is wrong. Nothing is stored here: attached
    scans and vault choices wait in ``uploads`` and ``reuse`` until the whole form is right (``keep_files``)."""
    entered = IntakeForm(
        applicant_name=form.get("applicant_name", "")[:MAX_TEXT + 1].strip(),
        credit_code=uscc.compact(form.get("credit_code", "")[:64]),
        channel=form.get("channel", ""), reason=form.get("reason", "")[:MAX_TEXT + 1].strip(),
        supplement_due=form.get("supplement_due", "").strip()[:32],
    )
    errors = entered.errors
    if not entered.applicant_name:
        errors["applicant_name"] = _("Enter the applicant's name.")
    elif len(entered.applicant_name) > MAX_NAME or not is_storable_text(entered.applicant_name):
        errors["applicant_name"] = _("Enter a name of at most %(count)s characters.", count=MAX_NAME)
    if problem := credit_code_problem(entered.credit_code):
        errors["credit_code"] = problem
    if entered.channel not in {str(channel) for channel in CHANNELS}:
        errors["channel"] = _("Choose how the case reached the desk.")
    if len(entered.reason) > MAX_TEXT or not is_storable_text(entered.reason):
        errors["reason"] = _("Enter at most %(count)s characters.", count=MAX_TEXT)
    for question in bundle.questions:
        read_answer(entered, form, question)
    for material in bundle.materials:
        _read_material(entered, form, files, material.key, material.deficiency_allowed)
        if not entered.errors.get(f"material-{material.key}"):
            _read_reuse(entered, form, material.key)
    _check_deficiency(entered, bundle, today)
    return entered


def read_answer(entered: IntakeForm, form: Any, question: QuestionDef) -> None:
    """One answer, turned into its question's type (a number from its digits, yes/no, a date); the field's
    error in words if it is not one."""
    text = form.get(f"answer-{question.key}", "")[:MAX_TEXT + 1].strip()
    entered.answer_texts[question.key] = text
    error_key = f"answer-{question.key}"
    if not text:
        if question.required:
            entered.errors[error_key] = _("Answer this question.")
        return
    if question.type == "number":  # digits, a sign and a decimal point only: "1,5" is not 15, nor 1.5
        if not NUMBER.fullmatch(text) or abs(Decimal(text)) > MAX_NUMBER:
            entered.errors[error_key] = _("Enter a number.")
            return
        exact = Decimal(text)
        entered.answers[question.key] = int(exact) if exact == exact.to_integral_value() else float(exact)
    elif question.type == "boolean":
        if text not in ("yes", "no"):
            entered.errors[error_key] = _("Choose yes or no.")
            return
        entered.answers[question.key] = text == "yes"
    elif question.type == "choice":
        if text not in question.choices:
            entered.errors[error_key] = _("Choose one of the answers offered.")
            return
        entered.answers[question.key] = text
    elif question.type == "date":
        try:
            if not ISO_DATE.fullmatch(text):
                raise ValueError(text)
            date.fromisoformat(text)
        except ValueError:
            entered.errors[error_key] = _("Enter a date such as 2027-01-31.")
            return
        entered.answers[question.key] = text
    elif len(text) > MAX_TEXT or not is_storable_text(text):
        entered.errors[error_key] = _("Enter at most %(count)s characters.", count=MAX_TEXT)
    else:
        entered.answers[question.key] = text


def keep_files(entered: IntakeForm, keep: Keep, from_vault: FromVault) -> bool:
    """Store the scans and take the vault choices of a form found right (the files first, as always: the events
    that name them come after); a refused one becomes the error of its material. Whether all were kept."""
    for key, uploads in entered.uploads.items():
        kept = []
        for number, upload in enumerate(uploads):
            try:
                stored = keep(upload)
            except FileTooLarge:
                entered.errors[f"material-{key}"] = _("The file is larger than the upload limit.")
                break
            except UnsupportedFileType:
                entered.errors[f"material-{key}"] = _("Attach a PDF, JPEG, PNG or OFD file (its content decides, "
                                                      "not its name).")
                break
            own = posixpath.basename((upload.filename or "").replace("\\", "/"))  # a browser may send a path
            named = entered.filenames[key] if number == 0 and key in entered.typed else own
            kept.append(Received(named, stored.sha256, stored.size, stored.media_type))
        else:
            entered.received[key] = kept
    for key, (kind, value) in entered.reuse.items():
        try:
            reused = from_vault(key, kind, value)
        except (ApplicationError, DomainError) as error:
            entered.errors[f"material-{key}"] = _("The applicant's vault cannot give this: %(problem)s",
                                                  problem=str(error))
            continue
        entered.received[key] = [reused, *(r for r in entered.received.get(key, []) if r.sha256)]
    return not entered.errors


def _read_material(entered: IntakeForm, form: Any, files: Any, key: str, excusable: bool) -> None:
    name = form.get(f"filename-{key}", "")[:MAX_TEXT + 1].strip()
    uploads: list[FileStorage] = [u for u in files.getlist(f"file-{key}") if u.filename]  # an empty input sends
    if uploads and not name:  # a part without a file name
        name = posixpath.basename((uploads[0].filename or "").replace("\\", "/"))  # a browser may send a path
    entered.filenames[key] = name
    ticked, excused = form.get(f"received-{key}") == "on", form.get(f"excuse-{key}") == "on"
    ticked = ticked or bool(uploads)  # attaching a scan says it was received
    if ticked:
        entered.ticked.add(key)
    if excused:
        entered.excuse_ticked.add(key)
    error_key = f"material-{key}"
    if ticked and excused:
        entered.errors[error_key] = _("Tick either received or accepted with deficiency, not both.")
    elif excused and not excusable:
        entered.errors[error_key] = _("This material cannot be supplied later: it must be received now.")
    elif excused:
        entered.excused.append(key)
    elif ticked and not name:
        entered.errors[error_key] = _("Enter the file name, or attach the scanned file.")
    elif ticked and (len(name) > MAX_TEXT or not is_storable_text(name)):
        entered.errors[error_key] = _("Enter a file name of at most %(count)s characters.", count=MAX_TEXT)
    elif uploads:  # checked as paper of this name until the form is right; then stored (``keep_files``)
        entered.received[key] = [Received(name)]
        entered.uploads[key] = uploads
        if form.get(f"filename-{key}", "").strip():
            entered.typed.add(key)
    elif ticked:
        entered.received[key] = [Received(name)]


def _read_reuse(entered: IntakeForm, form: Any, key: str) -> None:
    """A file or e-licence of the applicant's vault chosen for material ``key``: it is the material (before any
    scan attached as well); taken from the vault once the form is right (``keep_files``)."""
    choice = form.get(f"reuse-{key}", "")[:200]
    kind, _sep, value = choice.partition(":")
    if not choice or kind not in ("file", "licence"):
        return
    entered.reuse[key] = (kind, value)
    entered.received.setdefault(key, [Received(f"{value}.pdf")])  # for the rehearsal: the material is there
    entered.ticked.add(key)
    if key in entered.excused:
        entered.errors[f"material-{key}"] = _("Tick either received or accepted with deficiency, not both.")


def _check_deficiency(entered: IntakeForm, bundle: BundleDef, today: date) -> None:
    if not entered.excused:
        return
    due = entered.due_date
    if not entered.supplement_due:
        entered.errors["supplement_due"] = _("Enter the date by which the missing materials must be supplied.")
    elif due is None:
        entered.errors["supplement_due"] = _("Enter a date such as %(example)s.", example=today.isoformat())
    elif due <= today:
        entered.errors["supplement_due"] = _("The supplement must be due after today.")
    if not entered.reason:
        entered.errors["reason"] = _("Say why the case is accepted although materials are missing.")


def rehearse(entered: IntakeForm, bundle: BundleDef, version: int, actor: Actor, today: date) -> str | None:
    """Run the desk's commands on a case built in memory and never saved (``application.cases.rehearsal``); the
    refusal in words, or None."""
    try:
        rehearse_opening(bundle, version, entered.applicant_name, entered.credit_code, entered.channel,
                         entered.reason, actor, today, entered.materials(), entered.deficiency(), entered.answers)
    except (DomainError, ApplicationError) as error:
        return _("The case cannot be opened: %(problem)s", problem=str(error))
    return None
