"""Complaints (客户投诉, 第4篇) and repairs (售后维修): commands, views and events.

Every command and query carries who acts as `actor`, the suite's one actor form
(contracts.scope.ActorSchema: username, role, consultant id, offices, projects); the service
checks role, projects and own customers again (the gateway is not trusted blindly)."""
import re

from marshmallow import ValidationError, fields, validate

from contracts.base import Id, Money, PositiveMoney, StrictSchema
from contracts.scope import ActorSchema
from contracts.envelope import EventType, register

COMPLAINT_CHANNELS = ("visit", "phone", "letter", "email", "other")
CUSTOMER_REQUESTS = ("price_reduction", "return", "exchange", "compensation",
                     "criticism_suggestion", "other")
VALID_CATEGORIES = ("quality_defect", "delivery_date", "not_as_contracted", "outside_tolerance",
                    "damage", "other_contract_breach")
DEPARTMENTS = ("engineering", "sales_manager", "finance", "legal", "customer_service")
SANCTIONS = ("none", "warning", "minor_demerit", "major_demerit")
SATISFACTION = ("very_satisfied", "satisfied", "neutral", "dissatisfied", "very_dissatisfied")
REPLY_FORMS = ("written", "oral")
CLOCK_NAMES = ("first_response", "closure", "follow_up", "repair_on_site_small",
               "repair_on_site_large", "repair_emergency", "repair_follow_up")
URGENCIES = ("normal", "emergency")
SIGNERS = ("repair_department", "owner", "supervisor", "project_department")

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

# a month of this century or the next (datetime cannot hold year 0)
MONTH = r"^(20\d{2}|2100)-(0[1-9]|1[0-2])$"
MONTH_ERROR = "YYYY-MM, a month from 2000-01 to 2100-12"


def _clean_text(value: str) -> None:
    if _CONTROL.search(value):
        raise ValidationError("control characters are not allowed")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationError("not valid text (a lone surrogate)") from None


def Text(max_length=2000, required=True, **kwargs):
    """User text, checked once here: no NUL or control characters, no lone surrogates."""
    if not required:
        kwargs.setdefault("load_default", None)
        kwargs.setdefault("allow_none", True)
    return fields.String(required=required, validate=[
        validate.Length(min=1 if required else 0, max=max_length), _clean_text], **kwargs)


class Acting(StrictSchema):
    """A command or query with who acts (contracts.scope)."""
    actor = fields.Nested(ActorSchema, required=True)


class FileComplaintSchema(Acting):
    complainant_name = Text(50)
    contact = Text(64)
    channel = fields.String(required=True, validate=validate.OneOf(COMPLAINT_CHANNELS))
    content = Text(5000)
    request = fields.String(load_default="other", validate=validate.OneOf(CUSTOMER_REQUESTS))
    request_detail = Text(1000, required=False)
    customer_id = Id(load_default=None, allow_none=True)
    unit_id = Id(load_default=None, allow_none=True)
    project_id = Id(load_default=None, allow_none=True)
    customer_consultant_id = Id(load_default=None, allow_none=True,
                                metadata={"description": "the customer's consultant (leads)"})


class ComplaintRef(Acting):
    complaint_id = Id(required=True)


class GetComplaintSchema(ComplaintRef):
    pass


class AcceptComplaintSchema(ComplaintRef):
    category = fields.String(required=True, metadata={"enum": list(VALID_CATEGORIES)})
    note = Text(1000, required=False)


class RejectComplaintSchema(ComplaintRef):
    reason = Text(1000)


class RouteComplaintSchema(ComplaintRef):
    department = fields.String(required=True, validate=validate.OneOf(DEPARTMENTS))
    note = Text(1000, required=False)


class NoteSchema(ComplaintRef):
    note = Text(1000, required=False)


class InvestigationReportSchema(ComplaintRef):
    """投诉调查报告 (第十七条)."""
    cause = Text(2000)                # 发生原因
    course = Text(5000)               # 具体经过
    responsible_party = Text(200)     # 具体责任者
    conclusion = Text(2000)           # 结论
    countermeasures = Text(2000)      # 对策和防范措施


class OpinionSchema(ComplaintRef):
    opinion = Text(2000)


