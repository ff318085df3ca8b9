"""marshmallow schemas of the JSON API v1 (shared/API.md): every request and response body."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

TEXT = validate.Length(max=2000)
# An instant a case can be read at: past this range, date arithmetic (due dates) leaves Python's calendar.
INSTANTS = validate.Range(min=datetime(2000, 1, 1, tzinfo=UTC), max=datetime(2100, 12, 31, 23, 59, 59, tzinfo=UTC),
                          error="an instant from 2000-01-01 to 2100-12-31")
CODE = validate.Regexp(r"^[a-z0-9][a-z0-9-]*$", error="lower-case letters, digits and '-'")


class Strict(Schema):
    """Unknown fields are refused (a misspelt field is an error, not a silent default)."""

    class Meta:
        unknown = RAISE


# Requests ------------------------------------------------------------------------------------
class TokenRequest(Strict):
    username = fields.String(required=True, validate=validate.Length(min=1, max=128))
    password = fields.String(required=True, validate=validate.Length(min=1, max=1024))
    otp = fields.String(validate=validate.Length(min=1, max=16), metadata={
        "description": "the one-time code, for an account with two-step sign-in (401 otp_required without it)"})


class ApplicantIn(Strict):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    credit_code = fields.String(required=True, validate=validate.Length(min=1, max=40))


class OpenCaseRequest(Strict):
    """Intake sends the applicant and the channel; an applicant sends neither (its enterprise files online)."""

    bundle = fields.String(required=True, validate=CODE)
    applicant = fields.Nested(ApplicantIn, load_default=None, metadata={"description": "intake: required"})
    channel = fields.String(load_default=None, validate=validate.OneOf(
        ["window", "online", "mobile", "assisted-agent", "postal-agent"]), metadata={"description": "intake: required"})
    reason = fields.String(load_default="", validate=TEXT)
    answers = fields.Dict(load_default=dict, metadata={
        "description": "answers to the bundle's questions (GET /bundles: questions), checked by their types"})


class MaterialRequest(Strict):
    key = fields.String(required=True, validate=CODE)
    filename = fields.String(required=True, validate=validate.Length(min=1, max=255))
    sha256 = fields.String(required=True, validate=validate.Regexp(r"^[0-9a-fA-F]{64}$", error="64 hex digits"))
    reason = fields.String(load_default="", validate=TEXT)


class ReuseRequest(Strict):
    """A file of the applicant's vault (its sha256) or an e-licence it holds (its number): one of the two."""

    sha256 = fields.String(validate=validate.Regexp(r"^[0-9a-fA-F]{64}$", error="64 hex digits"))
    licence = fields.String(validate=validate.Length(min=1, max=96))
    reason = fields.String(load_default="", validate=TEXT)

    @validates_schema
    def one_source(self, data: dict[str, Any], **_: Any) -> None:
        if bool(data.get("sha256")) == bool(data.get("licence")):
            raise ValidationError("give either sha256 (a file of the vault) or licence (an e-licence number)",
                                  field_name="sha256")


class MaterialFileOut(Schema):
    key = fields.String()
    version = fields.Integer()
    filename = fields.String()
    sha256 = fields.String()
    size = fields.Integer()
    media_type = fields.String()
    uploaded_at = fields.String()
    uploaded_by = fields.String()
    source = fields.String()
    licence = fields.String()


class DeficiencyRequest(Strict):
    missing = fields.List(fields.String(validate=CODE), required=True, validate=validate.Length(min=1))
    supplement_due = fields.Date(required=True)
    reason = fields.String(load_default="", validate=TEXT)


class ItemActionRequest(Strict):
    """Body of ``POST /cases/{id}/items/{item}/{action}``; which fields count depends on the action."""

    reason = fields.String(load_default="", validate=TEXT)
    materials = fields.List(fields.String(validate=CODE), load_default=list)  # request-supplement
    commitment = fields.String(load_default="", validate=TEXT)  # commit
    method = fields.String(load_default="video", validate=validate.OneOf(["video", "onsite"]))  # inspect
    passed = fields.Boolean(load_default=None)  # inspect: required there
    to_department = fields.String(load_default="", validate=validate.Length(max=64))  # transfer
    reviewer = fields.String(load_default="", validate=validate.Length(max=128))  # assign


