"""Online filing (网上办): an enterprise's applicant files a case itself, and it waits in intake's pre-review.

The applicant is the caller's enterprise (``Actor.enterprise``); an agent (经办人) authorised for some bundles
files only those. Intake then accepts the filing or returns it once with everything missing
(``Intake.accept_filing``, ``Intake.return_filing``); unanswered for 5 working days, the deadline tick records
it accepted (``SlaService``). The answers of the enterprise's earlier filings prefill a new one (免填写).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from application.cases.applicants import check_applicant, new_case_number
from application.cases.intake import MaterialReceived
from application.catalogue.application import CatalogueApplication
from application.common.access import check_applicant_bundle, require_role
from application.common.changes import Changes, Saved
from application.common.clock import Clock
from application.common.errors import InvalidInput, NotAllowed
from domain.case.aggregate import Case
from domain.shared.values import Actor, Applicant, MaterialSource, Role

EnterpriseName = Callable[[str], str | None]  # a registered enterprise's credit code → its name


class OnlineFiling:
    """What an applicant does online before intake accepts: file (``CaseApplication.online``)."""

    def __init__(self, changes: Changes[Case], catalogue: CatalogueApplication, clock: Clock,
                 enterprise_name: EnterpriseName):
        self.changes, self.catalogue, self.clock = changes, catalogue, clock
        self.enterprise_name = enterprise_name

    def applicant_of(self, actor: Actor) -> Applicant:
        """The enterprise the applicant files for, as cases record it."""
        require_role(actor, "filing online", Role.APPLICANT)
        code = actor.enterprise or ""
        name = self.enterprise_name(code)
        if name is None:
            raise InvalidInput(f"enterprise {code!r} is not registered", {"credit_code": ["not registered"]})
        return check_applicant(name, code)

    def file(self, actor: Actor, bundle: str, answers: dict[str, Any] | None = None, reason: str = "",
             materials: Sequence[MaterialReceived] = ()) -> Saved:
        """File a case for the latest version of ``bundle`` with the ``answers`` to its questions: channel
        ``online``, status ``submitted`` (waiting in intake's pre-review). The ``materials`` (files stored
        first: uploaded, or taken from the enterprise's vault) are recorded with the filing, all in one
        transaction; more follow by upload."""
        applicant = self.applicant_of(actor)
        check_applicant_bundle(actor, bundle)
        if actor.bundles is not None and any(m.source != MaterialSource.UPLOAD for m in materials):
            raise NotAllowed(f"{actor.user_id} is authorised for some bundles only: it uploads its materials "
                             "(the vault is for the representative and agents for every bundle)")
        definition, version = self.catalogue.definition(bundle)

        def make() -> Case:
            today = self.clock.today()
            case = Case.file_online(number=new_case_number(today), bundle=definition, bundle_version=version,
                                    applicant=applicant, filed_on=today, actor=actor, reason=reason,
                                    answers=answers)
            for material in materials:
                if not material.stored or material.sha256 is None:
                    raise InvalidInput("an online filing takes stored files only", {"materials": ["a stored file"]})
                case.submit_material(material.key, material.filename, material.sha256, actor, size=material.size,
                                     media_type=material.media_type, source=material.source, today=today)
            return case

        return self.changes.create("filing online", make, None)


def prefilled(questions: Iterable[str], earlier: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The answers an enterprise gave before to the questions asked now (免填写): for each question, the answer of
    the newest earlier filing that has one (``earlier`` newest first)."""
    answers: dict[str, Any] = {}
    wanted = list(questions)
    for given in earlier:
        for key in wanted:
            if key not in answers and key in given:
                answers[key] = given[key]
    return answers
