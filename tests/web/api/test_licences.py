"""E-licences through the API: the public check signs the GB/T 36903 metadata, the holder's case readers download
the PDF, it verifies offline, revocation shows everywhere, and a later case takes the licence as a material."""

from __future__ import annotations

from pypdf import PdfReader
import io

from infrastructure.licences.signing import verify_signature
from infrastructure.licences.verify import verify_licence_pdf
from tests.infrastructure.weasyprint_marker import needs_weasyprint
from tests.conftest import ADMIN, restaurant_file
from tests.web.conftest import Api

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
FIELDS = {"licence_name", "type_code", "number", "issuer", "issuer_code", "holder", "holder_code",
          "holder_code_type", "issued_on", "valid_from", "valid_to", "jurisdiction_code"}


def completed_case(api: Api) -> dict:
    """A restaurant case taken to completion through the API alone: approval issues the certificates."""
    case = api.open_case()
    for key in ("id-card", "floor-plan"):
        sent = api.client.post(f"/api/v1/cases/{case['id']}/materials/{key}/files",
                               data={"file": (io.BytesIO(PDF + key.encode()), f"{key}.pdf")},
                               content_type="multipart/form-data", headers=api.headers("intake"))
        assert sent.status_code == 201, sent.get_json()
    for item, who in (("business-licence", "amr"), ("food-permit", "food")):
        assert api.post(f"/cases/{case['id']}/items/{item}/accept", {}, who).status_code == 200
        body = {"reason": "ok"} if item == "business-licence" else {"commitment": "本人承诺", "reason": "ok"}
        action = "approve" if item == "business-licence" else "commit"
        answer = api.post(f"/cases/{case['id']}/items/{item}/{action}", body, who)
        assert answer.status_code == 200, answer.get_json()
    done = api.get(f"/cases/{case['id']}", "intake").get_json()
    assert done["status"] == "completed"
    return done


def numbers_of(case: dict) -> dict[str, str]:
    return {c["type"]: c["number"] for item in case["items"] for c in item["certificates"]}


def test_the_public_check_carries_the_signed_gb_t_36903_metadata(api: Api):
    number = numbers_of(completed_case(api))["business-licence"]
    api.services.runner.catch_up()
    body = api.client.get(f"/api/v1/certificates/{number}").get_json()
    assert body["genuine"] is True and body["status"] == "valid"
    assert set(body["metadata"]) == FIELDS
    assert body["metadata"]["holder_code_type"] == "001" and body["metadata"]["issuer"] == "市场监督管理局"
    assert body["metadata"]["valid_to"] is None and body["valid_to"] is None  # long-term (长期)
    assert body["signature"]["alg"] == "Ed25519"
    keys = api.services.licences.signer.verifying_keys()
    assert verify_signature(body["metadata"], body["signature"], keys)
    assert not verify_signature({**body["metadata"], "holder": "别人"}, body["signature"], keys)


@needs_weasyprint
def test_the_e_licence_pdf_is_for_readers_of_the_case_and_verifies_offline_until_revoked(api: Api):
    case = completed_case(api)
    number = numbers_of(case)["food-permit"]
    api.services.runner.catch_up()
    assert api.get(f"/certificates/{number}/document").status_code == 401
    assert api.get(f"/certificates/{number}/document", "psb").status_code == 403
    response = api.get(f"/certificates/{number}/document", "intake")
    assert response.status_code == 200 and response.headers["Content-Type"] == "application/pdf"
    keys = api.services.licences.signer.verifying_keys()
    check = verify_licence_pdf(response.get_data(), keys)
    assert check.genuine, check.problems
    assert check.metadata["number"] == number and check.check_url.endswith(f"/verify/{number}")

    revoked = api.post(f"/cases/{case['id']}/items/food-permit/revoke", {"reason": "承诺不实"}, "supervisor")
    assert revoked.status_code == 200, revoked.get_json()
    api.services.runner.catch_up()
    assert api.client.get(f"/api/v1/certificates/{number}").get_json()["status"] == "revoked"
    after = api.get(f"/certificates/{number}/document", "intake").get_data()
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(after)).pages)
    assert "REVOKED" in text
    assert not verify_licence_pdf(after, keys).genuine


@needs_weasyprint
def test_a_later_case_takes_a_valid_e_licence_as_a_material_and_a_revoked_one_is_409(api: Api):
    first = completed_case(api)
    numbers = numbers_of(first)
    api.services.runner.catch_up()
    vault = api.get("/applicants/91110000600037341L/vault", "intake").get_json()
    assert {lic["number"]: lic["status"] for lic in vault["licences"]} == {n: "valid" for n in numbers.values()}
    linked = restaurant_file()  # a later version of the bundle: its ID material takes the licences it issues
    linked["bundles"][0]["materials"][0]["licence_types"] = ["business-licence", "food-permit"]
    api.services.catalogue.publish_file(linked, ADMIN)
    second = api.open_case()
    other_type = api.post(f"/cases/{second['id']}/materials/floor-plan/reuse",
                          {"licence": numbers["business-licence"]}, "intake")
    assert other_type.status_code == 422  # the floor plan takes no e-licence
    used = api.post(f"/cases/{second['id']}/materials/id-card/reuse", {"licence": numbers["business-licence"]},
                    "intake")
    assert used.status_code == 201, used.get_json()
    assert (used.get_json()["source"], used.get_json()["licence"]) == ("licence", numbers["business-licence"])
    stored = api.get(f"/cases/{second['id']}/materials/id-card/files/1", "amr").get_data()
    assert verify_licence_pdf(stored, api.services.licences.signer.verifying_keys()).genuine
    assert api.post(f"/cases/{first['id']}/items/food-permit/revoke", {"reason": "承诺不实"},
                    "supervisor").status_code == 200
    api.services.runner.catch_up()
    before = api.events()
    refused = api.post(f"/cases/{second['id']}/materials/id-card/reuse", {"licence": numbers["food-permit"]},
                       "intake")
    assert refused.status_code == 409 and api.events() == before
