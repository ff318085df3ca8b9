"""The supervisor's action forms: what each action asks for, and the forms a case offers a supervisor.

The same form descriptions are drawn on the case page (``ui/case/supervisor_actions.html``) and on the
page of one action (``ui/supervision/action.html``, where a refused form comes back with its errors).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from flask import url_for
from flask_babel import lazy_gettext as _l

from application.cases import commands
from application.cases.views import CaseView
from application.common.changes import Saved
from domain.shared.values import TOP_ESCALATION_LEVEL, Actor, CaseStatus, Role
from web.ui.i18n import localized_name
from web.ui.urls import services

if TYPE_CHECKING:
    from application.cases.application import CaseApplication


@dataclass(frozen=True)
class Action:
    """One supervisor action: its endpoint, address under the case, words, fields and the command it sends."""

    name: str
    rule: str
    title: Any
    submit: Any
    done: Any
    fields: tuple[str, ...]
    command: type[commands.CaseCommand]

    def run(self, cases: CaseApplication, actor: Actor, case_id: str, values: dict[str, Any]) -> Saved:
        """Send this action's command with the form's values (and the item or escalation of its address)."""
        return commands.handle(cases, commands.build(self.command, actor, case_id, values["version"], values))


ACTIONS = {action.name: action for action in (
    Action("urge", "/items/<item>/urge", _l("Urge the department"), _l("Urge"),
           _l("The department was urged."), ("reason",), commands.Urge),
    Action("assign", "/items/<item>/assign", _l("Assign to a reviewer"), _l("Assign"),
           _l("The item was assigned."), ("reviewer", "reason"), commands.AssignItem),
    Action("transfer", "/items/<item>/transfer", _l("Transfer to another department"), _l("Transfer"),
           _l("The item was transferred."), ("to_department", "reason"), commands.TransferItem),
    Action("reassign_owner", "/owner", _l("Hand the case to another owner"), _l("Reassign"),
           _l("The case has a new owner."), ("owner", "reason"), commands.ReassignOwner),
    Action("escalate", "/escalate", _l("Put the case under supervision"), _l("Escalate"),
           _l("The case is under supervision."), ("level", "reason"), commands.Escalate),
    Action("raise_escalation", "/escalations/<int:number>/raise", _l("Raise the escalation a level"),
           _l("Raise a level"), _l("The escalation was raised a level."), ("reason",), commands.RaiseEscalation),
    Action("resolve", "/escalations/<int:number>/resolve", _l("Resolve the escalation"), _l("Resolve"),
           _l("The escalation was resolved."), ("reason",), commands.ResolveEscalation),
)}

LABELS = {"reason": _l("Reason"), "reviewer": _l("Reviewer"), "to_department": _l("To department"),
          "owner": _l("New owner"), "level": _l("Level")}
REASON_HINT = _l("Recorded with the action and shown in the case's history.")


@dataclass
class Field:
    """One field of a form: its name, words, control and current value and error."""

    name: str
    label: Any
    type: str = "text"
    options: list[tuple[str, str]] = field(default_factory=list)
    value: Any = ""
    error: Any = None
    hint: Any = None


@dataclass
class Form:
    """One action form, ready to draw; ``unavailable`` replaces the form with words when it cannot be used."""

    action: Action
    url: str
    prefix: str
    version: int
    next: str
    fields: list[Field]
    form_error: Any = None
    unavailable: Any = None


@dataclass
class Choices:
    """What a supervisor can choose from: departments, reviewers by department, intake officers."""

    departments: list[tuple[str, str]]
    reviewers: dict[str, list[tuple[str, str]]]
    owners: list[tuple[str, str]]


def choices(actor: Actor) -> Choices:
    """The departments and the staff a supervisor may hand work to (two small queries)."""
    from web.ui.supervision.data import supervision_queries  # the data module imports this one

    departments = services().queries.departments()
    reviewers: dict[str, list[tuple[str, str]]] = {}
    for user in supervision_queries().staff(actor, Role.REVIEWER):
        reviewers.setdefault(user["department"], []).append((user["username"], _person(user)))
    owners = [(user["username"], _person(user)) for user in supervision_queries().staff(actor, Role.INTAKE)]
    return Choices([(code, localized_name(row, code)) for code, row in departments.items()], reviewers, owners)


def _person(user: dict[str, Any]) -> str:
    return f"{user['display_name']} ({user['username']})" if user["display_name"] else user["username"]


def build_form(action: Action, case: CaseView, target: dict[str, Any], version: int, next_path: str,
               options: Choices, values: dict[str, Any] | None = None, errors: dict[str, Any] | None = None) -> Form:
    """The form of ``action`` on ``case`` (an item's or an escalation's when ``target`` names one)."""
    values, errors = values or {}, errors or {}
    url = url_for(f"ui_supervision.{action.name}", case_id=str(case.id),
                  **{k: v for k, v in target.items() if v is not None})
    suffix = target.get("item") or target.get("number") or "case"
    form = Form(action, url, f"sv-{action.name}-{suffix}", version, next_path, [], errors.get("_form"))
    for name in action.fields:
        form.fields.append(Field(name, LABELS[name], value=values.get(name, ""), error=errors.get(name)))
    _fill_choices(form, case, target, options)
    return form


def _fill_choices(form: Form, case: CaseView, target: dict[str, Any], options: Choices) -> None:
    """Put the choices into the form's selects (or say why there is nothing to choose)."""
    item = case.items.get(target["item"]) if target.get("item") else None
    for each in form.fields:
        if each.name == "reason":
            each.type, each.hint = "textarea", REASON_HINT
        elif each.name == "level":
            each.type, each.value = "select", each.value or "1"
            each.options = [(str(n), str(_l("Level %(level)s", level=n))) for n in range(1, TOP_ESCALATION_LEVEL + 1)]
        else:
            each.type = "select"
            each.options = _options(each.name, case, item, options)
            if not each.options:
                form.unavailable = NOTHING_TO_CHOOSE[each.name]


