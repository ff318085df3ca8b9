"""JSON API v1, the auditor's endpoints: verify, checkpoints, diffs, exports, and the hash chain in a case's history.

Verification after tampering and the history's chain run on SQLite and PostgreSQL; the rest on SQLite.
"""

from __future__ import annotations

import csv
import io
import json
import re
from uuid import UUID

import pytest
from sqlalchemy import select, update

from application.audit.service import CSV_COLUMNS
from infrastructure.audit.offline_verifier import event_hash, generate_key, load_public_key, verify_checkpoint
from tests.conftest import ADMIN
from tests.web.api.test_cases import act, material, ok
from tests.web.conftest import PASSWORD, USERS, Api
from web import create_app

HEX64 = re.compile(r"[0-9a-f]{64}")
NOT_AUDITORS = sorted(set(USERS) - {"auditor"})

try:
    import weasyprint  # noqa: F401
except (ImportError, OSError) as error:  # the package, or the Pango library it loads
    WEASYPRINT_MISSING: str | None = f"weasyprint cannot import ({error})"
else:
    WEASYPRINT_MISSING = None


@pytest.fixture
def any_api(any_services) -> Api:
    """Like the ``api`` fixture, on SQLite and on PostgreSQL."""
    services = any_services
    for username, (role, department) in USERS.items():
        services.users.add_user(ADMIN, username, PASSWORD, role, department)
    services.runner.catch_up()
    client = create_app({"SERVICES": services, "TESTING": True, "RATELIMIT_ENABLED": False}).test_client()
    tokens = {u: client.post("/api/v1/auth/token", json={"username": u, "password": PASSWORD}).get_json()["token"]
              for u in USERS}
    return Api(client, services, tokens)


def case_with_materials(api) -> str:
    """An open case with both materials (versions: 1 opened, 2 id-card, 3 floor-plan)."""
    case_id = api.open_case()["id"]
    ok(material(api, case_id, "id-card")), ok(material(api, case_id, "floor-plan"))
    return case_id


def events_table(api):
    return api.services.cases.recorder.events_record_cls.__table__


def stored_row(api, case_id: str, version: int):
    t = events_table(api)
    with api.services.runner.engine.connect() as connection:
        return connection.execute(select(t).where(t.c.originator_id == UUID(case_id),
                                                  t.c.originator_version == version)).one()


def tamper_with_material(api, case_id: str, version: int = 2) -> None:
    """Change one byte of a stored event's data with SQL, as an insider with database access would."""
    t = events_table(api)
    state = bytes(stored_row(api, case_id, version).state)
    assert b".pdf" in state
    with api.services.runner.engine.begin() as connection:
        connection.execute(update(t).where((t.c.originator_id == UUID(case_id)) & (t.c.originator_version == version))
                           .values(state=state.replace(b".pdf", b".pdg", 1)))


# Verify -------------------------------------------------------------------------------------------
def test_an_auditor_verifies_the_whole_record(api):
    first, second = case_with_materials(api), api.open_case()["id"]
    report = ok(api.get("/audit/verify", "auditor"))
    assert report["ok"] is True and report["broken"] == []
    assert report["cases_checked"] == 2
    assert report["events_checked"] == api.events()
    assert {"ok", "cases_checked", "events_checked", "broken"} <= set(report)
    one = ok(api.get(f"/audit/verify?case={first}", "auditor"))
    assert (one["ok"], one["cases_checked"], one["events_checked"]) == (True, 1, 3)
    assert ok(api.get(f"/audit/verify?case={second}", "auditor"))["events_checked"] == 1


def test_verify_names_the_tampered_case_and_its_first_bad_version(any_api):
    api = any_api
    tampered, untouched = case_with_materials(api), case_with_materials(api)
    assert ok(api.get("/audit/verify", "auditor"))["ok"] is True
    tamper_with_material(api, tampered, 2)
    report = ok(api.get("/audit/verify", "auditor"))
    assert report["ok"] is False
    assert [(b["case"], b["position"]) for b in report["broken"]] == [(tampered, 2)]
    assert report["broken"][0]["application"] == "Cases" and report["broken"][0]["problem"]
    only = ok(api.get(f"/audit/verify?case={tampered}", "auditor"))
    assert only["ok"] is False and [(b["case"], b["position"]) for b in only["broken"]] == [(tampered, 2)]
    assert ok(api.get(f"/audit/verify?case={untouched}", "auditor"))["ok"] is True
    exported = json.loads(api.get(f"/cases/{tampered}/export?format=json", "auditor").data)
    assert exported["verify"]["ok"] is False  # the export carries the verdict, not a stale "ok"


@pytest.mark.parametrize("who", NOT_AUDITORS)
def test_only_auditors_verify_and_a_refusal_logs_nothing(api, who):
    case_id = api.open_case()["id"]
    assert api.get("/audit/verify", who).status_code == 403
    assert api.get(f"/audit/verify?case={case_id}", who).status_code == 403
    assert api.services.audit_log.size() == 0  # a refused caller did not even make the log follow


