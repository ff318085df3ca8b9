"""The base of OneThing's applications: one ``eventsourcing.Application`` per consistency area."""

from __future__ import annotations

from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.persistence import JSONTranscoder, Transcoding

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
