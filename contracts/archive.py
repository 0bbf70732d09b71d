"""Archive: one permanent dossier per unit (一户一档), its documents, hash chain, access log,
borrowing register, external access, handover deadlines and inspections (seed 000 第7篇)."""
from marshmallow import fields, validate, validates_schema, ValidationError

from contracts.base import Id, RowList, StrictSchema
from contracts.envelope import EventType, register
from contracts.scope import ActorSchema  # who acts, and in which projects

CATEGORIES = ("sales", "signing", "title", "move_in", "repair", "compensation", "litigation",
              "shop_lease", "other")
GROUPS = ("required", "repair_compensation", "other", "lease_period", "sales_history",
          "litigation_case")
CARRIERS = ("paper", "electronic", "photo", "audio", "video")
LEVELS = ("C", "B", "A")
RETENTIONS = ("permanent", "30_years", "10_years")
OPENABLE_KINDS = ("topic", "litigation", "project")
AUTHORITIES = ("police", "procuratorate", "court")  # 公、检、法
DEPARTMENTS = ("sales", "customer_service", "legal", "commercial", "finance", "archive")
DOCUMENT_KINDS = (
    "subscription_agreement", "sale_contract", "filing_certificate", "move_in_records",
    "service_records", "case_closing_copy", "id_copy", "queue_agreement", "change_approval",
    "mortgage_contract", "payment_voucher", "notice", "contract_template", "judgment",
    "case_closed", "lease_contract", "photo", "recording", "correspondence", "other")

Text = lambda n, **kw: fields.String(validate=validate.Length(min=1, max=n), **kw)  # noqa: E731
Purpose = lambda: fields.String(required=True, validate=validate.Length(min=1, max=200),  # noqa
                                metadata={"description": "why: every read is logged with it"})


class ActorOnly(StrictSchema):
    actor = fields.Nested(ActorSchema, required=True)


class ReadDossierSchema(StrictSchema):
    unit_id = Id()
    dossier_id = Id()
    actor = fields.Nested(ActorSchema, required=True)
    purpose = Purpose()
    external_request_id = Id(load_default=None, allow_none=True)

    @validates_schema
    def one_key(self, data, **kwargs):
        if ("unit_id" in data) == ("dossier_id" in data):
            raise ValidationError("name the unit or the dossier", "dossier_id")


class DossierEntrySchema(StrictSchema):
    id = fields.Integer()
    event_id = fields.String(allow_none=True)
    type = fields.String()
    source = fields.String()
    kind = fields.String()
    title = fields.String(allow_none=True)
    category = fields.String(metadata={"enum": list(CATEGORIES)})
    group = fields.String(metadata={"enum": list(GROUPS)})
    carrier = fields.String(metadata={"enum": list(CARRIERS)})
    security_level = fields.String(metadata={"enum": list(LEVELS)})
    retention = fields.String()
    storage_location = fields.String(allow_none=True)
    department = fields.String(allow_none=True)
    occurred_at = fields.AwareDateTime()
    filed_at = fields.AwareDateTime()
    filed_by = fields.String(allow_none=True)
    customer_id = fields.Integer(allow_none=True)
    unit_id = fields.Integer(allow_none=True)
    dossier_id = fields.Integer(allow_none=True)
    data = fields.Dict()
    file_digest = fields.String(allow_none=True)
    file_algorithm = fields.String(allow_none=True)
    file_size = fields.Integer(allow_none=True)
    media_type = fields.String(allow_none=True)
    file_name = fields.String(allow_none=True)
    corrects_id = fields.Integer(allow_none=True)
    correction_reason = fields.String(allow_none=True)
    corrected_by = fields.List(fields.Integer())


class ReferenceSchema(StrictSchema):
    dossier_id = fields.Integer()
    number = fields.String(allow_none=True)
    kind = fields.String()
    relation = fields.String(metadata={"enum": ["same_buyer", "litigation", "topic"]})
    note = fields.String(allow_none=True)


class DossierSchema(StrictSchema):
    id = fields.Integer()
    kind = fields.String()
    number = fields.String(allow_none=True)
    title = fields.String(allow_none=True)
    unit_id = fields.Integer(allow_none=True)
    project_id = fields.Integer(allow_none=True)
    opened_at = fields.AwareDateTime()
    customer_ids = fields.List(fields.Integer())
    references = fields.List(fields.Nested(ReferenceSchema))
    withheld = fields.Integer(metadata={"description": "documents above the reader's level"})
    chain_head = fields.String(allow_none=True)
    entries = RowList(DossierEntrySchema)