def test_verify_needs_a_token_and_a_case_id(api):
    assert api.get("/audit/verify").status_code == 401
    bad = api.get("/audit/verify?case=not-a-uuid", "auditor")
    assert bad.status_code == 422 and "case" in json.dumps(bad.get_json())
    assert api.get("/audit/verify?cases=x", "auditor").status_code == 422  # unknown parameters are refused


# Checkpoints --------------------------------------------------------------------------------------
def test_an_auditor_reads_the_signed_checkpoints(api):
    case_with_materials(api)
    assert ok(api.get("/audit/checkpoints", "auditor")) == []
    generate_key(api.services.settings.audit_key)
    api.services.audit.checkpoint(None)
    checkpoints = ok(api.get("/audit/checkpoints", "auditor"))
    assert len(checkpoints) == 1
    checkpoint = checkpoints[0]
    assert checkpoint["size"] == api.events()
    assert HEX64.fullmatch(checkpoint["root"]) and re.fullmatch(r"[0-9a-f]{16}", checkpoint["key_id"])
    public = load_public_key(api.services.audit_log.key.public_pem())
    assert verify_checkpoint(public, {**checkpoint, "log": "onething"})
    assert not verify_checkpoint(public, {**checkpoint, "log": "onething", "size": checkpoint["size"] + 1})


@pytest.mark.parametrize("who", NOT_AUDITORS)
def test_only_auditors_read_checkpoints(api, who):
    assert api.get("/audit/checkpoints", who).status_code == 403


def test_checkpoints_need_a_token(api):
    assert api.get("/audit/checkpoints").status_code == 401


# Diff ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("who", ["auditor", "intake", "supervisor", "admin", "amr", "food"])
def test_whoever_may_see_the_case_reads_a_diff(api, who):
    case_id = case_with_materials(api)
    ok(act(api, case_id, "business-licence", "accept", "amr"))
    diff = ok(api.get(f"/cases/{case_id}/diff?from=1&to=4", who))
    assert (diff["from_version"], diff["to_version"]) == (1, 4)
    assert [m["key"] for m in diff["materials"]["added"]] == ["id-card", "floor-plan"]
    assert [i["code"] for i in diff["items"]] == ["business-licence"]
    assert diff["items"][0]["changes"]["status"] == {"from": "waiting", "to": "in_review"}
    assert "material id-card submitted (id-card.pdf)" in diff["summary"]["en"]
    assert "材料「id-card」已提交（id-card.pdf）" in diff["summary"]["zh"]
    assert len(diff["summary"]["zh"]) == len(diff["summary"]["en"]) > 2
    same = ok(api.get(f"/cases/{case_id}/diff?from=2&to=2", who))
    assert same["summary"] == {"zh": [], "en": []}


def test_a_reviewer_without_an_item_in_the_case_reads_no_diff(api):
    case_id = case_with_materials(api)
    assert api.get(f"/cases/{case_id}/diff?from=1&to=2", "psb").status_code == 403
    assert api.get(f"/cases/{case_id}/diff?from=1&to=2").status_code == 401


@pytest.mark.parametrize("query", ["", "?from=1", "?to=2", "?from=x&to=2", "?from=0&to=2", "?from=1&to=-1",
                                   "?from=3&to=2", "?from=1&to=99", "?from=1&to=2&extra=1"])
def test_a_diff_with_missing_or_bad_versions_is_422(api, query):
    case_id = case_with_materials(api)
    response = api.get(f"/cases/{case_id}/diff{query}", "auditor")
    assert response.status_code == 422, (query, response.get_json())


def test_a_diff_of_no_case_is_404(api):
    assert api.get("/cases/00000000-0000-0000-0000-000000000000/diff?from=1&to=1", "auditor").status_code == 404


# Export -------------------------------------------------------------------------------------------
def test_an_auditor_exports_a_case_as_json_with_its_chain_and_verdict(api):
    case_id = case_with_materials(api)
    response = api.get(f"/cases/{case_id}/export?format=json", "auditor")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert f'filename="case-{case_id}.json"' in response.headers["Content-Disposition"]
    report = json.loads(response.data)
    assert report["case"]["id"] == case_id and report["case"]["version"] == 3
    history = report["history"]
    assert [e["position"] for e in history] == [1, 2, 3]
    for entry in history:
        assert entry["text"]["zh"] and entry["text"]["en"]
        assert HEX64.fullmatch(entry["hash"]) and HEX64.fullmatch(entry["prev_hash"])
    assert report["chain_head"] == history[-1]["hash"]
    assert report["verify"]["ok"] is True and report["verify"]["cases_checked"] == 1
    assert json.loads(api.get(f"/cases/{case_id}/export", "auditor").data)["history"] == history  # json by default


