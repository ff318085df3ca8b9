"""Auditors read and verify everything and command nothing.

Every public command of the case application (the methods of its role services in ``application.cases``), of
petitions, and the admin commands of the catalogue and users applications that take an actor is called as an
AUDITOR with arguments a permitted actor could use: each must raise ``NotAllowed`` and record no event. The
commands are found by introspection, so a command added later is covered without editing this file (a parameter
name not known here fails, asking for a value).
"""

from __future__ import annotations

import inspect
from datetime import date
from typing import Any

import pytest

from application.cases.intake import Intake
from application.catalogue.application import CreditEntry
from application.cases.online import OnlineFiling
from application.cases.review import Review
from application.cases.supervision import Supervision
from application.common.errors import NotAllowed
from application.petitions.application import PetitionApplication
from tests.application.helpers import SHA, open_restaurant, submit_all
from tests.conftest import ADMIN, AMR, AUDITOR, INTAKE, SUPERVISOR, VALID_CODE, restaurant_file
from web.services import Services

CASE_SERVICES = {"intake": Intake, "review": Review, "supervision": Supervision, "online": OnlineFiling}  # attributes of CaseApplication
PETITION_READERS = {"get_petition", "load"}  # PetitionApplication's methods an auditor may call


def public_methods(cls: type) -> list[str]:
    """The public functions ``cls`` defines itself."""
    return sorted(name for name, value in vars(cls).items()
                  if not name.startswith("_") and inspect.isfunction(value))


def takes_actor(cls: type, name: str) -> bool:
    return "actor" in inspect.signature(getattr(cls, name)).parameters


CASE_COMMANDS = sorted((service, name) for service, cls in CASE_SERVICES.items() for name in public_methods(cls))
PETITION_COMMANDS = [name for name in public_methods(PetitionApplication)
                     if name not in PETITION_READERS and takes_actor(PetitionApplication, name)]


def call_as_auditor(method: Any, values: dict[str, Any]) -> Any:
    """Call ``method`` with the AUDITOR as its actor and a value for each parameter without a default."""
    kwargs: dict[str, Any] = {}
    for name, parameter in inspect.signature(method).parameters.items():
        if name == "actor":
            kwargs[name] = AUDITOR
        elif parameter.default is inspect.Parameter.empty:
            if name not in values:
                pytest.fail(f"{method.__qualname__}: no test value for parameter {name!r}; add one to this test")
            kwargs[name] = values[name]
    assert kwargs.get("actor") is AUDITOR, f"{method.__qualname__} takes no actor"
    return method(**kwargs)


def test_introspection_finds_the_commands_of_every_role():
    assert {"open_case", "submit_material", "accept_with_deficiency", "withdraw", "rate", "reassign_owner",
            "accept_item", "request_supplement", "receive_supplement", "record_inspection", "approve_item",
            "approve_on_commitment", "revoke_commitment", "reject_item", "issue_certificates", "escalate",
            "raise_escalation", "assign_item", "urge", "resolve_escalation", "transfer_item"} <= {
        name for _, name in CASE_COMMANDS}
    assert {"submit", "route", "reroute", "answer", "escalate", "return_visit", "close_petition",
            "check_deadlines"} <= set(PETITION_COMMANDS)


@pytest.fixture
def case_in_review(services: Services) -> tuple[Services, Any]:
    """A case with its materials, the licence in review at amr and an open escalation (number 1)."""
    case_id = open_restaurant(services)
    submit_all(services, case_id)
    services.cases.review.accept_item(AMR, case_id, "business-licence")
    services.cases.supervision.escalate(SUPERVISOR, case_id, "slow")
    services.users.add_user(ADMIN, "window2", "long enough password", "intake")
    services.users.add_user(ADMIN, "li-amr", "long enough password", "reviewer", "amr")
    return services, case_id


@pytest.mark.parametrize("service, command", CASE_COMMANDS)
def test_an_auditor_runs_no_case_command(case_in_review, service, command):
    services, case_id = case_in_review
    values = {
        "case_id": case_id, "item": "business-licence", "reason": "the auditor tries", "bundle": "restaurant-opening",
        "applicant_name": "泉城小馆餐饮有限公司", "credit_code": VALID_CODE, "channel": "window", "key": "id-card",
        "filename": "id-card-2.pdf", "sha256": SHA, "missing": ["floor-plan"], "supplement_due": date(2030, 1, 1),
        "score": 5, "owner": "window2", "method": "video", "passed": True, "commitment": "we keep the rules",
        "number": 1, "reviewer": "li-amr", "to_department": "amr-food", "level": 1, "return_visit": "phoned",
    }
    before, version = services.runner.total_events(), services.cases.load(case_id).version
    with pytest.raises(NotAllowed):
        call_as_auditor(getattr(getattr(services.cases, service), command), values)
    assert services.runner.total_events() == before
    assert services.cases.load(case_id).version == version