class ReasonRequest(Strict):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class EscalationRequest(Strict):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    level = fields.Integer(load_default=1, strict=True, validate=validate.Range(min=1, max=3))


class OwnerRequest(Strict):
    owner = fields.String(required=True, validate=validate.Length(min=1, max=128))
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class IntakeAcceptRequest(Strict):
    reason = fields.String(load_default="", validate=TEXT)


class IntakeReturnRequest(Strict):
    missing = fields.List(fields.String(validate=CODE), required=True, validate=validate.Length(min=1),
                          metadata={"description": "every material key missing, told at once (一次性告知)"})
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class FollowUpCloseRequest(Strict):
    return_visit = fields.String(required=True, validate=validate.Length(min=1, max=2000),
                                 metadata={"description": "how the applicant was visited again (回访) and what it said"})
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class PageArgs(Strict):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class FollowUpArgs(PageArgs):
    state = fields.String(load_default="open", validate=validate.OneOf(["", "open", "closed"]))


class WordsOut(Schema):
    zh = fields.String()
    en = fields.String()


class MyItemOut(Schema):
    code = fields.String()
    name = fields.String()
    department = fields.String()
    status = fields.String()
    status_words = fields.Nested(WordsOut)
    due = fields.Date(allow_none=True)
    asked = fields.List(fields.String(), metadata={"description": "materials a supplement request asks for"})


class MyCaseOut(Schema):
    id = fields.String()
    number = fields.String()
    bundle = fields.String()
    status = fields.String()
    status_words = fields.Nested(WordsOut)
    channel = fields.String()
    opened_on = fields.Date()
    due = fields.Date(allow_none=True)
    pre_review_deadline = fields.Date(allow_none=True)
    missing = fields.List(fields.String(), metadata={"description": "returned: the materials listed missing"})
    rating = fields.Integer(allow_none=True)
    items = fields.List(fields.Nested(MyItemOut))


class MyCasesOut(Schema):
    cases = fields.List(fields.Nested(MyCaseOut))
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()


class PreReviewOut(Schema):
    id = fields.String()
    number = fields.String()
    bundle = fields.String()
    status = fields.String(metadata={"description": "submitted (intake's turn) or returned (the applicant's)"})
    applicant_name = fields.String()
    credit_code = fields.String()
    opened_on = fields.Date()
    since = fields.Date(allow_none=True)
    waiting_days = fields.Integer(metadata={"description": "working days waited since (re)submission or return"})
    deadline = fields.Date(allow_none=True, metadata={"description": "the last day intake may answer"})
    missing = fields.List(fields.String())


class PreReviewPageOut(Schema):
    filings = fields.List(fields.Nested(PreReviewOut))
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()


class FollowUpOut(Schema):
    id = fields.String()
    number = fields.String()
    bundle = fields.String()
    applicant_name = fields.String()
    rating = fields.Integer(allow_none=True)
    due = fields.Date()
    state = fields.String()
    overdue = fields.Boolean()


class FollowUpPageOut(Schema):
    follow_ups = fields.List(fields.Nested(FollowUpOut))
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()


class RatingRequest(Strict):
    score = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=5))
    comment = fields.String(load_default="", validate=TEXT)


class UserRequest(Strict):
    username = fields.String(required=True, validate=validate.Length(min=1, max=128))
    password = fields.String(required=True, validate=validate.Length(min=8, max=1024))
    role = fields.String(required=True, validate=validate.OneOf(["intake", "reviewer", "supervisor", "auditor",
                                                                   "admin"]))
    department = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=64))
    display_name = fields.String(load_default="", validate=validate.Length(max=200))


class CalendarDayRequest(Strict):
    day = fields.Date(required=True)
    workday = fields.Boolean(required=True)
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class CalendarYearRequest(Strict):
    year = fields.Integer(required=True, strict=True, validate=validate.Range(min=2000, max=2100))
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class CaseReadArgs(Strict):
    version = fields.Integer(validate=validate.Range(min=1, max=2**31 - 1))
    as_of = fields.AwareDateTime(validate=INSTANTS)