class OpenDossierSchema(StrictSchema):
    kind = fields.String(required=True, validate=validate.OneOf(OPENABLE_KINDS))
    project_id = Id(required=True)
    title = Text(200, required=True)
    related_dossier_ids = fields.List(Id(), load_default=list,
                                      metadata={"description": "dossiers it is cross-referenced "
                                                               "with (the customers' units)"})
    actor = fields.Nested(ActorSchema, required=True)


class NumberUnitDossierSchema(StrictSchema):
    unit_id = Id(required=True)
    project_id = Id(required=True)
    garden = Text(50, required=True, metadata={"description": "苑名"})
    building = Text(30, required=True, metadata={"description": "栋号"})
    entrance = Text(30, required=True, metadata={"description": "单元号"})
    room = Text(30, required=True, metadata={"description": "房号"})
    actor = fields.Nested(ActorSchema, required=True)


class DossierSummarySchema(StrictSchema):
    id = fields.Integer()
    kind = fields.String()
    number = fields.String(allow_none=True)
    title = fields.String(allow_none=True)
    unit_id = fields.Integer(allow_none=True)
    project_id = fields.Integer(allow_none=True)
    opened_at = fields.AwareDateTime()


class FileRefSchema(StrictSchema):
    """A file already in the content-addressed store (the gateway streamed it there)."""
    digest = fields.String(required=True, validate=validate.Regexp(r"^[0-9a-f]{64}$"))
    size = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    media_type = Text(100, required=True)
    file_name = fields.String(load_default=None, allow_none=True,
                              validate=validate.Length(max=200))


class FileDocumentSchema(StrictSchema):
    dossier_id = Id(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(DOCUMENT_KINDS))
    title = Text(200, required=True)
    category = fields.String(required=True, validate=validate.OneOf(CATEGORIES))
    group = fields.String(validate=validate.OneOf(GROUPS))
    carrier = fields.String(validate=validate.OneOf(CARRIERS))
    security_level = fields.String(validate=validate.OneOf(LEVELS))
    level_agreed_with = Text(100, metadata={"description": "the handling department that "
                                                           "agreed a level above C"})
    retention = fields.String(validate=validate.OneOf(RETENTIONS))
    storage_location = Text(200)
    department = fields.String(validate=validate.OneOf(DEPARTMENTS))
    occurred_at = fields.AwareDateTime(metadata={"description": "when the paper was made; "
                                                                "now by default"})
    file = fields.Nested(FileRefSchema, load_default=None, allow_none=True)
    corrects_id = Id(metadata={"description": "the document this one corrects"})
    correction_reason = Text(500)
    actor = fields.Nested(ActorSchema, required=True)

    @validates_schema
    def correction_has_reason(self, data, **kwargs):
        if ("corrects_id" in data) != ("correction_reason" in data):
            raise ValidationError("a correction names the document it corrects and why",
                                  "correction_reason")


class OpenDocumentSchema(StrictSchema):
    document_id = Id(required=True)
    purpose = Purpose()
    actor = fields.Nested(ActorSchema, required=True)
    external_request_id = Id(load_default=None, allow_none=True)


class DossierIdSchema(StrictSchema):
    dossier_id = Id(required=True)
    actor = fields.Nested(ActorSchema, required=True)


class ExportDossierSchema(StrictSchema):
    dossier_id = Id(required=True)
    purpose = Purpose()
    actor = fields.Nested(ActorSchema, required=True)


class ExportSchema(StrictSchema):
    dossier_id = fields.Integer()
    name = fields.String()
    size = fields.Integer()
    sha256 = fields.String()


class ProblemSchema(StrictSchema):
    seq = fields.Integer()
    entry_type = fields.String()
    entry_id = fields.Integer()
    problem = fields.String()


class VerificationSchema(StrictSchema):
    dossier_id = fields.Integer()
    ok = fields.Boolean()
    links = fields.Integer()
    algorithm = fields.String()
    head = fields.String(allow_none=True)
    problems = fields.List(fields.Nested(ProblemSchema))


class StartVerificationSchema(StrictSchema):
    project_id = Id(load_default=None, allow_none=True)
    actor = fields.Nested(ActorSchema, required=True)


class RunIdSchema(StrictSchema):
    run_id = Id(required=True)
    actor = fields.Nested(ActorSchema, required=True)