class ReplyComplaintSchema(ComplaintRef):
    form = fields.String(required=True, validate=validate.OneOf(REPLY_FORMS))
    content = Text(5000)


class AccountabilitySchema(ComplaintRef):
    responsible_department = Text(50)
    responsible_person = Text(50, required=False)
    sanction = fields.String(required=True, validate=validate.OneOf(SANCTIONS))


class VisitSchema(ComplaintRef):
    satisfaction = fields.String(required=True, validate=validate.OneOf(SATISFACTION))
    note = Text(1000, required=False)


class ReopenSchema(ComplaintRef):
    reason = Text(1000)


class ListComplaintsSchema(Acting):
    status = fields.String(load_default=None, allow_none=True)
    project_id = Id(load_default=None, allow_none=True)
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))


class ClockPolicySchema(Acting):
    project_id = Id(required=True)
    clock = fields.String(required=True, validate=validate.OneOf(CLOCK_NAMES))
    hours = fields.Decimal(required=True, places=2, allow_nan=False,
                           validate=validate.Range(min=0, max=10000,
                                                   error="must be between 0 and 10000"))
    basis = fields.String(load_default=None, allow_none=True,
                          validate=validate.OneOf(("calendar", "working")))
    on_reopen = fields.String(load_default=None, allow_none=True,
                              validate=validate.OneOf(("restart", "resume", "keep")))
    ladder_hours = fields.List(fields.Decimal(places=2, allow_nan=False, validate=validate.Range(
        min=0, max=10000, error="must be between 0 and 10000")), load_default=None,
        allow_none=True, validate=validate.Length(equal=3))


class CalendarEntrySchema(Acting):
    project_id = Id(required=True)
    day = fields.Date(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(("day_off", "working_day")))


class MonthQuery(Acting):
    month = fields.String(required=True, validate=validate.Regexp(MONTH, error=MONTH_ERROR))
    project_id = Id(load_default=None, allow_none=True)


class StatusChangeSchema(StrictSchema):
    status = fields.String()
    at = fields.AwareDateTime()
    by = fields.String()
    note = fields.String(allow_none=True)


class ReportViewSchema(StrictSchema):
    round = fields.Integer()
    cause = fields.String()
    course = fields.String()
    responsible_party = fields.String()
    conclusion = fields.String()
    countermeasures = fields.String()
    filed_by = fields.String()
    filed_at = fields.AwareDateTime()
    review_opinion = fields.String(allow_none=True)
    reviewed_by = fields.String(allow_none=True)
    reviewed_at = fields.AwareDateTime(allow_none=True)


class ClockRoundSchema(StrictSchema):
    clock = fields.String()
    round = fields.Integer()
    basis = fields.String()
    budget_minutes = fields.Integer()
    consumed_minutes = fields.Integer()
    remaining_minutes = fields.Integer()
    overrun_minutes = fields.Integer()
    percent = fields.Float()
    started_at = fields.AwareDateTime()
    due_at = fields.AwareDateTime(allow_none=True)
    stopped_at = fields.AwareDateTime(allow_none=True)
    paused = fields.Boolean()
    breached = fields.Boolean()


class BreachSchema(StrictSchema):
    clock = fields.String()
    round = fields.Integer()
    due_at = fields.AwareDateTime()
    detected_at = fields.AwareDateTime()
    overrun_minutes = fields.Integer()
    basis = fields.String()


