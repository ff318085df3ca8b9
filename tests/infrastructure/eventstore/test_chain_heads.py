"""The recorder remembers each case's chain head after a commit, so the next command reads no hash."""

from __future__ import annotations

from tests.application.helpers import open_restaurant, submit_all
from tests.conftest import make_services


def test_a_second_command_on_a_case_reads_no_previous_hash(services, monkeypatch):
    recorder = services.cases.recorder
    reads = []
    for name in ("_hashes_of", "_driver_hashes_of"):  # through SQLAlchemy (joining a session) or the driver
        original = getattr(recorder, name)
        monkeypatch.setattr(recorder, name, lambda c, wanted, original=original: reads.append(wanted)
                            or original(c, wanted))
    case_id = open_restaurant(services)
    submit_all(services, case_id)
    assert reads == []
    assert services.audit.verify(None)["ok"]


def test_another_process_that_moved_the_case_on_is_read_from_the_store(services, monkeypatch):
    case_id = open_restaurant(services)
    other = make_services(services.settings.database_url)  # a second process: its own recorder and cache
    submit_all(other, case_id)
    reads = []
    recorder = services.cases.recorder
    original = recorder._driver_hashes_of
    monkeypatch.setattr(recorder, "_driver_hashes_of", lambda c, wanted: reads.append(wanted) or original(c, wanted))
    submit_all(services, case_id)  # our head (version 1) is stale: the version before ours comes from the store
    assert reads  # the hash before our first event was read from the store
    assert services.cases.load(case_id).version == 5
    assert services.audit.verify(None)["ok"]
