"""Materials as files: upload a version, reuse one from the applicant's vault or an e-licence it holds, open one.

The order is the issue's promise: the case is checked first (open, the material declared, the actor allowed),
then the file is stored (``FileStore.put``: streamed, hashed, its type decided from its content, refused past
the size limit), and only then is ``Case.MaterialSubmitted`` recorded with the digest. A refusal stores
nothing and records nothing; a failure between storing and recording leaves a file no event names, which
``onething files gc`` removes. The same bytes as the material's latest version record nothing new.
"""

from __future__ import annotations

import os
from io import BytesIO
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import IO, Any, BinaryIO, Protocol, cast

from application.cases.application import CaseApplication
from application.common.access import may_view, require_role
from application.common.changes import Saved
from application.common.errors import Conflict, InvalidInput, NotAllowed, NotFound, VersionConflict
from application.materials.files import FileStore, StoredFile
from domain.case.aggregate import Case
from domain.case.rules import check_file
from domain.shared.text import check_text
from domain.shared.values import Actor, CaseStatus, CertificateStatus, ItemStatus, MaterialSource, Role

SUBMITTERS = (Role.INTAKE, Role.APPLICANT)  # an applicant: of its own enterprise's case (``may_view``)
VAULT_READERS = (Role.INTAKE, Role.SUPERVISOR, Role.AUDITOR, Role.APPLICANT)  # an applicant: its own vault
SUPPLIED = "the applicant uploaded every material asked for"
MAX_FILENAME = 255


class VaultReads(Protocol):
    """What the read models know of an applicant's vault."""

    def vault_files(self, credit_code: str) -> Sequence[Mapping[str, Any]]:
        """Every file the applicant submitted: sha256, key, name, filename, size, media_type, first_case, last_used."""
        ...

    def vault_licences(self, credit_code: str) -> Sequence[Mapping[str, Any]]:
        """Every certificate issued to the applicant (number, type, name, issuer, issued_on, valid_from,
        valid_to, status)."""
        ...


LicencePdf = Callable[[str], bytes]  # an e-licence's number → its signed PDF


@dataclass(frozen=True)
class MaterialFile:
    """One stored version of a material, as a download needs it."""

    key: str
    version: int
    filename: str
    sha256: str
    size: int
    media_type: str
    source: str