class ComplaintSchema(StrictSchema):
    id = fields.Integer()
    number = fields.String(allow_none=True)
    complainant_name = fields.String()
    contact = fields.String()
    channel = fields.String()
    content = fields.String()
    request = fields.String(allow_none=True)
    request_detail = fields.String(allow_none=True)
    customer_id = fields.Integer(allow_none=True)
    unit_id = fields.Integer(allow_none=True)
    project_id = fields.Integer(allow_none=True)
    customer_consultant_id = fields.Integer(allow_none=True)
    status = fields.String()
    filed_at = fields.AwareDateTime()
    filed_by = fields.String(allow_none=True)
    due_at = fields.AwareDateTime()
    category = fields.String(allow_none=True)
    accepted_at = fields.AwareDateTime(allow_none=True)
    accepted_by = fields.String(allow_none=True)
    rejection_reason = fields.String(allow_none=True)
    department = fields.String(allow_none=True)
    department_opinion = fields.String(allow_none=True)
    reply_form = fields.String(allow_none=True)
    reply_content = fields.String(allow_none=True)
    replied_at = fields.AwareDateTime(allow_none=True)
    closed_at = fields.AwareDateTime(allow_none=True)
    responsible_department = fields.String(allow_none=True)
    responsible_person = fields.String(allow_none=True)
    sanction = fields.String(allow_none=True)
    bonus_share_percent = fields.Decimal(as_string=True, allow_none=True)
    satisfaction = fields.String(allow_none=True)
    visited_at = fields.AwareDateTime(allow_none=True)
    reopen_count = fields.Integer()
    major = fields.Boolean()
    history = fields.List(fields.Nested(StatusChangeSchema))
    reports = fields.List(fields.Nested(ReportViewSchema))
    clocks = fields.List(fields.Nested(ClockRoundSchema))
    breaches = fields.List(fields.Nested(BreachSchema))


class ComplaintListSchema(StrictSchema):
    complaints = fields.List(fields.Nested(ComplaintSchema))


class ClockPolicyViewSchema(StrictSchema):
    project_id = fields.Integer()
    clock = fields.String()
    hours = fields.Decimal(as_string=True)
    basis = fields.String()
    on_reopen = fields.String()
    ladder_hours = fields.List(fields.Decimal(as_string=True))
    changed_at = fields.AwareDateTime()
    changed_by = fields.String()


class CalendarEntryViewSchema(StrictSchema):
    project_id = fields.Integer()
    day = fields.Date()
    kind = fields.String()


class CountsSchema(StrictSchema):
    total = fields.Integer()
    by_category = fields.Dict(keys=fields.String(), values=fields.Integer())
    by_department = fields.Dict(keys=fields.String(), values=fields.Integer())
    by_project = fields.Dict(keys=fields.String(), values=fields.Integer())
    by_outcome = fields.Dict(keys=fields.String(), values=fields.Integer())
    closed = fields.Integer()
    closed_on_time = fields.Integer()
    on_time_rate = fields.Decimal(as_string=True, allow_none=True)
    visits = fields.Integer()
    satisfied = fields.Integer()
    satisfaction_rate = fields.Decimal(as_string=True, allow_none=True)
    reopened = fields.Integer()


class ContractorStatsSchema(StrictSchema):
    contractor_id = fields.Integer()
    name = fields.String()
    repairs = fields.Integer()
    on_time = fields.Integer()
    on_time_rate = fields.Decimal(as_string=True, allow_none=True)
    self_repaired = fields.Integer()
    charges = Money()


class MonthlyStatisticsSchema(StrictSchema):
    month = fields.String()
    project_id = fields.Integer(allow_none=True)
    complaints = fields.Nested(CountsSchema)
    repairs = fields.List(fields.Nested(ContractorStatsSchema))


class AccountabilityRowSchema(StrictSchema):
    complaint_id = fields.Integer()
    number = fields.String()
    closed_at = fields.AwareDateTime(allow_none=True)
    responsible_department = fields.String()
    responsible_person = fields.String(allow_none=True)
    sanction = fields.String()
    sanction_name = fields.String()
    bonus_share_percent = fields.Decimal(as_string=True)


class AccountabilityListSchema(StrictSchema):
    month = fields.String()
    rows = fields.List(fields.Nested(AccountabilityRowSchema))


class ExportSchema(Acting):
    kind = fields.String(required=True, validate=validate.OneOf(
        ("record_card", "investigation_report", "monthly_statistics", "repair_register")))
    complaint_id = Id(load_default=None, allow_none=True)
    month = fields.String(load_default=None, allow_none=True,
                          validate=validate.Regexp(MONTH, error=MONTH_ERROR))
    project_id = Id(load_default=None, allow_none=True)


class FileContentSchema(StrictSchema):
    file_name = fields.String()
    content_base64 = fields.String()


class SweepResultSchema(StrictSchema):
    cases = fields.Integer()
    warnings = fields.Integer()
    escalations = fields.Integer()
    breaches = fields.Integer()


# ---- repairs -------------------------------------------------------------------------

