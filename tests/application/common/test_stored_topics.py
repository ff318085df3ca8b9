"""Every topic release 0.1 stored still names a class: the class that answers to it now.

The store of release 0.1 (``tests/legacy_store/release-0.1``) holds 52 event topics and 8 aggregate topics
(snapshots name their aggregate). Since then the domain moved into a package per aggregate and every event
moved into its aggregate's class, so ``domain.case_events:ItemApproved`` is ``Case.ItemApproved`` now; the
list below is that store's, written out so a class that moves again without its old topic fails here.
"""

from __future__ import annotations

import pytest
from eventsourcing.utils import resolve_topic

from application.common.stored_topics import register_old_topics
from domain.calendar.overrides import CalendarOverrides
from domain.case.aggregate import Case
from domain.catalogue.aggregate import Bundle, Catalogue
from domain.petition.aggregate import Petition
from domain.users.aggregate import AdminGuard, User
from domain.users.tokens import ApiToken

EVENT_TOPICS_OF_RELEASE_0_1 = [
    ("domain.calendar_overrides:CalendarOverrides.DayDeclared", CalendarOverrides.DayDeclared),
    ("domain.calendar_overrides:CalendarOverrides.Started", CalendarOverrides.Started),
    ("domain.calendar_overrides:CalendarOverrides.YearDeclared", CalendarOverrides.YearDeclared),
    ("domain.case_events:AcceptedWithDeficiency", Case.AcceptedWithDeficiency),
    ("domain.case_events:ApprovalRevoked", Case.ApprovalRevoked),
    ("domain.case_events:CaseRejected", Case.CaseRejected),
    ("domain.case_events:CertificatesIssued", Case.CertificatesIssued),
    ("domain.case_events:CommitmentRevoked", Case.CommitmentRevoked),
    ("domain.case_events:Completed", Case.Completed),
    ("domain.case_events:DeadlineBreached", Case.DeadlineBreached),
    ("domain.case_events:DeadlineWarned", Case.DeadlineWarned),
    ("domain.case_events:EscalationOpened", Case.EscalationOpened),
    ("domain.case_events:EscalationRaised", Case.EscalationRaised),
    ("domain.case_events:EscalationResolved", Case.EscalationResolved),
    ("domain.case_events:InspectionRecorded", Case.InspectionRecorded),
    ("domain.case_events:ItemAccepted", Case.ItemAccepted),
    ("domain.case_events:ItemApproved", Case.ItemApproved),
    ("domain.case_events:ItemApprovedOnCommitment", Case.ItemApprovedOnCommitment),
    ("domain.case_events:ItemAssigned", Case.ItemAssigned),
    ("domain.case_events:ItemClockStarted", Case.ItemClockStarted),
    ("domain.case_events:ItemRejected", Case.ItemRejected),
    ("domain.case_events:ItemTransferred", Case.ItemTransferred),
    ("domain.case_events:ItemUrged", Case.ItemUrged),
    ("domain.case_events:ItemWithdrawn", Case.ItemWithdrawn),
    ("domain.case_events:MaterialSubmitted", Case.MaterialSubmitted),
    ("domain.case_events:Opened", Case.Opened),
    ("domain.case_events:OwnerReassigned", Case.OwnerReassigned),
    ("domain.case_events:Rated", Case.Rated),
    ("domain.case_events:SupplementReceived", Case.SupplementReceived),
    ("domain.case_events:SupplementRequested", Case.SupplementRequested),
    ("domain.case_events:Withdrawn", Case.Withdrawn),
    ("domain.catalogue:Bundle.Published", Bundle.Published),
    ("domain.catalogue:Bundle.Registered", Bundle.Registered),
    ("domain.catalogue:Catalogue.BundleListed", Catalogue.BundleListed),
    ("domain.catalogue:Catalogue.DepartmentDeclared", Catalogue.DepartmentDeclared),
    ("domain.catalogue:Catalogue.Started", Catalogue.Started),
    ("domain.petition_events:Answered", Petition.Answered),
    ("domain.petition_events:Closed", Petition.Closed),
    ("domain.petition_events:Escalated", Petition.Escalated),
    ("domain.petition_events:Reopened", Petition.Reopened),
    ("domain.petition_events:Rerouted", Petition.Rerouted),
    ("domain.petition_events:ReturnVisited", Petition.ReturnVisited),
    ("domain.petition_events:Routed", Petition.Routed),
    ("domain.petition_events:Submitted", Petition.Submitted),
    ("domain.tokens:ApiToken.Issued", ApiToken.Issued),
    ("domain.tokens:ApiToken.Revoked", ApiToken.Revoked),
    ("domain.users:AdminGuard.AdminDisabled", AdminGuard.AdminDisabled),
    ("domain.users:AdminGuard.Started", AdminGuard.Started),
    ("domain.users:User.Disabled", User.Disabled),
    ("domain.users:User.Enabled", User.Enabled),
    ("domain.users:User.PasswordChanged", User.PasswordChanged),
    ("domain.users:User.Registered", User.Registered),
]
AGGREGATE_TOPICS_OF_RELEASE_0_1 = [
    ("domain.calendar_overrides:CalendarOverrides", CalendarOverrides),
    ("domain.case:Case", Case),
    ("domain.catalogue:Bundle", Bundle),
    ("domain.catalogue:Catalogue", Catalogue),
    ("domain.petition:Petition", Petition),
    ("domain.tokens:ApiToken", ApiToken),
    ("domain.users:AdminGuard", AdminGuard),
    ("domain.users:User", User),
]


def topic_id(value: object) -> str:
    return value if isinstance(value, str) else ""


@pytest.fixture(autouse=True, scope="module")
def old_topics_registered() -> None:
    register_old_topics()


def test_the_lists_hold_every_topic_of_release_0_1():
    assert len(EVENT_TOPICS_OF_RELEASE_0_1) == 52 and len(AGGREGATE_TOPICS_OF_RELEASE_0_1) == 8


@pytest.mark.parametrize(("topic", "cls"), EVENT_TOPICS_OF_RELEASE_0_1 + AGGREGATE_TOPICS_OF_RELEASE_0_1, ids=topic_id)
def test_an_old_topic_resolves_to_the_class_that_answers_to_it_now(topic, cls):
    assert resolve_topic(topic) is cls


@pytest.mark.parametrize(("topic", "cls"), EVENT_TOPICS_OF_RELEASE_0_1, ids=topic_id)
def test_every_event_of_release_0_1_is_nested_in_its_aggregate_under_its_old_name(topic, cls):
    aggregate, _, name = cls.__qualname__.partition(".")
    assert name == topic.rpartition(":")[2].rpartition(".")[2]
    assert isinstance(getattr(resolve_topic(f"{cls.__module__}:{aggregate}"), name), type)