class Materials:
    """Files of materials: the use cases behind the upload, reuse and download of a material version."""

    def __init__(self, cases: CaseApplication, store: FileStore, vault: VaultReads, *,
                 max_upload_mb: int = 50, licence_pdf: LicencePdf | None = None):
        self.cases, self.store, self.vault, self.licence_pdf = cases, store, vault, licence_pdf
        self.max_bytes = max_upload_mb * 1024 * 1024

    # Commands -----------------------------------------------------------------------------------------------
    def upload(self, actor: Actor, case_id: str, key: str, stream: IO[bytes], filename: str, reason: str = "",
               expected_version: int | None = None) -> Saved:
        """Store ``stream`` as the next version of material ``key`` (intake; later, the case's applicant).
        ``Saved.result`` says whether a version was recorded (the same bytes as the latest record none)."""
        return self.upload_many(actor, case_id, key, [(stream, filename)], reason, expected_version)

    def upload_many(self, actor: Actor, case_id: str, key: str, files: Sequence[tuple[IO[bytes], str]],
                    reason: str = "", expected_version: int | None = None) -> Saved:
        """Store several files (pages) as the next versions of material ``key``, in order, all or none: every
        file is checked and stored first, then every version is recorded in one command."""
        if not files:
            raise InvalidInput("send at least one file", {"file": ["required"]})
        names = [_clean_filename(name) for _, name in files]
        self._check_may_submit(actor, case_id, key, names, reason, expected_version)
        stored = [self.store.put(cast(BinaryIO, stream), self.max_bytes) for stream, _ in files]
        return self._record(actor, case_id, key, [(name, one, MaterialSource.UPLOAD, "")
                                                   for name, one in zip(names, stored, strict=True)],
                            reason, expected_version)

    def keep(self, stream: IO[bytes]) -> StoredFile:
        """Store a file before the case that will name it exists (the desk's opening form: every scan is
        stored, then the case is opened with their digests). Refused files are not kept."""
        return self.store.put(cast(BinaryIO, stream), self.max_bytes)

    def reuse_file(self, actor: Actor, case_id: str, key: str, sha256: str, reason: str = "",
                   expected_version: int | None = None) -> Saved:
        """Use a file of the applicant's vault as the next version of material ``key``; ``NotFound`` if the
        vault has no such file (or the store lost it)."""
        case = self._check_may_submit(actor, case_id, key, (), reason, expected_version)
        if actor.role == Role.APPLICANT:
            _require_vault_reader(actor, case.applicant["credit_code"])
        filename, stored = self.from_vault(case.applicant["credit_code"], sha256)
        return self._record(actor, case_id, key, [(filename, stored, MaterialSource.VAULT, "")], reason,
                            expected_version)

    def reuse_licence(self, actor: Actor, case_id: str, key: str, number: str, reason: str = "",
                      expected_version: int | None = None) -> Saved:
        """Use an e-licence the applicant holds, valid today, as the next version of material ``key``: its
        signed PDF is stored as the file. ``NotFound`` if the applicant holds no such licence, ``Conflict``
        (409) if it is not valid now, ``InvalidInput`` if the material does not take licences of its type."""
        case = self._check_may_submit(actor, case_id, key, (), reason, expected_version)
        if actor.role == Role.APPLICANT:
            _require_vault_reader(actor, case.applicant["credit_code"])
        accepted = case.material_defs[key].get("licence_types") or ()
        stored = self.from_licence(case.applicant["credit_code"], number, accepted)
        return self._record(actor, case_id, key, [(f"{number}.pdf", stored, MaterialSource.LICENCE, number)],
                            reason, expected_version)

    def from_vault(self, credit_code: str, sha256: str) -> tuple[str, StoredFile]:
        """A file of the applicant's vault, kept in the store: its file name and what the store knows of it;
        ``NotFound`` if the vault has no such file (or the store lost it)."""
        sha256 = sha256.lower() if isinstance(sha256, str) else ""
        entry = next((f for f in self.vault.vault_files(credit_code) if f["sha256"] == sha256), None)
        stored = self.store.stat(sha256) if entry is not None else None
        if entry is None or stored is None:
            raise NotFound(f"the vault of {credit_code} holds no file {sha256}",
                           {"sha256": ["not in the applicant's vault"]})
        return str(entry["filename"]), stored

    def from_licence(self, credit_code: str, number: str, accepted_types: Sequence[str] = ()) -> StoredFile:
        """An e-licence the applicant holds and that is valid today, rendered and stored as a file."""
        licence = next((lic for lic in self.vault.vault_licences(credit_code) if lic["number"] == number), None)
        if licence is None:
            raise NotFound(f"{credit_code} holds no e-licence {number!r}", {"licence": ["not held by the applicant"]})
        if not licence_valid(licence, self.cases.clock.today()):
            expired = licence["status"] == CertificateStatus.VALID
            raise LicenceNotValid(f"e-licence {number} is {licence['status']}{' but expired' if expired else ''}"
                                  " and cannot serve as a material")
        if licence["type"] not in accepted_types:  # a material names the licences that satisfy it, or takes none
            takes = f"e-licences of type {', '.join(accepted_types)}" if accepted_types else "no e-licence"
            raise InvalidInput(f"this material takes {takes}, not {licence['type']}",
                               {"licence": ["a licence of a type this material does not take"]})
        if self.licence_pdf is None:
            raise NotFound("e-licence documents are not available here")
        return self.store.put(BytesIO(self.licence_pdf(number)), self.max_bytes)

    # Reads --------------------------------------------------------------------------------------------------
    def file(self, actor: Actor, case_id: str, key: str, version: int) -> tuple[MaterialFile, BinaryIO]:
        """A stored version of a material and its bytes (the caller closes them), for whoever may read the case."""
        case = self.cases.reads.get_case(actor, case_id)  # raises unless the actor may see it
        versions = self.cases.load(case.id).material_versions.get(key, [])
        if not 1 <= version <= len(versions):
            raise NotFound(f"case {case.number} has no version {version} of material {key!r}")
        entry = versions[version - 1]
        if entry["source"] == MaterialSource.PAPER:
            raise NotFound(f"version {version} of material {key!r} is paper kept on file: no file to open")
        found = MaterialFile(key=key, version=version, filename=entry["filename"], sha256=entry["sha256"],
                             size=entry["size"], media_type=entry["media_type"], source=entry["source"])
        return found, self.store.open(found.sha256)

    def vault_of(self, actor: Actor, credit_code: str) -> dict[str, Any]:
        """The applicant's vault: every file it submitted and every e-licence issued to it, with validity."""
        _require_vault_reader(actor, credit_code)
        today = self.cases.clock.today()
        return {
            "materials": [dict(f) for f in self.vault.vault_files(credit_code)],
            "licences": [{**lic, "valid_now": licence_valid(lic, today)}
                         for lic in self.vault.vault_licences(credit_code)],
        }

    def offers(self, actor: Actor, case_id: str) -> dict[str, list[dict[str, Any]]]:
        """For each material of the case, what the applicant's vault can give it now: files it submitted as
        that material before, and valid e-licences of the types the material takes."""
        case = self.cases.reads.get_case(actor, case_id)
        current = {key: m.sha256 for key, m in case.materials.items()}
        return self.vault_offers(actor, str(case.applicant["credit_code"]), case.material_defs, current)

    def vault_offers(self, actor: Actor, credit_code: str, material_defs: Mapping[str, Mapping[str, Any]],
                     current: Mapping[str, str] | None = None) -> dict[str, list[dict[str, Any]]]:
        """What the vault of ``credit_code`` offers each material (key → its definition, ``licence_types``
        among it): files submitted as that material before (but the one it has now), valid e-licences of
        the types it takes. For intake (the desk offers them as a case is opened) and the vault's readers."""
        if actor.role == Role.APPLICANT and actor.bundles is not None and actor.enterprise == credit_code:
            return {key: [] for key in material_defs}  # an agent for some bundles: nothing from the vault
        _require_vault_reader(actor, credit_code)
        files = self.vault.vault_files(credit_code)
        today = self.cases.clock.today()
        licences = [lic for lic in self.vault.vault_licences(credit_code) if licence_valid(lic, today)]
        offers: dict[str, list[dict[str, Any]]] = {}
        for key, definition in material_defs.items():
            now = (current or {}).get(key)
            found = [{"kind": "file", **dict(f)} for f in files if f["key"] == key and f["sha256"] != now]
            types = definition.get("licence_types") or ()
            found += [{"kind": "licence", **dict(lic)} for lic in licences if lic["type"] in types]
            offers[key] = found
        return offers

    # Helpers ------------------------------------------------------------------------------------------------
    def _check_may_submit(self, actor: Actor, case_id: str, key: str, filenames: Sequence[str] = (),
                          reason: str = "", expected_version: int | None = None) -> Case:
        """Everything the recording will check, checked before a byte is stored: who, the case (open, the
        material declared, the version expected), the file names and the reason."""
        require_role(actor, "submitting materials", *SUBMITTERS)
        case = self.cases.load(case_id)
        if not may_view(actor, case):
            raise NotAllowed(f"{actor.user_id} may not see case {case.number}")
        if expected_version is not None and expected_version != case.version:
            raise VersionConflict(f"case {case.number} is at version {case.version}, not {expected_version}",
                                  case.version)
        case.check_material_may_be_submitted(key)
        _check_applicant_may_submit(actor, case, key)
        for name in filenames:
            check_file(name, "0" * 64)
        check_text(reason, "reason")
        return case

    def _record(self, actor: Actor, case_id: str, key: str,
                versions: Sequence[tuple[str, StoredFile, MaterialSource, str]], reason: str,
                expected_version: int | None) -> Saved:
        """Record each (file name, stored file, source, licence) as the next version, in one command; the result
        says whether any was recorded (the same bytes as the latest version record nothing)."""
        today, cases = self.cases.clock.today(), self.cases

        def submit(case: Case) -> bool:
            recorded = False
            for filename, stored, source, licence in versions:
                latest = case.materials.get(key)
                if latest is not None and latest["sha256"] == stored.sha256 and latest["source"] != MaterialSource.PAPER:
                    continue  # the same bytes again: the latest version already is this file
                case.submit_material(key, filename, stored.sha256, actor, reason, size=stored.size,
                                     media_type=stored.media_type, source=source, licence=licence, today=today)
                recorded = True
            if recorded and actor.role == Role.APPLICANT:  # a supplement is answered by uploading what was asked
                for code in case.supplied_items():
                    case.receive_supplement(code, today, cases.is_workday, actor, SUPPLIED, cases.knows)
            return recorded

        def authorize(case: Case) -> None:
            require_role(actor, "submitting materials", *SUBMITTERS)
            _check_applicant_may_submit(actor, case, key)

        return self.cases.changes.change(case_id, "submitting a material", submit, expected_version, authorize)


