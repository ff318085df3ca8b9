"""Random command sequences over a three-item restaurant case, for property tests."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from hypothesis import strategies as st

from domain.case.aggregate import Case
from domain.catalogue.definitions import BundleDef
from domain.shared.errors import DomainError
from domain.shared.values import Actor, Role
from domain.shared.working_days import WorkClock
from tests.conftest import RESTAURANT_FILE, weekdays

START = date(2026, 3, 2)
ITEMS = ["business-licence", "food-permit", "seal-engraving"]
KEYS = ["id-card", "floor-plan"]
DEPTS = ["amr", "amr-food", "psb"]
ACTOR = Actor("tester", Role.SUPERVISOR)


def three_item_file() -> dict[str, Any]:
    """The API.md restaurant bundle plus a non-essential seal item without materials of its own."""
    data = {**RESTAURANT_FILE, "bundles": [dict(RESTAURANT_FILE["bundles"][0])]}
    bundle = data["bundles"][0]
    bundle["items"] = list(bundle["items"]) + [{
        "code": "seal-engraving", "name": "公章刻制", "department": "psb", "time_limit_days": 1,
        "materials": [], "prerequisites": ["business-licence"], "essential": False,
        "outputs": [{"type": "seal-filing", "name": "印章备案"}]}]
    return data


BUNDLE = BundleDef.from_dict(three_item_file()["bundles"][0])
item = st.sampled_from(ITEMS)
text = st.sampled_from(["", "ok", "材料齐全", "reason"])

ARGUMENTS = {
    "advance": st.tuples(item, st.booleans()),
    "submit": st.tuples(st.sampled_from(KEYS)),
    "excuse": st.tuples(st.lists(st.sampled_from(KEYS), max_size=2), st.integers(-1, 10)),
    "accept": st.tuples(item),
    "request": st.tuples(item, text),
    "receive": st.tuples(item),
    "inspect": st.tuples(item, st.booleans()),
    "approve": st.tuples(item),
    "commit": st.tuples(item, text),
    "revoke": st.tuples(item, text),
    "reject": st.tuples(item, text),
    "issue": st.tuples(item),
    "withdraw": st.tuples(text),
    "transfer": st.tuples(item, st.sampled_from(DEPTS), text),
    "reassign": st.tuples(st.sampled_from(["window1", "window2"]), text),
    "escalate": st.tuples(st.integers(0, 4), text),
    "resolve": st.tuples(st.integers(1, 3), text),
    "rate": st.tuples(st.integers(0, 6), text),
    "wait": st.tuples(st.integers(1, 5)),
    "urge": st.tuples(item, text),
    "raise": st.tuples(st.integers(1, 3), text),
    "tick": st.tuples(st.integers(1, 4)),
}
# "advance" does the next sensible step of an item, so that histories reach approvals (which issue the
# certificates), completion, and a late material's arrival; closing commands are rarer so that histories
# grow long. A random "issue" is refused unless an item is approved without its certificates.
WEIGHTS = {"advance": 30, "submit": 2, "request": 2, "wait": 2, "reject": 1, "withdraw": 1}
NAMES = [name for name in ARGUMENTS for _ in range(WEIGHTS.get(name, 2 if name not in
                                                                 ("reject", "withdraw") else 1))]
OPERATIONS = st.sampled_from(NAMES).flatmap(lambda n: ARGUMENTS[n].map(lambda a: (n, *a)))
SEQUENCES = st.lists(OPERATIONS, min_size=20, max_size=80)


def next_step(case: Case, code: str, on_commitment: bool) -> tuple:
    """The operation that moves item ``code`` (or the prerequisite holding it up) forward."""
    target = case.items[code]
    missing = [k for k in target.materials if k not in case.materials and k not in case.deficiencies]
    blocking = [p for p in target.prerequisites if case.items[p].status != "approved"]
    if missing:
        return ("submit", missing[0])
    if target.status == "waiting":
        return ("accept", code)
    if target.status == "supplement_requested":
        return ("receive", code)
    if target.status == "in_review" and blocking:
        return next_step(case, blocking[0], on_commitment)
    if target.status == "in_review" and on_commitment and target.commitment_allowed:
        return ("commit", code, "本人承诺符合条件")
    if target.status == "in_review" and target.inspection and not target.inspection_passed:
        return ("inspect", code, True)
    if target.status == "in_review":
        return ("approve", code)
    if target.status == "approved" and target.outputs and not target.certificates:
        # Approval issues the certificates at once, unless a material the item needs was only excused (its
        # arrival issues them) or an output is issued later (the issue step, legal only now).
        excused = [k for k in target.materials if k not in case.materials]
        return ("submit", excused[0]) if excused else ("issue", code)
    return ("wait", 1)


def new_case(number: str = "P-1") -> Case:
    """Open the property tests' case."""
    from domain.shared.values import Applicant, Channel

    return Case.open(number=number, bundle=BUNDLE, bundle_version=1,
                     applicant=Applicant("某公司", "91110000600037341L"), channel=Channel.WINDOW,
                     opened_on=START, actor=ACTOR)


def apply(case: Case, operation: tuple, today: date) -> date:
    """Apply one operation (refusals are part of the game); return the new business date."""
    name, *args = operation
    if name == "advance":
        name, *args = next_step(case, *args) if case.status == "open" else ("wait", 0)
    if name == "wait":
        return today + timedelta(days=args[0])
    commands = {
        "submit": lambda k: case.submit_material(k, f"{k}.pdf", "ab" * 32, ACTOR, today=today),
        "excuse": lambda keys, d: case.accept_with_deficiency(keys, today + timedelta(days=d), today, ACTOR),
        "accept": lambda i: case.accept_item(i, today, weekdays, ACTOR),
        "request": lambda i, r: case.request_supplement(i, [], today, ACTOR, r),
        "receive": lambda i: case.receive_supplement(i, today, weekdays, ACTOR),
        "inspect": lambda i, p: case.record_inspection(i, "video", p, ACTOR),
        "approve": lambda i: case.approve_item(i, ACTOR, clock=WorkClock(today, weekdays)),
        "commit": lambda i, t: case.approve_on_commitment(i, t, ACTOR, clock=WorkClock(today, weekdays)),
        "revoke": lambda i, r: case.revoke_commitment(i, ACTOR, r),
        "reject": lambda i, r: case.reject_item(i, ACTOR, r),
        "issue": lambda i: case.issue_certificates(i, ACTOR, "", today),
        "withdraw": lambda r: case.withdraw(ACTOR, r),
        "transfer": lambda i, d, r: case.transfer_item(i, d, ACTOR, r),
        "reassign": lambda o, r: case.reassign_owner(o, ACTOR, r),
        "escalate": lambda lv, r: case.escalate(lv, ACTOR, r, today),
        "urge": lambda i, r: case.urge(i, ACTOR, r),
        "raise": lambda n, r: case.raise_escalation(n, today, ACTOR, r),
        "tick": lambda after: case.check_deadlines(today, weekdays, after, ACTOR),
        "resolve": lambda n, r: case.resolve_escalation(n, ACTOR, r),
        "rate": lambda s, c: case.rate(s, c, ACTOR),
    }
    try:
        commands[name](*args)
    except DomainError:
        pass
    return today


def state(case: Case) -> dict[str, Any]:
    """Everything a case holds, but the events not yet saved."""
    return {k: v for k, v in vars(case).items() if k != "_pending_events"}