class RegisterContractorSchema(Acting):
    """维修商一览表: a contractor (施工单位/维修商) and its warranty deposit (质保金)."""
    name = Text(100)
    trade = Text(50)                  # 专业 (土建, 水电, 门窗 …)
    contact_person = Text(50)
    phone = Text(30)
    warranty_deposit = Money(required=True, validate=[validate.Range(
        min=0, error="must be 0 or more")])


class ContractorSchema(StrictSchema):
    id = fields.Integer()
    name = fields.String()
    trade = fields.String()
    contact_person = fields.String()
    phone = fields.String()
    warranty_deposit = Money()
    charged = Money()
    deposit_left = Money()
    average_score = fields.Decimal(as_string=True, allow_none=True)


class ContractorListSchema(StrictSchema):
    contractors = fields.List(fields.Nested(ContractorSchema))


class EvaluateContractorSchema(Acting):
    """维修商评估表."""
    contractor_id = Id(required=True)
    period = fields.String(required=True, validate=validate.Regexp(
        r"^\d{4}-(0[1-9]|1[0-2]|Q[1-4])$", error="YYYY-MM or YYYY-Q1..Q4"))
    quality = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=5))
    timeliness = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=5))
    attitude = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=5))
    comment = Text(1000, required=False)


class EvaluationSchema(StrictSchema):
    id = fields.Integer()
    contractor_id = fields.Integer()
    period = fields.String()
    quality = fields.Integer()
    timeliness = fields.Integer()
    attitude = fields.Integer()
    score = fields.Decimal(as_string=True)
    comment = fields.String(allow_none=True)
    evaluated_by = fields.String()
    evaluated_at = fields.AwareDateTime()


class OrderRepairSchema(Acting):
    unit_id = Id(required=True)
    project_id = Id(required=True)
    customer_id = Id(load_default=None, allow_none=True)
    complaint_id = Id(load_default=None, allow_none=True)
    contractor_id = Id(required=True)
    description = Text(2000)
    estimated_amount = PositiveMoney(required=True)
    urgency = fields.String(load_default="normal", validate=validate.OneOf(URGENCIES))


class RepairRef(Acting):
    repair_id = Id(required=True)


class CompleteRepairSchema(RepairRef):
    actual_cost = Money(required=True, validate=[validate.Range(min=0, error="must be 0 or more")])
    note = Text(1000, required=False)


class SignRepairSchema(RepairRef):
    signer = fields.String(required=True, validate=validate.OneOf(SIGNERS))
    name = Text(50)


class RepairVisitSchema(RepairRef):
    satisfaction = fields.String(required=True, validate=validate.OneOf(SATISFACTION))
    note = Text(1000, required=False)


class SignatureSchema(StrictSchema):
    signer = fields.String()
    name = fields.String()
    signed_at = fields.String(metadata={"description": "ISO 8601, UTC"})


class RepairSchema(StrictSchema):
    id = fields.Integer()
    number = fields.String()
    unit_id = fields.Integer()
    project_id = fields.Integer()
    customer_id = fields.Integer(allow_none=True)
    complaint_id = fields.Integer(allow_none=True)
    contractor_id = fields.Integer()
    contractor_name = fields.String()
    description = fields.String()
    estimated_amount = Money()
    urgency = fields.String()
    clock = fields.String()
    status = fields.String()
    ordered_at = fields.AwareDateTime()
    ordered_by = fields.String()
    on_site_at = fields.AwareDateTime(allow_none=True)
    self_repair_at = fields.AwareDateTime(allow_none=True)
    missed = fields.Boolean()
    actual_cost = Money(allow_none=True)
    deposit_charge = Money(allow_none=True)
    completed_at = fields.AwareDateTime(allow_none=True)
    signatures = fields.List(fields.Nested(SignatureSchema))
    satisfaction = fields.String(allow_none=True)
    visited_at = fields.AwareDateTime(allow_none=True)
    history = fields.List(fields.Nested(StatusChangeSchema))
    clocks = fields.List(fields.Nested(ClockRoundSchema))
    breaches = fields.List(fields.Nested(BreachSchema))


# ---- events --------------------------------------------------------------------------

