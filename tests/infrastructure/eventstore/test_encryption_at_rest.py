"""Personal data at rest: stored event state and snapshots encrypted with ``ONETHING_CIPHER_KEY``.

On SQLite and PostgreSQL: no applicant name, credit code, petition text or file name in the stored
bytes; stores written in clear keep opening; rotation; clear errors for a missing or wrong key; the hash
chain, verify, the offline bundle, time travel, snapshots and projections keep working.
"""

from __future__ import annotations

import base64
import tempfile
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import inspect, select, update

from infrastructure.audit.bundle import write_bundle
from infrastructure.audit.offline_verifier import generate_key
from infrastructure.audit.offline_verifier import main as verify_offline
from infrastructure.eventstore.cipher import MAGIC, CipherConfigError, StoredStateUnreadable, key_id, key_usage, new_key
from infrastructure.eventstore.persistence import application_env
from infrastructure.readmodels.runner import SCHEMA_ROW
from infrastructure.readmodels.tables import tracking
from tests.application.helpers import SHA, complete_restaurant, open_restaurant, submit_all
from tests.conftest import ADMIN, AMR, INTAKE, restaurant_file
from tests.infrastructure.readmodels.test_projections import rebuilt, snapshot
from web.services import Services, Settings, build_services

KEY, OTHER_KEY = new_key(), new_key()
NAME = "泉城小馆餐饮有限公司"  # open_restaurant's applicant
CODE = "91110000600037341L"  # open_restaurant's credit code
PETITION_TEXT = "反映：门前占道施工已持续三个月，影响正常经营"
FILENAME = "法定代表人身份证-王小明.pdf"
COMMENT = "窗口王小明服务很好"
DISPLAY_NAME = "窗口李晓红"
SECRETS = (NAME, CODE, PETITION_TEXT, FILENAME, COMMENT, DISPLAY_NAME)


def key_id_of(key: str) -> bytes:
    return key_id(base64.b64decode(key))


def services_with(url: str, key: str = "", old: str = "", publish: bool = True, **settings: Any) -> Services:
    """Services on ``url`` (schema created, restaurant bundle published) with these cipher settings."""
    audit_key = Path(tempfile.gettempdir()) / f"onething-test-key-{uuid.uuid4().hex}.pem"
    services = build_services(Settings(database_url=url, secret_key="test", audit_key=str(audit_key),
                                       cipher_key=key, cipher_old_keys=old, **settings))
    services.init_schema()
    if publish:
        services.catalogue.publish_file(restaurant_file(), ADMIN)
    return services


def record_personal_data(services: Services) -> Any:
    """A user, a completed and rated case, another with a named file, a petition; everything projected."""
    services.users.add_user(ADMIN, "window9", "Ample-Horse-Battery-9", "intake", display_name=DISPLAY_NAME)
    case_id = open_restaurant(services)
    complete_restaurant(services, case_id)
    services.cases.intake.rate(INTAKE, case_id, 5, COMMENT)
    other = open_restaurant(services)
    services.cases.intake.submit_material(INTAKE, other, "id-card", FILENAME, SHA)
    services.petitions.submit(INTAKE, NAME, CODE, "占道施工", PETITION_TEXT, "hotline")
    services.runner.catch_up()
    return case_id


def stored_rows(services: Services) -> list[tuple[str, bytes]]:
    """(table, state) of every stored event and snapshot of every store, as the database holds them."""
    recorders = list(services.event_recorders().values()) + [services.cases.snapshots.recorder]
    rows = []
    with services.runner.engine.connect() as connection:
        for recorder in recorders:
            for table in recorder.tables:
                rows += [(table.name, bytes(s)) for (s,) in connection.execute(select(table.c.state))]
    return rows


def case_rows(services: Services, case_id: Any) -> list[bytes]:
    return [e.state for e in services.cases.recorder.select_events(case_id)]


def found(secret: str, blobs: list[bytes]) -> bool:
    return any(secret.encode() in blob for blob in blobs)


