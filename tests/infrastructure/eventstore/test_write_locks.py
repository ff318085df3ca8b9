"""A write that cannot have the events table's lock in time is rolled back and reported as a lock timeout;
the process's next write goes through."""

from __future__ import annotations

import psycopg
import pytest
from eventsourcing.persistence import OperationalError, StoredEvent
from sqlalchemy.engine import make_url

from application.common.retry import is_lock_timeout
from infrastructure.eventstore import recorders
from tests.application.helpers import open_restaurant
from tests.conftest import ADMIN, make_services, restaurant_file

WITHDRAWN = "domain.case.aggregate:Case.Withdrawn"


@pytest.mark.postgres
def test_a_write_kept_from_the_table_lock_times_out_and_the_next_write_succeeds(postgres_url, monkeypatch):
    monkeypatch.setattr(recorders, "LOCK_TIMEOUT", "200ms")
    services = make_services(postgres_url)
    services.catalogue.publish_file(restaurant_file(), ADMIN)
    case_id = open_restaurant(services)
    recorder = services.cases.recorder
    url = make_url(postgres_url).set(drivername="postgresql")
    with psycopg.connect(url.render_as_string(hide_password=False)) as holder:
        holder.execute(f"LOCK TABLE {recorder.events_table_name} IN EXCLUSIVE MODE")  # held until commit
        with pytest.raises(OperationalError) as refused:
            recorder.insert_events([StoredEvent(case_id, 2, WITHDRAWN, b"{}")])
        assert is_lock_timeout(refused.value)  # the commands' retry waits and tries again
    ids = recorder.insert_events([StoredEvent(case_id, 2, WITHDRAWN, b"{}")])
    assert ids and ids[0] == recorder.max_notification_id()
    assert [e.originator_version for e in recorder.select_events(case_id)] == [1, 2]
