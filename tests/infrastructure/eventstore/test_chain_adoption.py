"""A database made before the hash chain existed adopts it on ``onething db init`` (``adopt_chain``), once.

Simulated on SQLite and PostgreSQL: events are recorded, then the events tables lose their ``hash`` and
``prev_hash`` columns (and the audit log's tables go), the datastores are disposed and services are built
again, which runs ``init_schema`` and so ``adopt_chain``.
"""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import inspect, select, update

from infrastructure.audit.offline_verifier import GENESIS, event_hash
from infrastructure.eventstore.persistence import dispose_datastores
from tests.application.helpers import complete_restaurant, open_restaurant, submit_all
from tests.conftest import ADMIN, make_services, restaurant_file

STORES = ("cases_events", "catalogue_events", "users_events", "petitions_events", "notifications_events")


def record_some_events(services) -> tuple[UUID, UUID]:
    services.users.add_user(ADMIN, "li", "long enough password", "intake")
    done = open_restaurant(services)
    complete_restaurant(services, done)
    pending = open_restaurant(services)
    submit_all(services, pending)
    services.notifier.send_due()  # the completed case's notifications reach the inbox: Delivery events
    return done, pending


def rows(services, recorder):
    table = recorder.events_record_cls.__table__
    with services.runner.engine.connect() as connection:
        return connection.execute(select(table.c.originator_id, table.c.originator_version, table.c.topic,
                                         table.c.state, table.c.hash, table.c.prev_hash)
                                  .order_by(table.c.originator_id, table.c.originator_version)).all()


def forget_the_chain(services) -> None:
    """Make the database look like one written before the chain: no hash columns, no audit log."""
    with services.runner.engine.begin() as connection:
        for table in STORES:
            connection.exec_driver_sql(f"ALTER TABLE {table} DROP COLUMN hash")
            connection.exec_driver_sql(f"ALTER TABLE {table} DROP COLUMN prev_hash")
        connection.exec_driver_sql("DROP TABLE IF EXISTS audit_log")
        connection.exec_driver_sql("DROP TABLE IF EXISTS audit_checkpoints")
    dispose_datastores()


def columns(services, table: str) -> set[str]:
    return {c["name"] for c in inspect(services.runner.engine).get_columns(table)}


def test_an_old_database_gets_the_columns_and_every_row_hashed(database_url):
    old = make_services(database_url)
    old.catalogue.publish_file(restaurant_file(), ADMIN)
    done, pending = record_some_events(old)
    expected = {name: rows(old, recorder) for name, recorder in old.event_recorders().items()}
    forget_the_chain(old)

    services = make_services(database_url)  # init_schema: adopt_chain on every store
    for table in STORES:
        assert {"hash", "prev_hash"} <= columns(services, table), table
    for name, recorder in services.event_recorders().items():
        adopted = rows(services, recorder)
        assert len(adopted) == len(expected[name])
        assert adopted or name == "Petitions", f"{name} recorded nothing: the test would check nothing"
        prev, current = GENESIS, None
        for originator_id, version, topic, state, digest, prev_hash in adopted:
            assert digest is not None and prev_hash is not None, (name, originator_id, version)
            if originator_id != current:
                prev, current = GENESIS, originator_id
            assert bytes(prev_hash) == prev
            assert bytes(digest) == event_hash(prev, originator_id, version, topic, bytes(state))
            prev = bytes(digest)
        # the very hashes the chain would have had if it had existed from the start
        assert [(r.hash, r.prev_hash) for r in adopted] == [(r.hash, r.prev_hash) for r in expected[name]]

    report = services.audit.verify(None)
    assert report["ok"] is True and report["broken"] == [], report
    assert report["cases_checked"] == 2 and report["events_checked"] == services.runner.total_events()
    history = services.cases.reads.history(ADMIN, done)
    assert history[0]["prev_hash"] == "00" * 32 and history[-1]["hash"] == services.cases.reads.chain_head(done)
    services.cases.intake.rate(services.users.find_actor("li"), done, 5)  # new events chain onto the adopted ones
    assert services.audit.verify(None, done)["ok"] is True
    assert services.audit.verify(None, pending)["ok"] is True


def test_a_second_init_does_not_hash_again(database_url):
    old = make_services(database_url)
    old.catalogue.publish_file(restaurant_file(), ADMIN)
    done, pending = record_some_events(old)
    forget_the_chain(old)
    services = make_services(database_url)
    assert services.audit.verify(None)["ok"] is True

    table = services.cases.recorder.events_record_cls.__table__
    where = (table.c.originator_id == pending) & (table.c.originator_version == 2)
    with services.runner.engine.begin() as connection:  # tampering: a hash wiped after the adoption
        connection.execute(update(table).where(where).values(hash=None, prev_hash=None))
    dispose_datastores()

    again = make_services(database_url)  # init_schema again: adopt_chain must leave the NULL alone
    assert all(recorder.adopt_chain() == 0 for recorder in again.event_recorders().values())
    with again.runner.engine.connect() as connection:
        assert connection.execute(select(table.c.hash, table.c.prev_hash).where(where)).one() == (None, None)
    report = again.audit.verify(None)
    assert report["ok"] is False
    assert [(b["case"], b["position"]) for b in report["broken"]] == [(str(pending), 2)]
    assert report["broken"][0]["problem"] == "has no hash"
    assert again.audit.verify(None, done)["ok"] is True