class VerificationRunSchema(StrictSchema):
    id = fields.Integer()
    project_id = fields.Integer(allow_none=True)
    status = fields.String(metadata={"enum": ["queued", "running", "done", "failed"]})
    total = fields.Integer()
    checked = fields.Integer()
    progress = fields.Float(metadata={"description": "0 to 1"})
    broken = fields.List(fields.Dict())
    requested_by = fields.String()
    requested_at = fields.AwareDateTime()
    finished_at = fields.AwareDateTime(allow_none=True)
    error = fields.String(allow_none=True)


class FixityRunSchema(StrictSchema):
    id = fields.Integer()
    started_at = fields.AwareDateTime()
    finished_at = fields.AwareDateTime()
    status = fields.String(metadata={"enum": ["ok", "mismatch", "failed"]})
    files_checked = fields.Integer()
    bytes_checked = fields.Integer()
    problems = fields.List(fields.Dict())
    error = fields.String(allow_none=True)


class RegisterVolumeSchema(StrictSchema):
    dossier_id = Id(required=True)
    label = Text(100, required=True, metadata={"description": "e.g. 第1册 必备资料"})
    storage_location = Text(200, required=True)
    actor = fields.Nested(ActorSchema, required=True)


class VolumeSchema(StrictSchema):
    id = fields.Integer()
    dossier_id = fields.Integer()
    label = fields.String()
    storage_location = fields.String()
    registered_by = fields.String()
    registered_at = fields.AwareDateTime()


class LendVolumeSchema(StrictSchema):
    volume_id = Id(required=True)
    borrower = Text(100, required=True)
    department = Text(100, required=True)
    purpose = Purpose()
    due_on = fields.Date(required=True)
    actor = fields.Nested(ActorSchema, required=True)


class ReturnVolumeSchema(StrictSchema):
    loan_id = Id(required=True)
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))
    actor = fields.Nested(ActorSchema, required=True)


LOAN_STATUSES = ("all", "out", "returned")


class LoanSchema(StrictSchema):
    id = fields.Integer()
    volume_id = fields.Integer()
    dossier_id = fields.Integer()
    label = fields.String()
    borrower = fields.String()
    department = fields.String()
    purpose = fields.String()
    lent_by = fields.String()
    lent_at = fields.AwareDateTime()
    due_on = fields.Date()
    returned_at = fields.AwareDateTime(allow_none=True)
    received_by = fields.String(allow_none=True)
    overdue_days = fields.Integer()


class LoanQuery(StrictSchema):
    project_id = Id(load_default=None, allow_none=True)
    today = fields.Date(load_default=None, allow_none=True)
    actor = fields.Nested(ActorSchema, required=True)


class LoanRegisterQuery(StrictSchema):
    """The borrowing register (借阅登记簿) of one project, newest loan first."""
    project_id = Id(required=True)
    status = fields.String(load_default="all", validate=validate.OneOf(LOAN_STATUSES),
                           metadata={"description": "out: not back yet; returned; all"})
    limit = fields.Integer(load_default=200, validate=validate.Range(min=1, max=1000))
    today = fields.Date(load_default=None, allow_none=True,
                        metadata={"description": "count days overdue as of this day"})
    actor = fields.Nested(ActorSchema, required=True)


class LoanListSchema(StrictSchema):
    loans = fields.List(fields.Nested(LoanSchema))


class ExternalRequestInput(StrictSchema):
    dossier_id = Id(required=True)
    requester_name = Text(100, required=True)
    organization = Text(200, required=True)
    authority = fields.String(required=True, validate=validate.OneOf(AUTHORITIES))
    credential_number = Text(100, required=True, metadata={"description": "工作证件号"})
    notice_number = Text(100, required=True, metadata={"description": "协助调查通知书编号"})
    purpose = Purpose()
    actor = fields.Nested(ActorSchema, required=True)


class DecideExternalSchema(StrictSchema):
    request_id = Id(required=True)
    approve = fields.Boolean(required=True)
    comment = fields.String(load_default=None, allow_none=True,
                            validate=validate.Length(max=500))
    actor = fields.Nested(ActorSchema, required=True)


class ExternalRequestSchema(StrictSchema):
    id = fields.Integer()
    dossier_id = fields.Integer()
    requester_name = fields.String()
    organization = fields.String()
    authority = fields.String()
    credential_number = fields.String()
    notice_number = fields.String()
    purpose = fields.String()
    recorded_by = fields.String()
    recorded_at = fields.AwareDateTime()
    status = fields.String(metadata={"enum": ["pending", "approved", "rejected"]})
    decided_by = fields.String(allow_none=True)


class MilestoneSchema(StrictSchema):
    project_id = Id(required=True)
    kind = fields.String(load_default="concentrated_move_in_end",
                         validate=validate.OneOf(("concentrated_move_in_end",)))
    day = fields.Date(required=True)
    actor = fields.Nested(ActorSchema, required=True)