@pytest.fixture
def routed_petition(services: Services) -> tuple[Services, Any]:
    saved = services.petitions.submit(INTAKE, "泉城小馆餐饮有限公司", VALID_CODE, "园区停电", "园区三天两次停电",
                                      "hotline")
    services.petitions.route(SUPERVISOR, saved.number, "amr", 3)
    return services, saved


@pytest.mark.parametrize("command", PETITION_COMMANDS)
def test_an_auditor_runs_no_petition_command(routed_petition, command):
    services, saved = routed_petition
    values = {
        "number": saved.number, "petition_id": saved.id, "department": "amr-food",
        "reason": "the auditor tries",
        "answer": "已协调", "rating": 5, "satisfied": True, "today": date(2030, 1, 1), "raise_after": 1,
        "enterprise_name": "泉城小馆餐饮有限公司", "credit_code": VALID_CODE, "subject": "停电", "text": "又停电了",
        "channel": "hotline",
    }
    before, version = services.runner.total_events(), services.petitions.load(saved.number).version
    with pytest.raises(NotAllowed):
        call_as_auditor(getattr(services.petitions, command), values)
    assert services.runner.total_events() == before
    assert services.petitions.load(saved.number).version == version


ADMIN_COMMANDS = [
    ("users", "add_user", {"username": "mallory", "password": "long enough password", "role": "admin"}),
    ("users", "disable", {"username": "window2", "reason": "the auditor tries"}),
    ("users", "enable", {"username": "window2", "reason": "the auditor tries"}),
    ("accounts", "authorise_agent", {"username": "clerk", "password": "long enough password", "bundles": None,
                                     "until": "2099-01-01"}),
    ("accounts", "revoke_agent", {"username": "clerk", "reason": "the auditor tries"}),
    ("catalogue", "declare_calendar_day", {"day": date(2030, 1, 2), "workday": False, "reason": "the auditor tries"}),
    ("catalogue", "declare_calendar_year", {"year": 2030, "reason": "the auditor tries"}),
    ("catalogue", "publish_file", {"data": "changed catalogue"}),
    ("catalogue", "record_credit_entries", {"entries": [CreditEntry("91110000600037341L", "serious-dishonesty",
                                                                    date(2030, 1, 1), date(2030, 12, 31))]}),
]


# Commands on one's own account, which every user (auditors too) runs: they change no record of a case.
SELF_SERVICE_COMMANDS = {("users", "change_password")}


def test_every_admin_command_taking_an_actor_is_listed():
    listed = {(app, name) for app, name, _ in (p.values if hasattr(p, "values") else p for p in ADMIN_COMMANDS)}
    listed |= SELF_SERVICE_COMMANDS
    from application.catalogue.application import CatalogueApplication
    from application.users.application import UsersApplication

    for app, cls in (("users", UsersApplication), ("catalogue", CatalogueApplication)):
        for name in public_methods(cls):
            if takes_actor(cls, name):
                assert (app, name) in listed, f"{cls.__name__}.{name} takes an actor: add it to ADMIN_COMMANDS"


@pytest.mark.parametrize("app, command, values", ADMIN_COMMANDS)
def test_an_auditor_runs_no_admin_command(services, app, command, values):
    services.users.add_user(ADMIN, "window2", "long enough password", "intake")
    if values.get("data") == "changed catalogue":  # a file that would publish something new
        data = restaurant_file()
        data["departments"].append({"code": "tax", "name": "税务局", "name_en": "Taxation"})
        values = {"data": data}
    before = services.runner.total_events()
    refused = False
    try:
        call_as_auditor(getattr(getattr(services, app), command), values)
    except NotAllowed:
        refused = True
    assert services.runner.total_events() == before, f"{app}.{command} recorded an event for an auditor"
    assert refused, f"{app}.{command} accepted an auditor"
    assert services.users.authenticate("window2", "long enough password") is not None