NOTHING_TO_CHOOSE = {
    "reviewer": _l("No reviewer of this item's department has an account."),
    "to_department": _l("There is no other department to transfer the item to."),
    "owner": _l("There is no other intake officer to hand the case to."),
}


def _options(name: str, case: CaseView, item: Any, options: Choices) -> list[tuple[str, str]]:
    if name == "reviewer" and item is not None:
        return [(u, label) for u, label in options.reviewers.get(item.department, []) if u != item.assignee]
    if name == "to_department" and item is not None:
        return [(code, label) for code, label in options.departments if code != item.department]
    if name == "owner":
        return [(u, label) for u, label in options.owners if u != case.owner]
    return []


def case_forms(actor: Actor, case: CaseView, version: int, next_path: str) -> dict[str, Any]:
    """Every form a supervisor may use on ``case`` now: per undecided item, on the case, per open escalation."""
    options = choices(actor)

    def form(name: str, **target: Any) -> Form:
        return build_form(ACTIONS[name], case, {"item": None, "number": None, **target}, version, next_path,
                          options)

    is_open = case.status == CaseStatus.OPEN
    items = [{"item": item, "forms": [form(name, item=code) for name in ("urge", "assign", "transfer")]}
             for code, item in case.items.items() if is_open and not item.decided]
    whole = [form("escalate"), form("reassign_owner")] if is_open else []
    escalations = [
        {"escalation": e, "forms": [form(name, number=e.number) for name in ("raise_escalation", "resolve")
                                    if name == "resolve" or (is_open and e.level < TOP_ESCALATION_LEVEL)]}
        for e in case.escalations if e.is_open]
    return {"items": items, "case": whole, "escalations": escalations,
            "any": bool(items or whole or escalations)}