class MilestoneOutSchema(StrictSchema):
    project_id = fields.Integer()
    kind = fields.String()
    day = fields.Date()
    recorded_by = fields.String()


class CalendarEntryInput(StrictSchema):
    project_id = Id(required=True)
    day = fields.Date(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(("day_off", "working_day")))
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    actor = fields.Nested(ActorSchema, required=True)


class CalendarEntrySchema(StrictSchema):
    project_id = fields.Integer()
    day = fields.Date()
    kind = fields.String()
    note = fields.String(allow_none=True)


class CompletenessQuery(StrictSchema):
    dossier_id = Id(required=True)
    today = fields.Date(load_default=None, allow_none=True)
    actor = fields.Nested(ActorSchema, required=True)


class ChecklistItemSchema(StrictSchema):
    dossier_id = fields.Integer()
    number = fields.String(allow_none=True)
    unit_id = fields.Integer(allow_none=True)
    kind = fields.String()
    title = fields.String()
    category = fields.String()
    department = fields.String()
    since = fields.Date()
    due_on = fields.Date(allow_none=True)
    filed_on = fields.Date(allow_none=True)
    status = fields.String(metadata={"enum": ["present", "missing", "overdue"]})
    late = fields.Boolean()


class CompletenessSchema(StrictSchema):
    dossier_id = fields.Integer()
    complete = fields.Boolean()
    items = fields.List(fields.Nested(ChecklistItemSchema))


class OverdueQuery(StrictSchema):
    project_id = Id(required=True)
    department = fields.String(load_default=None, allow_none=True,
                               validate=validate.OneOf(DEPARTMENTS))
    today = fields.Date(load_default=None, allow_none=True)
    actor = fields.Nested(ActorSchema, required=True)


class OverdueHandoversSchema(StrictSchema):
    project_id = fields.Integer()
    today = fields.Date()
    by_department = fields.Dict(keys=fields.String(),
                                values=fields.List(fields.Nested(ChecklistItemSchema)))


class PlanInspectionSchema(StrictSchema):
    project_id = Id(required=True)
    period = fields.String(required=True, metadata={"description": "2026H1 or 2026H2"})
    planned_on = fields.Date(required=True)
    inspector = Text(100, required=True)
    scope = Text(500, required=True)
    actor = fields.Nested(ActorSchema, required=True)


class FindingInput(StrictSchema):
    plan_id = Id(required=True)
    dossier_id = Id(load_default=None, allow_none=True)
    severity = fields.String(required=True, validate=validate.OneOf(("ok", "minor", "major")))
    finding = Text(5000, required=True)
    actor = fields.Nested(ActorSchema, required=True)


class FindingSchema(StrictSchema):
    id = fields.Integer()
    plan_id = fields.Integer()
    dossier_id = fields.Integer(allow_none=True)
    severity = fields.String()
    finding = fields.String()
    recorded_by = fields.String()
    recorded_at = fields.AwareDateTime()


class InspectionSchema(StrictSchema):
    id = fields.Integer(allow_none=True)
    project_id = fields.Integer()
    period = fields.String()
    planned = fields.Boolean()
    planned_on = fields.Date(allow_none=True)
    inspector = fields.String(allow_none=True)
    scope = fields.String(allow_none=True)
    findings = fields.List(fields.Nested(FindingSchema))


class InspectionsQuery(StrictSchema):
    project_id = Id(required=True)
    year = fields.Integer(required=True, strict=True, validate=validate.Range(min=2000, max=2100))
    actor = fields.Nested(ActorSchema, required=True)


class InspectionListSchema(StrictSchema):
    inspections = fields.List(fields.Nested(InspectionSchema))


class DossierOpened(StrictSchema):
    dossier_id = fields.Integer(required=True)


class FixityFailed(StrictSchema):
    """The periodic re-reading of the stored files found a mismatch, or could not run."""
    run_id = fields.Integer(required=True, allow_none=True)
    status = fields.String(required=True, validate=validate.OneOf(("mismatch", "failed")))
    problems = fields.List(fields.Dict(), required=True)
    error = fields.String(required=True, allow_none=True)


register(EventType("archive", "dossier_opened", 1, DossierOpened, {"dossier_id": 1}),
         EventType("archive", "fixity_failed", 1, FixityFailed,
                   {"run_id": 3, "status": "mismatch", "error": None,
                    "problems": [{"digest": "ab" * 32, "problem": "changed"}]}))
