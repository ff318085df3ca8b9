"""Materials as files: stored before they are recorded, versioned, reused from the vault, named by decisions."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest

from application.common.errors import InvalidInput, NotAllowed, NotFound, VersionConflict
from application.materials.files import FileTooLarge, UnsupportedFileType
from application.materials.service import LicenceNotValid, Materials
from domain.case.aggregate import Case
from domain.shared.errors import CaseClosed, InvalidValue, UnknownMaterial
from tests.application.helpers import open_restaurant
from tests.conftest import ADMIN, AMR, AUDITOR, FOOD, INTAKE, SUPERVISOR, VALID_CODE, restaurant_file
from web.services import Services

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def pdf(text: str) -> io.BytesIO:
    """A small PDF whose bytes differ by ``text``."""
    return io.BytesIO(PDF + text.encode())


def stored_files(services: Services) -> list[str]:
    return sorted(entry.sha256 for entry in services.file_store.entries())


def events_of(services: Services, case_id: Any) -> list[Any]:
    return list(services.cases.repository.event_store.get(case_id))


def test_an_uploaded_file_is_stored_then_recorded_as_version_1_with_its_size_and_type(any_services: Services):
    case_id = open_restaurant(any_services)
    any_services.materials.upload(INTAKE, str(case_id), "id-card", pdf("id"), "身份证.pdf", "scanned at the window")
    case = any_services.cases.reads.get_case(INTAKE, case_id)
    (version,) = case.materials["id-card"].files
    assert (version.version, version.filename, version.source, version.media_type, version.size) == \
        (1, "身份证.pdf", "upload", "application/pdf", len(PDF) + 2)
    assert version.uploaded_by == "window1"
    assert stored_files(any_services) == [version.sha256]
    meta, stream = any_services.materials.file(AMR, str(case_id), "id-card", 1)
    with stream:
        assert stream.read() == PDF + b"id"
    assert meta.sha256 == version.sha256


@pytest.mark.parametrize("refusal, upload", [
    (FileTooLarge, lambda m, case_id: m.upload(INTAKE, case_id, "id-card", io.BytesIO(PDF + b"x" * 2_000_000),
                                               "big.pdf")),
    (UnsupportedFileType, lambda m, case_id: m.upload(INTAKE, case_id, "id-card", io.BytesIO(b"MZ\x90 exe"),
                                                      "looks.pdf")),
    (UnknownMaterial, lambda m, case_id: m.upload(INTAKE, case_id, "no-such", pdf("a"), "a.pdf")),
    (NotAllowed, lambda m, case_id: m.upload(AMR, case_id, "id-card", pdf("a"), "a.pdf")),
])
def test_a_refused_upload_records_nothing_and_keeps_no_file(services: Services, refusal: type, upload: Any):
    materials = Materials(services.cases, services.file_store, services.materials.vault, max_upload_mb=1)
    case_id = open_restaurant(services)
    before = len(events_of(services, case_id))
    with pytest.raises(refusal):
        upload(materials, str(case_id))
    assert len(events_of(services, case_id)) == before
    assert stored_files(services) == []


def test_a_closed_case_takes_no_file_and_nothing_is_stored(services: Services):
    case_id = open_restaurant(services)
    services.cases.intake.withdraw(INTAKE, case_id, "the applicant withdrew")
    with pytest.raises(CaseClosed):
        services.materials.upload(INTAKE, str(case_id), "id-card", pdf("late"), "late.pdf")
    assert stored_files(services) == []


def test_a_supplement_adds_a_version_and_the_same_bytes_again_record_nothing(services: Services):
    case_id = str(open_restaurant(services))
    services.materials.upload(INTAKE, case_id, "floor-plan", pdf("v1"), "plan.pdf")
    services.materials.upload(INTAKE, case_id, "floor-plan", pdf("v2"), "plan-corrected.pdf", "补正")
    services.materials.upload(INTAKE, case_id, "floor-plan", pdf("v2"), "plan-corrected.pdf", "sent twice")
    files = services.cases.reads.get_case(INTAKE, case_id).materials["floor-plan"].files
    assert [(f.version, f.filename) for f in files] == [(1, "plan.pdf"), (2, "plan-corrected.pdf")]
    assert services.cases.reads.get_case(INTAKE, case_id).materials["floor-plan"].sha256 == files[1].sha256


def test_a_decision_records_the_material_versions_it_was_made_on(services: Services):
    case_id = str(open_restaurant(services))
    services.materials.upload(INTAKE, case_id, "id-card", pdf("id"), "id.pdf")
    services.cases.review.accept_item(AMR, case_id, "business-licence")
    services.materials.upload(INTAKE, case_id, "id-card", pdf("id, corrected"), "id-2.pdf")
    services.cases.review.approve_item(AMR, case_id, "business-licence")
    latest = services.cases.reads.get_case(INTAKE, case_id).materials["id-card"].sha256
    approved = [e for e in events_of(services, case_id) if isinstance(e, Case.ItemApproved)]
    assert [e.materials for e in approved] == [{"id-card": latest}]


def test_approval_issues_the_certificates_at_once_and_the_case_completes_without_an_issue_step(services: Services):
    case_id = str(open_restaurant(services))
    services.materials.upload(INTAKE, case_id, "id-card", pdf("id"), "id.pdf")
    services.materials.upload(INTAKE, case_id, "floor-plan", pdf("plan"), "plan.pdf")
    review = services.cases.review
    review.accept_item(AMR, case_id, "business-licence")
    review.approve_item(AMR, case_id, "business-licence")
    review.accept_item(FOOD, case_id, "food-permit")
    review.approve_on_commitment(FOOD, case_id, "food-permit", "本人承诺符合条件")
    case = services.cases.reads.get_case(INTAKE, case_id)
    assert str(case.status) == "completed"
    certificates = [c for item in case.items.values() for c in item.certificates]
    assert [(c.status, c.issued_on is not None, c.valid_to) for c in certificates] == \
        [("valid", True, None), ("valid", True, None)]


def second_case_after_a_first(services: Services) -> tuple[str, str]:
    """A completed first case of the applicant, and a second one just opened."""
    first = str(open_restaurant(services))
    services.materials.upload(INTAKE, first, "id-card", pdf("id"), "法人身份证.pdf")
    services.materials.upload(INTAKE, first, "floor-plan", pdf("plan"), "平面图.pdf")
    review = services.cases.review
    review.accept_item(AMR, first, "business-licence")
    review.approve_item(AMR, first, "business-licence")
    review.accept_item(FOOD, first, "food-permit")
    review.approve_on_commitment(FOOD, first, "food-permit", "本人承诺")
    second = str(open_restaurant(services))
    services.runner.catch_up()
    return first, second


def test_the_vault_lists_every_file_and_licence_of_the_applicant_and_a_second_case_reuses_a_file(
        any_services: Services):
    first, second = second_case_after_a_first(any_services)
    vault = any_services.materials.vault_of(SUPERVISOR, VALID_CODE)
    assert sorted(f["filename"] for f in vault["materials"]) == ["平面图.pdf", "法人身份证.pdf"]
    assert sorted((lic["type"], lic["status"], lic["valid_now"]) for lic in vault["licences"]) == \
        [("business-licence", "valid", True), ("food-permit", "valid", True)]
    offered = any_services.materials.offers(INTAKE, second)["id-card"]
    assert [o["filename"] for o in offered if o["kind"] == "file"] == ["法人身份证.pdf"]
    any_services.materials.reuse_file(INTAKE, second, "id-card", offered[0]["sha256"], "reused from the vault")
    (version,) = any_services.cases.reads.get_case(INTAKE, second).materials["id-card"].files
    assert (version.source, version.sha256) == ("vault", offered[0]["sha256"])
    any_services.runner.catch_up()
    given = any_services.queries.kpis(SUPERVISOR)["bundles"]["restaurant-opening"]["materials_given"]
    assert given == {"uploaded": 2, "reused": 1, "reduction": round(1 / 3, 4)}


def test_reusing_a_file_the_vault_does_not_hold_is_not_found_and_records_nothing(services: Services):
    _, second = second_case_after_a_first(services)
    before = len(events_of(services, second))
    with pytest.raises(NotFound):
        services.materials.reuse_file(INTAKE, second, "id-card", "0" * 64)
    assert len(events_of(services, second)) == before


def test_only_staff_who_read_vaults_see_one(services: Services):
    with pytest.raises(NotAllowed):
        services.materials.vault_of(AMR, VALID_CODE)
    assert services.materials.vault_of(AUDITOR, VALID_CODE) == {"materials": [], "licences": []}


def publish_licence_links(services: Services) -> None:
    """A new version of the restaurant bundle whose ID material takes the e-licences the bundle issues."""
    data = restaurant_file()
    data["bundles"][0]["materials"][0]["licence_types"] = ["business-licence", "food-permit"]
    services.catalogue.publish_file(data, ADMIN)


def test_a_valid_e_licence_serves_as_a_material_and_a_revoked_one_is_refused(services: Services):
    first, _ = second_case_after_a_first(services)
    publish_licence_links(services)
    second = str(open_restaurant(services))
    materials = Materials(services.cases, services.file_store, services.materials.vault,
                          licence_pdf=lambda number: PDF + number.encode())
    licences = {lic["type"]: lic["number"] for lic in materials.vault_of(INTAKE, VALID_CODE)["licences"]}
    materials.reuse_licence(INTAKE, second, "id-card", licences["business-licence"], "the licence we issued")
    (version,) = services.cases.reads.get_case(INTAKE, second).materials["id-card"].files
    assert (version.source, version.licence, version.filename) == \
        ("licence", licences["business-licence"], f"{licences['business-licence']}.pdf")
    services.cases.review.revoke_commitment(SUPERVISOR, first, "food-permit", "verification failed")
    services.runner.catch_up()
    before = len(events_of(services, second))
    with pytest.raises(LicenceNotValid):
        materials.reuse_licence(INTAKE, second, "id-card", licences["food-permit"])
    assert len(events_of(services, second)) == before


def test_a_material_takes_only_the_licence_types_it_names(services: Services):
    second_case_after_a_first(services)
    second = str(open_restaurant(services))  # the bundle's first version: no material names a licence type
    materials = Materials(services.cases, services.file_store, services.materials.vault,
                          licence_pdf=lambda number: PDF + number.encode())
    licences = {lic["type"]: lic["number"] for lic in materials.vault_of(INTAKE, VALID_CODE)["licences"]}
    with pytest.raises(InvalidInput, match="takes no e-licence"):
        materials.reuse_licence(INTAKE, second, "floor-plan", licences["food-permit"])
    assert materials.offers(INTAKE, second)["floor-plan"] == [] or all(
        o["kind"] == "file" for o in materials.offers(INTAKE, second)["floor-plan"])


def test_a_refused_file_name_reason_or_version_stores_nothing(services: Services):
    case_id = str(open_restaurant(services))
    for refused in (lambda: services.materials.upload(INTAKE, case_id, "id-card", pdf("a"), "bad\x01name.pdf"),
                    lambda: services.materials.upload(INTAKE, case_id, "id-card", pdf("a"), "id.pdf", "理" * 2001),
                    lambda: services.materials.upload(INTAKE, case_id, "id-card", pdf("a"), "id.pdf",
                                                      expected_version=99)):
        with pytest.raises((InvalidValue, VersionConflict, InvalidInput)):
            refused()
    assert stored_files(services) == []


def test_several_pages_are_recorded_all_or_none(services: Services):
    case_id = str(open_restaurant(services))
    with pytest.raises(UnsupportedFileType):
        services.materials.upload_many(INTAKE, case_id, "floor-plan",
                                       [(pdf("page 1"), "p1.pdf"), (io.BytesIO(b"not a scan"), "p2.pdf")])
    assert "floor-plan" not in services.cases.reads.get_case(INTAKE, case_id).materials
    saved = services.materials.upload_many(INTAKE, case_id, "floor-plan",
                                           [(pdf("page 1"), "p1.pdf"), (pdf("page 2"), "p2.pdf")])
    assert saved.result is True
    assert [f.filename for f in services.cases.reads.get_case(INTAKE, case_id).materials["floor-plan"].files] == \
        ["p1.pdf", "p2.pdf"]
    again = services.materials.upload(INTAKE, case_id, "floor-plan", pdf("page 2"), "p2.pdf")
    assert again.result is False  # the same bytes as the latest version: nothing recorded


def test_a_certificate_issued_when_an_excused_material_arrives_on_paper_has_its_validity(services: Services):
    data = restaurant_file()
    data["bundles"][0]["items"][1]["outputs"][0]["valid_years"] = 5
    services.catalogue.publish_file(data, ADMIN)
    case_id = str(open_restaurant(services))
    intake, review = services.cases.intake, services.cases.review
    intake.submit_material(INTAKE, case_id, "id-card", "id.pdf", "ab" * 32)
    intake.accept_with_deficiency(INTAKE, case_id, ["floor-plan"], services.clock.today() + timedelta(days=5),
                                  "平面图后补")
    review.accept_item(AMR, case_id, "business-licence")
    review.approve_item(AMR, case_id, "business-licence")
    review.accept_item(FOOD, case_id, "food-permit")
    review.approve_on_commitment(FOOD, case_id, "food-permit", "承诺")
    assert services.cases.reads.get_case(INTAKE, case_id).items["food-permit"].certificates == ()
    intake.submit_material(INTAKE, case_id, "floor-plan", "plan.pdf", "cd" * 32)  # paper, arriving late
    case = services.cases.reads.get_case(INTAKE, case_id)
    (permit,) = case.items["food-permit"].certificates
    today = services.clock.today()
    assert str(case.status) == "completed"
    assert (permit.issued_on, permit.valid_to) == (today.isoformat(),
                                                   (today.replace(year=today.year + 5) - timedelta(days=1)).isoformat())


def test_every_stored_file_an_event_names_is_referenced_and_paper_is_not(services: Services):
    case_id = str(open_restaurant(services))
    services.materials.upload(INTAKE, case_id, "id-card", pdf("id"), "id.pdf")
    services.cases.intake.submit_material(INTAKE, case_id, "floor-plan", "plan.pdf", "ab" * 32)
    refs = services.referenced_files()
    assert [(r.key, r.version, r.sha256) for r in refs] == [("id-card", 1, stored_files(services)[0])]


def test_the_audit_diff_names_the_document_that_changed_between_two_versions(services: Services):
    case_id = str(open_restaurant(services))
    services.materials.upload(INTAKE, case_id, "floor-plan", pdf("v1"), "plan.pdf")
    before = services.cases.load(case_id).version
    services.materials.upload(INTAKE, case_id, "floor-plan", pdf("v2"), "plan-corrected.pdf", "补正")
    after = services.cases.load(case_id).version
    diff = services.cases.reads.diff(AUDITOR, case_id, before, after)
    (changed,) = diff["materials"]["changed"]
    files = services.cases.reads.get_case(AUDITOR, case_id).materials["floor-plan"].files
    assert changed["key"] == "floor-plan"
    assert changed["changes"]["sha256"] == {"from": files[0].sha256, "to": files[1].sha256}
    assert changed["changes"]["version"] == {"from": 1, "to": 2}
    assert f"material floor-plan digest: {files[0].sha256} → {files[1].sha256}" in diff["summary"]["en"]
    assert "材料「floor-plan」版本：1 → 2" in diff["summary"]["zh"]