def test_an_auditor_exports_a_case_as_csv_utf8_with_bom(api):
    case_id = case_with_materials(api)
    response = api.get(f"/cases/{case_id}/export?format=csv", "auditor")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "charset=utf-8" in response.headers["Content-Type"]
    assert f'filename="case-{case_id}.csv"' in response.headers["Content-Disposition"]
    assert response.data.startswith(b"\xef\xbb\xbf")  # Excel opens it as UTF-8
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0] == list(CSV_COLUMNS)
    assert len(rows) == 1 + 3  # the header and one row per event
    records = [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    assert [r["position"] for r in records] == ["1", "2", "3"]
    assert all(re.search(r"[\u4e00-\u9fff]", r["text_zh"]) for r in records)  # Chinese survives the round trip
    assert records[0]["prev_hash"] == "0" * 64
    assert all(r["prev_hash"] == p["hash"] for p, r in zip(records, records[1:], strict=False))
    history = ok(api.get(f"/cases/{case_id}/history", "auditor"))
    assert [r["hash"] for r in records] == [e["hash"] for e in history]


@pytest.mark.skipif(WEASYPRINT_MISSING is not None, reason=WEASYPRINT_MISSING or "")
def test_an_auditor_exports_a_case_as_pdf(api):
    case_id = case_with_materials(api)
    response = api.get(f"/cases/{case_id}/export?format=pdf", "auditor")
    assert response.status_code == 200, response.data[:300]
    assert response.mimetype == "application/pdf" and response.data.startswith(b"%PDF")
    assert f'filename="case-{case_id}.pdf"' in response.headers["Content-Disposition"]


@pytest.mark.parametrize("who", NOT_AUDITORS)
def test_only_auditors_export(api, who):
    case_id = case_with_materials(api)
    for fmt in ("json", "csv"):
        assert api.get(f"/cases/{case_id}/export?format={fmt}", who).status_code == 403


def test_export_refuses_other_formats_and_needs_a_token(api):
    case_id = case_with_materials(api)
    assert api.get(f"/cases/{case_id}/export?format=xml", "auditor").status_code == 422
    assert api.get(f"/cases/{case_id}/export?format=JSON", "auditor").status_code == 422
    assert api.get(f"/cases/{case_id}/export?format=json").status_code == 401
    assert api.get("/cases/00000000-0000-0000-0000-000000000000/export?format=json", "auditor").status_code == 404


# History carries the chain -----------------------------------------------------------------------
def test_history_carries_the_text_and_the_hash_chain_of_each_event(any_api):
    api = any_api
    case_id = case_with_materials(api)
    ok(act(api, case_id, "business-licence", "accept", "amr"))
    history = ok(api.get(f"/cases/{case_id}/history", "intake"))
    assert [e["position"] for e in history] == [1, 2, 3, 4]
    for entry in history:
        assert set(entry["text"]) == {"zh", "en"} and entry["text"]["zh"] and entry["text"]["en"]
        assert HEX64.fullmatch(entry["hash"]) and HEX64.fullmatch(entry["prev_hash"])
    assert history[0]["prev_hash"] == "0" * 64
    for before, after in zip(history, history[1:], strict=False):
        assert after["prev_hash"] == before["hash"]
    for entry in history:  # each hash is the one an offline verifier recomputes from the stored row
        row = stored_row(api, case_id, entry["position"])
        assert entry["hash"] == event_hash(bytes.fromhex(entry["prev_hash"]), UUID(case_id), entry["position"],
                                           row.topic, bytes(row.state)).hex()
    assert history[-1]["hash"] == api.services.cases.reads.chain_head(case_id)
    assert ok(api.get(f"/cases/{case_id}/history", "amr")) == history  # a reviewer of the case sees the same



# A server keeps its audit log while it answers ------------------------------------------------------
def another_process(api):
    """Services of a second process on the same database, signing with the same key (the server's log keeper)."""
    from web.services import Settings, build_services

    settings = api.services.settings
    return build_services(Settings(database_url=settings.database_url, secret_key="test", audit_key=settings.audit_key))


def test_a_checkpoint_signed_while_verify_runs_is_no_problem(any_api, monkeypatch):
    """The server's log keeper (``keep_audit_log``, every few seconds) may sign a checkpoint at any moment of a
    long verify: a checkpoint the verifier sees must be checked against a log at least that long."""
    api = any_api
    case_id = case_with_materials(api)
    generate_key(api.services.settings.audit_key)
    api.services.audit.checkpoint(None)
    keeper, log = another_process(api), api.services.audit_log
    original, signed = log.checkpoints, []

    def checkpoints():  # just before the verifier reads the checkpoints, the keeper logs and signs one more
        if not signed:
            keeper.cases.supervision.escalate(keeper.users.find_actor("supervisor"), case_id, "late")
            signed.append(keeper.audit_log.checkpoint(force=True))
        return original()

    monkeypatch.setattr(log, "checkpoints", checkpoints)
    report = ok(api.get("/audit/verify", "auditor"))
    assert signed and signed[0] is not None
    assert report["ok"] is True, report
    monkeypatch.undo()
    again = ok(api.get("/audit/verify", "auditor"))
    assert again["ok"] is True and again["checkpoints_checked"] == 2