class CaseListArgs(Strict):
    text = fields.String(load_default="", validate=validate.Length(max=200))
    number = fields.String(load_default="", validate=validate.Length(max=64))
    credit_code = fields.String(load_default="", validate=validate.Length(max=18))
    bundle = fields.String(load_default="", validate=validate.Length(max=64))
    status = fields.String(load_default="", validate=validate.OneOf(["", "open", "completed", "rejected", "withdrawn"]))
    department = fields.String(load_default="", validate=validate.Length(max=64))
    overdue = fields.Boolean(load_default=None, allow_none=True)
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=200))


class EscalationArgs(Strict):
    state = fields.String(load_default="", validate=validate.OneOf(["", "open", "closed"]))


# Responses -----------------------------------------------------------------------------------
class MeOut(Schema):
    username = fields.String()
    role = fields.String()
    department = fields.String(allow_none=True)
    enterprise = fields.String(allow_none=True, metadata={"description": "an applicant's credit code"})
    kind = fields.String(allow_none=True, metadata={"description": "an applicant's: representative or agent"})
    bundles = fields.List(fields.String(), allow_none=True, metadata={"description": "an agent's; null: all"})
    until = fields.Date(allow_none=True, metadata={"description": "an agent's last day (inclusive)"})


class TokenOut(MeOut):
    token = fields.String()
    expires_at = fields.DateTime()


class ItemOut(Schema):
    code = fields.String()
    name = fields.String()
    department = fields.String()
    status = fields.String()
    essential = fields.Boolean()
    time_limit_days = fields.Integer()
    prerequisites = fields.List(fields.String())
    accepted_on = fields.Date(allow_none=True)
    clock_started_on = fields.Date(allow_none=True)
    due = fields.Date(allow_none=True)
    due_provisional = fields.Boolean()
    inspection = fields.String(allow_none=True)
    on_commitment = fields.Boolean()
    assignee = fields.String(allow_none=True)
    certificate = fields.Dict(allow_none=True)
    certificates = fields.List(fields.Dict())
    findings = fields.List(fields.String(), metadata={"description": "what the item's rules found"})
    requested = fields.List(fields.String(), metadata={"description": "materials a supplement request asks for"})
    request_reason = fields.String(metadata={"description": "the reviewer's words with the supplement request"})
    rejection_reason = fields.String(metadata={"description": "why the item was rejected"})


class CaseOut(Schema):
    id = fields.UUID()
    number = fields.String()
    bundle = fields.String()
    bundle_version = fields.Integer()
    version = fields.Integer()
    status = fields.String()
    channel = fields.String()
    applicant = fields.Dict()
    owner = fields.String()
    opened_at = fields.DateTime()
    opened_on = fields.Date()
    closed_at = fields.String(allow_none=True)
    due = fields.Date(allow_none=True)
    items = fields.List(fields.Nested(ItemOut))
    materials = fields.List(fields.Dict())
    deficiencies = fields.Dict()
    escalations = fields.List(fields.Dict())
    rating = fields.Dict(allow_none=True)
    answers = fields.Dict(metadata={"description": "the answers to the bundle's questions"})
    pre_review = fields.Dict(allow_none=True, metadata={"description": "an online filing's pre-review: filed_on, "
                             "since, missing, returned_on, return_reason, accepted_on, deemed"})
    follow_up = fields.Dict(allow_none=True, metadata={"description": "a poor rating's follow-up (staff)"})
    chain_head = fields.String(allow_none=True, metadata={"description": "on reads: the hash of the case's "
                                                                     "last event at this version (its chain's head)"})
    then = fields.Dict(metadata={"description": "with ?version= or ?as_of=: the moment, the bundle definition "
                                                "version and the calendar overrides that applied then"})


class HistoryEventOut(Schema):
    position = fields.Integer()
    type = fields.String()
    at = fields.DateTime()
    actor = fields.Dict()
    reason = fields.String()
    data = fields.Dict()
    text = fields.Dict(keys=fields.String(), values=fields.String(),
                       metadata={"description": "the event in words: zh, en"})
    hash = fields.String(allow_none=True, metadata={"description": "SHA-256 of the stored event and its prev_hash"})
    prev_hash = fields.String(allow_none=True, metadata={"description": "hash of the case's previous event"})


class ErrorBody(Schema):
    code = fields.String(required=True, metadata={"description": "what went wrong, for programs"})
    message = fields.String(required=True, metadata={"description": "what went wrong, in words"})
    current_version = fields.Integer()
    bad_fields = fields.Dict(keys=fields.String(), values=fields.List(fields.String()), data_key="fields")


