"""The supervisor's actions on a case, as forms: urge, assign, transfer, reassign the owner, escalate, raise
and resolve an escalation.

``GET`` shows the action's own page (linked from the board); ``POST`` runs the command with the version the
page showed (``expected_version``). Success goes back (``next``, else the case page) with a flash; a refusal
shows the form again with the reason in words: next to the field (422) or above the form (409).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request
from flask_babel import lazy_gettext as _l

from application.common.errors import InvalidInput, NotAllowed, NotFound, VersionConflict
from domain.shared import errors as domain_errors
from domain.shared.errors import DomainError
from domain.shared.text import MAX_TEXT, is_storable_text
from domain.shared.values import TOP_ESCALATION_LEVEL, Role
from web.errors import status_of
from web.ui.errors import error_page
from web.ui.session import current_actor, requires
from web.ui.supervision.data import case_link
from web.ui.supervision.forms import ACTIONS, Action, build_form, choices
from web.ui.urls import local_path, services, whole_number

PREFIX = "/supervision/cases/<case_id>"
FIELD_WORDS = {
    "reason": _l("Give a reason; it is recorded with the action."),
    "reviewer": _l("Choose a reviewer of the department that holds this item."),
    "to_department": _l("Choose the department to transfer the item to."),
    "owner": _l("Choose an intake officer."),
    "level": _l("Choose a level from 1 to 3."),
}
TOO_LONG = _l("Use at most %(count)s characters, without control characters.", count=MAX_TEXT)
NO_VERSION = _l("The form did not say which version of the case it was made for. Reload the case and try again.")
CONFLICT = _l("Someone changed this case after you opened the page; nothing was recorded. Check the case, then "
              "send the form again.")
REFUSALS = {  # a rule of the case, in words
    domain_errors.CaseClosed: _l("The case is closed; this can no longer be done."),
    domain_errors.ItemAlreadyDecided: _l("The item has been decided; it can no longer be urged, assigned or "
                                         "transferred."),
    domain_errors.EscalationAlreadyResolved: _l("This escalation has been resolved already."),
}
INVALID = {  # what an InvalidValue means for each action (its reason and level are checked here first)
    "transfer": _l("The item is with that department already."),
    "assign": _l("The item is on that reviewer's desk already."),
    "reassign_owner": _l("That officer owns the case already."),
    "raise_escalation": _l("This escalation is at the highest level already."),
    "escalate": FIELD_WORDS["level"],
}
GENERAL_REFUSAL = _l("A rule of the case does not allow this at the moment.")


def register(bp: Blueprint) -> None:
    """Add each action's page and form to the supervision blueprint."""
    for action in ACTIONS.values():
        bp.add_url_rule(PREFIX + action.rule, endpoint=action.name, view_func=_view(action),
                        methods=["GET", "POST"])


def _view(action: Action) -> Callable[..., Any]:
    def view(case_id: str, item: str | None = None, number: int | None = None) -> Any:
        target = {"item": item, "number": number}
        if request.method == "GET":
            return _page(action, case_id, target, {}, {}, 200)
        values, errors = read_form(action)
        status = 422
        if not errors:
            try:
                action.run(services().cases, current_actor(), case_id, {**target, **values})
            except (NotAllowed, NotFound, domain_errors.UnknownItem, domain_errors.EscalationNotFound) as error:
                return error_page(status_of(error))
            except (InvalidInput, VersionConflict, DomainError) as error:
                status, errors = refusal(action, error)
            else:
                flash(action.done, "success")
                return redirect(local_path(request.form.get("next"), case_link(case_id)))
        return _page(action, case_id, target, values, errors, status)

    view.__name__ = view.__qualname__ = action.name
    view.__doc__ = f"{action.name}: its form (GET) and the command (POST)."
    return requires(Role.SUPERVISOR)(view)


def read_form(action: Action) -> tuple[dict[str, Any], dict[str, Any]]:
    """The action's values from the posted form, and the errors of those missing or malformed."""
    values: dict[str, Any] = {}
    errors: dict[str, Any] = {}
    for name in action.fields:
        raw = request.form.get(name, "")
        value = raw.strip() if name != "reason" else raw
        values[name] = value
        if not value.strip():
            errors[name] = FIELD_WORDS[name]
        elif name == "reason" and (len(value) > MAX_TEXT or not is_storable_text(value)):
            errors[name] = TOO_LONG
    if "level" in values and "level" not in errors:
        level = values["level"]
        if whole_number(level, 1, TOP_ESCALATION_LEVEL) is None:
            errors["level"] = FIELD_WORDS["level"]
        else:
            values["level"] = int(level)
    version = whole_number(request.form.get("version", ""), 0)
    if version is not None:
        values["version"] = version
    else:
        errors["_form"] = NO_VERSION
    return values, errors


def refusal(action: Action, error: Exception) -> tuple[int, dict[str, Any]]:
    """The status and the words of a refused command."""
    if isinstance(error, VersionConflict):
        return 409, {"_form": CONFLICT}
    if isinstance(error, domain_errors.ReasonRequired):
        return 422, {"reason": FIELD_WORDS["reason"]}
    if isinstance(error, InvalidInput):
        fields = [name for name in error.fields if name in action.fields]
        return 422, {name: FIELD_WORDS[name] for name in fields} or {"_form": GENERAL_REFUSAL}
    if isinstance(error, domain_errors.InvalidValue):
        return 422, {"_form": INVALID.get(action.name, GENERAL_REFUSAL)}
    words = next((text for kind, text in REFUSALS.items() if isinstance(error, kind)), GENERAL_REFUSAL)
    return status_of(error), {"_form": words}


def _page(action: Action, case_id: str, target: dict[str, Any], values: dict[str, Any], errors: dict[str, Any],
          status: int) -> Any:
    """The action's page: the case in a line, and the form (with what was sent and its errors)."""
    actor = current_actor()
    case = services().cases.reads.get_case(actor, case_id)
    item = case.items.get(target["item"]) if target["item"] else None
    escalation = None
    if target["item"] and item is None:
        return error_page(404)
    if target["number"] is not None:
        if not 1 <= target["number"] <= len(case.escalations):
            return error_page(404)
        escalation = case.escalations[target["number"] - 1]
    # After a conflict the form carries the case's current version: sending it again is a fresh decision.
    version = values["version"] if status != 409 and "version" in values else case.version
    back = local_path(request.values.get("next"), case_link(case.id))
    form = build_form(action, case, target, version, back, choices(actor), values, errors)
    return render_template("ui/supervision/action.html", form=form, case=case, item=item, escalation=escalation,
                           case_url=case_link(case.id)), status
