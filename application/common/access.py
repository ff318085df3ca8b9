"""Who may do what. Every command checks here before it touches an aggregate.

Whatever a client sends, a reviewer acts only on items of their own department; intake
officers open and look after cases at the window; supervisors supervise; auditors only read.
"""

from __future__ import annotations

from application.common.errors import NotAllowed
from domain.case.aggregate import Case
from domain.shared.values import Actor, Role

READERS = frozenset({Role.INTAKE, Role.SUPERVISOR, Role.AUDITOR, Role.ADMIN})  # staff who read every case, petition


def require_role(actor: Actor, doing: str, *roles: Role) -> None:
    """Raise ``NotAllowed`` unless the actor has one of ``roles``."""
    if actor.role not in roles:
        allowed = ", ".join(str(r) for r in roles)
        raise NotAllowed(f"{doing} is for {allowed}; {actor.user_id} is {actor.role}")


def require_item_reviewer(actor: Actor, case: Case, item: str, doing: str, *also: Role) -> None:
    """Raise unless the actor reviews for the department that now owns ``item`` (or has a role in ``also``)."""
    if actor.role in also:
        case.check_item(item)
        return
    if actor.role != Role.REVIEWER:  # decided before looking at the item: nothing to probe
        raise NotAllowed(f"{doing} is for reviewers; {actor.user_id} is {actor.role}")
    held = case.check_item(item)
    department = held.department
    if held.assignee and actor.department == department and held.assignee != actor.user_id:
        raise NotAllowed(f"{doing} on item {item!r} is for {held.assignee!r}, to whom it is assigned")
    if actor.department != department:
        raise NotAllowed(
            f"{doing} on item {item!r} is for reviewers of {department!r}; "
            f"{actor.user_id} is {actor.role}" + (f" of {actor.department!r}" if actor.department else "")
        )


def require_owner_or(actor: Actor, case: Case, doing: str, *roles: Role) -> None:
    """Raise unless the actor owns the case or has one of ``roles``."""
    if actor.user_id != case.owner and actor.role not in roles:
        raise NotAllowed(f"{doing} is for the case's owner or {', '.join(map(str, roles))}")


def is_own_case(actor: Actor, case: Case) -> bool:
    """Whether the actor is an applicant of the case's enterprise (and, an agent, authorised for its bundle)."""
    return (actor.role == Role.APPLICANT and actor.enterprise is not None
            and actor.enterprise == case.applicant.get("credit_code")
            and (actor.bundles is None or case.bundle in actor.bundles))


def check_applicant_bundle(actor: Actor, bundle: str) -> None:
    """Raise ``NotAllowed`` unless the applicant may act on cases of ``bundle`` (agents: the bundles authorised)."""
    if actor.role == Role.APPLICANT and actor.bundles is not None and bundle not in actor.bundles:
        raise NotAllowed(f"{actor.user_id} is authorised for bundles {', '.join(actor.bundles) or 'none'}, "
                         f"not {bundle!r}")


def require_own_case(actor: Actor, case: Case, doing: str) -> None:
    """Raise ``NotAllowed`` unless the applicant acts on its own enterprise's case (staff pass: their roles are
    checked by the command)."""
    if actor.role == Role.APPLICANT and not is_own_case(actor, case):
        raise NotAllowed(f"{doing}: case {case.number} is not of {actor.user_id}'s enterprise")


def may_view(actor: Actor, case: Case) -> bool:
    """Return whether the actor may see the case: staff who read, a reviewer with an item in it, or an applicant
    of its enterprise (who sees what ``applicant_view`` keeps)."""
    if actor.role in READERS:
        return True
    if actor.role == Role.APPLICANT:
        return is_own_case(actor, case)
    return actor.role == Role.REVIEWER and any(
        item.department == actor.department for item in case.items.values()
    )


def require_queue_reader(actor: Actor, department: str) -> None:
    """Raise ``NotAllowed`` unless the actor may see ``department``'s review queue: its reviewers, and supervisors."""
    if actor.role != Role.SUPERVISOR and not (actor.role == Role.REVIEWER and actor.department == department):
        raise NotAllowed(f"the queue of {department!r} is for its reviewers and supervisors")