class ErrorOut(Schema):
    """Every error answer of the API: ``{"error": {"code", "message", "fields"?, "current_version"?}}``."""

    error = fields.Nested(ErrorBody, required=True)


class CertificateOut(Schema):
    number = fields.String()
    genuine = fields.Boolean()
    status = fields.String()
    type = fields.String()
    name = fields.String()
    holder = fields.Dict()
    case = fields.String()
    issued_on = fields.String()


class BundleOut(Schema):
    code = fields.String()
    version = fields.Integer()
    name = fields.String()
    name_en = fields.String()
    category = fields.String()
    lead_department = fields.String(allow_none=True)
    stages = fields.List(fields.Dict())
    materials = fields.List(fields.Dict())
    items = fields.List(fields.Dict())
    baseline = fields.Dict()
    bundled = fields.Dict()
    sample_data = fields.Boolean()
    note = fields.String()


class CaseRowOut(Schema):
    case_id = fields.String()
    number = fields.String()
    bundle = fields.String()
    applicant_name = fields.String()
    credit_code = fields.String()
    channel = fields.String()
    owner = fields.String()
    status = fields.String()
    opened_at = fields.DateTime()
    due = fields.Date(allow_none=True)
    overdue = fields.Boolean()
    version = fields.Integer()
    supplements = fields.Integer()
    open_escalations = fields.Integer()
    rating = fields.Integer(allow_none=True)


class CasePageOut(Schema):
    items = fields.List(fields.Nested(CaseRowOut))
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()


class QueueItemOut(Schema):
    assignee = fields.String(allow_none=True)
    due_provisional = fields.Boolean()
    warning = fields.String(allow_none=True)
    case_id = fields.String()
    case_number = fields.String()
    code = fields.String()
    name = fields.String()
    department = fields.String()
    status = fields.String()
    applicant_name = fields.String()
    owner = fields.String()
    accepted_on = fields.Date(allow_none=True)
    due = fields.Date(allow_none=True)
    overdue = fields.Boolean()
    supplements = fields.Integer()


class QueueOut(Schema):
    department = fields.String()
    items = fields.List(fields.Nested(QueueItemOut))
    counts = fields.Dict(keys=fields.String(), values=fields.Integer())


class EscalationOut(Schema):
    case_id = fields.String()
    case_number = fields.String()
    number = fields.Integer()
    bundle = fields.String()
    level = fields.Integer()
    reason = fields.String()
    supervisor = fields.String()
    opened_at = fields.DateTime()
    state = fields.String()
    resolved_at = fields.DateTime(allow_none=True)
    resolved_by = fields.String(allow_none=True)
    resolution = fields.String(allow_none=True)
    age_days = fields.Integer()


class KpisOut(Schema):
    bundles = fields.Dict(keys=fields.String(), values=fields.Dict())
    departments = fields.Dict(keys=fields.String(), values=fields.Dict())


class LagOut(Schema):
    projection = fields.String()
    application = fields.String()
    position = fields.Integer()
    behind = fields.Integer()


class UserOut(Schema):
    username = fields.String()
    role = fields.String()
    department = fields.String(allow_none=True)
    display_name = fields.String()
    disabled = fields.Boolean()


class RoadmapArgs(Strict):
    start = fields.Date()
    answers = fields.String(metadata={"description": "JSON object of answers to the bundle's questions: the "
                                                     "roadmap then leaves out what its rules say this case "
                                                     "does not need"})


class PlannedItemOut(Schema):
    code = fields.String()
    name = fields.String()
    department = fields.String()
    stage = fields.String(allow_none=True)
    materials = fields.List(fields.String())
    prerequisites = fields.List(fields.String())
    time_limit_days = fields.Integer()
    earliest_start = fields.Date()
    earliest_end = fields.Date()
    end_working_day = fields.Integer()
    critical = fields.Boolean()


class RoadmapOut(Schema):
    bundle = fields.String()
    version = fields.Integer()
    start = fields.Date()
    earliest_completion = fields.Date()
    working_days = fields.Integer()
    critical_path = fields.List(fields.String())
    provisional = fields.Boolean()
    items = fields.List(fields.Nested(PlannedItemOut))