def test_no_applicant_name_credit_code_petition_text_or_file_name_in_stored_events(database_url):
    services = services_with(database_url, KEY)
    record_personal_data(services)
    rows = stored_rows(services)
    assert {name for name, _ in rows} >= {"cases_events", "petitions_events", "users_events", "catalogue_events"}
    assert all(state.startswith(MAGIC + key_id_of(KEY)) for name, state in rows if name != "catalogue_events")
    for secret in SECRETS:
        assert not found(secret, [state for _, state in rows]), secret


def test_the_same_search_finds_them_in_a_store_kept_in_clear(database_url):
    """The check above can fail: without a key the very same bytes hold every secret."""
    services = services_with(database_url)
    record_personal_data(services)
    blobs = [state for _, state in stored_rows(services)]
    assert all(found(secret, blobs) for secret in SECRETS)


def test_the_sqlite_file_holds_no_petition_text_file_name_or_rating_comment(sqlite_url):
    """Read models keep what lists show: the applicant and credit code (searched and listed), not the rest."""
    services = services_with(sqlite_url, KEY)
    record_personal_data(services)
    path = Path(sqlite_url.removeprefix("sqlite:///"))
    files = [p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists()]
    for secret in (PETITION_TEXT, FILENAME, COMMENT):
        assert not found(secret, files), secret
    row = services.queries.store.case_list(today=services.clock.today(), text="泉城")
    assert row.total == 2 and row.rows[0]["credit_code"] == CODE  # listed and searched in clear, as documented


def test_a_store_written_in_clear_keeps_opening_with_a_key_and_mixes_both(database_url):
    before = services_with(database_url)
    case_id = open_restaurant(before)
    submit_all(before, case_id)
    after = services_with(database_url, KEY)
    assert after.cases.load(case_id).version == 3  # clear rows, read by a process that has a key
    after.cases.review.accept_item(AMR, case_id, "business-licence")
    states = case_rows(after, case_id)
    assert [s.startswith(b"{") for s in states] == [True, True, True, False]
    assert states[-1].startswith(MAGIC + key_id_of(KEY))
    assert services_with(database_url, KEY).cases.load(case_id).items["business-licence"].status == "in_review"
    assert after.audit.verify(None)["ok"]


def test_an_encrypted_row_without_its_key_is_a_clear_error_naming_the_key(database_url):
    case_id = open_restaurant(services_with(database_url, KEY))
    without = services_with(database_url, publish=False)
    with pytest.raises(StoredStateUnreadable) as error:
        without.cases.load(case_id)
    message = str(error.value)
    assert key_id_of(KEY).hex() in message and "ONETHING_CIPHER_KEY" in message and "version 1" in message
    assert "JSON" not in message and KEY not in message
    with pytest.raises(StoredStateUnreadable, match=key_id_of(KEY).hex()):
        services_with(database_url, OTHER_KEY, publish=False).cases.load(case_id)  # a wrong key: the same


def test_rotation_new_key_writes_old_keys_still_read(database_url):
    first = services_with(database_url, KEY)
    case_id = open_restaurant(first)
    rotated = services_with(database_url, OTHER_KEY, old=f" {KEY} ,")
    rotated.cases.intake.submit_material(INTAKE, case_id, "id-card", "id.pdf", SHA)
    assert [s[len(MAGIC):len(MAGIC) + 8] for s in case_rows(rotated, case_id)] == [key_id_of(KEY),
                                                                                  key_id_of(OTHER_KEY)]
    assert services_with(database_url, OTHER_KEY, old=KEY).cases.load(case_id).version == 2
    assert key_usage({"Cases": rotated.cases.recorder}) == {"Cases": {key_id_of(KEY).hex(): 1,
                                                                      key_id_of(OTHER_KEY).hex(): 1}}
    assert rotated.audit.verify(None)["ok"]  # history was not rewritten: the chain still holds
    with pytest.raises(StoredStateUnreadable, match=key_id_of(KEY).hex()):
        services_with(database_url, OTHER_KEY, publish=False).cases.load(case_id)  # old key dropped too soon