class LicenceNotValid(Conflict):
    """Raised when an e-licence offered as a material is revoked, void, held back or expired (409)."""


def licence_valid(licence: Mapping[str, Any], today: date) -> bool:
    """Whether a certificate serves as an e-licence today: released (valid) and not expired."""
    valid_to = licence.get("valid_to")
    if isinstance(valid_to, str):
        valid_to = date.fromisoformat(valid_to)
    return licence.get("status") == CertificateStatus.VALID and (valid_to is None or today <= valid_to)


def _require_vault_reader(actor: Actor, credit_code: str) -> None:
    """Raise unless the actor may read the vault of ``credit_code``: intake, supervisors, auditors, and the
    enterprise's own applicants."""
    require_role(actor, "reading an applicant's vault", *VAULT_READERS)
    if actor.role == Role.APPLICANT and actor.enterprise != credit_code:
        raise NotAllowed(f"{actor.user_id} may read only its own enterprise's vault")
    if actor.role == Role.APPLICANT and actor.bundles is not None:  # the vault holds every bundle's files
        raise NotAllowed(f"{actor.user_id} is authorised for some bundles only; the vault is for the "
                         "representative and agents for every bundle")


def _check_applicant_may_submit(actor: Actor, case: Case, key: str) -> None:
    """An applicant gives materials to its own case while it is in pre-review, and afterwards only those a
    reviewer asked for (an item waiting for a supplement); intake records any."""
    if actor.role != Role.APPLICANT or case.status != CaseStatus.OPEN:
        return
    if not any(item.status == ItemStatus.SUPPLEMENT_REQUESTED and (key in item.requested or asked_before_v4(item, key))
               for item in case.items.values()):
        raise NotAllowed(f"material {key!r} of case {case.number} is not asked of the applicant now; "
                         "intake records other materials")


def asked_before_v4(item: Any, key: str) -> bool:
    """A supplement requested before requests recorded what they asked (a case loaded from a snapshot of state
    version 3 knows none): any material of the item may answer it; a reviewer records its receipt."""
    return not item.requested and key in item.materials


def _clean_filename(filename: str) -> str:
    """The name the file was uploaded under, without any folder part; required."""
    name = os.path.basename((filename or "").replace("\\", "/")).strip()
    if not name:
        raise InvalidInput("the file needs a name", {"file": ["a file name is required"]})
    return name[-MAX_FILENAME:]
