"""Enterprises register online with their legal representative's account; the representative manages agents.

The enterprise (``domain.enterprise``) and its accounts (``User`` with role applicant) are kept in the Users
event store and saved together, so a registration or an authorisation is all or nothing. The credit code
fixes the enterprise's id: a second registration of the same enterprise is refused (409
``representative_exists``). Only the representative authorises and revokes agents; revoking one ends its
tokens and UI sessions at once.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import date

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from application.applicants.views import AgentView, Contact, EnterpriseView
from application.cases.applicants import check_applicant
from application.common.errors import AlreadyExists, Conflict, InvalidInput, NotAllowed, NotFound
from application.users.application import UsersApplication
from domain.enterprise.aggregate import Enterprise
from domain.shared.values import Actor, Role
from domain.users.aggregate import ApplicantKind, User

EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}")
PHONE = re.compile(r"\+?[0-9][0-9 -]{5,19}")
MAX_NAME = 200


class RepresentativeExists(AlreadyExists):
    """Raised when an enterprise registers a second time (it has its representative already)."""

    code = "representative_exists"


class EnterpriseNotFound(NotFound):
    """Raised when no enterprise with the given credit code registered."""


def _contact(email: str | None, phone: str | None) -> tuple[str | None, str | None]:
    email, phone = (email or "").strip() or None, (phone or "").strip() or None
    if email is not None and (len(email) > 254 or not EMAIL.fullmatch(email)):
        raise InvalidInput("email: not an email address", {"email": ["not an email address / 邮箱地址无效"]})
    if phone is not None and not PHONE.fullmatch(phone):
        raise InvalidInput("phone: digits, spaces or '-', 6 to 20", {"phone": ["not a phone number / 电话号码无效"]})
    return email, phone


def _until(value: date | str) -> date:
    try:
        return value if isinstance(value, date) else date.fromisoformat(value)
    except (TypeError, ValueError):
        raise InvalidInput("until: an ISO date such as 2027-12-31", {"until": ["an ISO date"]}) from None


class Accounts:
    """Registering enterprises and managing their agents."""

    def __init__(self, users: UsersApplication, known_bundles: Callable[[], Iterable[str]]):
        self.users, self.known_bundles = users, known_bundles

    def register_enterprise(self, credit_code: str, enterprise_name: str, representative_name: str,
                            username: str, password: str, email: str | None = None,
                            phone: str | None = None) -> EnterpriseView:
        """Register an enterprise with its legal representative's account (who signs in as ``username``)."""
        if not isinstance(representative_name, str) or not representative_name.strip() \
                or len(representative_name) > MAX_NAME or len(enterprise_name or "") > MAX_NAME:
            raise InvalidInput("representative_name: required, at most 200 characters",
                               {"representative_name": ["required, at most 200 characters"]})
        applicant = check_applicant(enterprise_name, credit_code)
        email, phone = _contact(email, phone)
        if Enterprise.create_id(applicant.credit_code) in self.users.repository:
            raise RepresentativeExists(f"{applicant.credit_code} is registered already: its representative "
                                       "authorises agents")
        self.users.check_new_user(username, password, Role.APPLICANT, None, representative_name.strip())
        actor = Actor(username, Role.APPLICANT, enterprise=applicant.credit_code)
        enterprise = Enterprise.register(applicant.credit_code, applicant.name, username, actor)
        user = User.register(username, Role.APPLICANT, None, self.users.hasher.hash(password), actor,
                             representative_name.strip())
        user.bind_applicant(applicant.credit_code, ApplicantKind.REPRESENTATIVE, actor, email=email, phone=phone)
        self._save_new(enterprise, user)
        return EnterpriseView(enterprise.credit_code, enterprise.name, username)

    def authorise_agent(self, actor: Actor, username: str, password: str, bundles: list[str] | None,
                        until: date | str, display_name: str = "", email: str | None = None,
                        phone: str | None = None, reason: str = "agent authorised") -> AgentView:
        """Authorise a new agent (经办人) of the actor's enterprise for ``bundles`` (None: all) until ``until``."""
        enterprise = self._managed_by(actor)
        last_day, today = _until(until), self.users.clock.today()
        self._check_bundles(bundles)
        email, phone = _contact(email, phone)
        self.users.check_new_user(username, password, Role.APPLICANT, None, display_name)
        enterprise.authorise_agent(username, list(bundles) if bundles is not None else None, last_day, today,
                                   actor, reason)
        granted = enterprise.agents[username].bundles
        user = User.register(username, Role.APPLICANT, None, self.users.hasher.hash(password), actor, display_name)
        user.bind_applicant(enterprise.credit_code, ApplicantKind.AGENT, actor,
                            bundles=list(granted) if granted is not None else None, until=last_day,
                            email=email, phone=phone)
        self._save_new(enterprise, user)
        return AgentView.of(enterprise.agents[username], today)

    def revoke_agent(self, actor: Actor, username: str, reason: str) -> AgentView:
        """Revoke an agent of the actor's enterprise: it signs in no more, its tokens and sessions end now."""
        if not isinstance(reason, str) or not reason.strip():
            raise InvalidInput("reason: say why the agent is revoked", {"reason": ["required"]})
        enterprise = self._managed_by(actor)
        if enterprise.revoke_agent(username, actor, reason.strip()):
            user = self.users.user(username)
            user.revoke_agent(actor, reason.strip())
            self.users.save(enterprise, user)
        if self.users.sessions is not None:
            self.users.sessions.end_all(username)
        return AgentView.of(enterprise.agents[username], self.users.clock.today())

    def agents(self, actor: Actor) -> list[AgentView]:
        """The agents of the actor's enterprise, revoked ones too (its representative only)."""
        today = self.users.clock.today()
        return [AgentView.of(agent, today) for agent in self._managed_by(actor).agents.values()]

    def enterprise(self, credit_code: str) -> EnterpriseView:
        """The enterprise registered with ``credit_code`` (``EnterpriseNotFound`` if none)."""
        found = self._enterprise(credit_code)
        return EnterpriseView(found.credit_code, found.name, found.representative)

    def enterprise_name(self, credit_code: str) -> str | None:
        """The registered name of the enterprise ``credit_code`` (None: none registered), for its online filings."""
        try:
            return self._enterprise(credit_code).name
        except EnterpriseNotFound:
            return None

    def enterprise_contacts(self, credit_code: str, bundle: str | None = None) -> list[Contact]:
        """Who to notify about the enterprise's cases (of ``bundle``, if given): its representative and its agents
        active today (authorised for that bundle)."""
        try:
            enterprise = self._enterprise(credit_code)
        except EnterpriseNotFound:
            return []
        today = self.users.clock.today()
        names = [enterprise.representative] + [
            a.username for a in enterprise.agents.values()
            if a.active_on(today) and (bundle is None or a.bundles is None or bundle in a.bundles)]
        users = [self.users.user(name) for name in names]
        return [Contact(u.username, str(u.kind), u.email, u.phone) for u in users if u.may_sign_in(today)]

    def _managed_by(self, actor: Actor) -> Enterprise:
        if actor.role != Role.APPLICANT or not actor.enterprise:
            raise NotAllowed("agents are managed by their enterprise's legal representative")
        enterprise = self._enterprise(actor.enterprise)
        if enterprise.representative != actor.user_id:
            raise NotAllowed("only the enterprise's legal representative manages its agents")
        return enterprise

    def _enterprise(self, credit_code: str) -> Enterprise:
        try:
            enterprise: Enterprise = self.users.repository.get(Enterprise.create_id(credit_code))
        except AggregateNotFoundError:
            raise EnterpriseNotFound(f"no enterprise {credit_code!r} registered") from None
        return enterprise

    def _check_bundles(self, bundles: list[str] | None) -> None:
        if bundles is None:
            return
        if not isinstance(bundles, list) or not bundles or not all(isinstance(b, str) for b in bundles):
            raise InvalidInput("bundles: a list of bundle codes, or leave it out for all",
                               {"bundles": ["a list of bundle codes"]})
        unknown = sorted(set(bundles) - set(self.known_bundles()))
        if unknown:
            named = ", ".join(unknown)
            raise InvalidInput(f"bundles: unknown {named}", {"bundles": [f"unknown: {named}"]})

    def _save_new(self, enterprise: Enterprise, user: User) -> None:
        try:
            self.users.save(enterprise, user)
        except IntegrityError:  # someone else at the same moment: which of the two was taken?
            if self.users.exists(user.username):
                raise AlreadyExists(f"user {user.username!r} exists already") from None
            if enterprise.version == 1:
                raise RepresentativeExists(f"{enterprise.credit_code} is registered already") from None
            raise Conflict("the enterprise's agents changed at the same moment: try again") from None