def test_a_changed_encrypted_row_is_named_as_damaged(database_url):
    services = services_with(database_url, KEY)
    case_id = open_restaurant(services)
    table = services.cases.recorder.events_record_cls.__table__
    state = case_rows(services, case_id)[0]
    changed = state[:-1] + bytes([state[-1] ^ 1])
    with services.runner.engine.begin() as connection:
        connection.execute(update(table).where(table.c.originator_id == case_id).values(state=changed))
    with pytest.raises(StoredStateUnreadable, match="changed or damaged"):
        services_with(database_url, KEY).cases.load(case_id)
    assert not services.audit.verify(None)["ok"]


def test_verify_bundle_time_travel_snapshots_and_rebuild_work_encrypted(database_url, tmp_path):
    services = services_with(database_url, KEY)
    generate_key(services.settings.audit_key)
    case_id = record_personal_data(services)
    long_case = open_restaurant(services)
    for n in range(55):
        services.cases.intake.submit_material(INTAKE, long_case, "id-card", f"id-{n}.pdf", SHA)
    snapshots = services.cases.snapshots.recorder.select_events(long_case)
    assert [s.originator_version for s in snapshots] == [50] and snapshots[0].state.startswith(MAGIC)
    assert services.audit.checkpoint(None) is not None
    assert services.audit.verify(None)["ok"]
    write_bundle(tmp_path / "bundle", services.event_recorders(), services.audit_log)
    assert verify_offline([str(tmp_path / "bundle")]) == 0
    fresh = services_with(database_url, KEY)  # nothing cached: reads go through the cipher
    assert fresh.cases.load(long_case).version == 56
    assert len(fresh.cases.load(long_case).materials) == 1
    then = fresh.cases.reads.get_case(INTAKE, case_id, version=3)
    assert then.version == 3 and then.applicant["name"] == NAME
    opened = next(iter(fresh.cases.events.get(case_id))).timestamp
    assert fresh.cases.reads.case_as_of(INTAKE, case_id, opened).version == 1
    services.runner.catch_up()
    assert rebuilt(services, 7) == snapshot(services)


def test_a_production_start_needs_a_key_or_an_explicit_none():
    with pytest.raises(CipherConfigError, match="ONETHING_CIPHER_KEY"):
        application_env("sqlite://", production=True)
    assert application_env("sqlite://", cipher_key="none", production=True)["CIPHER_KEY"] == "none"
    assert application_env("sqlite://", cipher_key=KEY, production=True)["CIPHER_KEY"] == KEY


def test_production_services_refuse_to_start_without_a_key(sqlite_url):
    with pytest.raises(CipherConfigError, match="ONETHING_CIPHER_KEY=none"):
        build_services(Settings(database_url=sqlite_url, secret_key="s" * 32, environment="production"))


def test_none_stores_in_clear_knowingly(sqlite_url):
    services = services_with(sqlite_url, "none", environment="production")
    case_id = open_restaurant(services)
    assert case_rows(services, case_id)[0].startswith(b"{")


@pytest.mark.parametrize("bad", ["not base64!", "c2hvcnQ=", new_key()[:-4]])
def test_a_malformed_key_is_refused_at_start_without_echoing_it(bad):
    with pytest.raises(CipherConfigError) as error:
        application_env("sqlite://", cipher_key=bad)
    assert "16, 24 or 32 bytes" in str(error.value) and bad not in str(error.value)
    with pytest.raises(CipherConfigError, match="ONETHING_CIPHER_OLD_KEYS"):
        application_env("sqlite://", cipher_key=KEY, cipher_old_keys=f"{KEY},{bad}")


def test_an_upgrade_drops_the_material_file_names_an_earlier_release_projected(database_url):
    services = services_with(database_url)
    engine = services.runner.engine
    with engine.begin() as connection:  # as version 5 left it
        connection.exec_driver_sql("CREATE TABLE rm_case_materials (case_id VARCHAR(36), filename TEXT)")
        connection.exec_driver_sql(f"INSERT INTO rm_case_materials VALUES ('x', '{FILENAME}')")
        connection.execute(update(tracking).where(tracking.c.projection == SCHEMA_ROW).values(position=5))
    services.init_schema()  # onething db init
    assert "rm_case_materials" not in inspect(engine).get_table_names()
    assert "rating_comment" not in {c["name"] for c in inspect(engine).get_columns("rm_cases")}
