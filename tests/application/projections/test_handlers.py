"""Read models find their handlers by event class, and the handler tables match the aggregates' events.

A handler keyed by a class that is not one of an aggregate's events would never run; a case event the case
read model forgets would leave its lists silently stale. Both fail here, at test time, not in production.
"""

import importlib
import pkgutil
import uuid
from datetime import UTC, datetime

import pytest
from eventsourcing.domain import Aggregate, DomainEvent
from eventsourcing.utils import get_topic, resolve_topic

import domain
from application.common.application import OneThingApplication  # noqa: F401 - registers the topics of 0.1
from application.common.stored_topics import old_topics
from application.projections.audit import AuditReadModel
from application.projections.base import Change, ReadModel, Row
from application.projections.cases import CaseReadModel
from application.projections.directory import DirectoryReadModel
from application.projections.notifications import DeliveryReadModel, NotificationReadModel
from application.projections.petitions import PetitionReadModel
from domain.case.aggregate import Case
from domain.petition.aggregate import Petition
from domain.shared.values import Actor, Role

READ_MODELS = [CaseReadModel, DirectoryReadModel, PetitionReadModel, AuditReadModel, NotificationReadModel,
               DeliveryReadModel]

# Case events the case read model deliberately leaves to ``process``, which moves the case row's version and
# time for every event after Opened: no list, queue or register shows what they record.
NO_CASE_HANDLER = {
    Case.AcceptedWithDeficiency: "the missing materials and their supplement date show on the case's own page, "
                                 "read from the case; the item rows change with the ItemAccepted that follows",
    Case.InspectionRecorded: "an inspection's method and result show on the case's own page only; the item's "
                             "status changes with the decision that follows",
}


def aggregates() -> list[type[Aggregate]]:
    """Every aggregate class of the domain."""
    found: dict[str, type[Aggregate]] = {}
    for module_info in pkgutil.walk_packages(domain.__path__, "domain."):
        module = importlib.import_module(module_info.name)
        for member in vars(module).values():
            if isinstance(member, type) and issubclass(member, Aggregate) and member.__module__ == module.__name__:
                found[f"{member.__module__}:{member.__qualname__}"] = member
    return sorted(found.values(), key=lambda a: a.__qualname__)


def events_of(aggregate: type[Aggregate]) -> list[type[DomainEvent]]:
    """The events an aggregate records: its nested event classes, less the bases others extend (``ItemEvent``)
    and eventsourcing's generated ``Event`` and ``Created`` (every aggregate here names its creation event)."""
    nested = [member for name, member in vars(aggregate).items() if isinstance(member, type)
              and issubclass(member, DomainEvent) and member.__qualname__ == f"{aggregate.__qualname__}.{name}"]
    bases = {base for event in nested for base in event.__mro__[1:]}
    return [event for event in nested if event not in bases and event not in (aggregate.Event, aggregate.Created)]


ALL_EVENTS = {event: aggregate for aggregate in aggregates() for event in events_of(aggregate)}


def test_the_domain_has_the_aggregates_and_events_these_tests_expect():
    names = {aggregate.__name__ for aggregate in aggregates()}
    assert {"Case", "Petition", "Bundle", "Catalogue", "User", "ApiToken"} <= names
    assert Case.ItemApproved in ALL_EVENTS and Case.ItemEvent not in ALL_EVENTS


@pytest.mark.parametrize("model", READ_MODELS, ids=lambda m: m.__name__)
def test_every_handler_names_an_event_an_aggregate_records(model: type[ReadModel]):
    for event in model.handlers:
        assert issubclass(event, DomainEvent)
        assert event in ALL_EVENTS, f"{model.__name__} handles {event.__qualname__}, which no aggregate records"


@pytest.mark.parametrize("model", READ_MODELS, ids=lambda m: m.__name__)
def test_every_method_named_like_a_handler_is_in_the_handler_table(model: type[ReadModel]):
    handlers = set(model.handlers.values())
    unmarked = [name for name, member in vars(model).items()
                if name.startswith("on_") and callable(member) and member not in handlers]
    assert unmarked == [], f"{model.__name__}: {unmarked} lack @handles(...) and would never run"


def test_a_handler_must_name_an_event_class():
    from application.projections.base import handles

    with pytest.raises(TypeError, match="not an event class"):
        class Misspelt(ReadModel):  # noqa: F841 - defining it is the test
            @handles("ItemAproved")
            def on_item_approved(self, change, e, view): ...


def test_two_handlers_for_one_event_are_refused():
    from application.projections.base import handles

    with pytest.raises(TypeError, match="two handlers"):
        class Twice(ReadModel):  # noqa: F841 - defining it is the test
            @handles(Case.ItemApproved)
            def on_item_approved(self, change, e, view): ...

            @handles(Case.ItemApproved)
            def on_item_approved_again(self, change, e, view): ...


def test_every_case_event_has_a_case_handler_unless_it_deliberately_needs_none():
    case_events = {event for event, aggregate in ALL_EVENTS.items() if aggregate is Case}
    unhandled = case_events - set(CaseReadModel.handlers)
    assert {e.__qualname__ for e in unhandled} == {e.__qualname__ for e in NO_CASE_HANDLER}
    assert all(why for why in NO_CASE_HANDLER.values())


def test_every_petition_event_has_a_petition_handler():
    petition_events = {event for event, aggregate in ALL_EVENTS.items() if aggregate is Petition}
    assert {e.__qualname__ for e in petition_events - set(PetitionReadModel.handlers)} == set()


class AppendOnly:
    """A view session that keeps appended rows (the audit read model only appends)."""

    def __init__(self) -> None:
        self.rows: list[Row] = []

    def append(self, table: str, row: Row) -> None:
        self.rows.append(row)


def recorded(event_class: type[DomainEvent]) -> DomainEvent:
    """An event of this class with only what the audit log reads (its other fields stay unset)."""
    event = event_class.__new__(event_class)
    values = {"timestamp": datetime(2025, 3, 3, tzinfo=UTC), "reason": "why",
              "actor": Actor("someone", Role.ADMIN, None), "number": "N-1"}
    for name, value in values.items():
        object.__setattr__(event, name, value)
    return event


@pytest.mark.parametrize("event_class", list(ALL_EVENTS), ids=lambda e: e.__qualname__)
def test_the_audit_log_has_a_row_for_every_event_of_every_aggregate(event_class):
    view, event = AppendOnly(), recorded(event_class)
    change = Change("Any", 1, uuid.uuid4(), 1, event_class.__name__, event, "key")
    AuditReadModel().process(change, view)
    [row] = view.rows
    assert row["aggregate"] == ALL_EVENTS[event_class].__name__
    assert row["type"] == event_class.__name__


OLD_EVENT_TOPICS = [(topic, cls) for topic, cls in old_topics() if cls in ALL_EVENTS]


@pytest.mark.parametrize(("topic", "event_class"), OLD_EVENT_TOPICS, ids=[topic for topic, _ in OLD_EVENT_TOPICS])
def test_an_event_stored_under_its_old_topic_is_dispatched_as_its_class_now(topic, event_class):
    # The runner reads every notification (it filters no topics), and the mapper resolves a topic of release
    # 0.1 to the class that answers to it now: an old event meets the handlers of that class.
    assert resolve_topic(topic) is event_class
    assert resolve_topic(get_topic(event_class)) is event_class
