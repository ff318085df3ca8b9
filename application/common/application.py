"""The base of OneThing's applications: one ``eventsourcing.Application`` per consistency area."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.application import Application, ProcessingEvent
from eventsourcing.domain import BaseAggregate
from eventsourcing.persistence import JSONTranscoder, Recording, Transcoding

from application.common.stored_topics import register_old_topics
from application.common.transcodings import DOMAIN_TRANSCODINGS

register_old_topics()  # before any store is opened: events of earlier releases name the old modules


class OneThingApplication(Application[UUID]):
    """Base of OneThing's applications: registers the domain's transcodings."""

    extra_transcodings: tuple[Transcoding, ...] = ()

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        for transcoding in DOMAIN_TRANSCODINGS + self.extra_transcodings:
            transcoder.register(transcoding)

    def save(self, *objs: Any, **kwargs: Any) -> list[Recording[UUID]]:
        """The library's ``save``, collecting an aggregate's events without its runtime protocol checks
        (``isinstance`` against a ``typing.Protocol`` cost about a tenth of a command's Python time)."""
        processing_event = CollectedEvents()
        processing_event.collect_events(*objs, **kwargs)
        recordings = self._record(processing_event)
        self._take_snapshots(processing_event)
        self._notify(recordings)
        self.notify(processing_event.events)  # deprecated, as the library still calls it
        return recordings


class CollectedEvents(ProcessingEvent[UUID]):
    """The library's ``ProcessingEvent``, with a fast path for aggregates (``BaseAggregate``, a plain class
    check); anything else takes the library's path."""

    def collect_events(self, *objs: Any, **kwargs: Any) -> None:
        for obj in objs:
            if isinstance(obj, BaseAggregate):
                self.events.extend(obj.collect_events())
                self.aggregates[obj.id] = obj
            else:
                super().collect_events(obj)
        self.saved_kwargs.update(kwargs)