class ComplaintFiled(StrictSchema):
    complaint_id = fields.Integer(required=True)
    channel = fields.String(required=True)
    due_at = fields.AwareDateTime(required=True)


class ComplaintStep(StrictSchema):
    """What every step of a complaint announces: which case, its new status, who, when."""
    complaint_id = fields.Integer(required=True)
    number = fields.String(required=True)
    status = fields.String(required=True)
    by = fields.String(required=True)
    topic_file = fields.String(load_default=None, allow_none=True,
                               metadata={"description": "一事一档: a major complaint's own file"})
    detail = fields.Dict(keys=fields.String(), load_default=dict,
                         metadata={"description": "the step's own fields"})


class ClockAlert(StrictSchema):
    case_kind = fields.String(required=True, validate=validate.OneOf(("complaint", "repair")))
    case_id = fields.Integer(required=True)
    number = fields.String(required=True)
    clock = fields.String(required=True)
    round = fields.Integer(required=True)
    level = fields.String(required=True)
    percent = fields.Float(required=True)
    due_at = fields.AwareDateTime(required=True, allow_none=True)
    overrun_minutes = fields.Integer(required=True)
    basis = fields.String(required=True)
    notify_role = fields.String(load_default=None, allow_none=True)


class RepairStep(StrictSchema):
    repair_id = fields.Integer(required=True)
    number = fields.String(required=True)
    status = fields.String(required=True)
    by = fields.String(required=True)
    contractor_id = fields.Integer(required=True)
    detail = fields.Dict(keys=fields.String(), load_default=dict)


class ContractorEvent(StrictSchema):
    contractor_id = fields.Integer(required=True)
    name = fields.String(required=True)
    detail = fields.Dict(keys=fields.String(), load_default=dict)


_STEP = {"complaint_id": 1, "number": "TS202611-00001", "status": "accepted", "by": "kefu1",
         "topic_file": None, "detail": {"category": "quality_defect"}}
COMPLAINT_STEP_EVENTS = ("complaint_accepted", "complaint_rejected", "complaint_routed",
                         "complaint_awaiting_customer", "complaint_resumed",
                         "investigation_reported", "complaint_reviewed", "complaint_resolved",
                         "complaint_replied", "complaint_closed", "accountability_recorded",
                         "complaint_visited", "complaint_reopened")
_ALERT = {"case_kind": "complaint", "case_id": 1, "number": "TS202611-00001",
          "clock": "closure", "round": 1, "level": "warning_50", "percent": 50.0,
          "due_at": "2026-12-07T02:00:00+00:00", "overrun_minutes": 0, "basis": "calendar",
          "notify_role": None}
_REPAIR = {"repair_id": 1, "number": "WX202611-00001", "status": "ordered", "by": "kefu1",
           "contractor_id": 1, "detail": {"estimated_amount": "800.00"}}
REPAIR_STEP_EVENTS = ("repair_ordered", "contractor_arrived", "self_repair_started",
                      "repair_completed", "repair_signed", "repair_visited")

register(EventType("complaints", "complaint_filed", 1, ComplaintFiled,
                   {"complaint_id": 1, "channel": "phone", "due_at": "2026-11-29T02:00:00+00:00"}))
register(*(EventType("complaints", name, 1, ComplaintStep, _STEP)
           for name in COMPLAINT_STEP_EVENTS))
register(EventType("complaints", "clock_warning", 1, ClockAlert, _ALERT),
         EventType("complaints", "clock_breached", 1, ClockAlert,
                   {**_ALERT, "level": "warning_100", "percent": 101.0, "overrun_minutes": 5}),
         EventType("complaints", "clock_escalated", 1, ClockAlert,
                   {**_ALERT, "level": "escalation_manager", "percent": 120.0,
                    "overrun_minutes": 1440, "notify_role": "manager"}))
register(*(EventType("complaints", name, 1, RepairStep, _REPAIR) for name in REPAIR_STEP_EVENTS))
register(EventType("complaints", "contractor_registered", 1, ContractorEvent,
                   {"contractor_id": 1, "name": "华建维修", "detail": {}}),
         EventType("complaints", "contractor_evaluated", 1, ContractorEvent,
                   {"contractor_id": 1, "name": "华建维修", "detail": {"score": "4.33"}}))
