"""Leads: sales offices, consultants, visit registration (来访客户登记)."""
from marshmallow import fields, validate

from contracts.base import Id, StrictSchema
from contracts.envelope import EventType, register

CONSULTANT_STATUSES = ("available", "busy", "absent", "inactive")
GENDERS = ("male", "female")
# 来访/来电登记表 channels (获知途径)
CHANNELS = ("daily_paper", "evening_paper", "tv", "passing_by", "word_of_mouth", "referral",
            "flyer", "outdoor", "website", "phone_invite", "other")
ALLOCATION_RULES = ("new_visitor_rotation", "returning_customer", "manager_override")
# seed 003: where call lists come from (自有来访/来电, 拓展, 购买名单, …)
CALL_LIST_SOURCES = ("own_visitors", "own_callers", "expansion", "purchased", "other")
MAX_IMPORT_ROWS = 50_000


class CreateOfficeSchema(StrictSchema):
    code = fields.String(required=True, validate=validate.Regexp(r"^[a-z0-9-]{2,20}$"))
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    region_code = fields.String(required=True, validate=validate.Regexp(
        r"^[a-z]{1,6}$", error="lower-case pinyin initials of the region, e.g. ly for 洛阳"))


class OfficeSchema(StrictSchema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    region_code = fields.String()


class AddConsultantSchema(StrictSchema):
    office_id = Id(required=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=50))


class SetConsultantStatusSchema(StrictSchema):
    consultant_id = Id(required=True)
    status = fields.String(required=True, validate=validate.OneOf(CONSULTANT_STATUSES))


class ConsultantSchema(StrictSchema):
    id = fields.Integer()
    office_id = fields.Integer()
    name = fields.String()
    status = fields.String()
    rotation_order = fields.Integer()


class RegisterVisitSchema(StrictSchema):
    office_id = Id(required=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=50))
    mobile = fields.String(required=True, validate=validate.Length(min=1, max=32))
    gender = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(GENDERS))
    channel = fields.String(load_default="other", validate=validate.OneOf(CHANNELS))
    visitors = fields.Integer(load_default=1, strict=True, validate=validate.Range(min=1, max=50))
    notes = fields.String(load_default="", validate=validate.Length(max=2000))


class AssignmentSchema(StrictSchema):
    consultant_id = fields.Integer()
    rule = fields.String()
    explanation = fields.String()


class CustomerSchema(StrictSchema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    mobile = fields.String()
    gender = fields.String(allow_none=True)
    office_id = fields.Integer()
    consultant_id = fields.Integer()
    channel = fields.String()
    visit_count = fields.Integer()
    registered_at = fields.AwareDateTime()


class VisitResultSchema(StrictSchema):
    customer = fields.Nested(CustomerSchema)
    returning = fields.Boolean()
    assignment = fields.Nested(AssignmentSchema)


class GetCustomerSchema(StrictSchema):
    customer_id = Id(required=True)


class LeadRegistered(StrictSchema):
    customer_code = fields.String(required=True)
    office_id = fields.Integer(required=True)
    channel = fields.String(required=True)


class LeadAssigned(StrictSchema):
    consultant_id = fields.Integer(required=True)
    office_id = fields.Integer(required=True)
    rule = fields.String(required=True, validate=validate.OneOf(ALLOCATION_RULES))
    explanation = fields.String(required=True)


class VisitRecorded(StrictSchema):
    """Every registered visit or call of a customer, first or returning (the deal report
    counts them)."""
    kind = fields.String(required=True, validate=validate.OneOf(("visit", "call")))
    office_id = fields.Integer(required=True)
    consultant_id = fields.Integer(required=True)
    channel = fields.String(required=True)
    first = fields.Boolean(required=True)


class CallListImported(StrictSchema):
    import_id = fields.Integer(required=True)
    source = fields.String(required=True, validate=validate.OneOf(CALL_LIST_SOURCES))
    added = fields.Integer(required=True)


register(
    EventType("leads", "call_list_imported", 1, CallListImported,
              {"import_id": 1, "source": "purchased", "added": 4980}),
    EventType("leads", "visit_recorded", 1, VisitRecorded,
              {"kind": "visit", "office_id": 1, "consultant_id": 3, "channel": "passing_by",
               "first": True}),
    EventType("leads", "lead_registered", 1, LeadRegistered,
              {"customer_code": "ly-zs001", "office_id": 1, "channel": "passing_by"}),
    EventType("leads", "lead_assigned", 1, LeadAssigned,
              {"consultant_id": 3, "office_id": 1, "rule": "new_visitor_rotation",
               "explanation": "reception rotation: next free consultant in today's order"}),
)


class ImportCallListSchema(StrictSchema):
    """A call list as a table: its header and its rows, cells as text."""
    source = fields.String(required=True, validate=validate.OneOf(CALL_LIST_SOURCES))
    file_name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    imported_by = fields.String(required=True, validate=validate.Length(min=1, max=100))
    header = fields.List(fields.String(allow_none=True), required=True,
                         validate=validate.Length(min=1, max=50))
    rows = fields.List(fields.List(fields.Raw(allow_none=True)), required=True,
                       validate=validate.Length(max=MAX_IMPORT_ROWS))
    first_line = fields.Integer(load_default=2, strict=True, validate=validate.Range(min=1))


class ImportErrorSchema(StrictSchema):
    line = fields.Integer()
    field = fields.String()
    reason = fields.String()


class CallListImportSchema(StrictSchema):
    id = fields.Integer()
    source = fields.String()
    file_name = fields.String()
    rows = fields.Integer()
    added = fields.Integer(metadata={"description": "new numbers in the call pool"})
    duplicates = fields.Integer(metadata={"description": "numbers already known (a customer, "
                                                         "an earlier list, or earlier in this "
                                                         "one)"})
    rejected = fields.Integer()
    errors = fields.List(fields.Nested(ImportErrorSchema))
