"""The public API: every route, who may call it, and its schemas (the OpenAPI source)."""
import re
from dataclasses import dataclass
from functools import lru_cache

from marshmallow import Schema, fields, validate

from contracts import (archive, audit, complaints, finance, inventory, leads, opening,
                       operations, transactions)
from contracts.base import Id, StrictSchema
from contracts.imports import ImportJobSchema
from gateway import users
from gateway.auth import ROLES
from contracts.imports import XLSX

SALES = ("consultant", "sales_manager", "general_manager", "admin")
MANAGERS = ("sales_manager", "general_manager", "admin")
DOSSIER_READERS = ("archivist", "sales_manager", "legal", "general_manager", "admin")
OPERATORS = ("admin",)


def _strict_body(schema, *names):
    """A request body made of some of an RPC schema's fields (the others come from the path
    or the caller's token)."""
    return type(f"{schema.__name__.removesuffix('Schema')}Body", (StrictSchema,),
                {name: schema().fields[name] for name in names})


class TokenRequestSchema(StrictSchema):
    username = fields.String(required=True)
    password = fields.String(required=True)


class TokenSchema(Schema):
    token = fields.String()
    token_type = fields.String()
    expires_at = fields.String()
    role = fields.String(metadata={"enum": list(ROLES)})
    consultant_id = fields.Integer(allow_none=True, metadata={
        "description": "the leads consultant (or agent, or manager) record the user acts as"})


class HealthSchema(Schema):
    status = fields.String(metadata={"enum": ["ok", "degraded"]})
    services = fields.Dict(keys=fields.String(),
                           values=fields.Nested(operations.ServiceHealthSchema))


class DeadLettersQuery(StrictSchema):
    """Query string of GET /admin/dead-letters (strings in, so `limit` is parsed)."""
    service = fields.String(validate=validate.OneOf(operations.CONSUMING_SERVICES),
                            metadata={"description": "one service; every consuming service "
                                                     "when absent"})
    status = fields.String(load_default="dead",
                           validate=validate.OneOf(operations.DEAD_LETTER_STATUSES))
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))


class ServiceDeadLetterSchema(operations.DeadLetterSchema):
    service = fields.String()


class DeadLetterListSchema(Schema):
    dead_letters = fields.List(fields.Nested(ServiceDeadLetterSchema))


class ReplayRequestSchema(operations.ReplayDeadLettersSchema):
    service = fields.String(required=True,
                            validate=validate.OneOf(operations.CONSUMING_SERVICES))


class ReadPurposeQuery(StrictSchema):
    """Query of a read of personal data: why it is read, logged with the read."""
    purpose = fields.String(validate=validate.Length(min=1, max=500),
                            metadata={"description": "why it is read; kept in the read log"})


class DossierQuery(StrictSchema):
    """A dossier is read for a stated purpose only (第7篇: the access log)."""
    purpose = fields.String(required=True, validate=[
        validate.Length(min=1, max=200), validate.Regexp(r"\S", error="say why it is read")],
        metadata={"description": "why the dossier is read; kept in the access log"})


class PersonalDataReadsQuery(StrictSchema):
    service = fields.String(required=True, validate=validate.OneOf(("leads", "transactions")))
    kind = fields.String(validate=validate.OneOf(
        ("customer", "customer_file", "order_form", "contract")))
    subject_id = fields.Integer(validate=validate.Range(min=1))
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))


class PersonalDataReadListSchema(Schema):
    reads = fields.List(fields.Nested(audit.ReadSchema))


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # OpenAPI form, {name} for path parameters
    summary: str
    roles: tuple | None  # None: no token needed
    request: type | None = None
    response: type | None = None
    status: int = 200
    query: type | None = None
    # creates money or a hold: an `Idempotency-Key` makes a retry answer the first result
    idempotent: bool = False
    media_type: str | tuple = "application/json"  # of the success answer (or answers)
    # who answers (gateway.dispatch): the RPC "service.method" that takes the body, the query,
    # the path's ids and the caller's scope as they are; or the GatewayService method that
    # does what no row can say, given the request, the authorized user and the path's ids
    call: str | None = None
    handler: str | None = None
    # what a `call` row adds from the token: the acting user's name under this field
    # (`created_by`, `closed_by` …), and the user's channel (an agency's units, inventory)
    by: str | None = None
    channel: bool = False

    def __post_init__(self):
        if (self.call is None) == (self.handler is None):
            raise ValueError(f"{self.method} {self.path}: give exactly one of call, handler")

    @property
    def media_types(self) -> tuple:
        return (self.media_type,) if isinstance(self.media_type, str) else self.media_type


AUTH_AND_HEALTH_ROUTES = (
    Route("POST", "/api/v1/auth/tokens", "Issue a bearer token", None, TokenRequestSchema,
          TokenSchema, 201, handler="issue_token"),
    Route("GET", "/api/v1/health", "Health of the gateway and every service", None,
          response=HealthSchema, handler="health"),
)


class CallListQuery(StrictSchema):
    source = leads.ImportCallListSchema().fields["source"]
    file_name = fields.String(load_default="upload", validate=validate.Length(min=1, max=200))


class UnitImportQuery(StrictSchema):
    file_name = fields.String(load_default="upload", validate=validate.Length(min=1, max=200))


CALL_LIST_RESULT = "id, source, file_name, rows, added, duplicates, rejected, errors"
UNIT_IMPORT_RESULT = ("project_id, rows, created, updated, unchanged, priced, "
                      "price_list_version, errors")
ConsultantStatusBody = _strict_body(leads.SetConsultantStatusSchema, "status")


OfficeProjectsBody = _strict_body(leads.SetOfficeProjectsSchema, "project_ids")


OfficeRosterBody = _strict_body(leads.SetOfficeRosterSchema, "alternate_groups", "groups",
                                "reception_order", "phone_order", "recall_days", "day")


ReassignmentBody = _strict_body(leads.ReassignCustomerSchema, "consultant_id", "reason")


GradeBody = _strict_body(leads.GradeCustomerSchema, "grade", "note")


FollowUpBody = _strict_body(leads.FollowUpSchema, "kind", "content", "reaction",
                            "next_appointment")


HopelessBody = _strict_body(leads.MarkHopelessSchema, "kind", "analysis")


ProfileBody = _strict_body(leads.UpdateProfileSchema, "archive", "family")


CareRemindersDayQuery = _strict_body(leads.CareRemindersQuery, "day")


ConsultantCustomersDayQuery = _strict_body(leads.ConsultantCustomersQuery, "day")


class KnownCustomerBody(StrictSchema):
    mobile = leads.KnownCustomerQuery().fields["mobile"]
    purpose = ReadPurposeQuery().fields["purpose"]


CALL_CENTER = ("call_agent",) + MANAGERS


RecordCallBody = _strict_body(leads.RecordCallSchema, "connected", "outcome", "notes", "invite_at",
                              "office_id")


CallCenterDayBody = _strict_body(leads.CallCenterDayQuery, "day")


CallCenterMonthBody = _strict_body(leads.CallCenterMonthQuery, "month")


class SourceConversionBody(StrictSchema):
    office_id = fields.Integer(load_default=None, validate=validate.Range(min=1),
                               metadata={"description": "one office's call agents only"})


ExportQuery = _strict_body(leads.ExportSchema, "date_from", "date_to")


LEADS_ROUTES = (
    Route("POST", "/api/v1/offices", "Create a sales office", MANAGERS,
          leads.CreateOfficeSchema, leads.OfficeSchema, 201, handler="create_office"),
    Route("PUT", "/api/v1/offices/{office_id}/projects", "The projects an office sells: its "
          "sales manager acts on these projects' units, holds and deals", ("general_manager",
                                                                           "admin"),
          OfficeProjectsBody, leads.OfficeSchema, handler="set_office_projects"),
    Route("POST", "/api/v1/consultants", "Add a consultant to an office's rotation", MANAGERS,
          leads.AddConsultantSchema, leads.ConsultantSchema, 201, call="leads.add_consultant"),
    Route("PUT", "/api/v1/consultants/{consultant_id}/status",
          "Mark a consultant available, busy, absent or inactive", SALES, ConsultantStatusBody,
          leads.ConsultantSchema, handler="set_consultant_status"),
    Route("POST", "/api/v1/visits", "Register a visit (来访登记): dedupe and allocate; the "
          "rule and explanation of the allocation come back", SALES,
          leads.RegisterVisitSchema, leads.VisitResultSchema, 201, handler="register_visit"),
    Route("POST", "/api/v1/calls", "Register a call (来电登记): dedupe and allocate", SALES,
          leads.RegisterCallSchema, leads.VisitResultSchema, 201, handler="register_call"),
    Route("GET", "/api/v1/offices/{office_id}/known-customers", "Whether a full mobile number "
          "(?mobile=) is already a customer of the office, while a registration is typed: only "
          "the customer's code and consultant; a match is logged as a read of the customer",
          SALES, response=leads.KnownCustomerSchema, query=KnownCustomerBody,
          handler="known_customer"),
    Route("PUT", "/api/v1/offices/{office_id}/roster", "Duty groups on alternate days, the "
          "day's reception and phone answering orders, the call pool's recall interval",
          MANAGERS, OfficeRosterBody, leads.OfficeRosterSchema, handler="set_office_roster"),
    Route("POST", "/api/v1/customers/{customer_id}/reassignments", "A manager gives a customer "
          "to another consultant, with a reason", MANAGERS, ReassignmentBody,
          leads.VisitResultSchema, 201, handler="reassign_customer"),
    Route("POST", "/api/v1/call-lists", "Import a call list (CSV or XLSX body; columns 姓名/name, "
          "手机/mobile, 备注/notes) into the call pool, as a background job: 202 with the job "
          "(Location: its address); unusable columns, a wrong type or a file over the limits "
          "are refused at once", MANAGERS, response=ImportJobSchema, status=202,
          query=CallListQuery, handler="import_call_list"),
    Route("GET", "/api/v1/call-list-imports/{job_id}", "A call list's import job: status, rows "
          "done of rows_total, errors by line; its result when done (" + CALL_LIST_RESULT + ")",
          MANAGERS, response=ImportJobSchema, call="leads.get_call_list_import"),
    Route("GET", "/api/v1/customers/{customer_id}", "A customer (mobile masked unless yours); "
          "the read is logged", SALES, response=leads.CustomerSchema, query=ReadPurposeQuery,
          handler="get_customer"),
    Route("GET", "/api/v1/customers/{customer_id}/file", "The customer with grade history, "
          "follow-ups, non-deal analysis and profile (客户信息档案); the read is logged", SALES,
          response=leads.CustomerFileSchema, query=ReadPurposeQuery, handler="customer_file"),
    Route("PUT", "/api/v1/customers/{customer_id}/grade", "Grade a customer A–D (晋级 kept "
          "with who and when); consultants only their own", SALES, GradeBody,
          leads.CustomerFileSchema, handler="grade_customer"),
    Route("POST", "/api/v1/customers/{customer_id}/follow-ups", "Log a follow-up (visit, call, "
          "SMS) on one of your own customers", SALES, FollowUpBody, leads.FollowUpRecordSchema,
          201, handler="record_follow_up"),
    Route("POST", "/api/v1/customers/{customer_id}/hopeless", "Give up a customer as hopeless "
          "(无望, one of the seed's four kinds) with the non-deal analysis", SALES, HopelessBody,
          leads.CustomerFileSchema, 201, handler="mark_hopeless"),
    Route("GET", "/api/v1/offices/{office_id}/hopeless-customers", "Hopeless customers waiting "
          "for the manager to reassign them", MANAGERS, response=leads.HopelessListSchema,
          handler="hopeless_customers"),
    Route("POST", "/api/v1/customers/{customer_id}/hopeless-reassignments", "Reassign a "
          "hopeless customer; the previous consultant loses any share in a later deal",
          MANAGERS, ReassignmentBody, leads.VisitResultSchema, 201, handler="reassign_hopeless"),
    Route("PUT", "/api/v1/customers/{customer_id}/profile", "Fill in the customer profile "
          "(客户信息档案) and the family with birthdays", SALES, ProfileBody,
          leads.CustomerFileSchema, handler="update_profile"),
    Route("GET", "/api/v1/consultants/{consultant_id}/care-reminders", "The day's birthday and "
          "holiday greetings for a consultant's closed customers", SALES,
          response=leads.CareRemindersSchema, query=CareRemindersDayQuery,
          handler="care_reminders"),
    Route("GET", "/api/v1/consultants/{consultant_id}/customers", "A consultant's customers "
          "(我的客户) with grades and the appointment of their latest follow-up, those due on "
          "the day (?day=, today by default) first; no contact details", SALES,
          response=leads.ConsultantCustomersSchema, query=ConsultantCustomersDayQuery,
          handler="consultant_customers"),
    Route("POST", "/api/v1/call-pool/distributions", "Hand numbers from the call pool to call "
          "agents (never one number to two agents)", MANAGERS, leads.DistributeCallPoolSchema,
          leads.DistributionSchema, 201, call="leads.distribute_call_pool"),
    Route("GET", "/api/v1/call-agents/{agent_id}/leads", "The numbers an agent has to call",
          CALL_CENTER, response=leads.CallLeadListSchema, handler="agent_leads"),
    Route("POST", "/api/v1/call-leads/{call_lead_id}/calls", "Record a call: connected, "
          "outcome A–D (seed 003), an invitation to visit", ("call_agent",), RecordCallBody,
          leads.CallRecordedSchema, 201, handler="record_call"),
    Route("POST", "/api/v1/invitations/{invitation_id}/confirmation", "The consultant who "
          "received the invited visitor confirms the visit (only then it counts)",
          ("consultant",), response=leads.InvitationSchema, status=201,
          handler="confirm_invitation"),
    Route("GET", "/api/v1/offices/{office_id}/call-center/day", "Per agent for a day: dialed, "
          "connected, A/B/C/D, invitations, confirmed visits, deals", CALL_CENTER,
          response=leads.CallCenterDaySchema, query=CallCenterDayBody, handler="call_center_day"),
    Route("GET", "/api/v1/call-center/sources", "Conversion per call-list source: call → "
          "visit → deal (a sales manager's own office; others may name one)", MANAGERS,
          response=leads.SourceConversionListSchema, query=SourceConversionBody,
          call="leads.call_source_conversion"),
    Route("GET", "/api/v1/offices/{office_id}/call-center/ranking", "The agents' monthly "
          "ranking by confirmed visits, then deals", CALL_CENTER,
          response=leads.MonthlyRankingSchema, query=CallCenterMonthBody,
          handler="call_center_ranking"),
    Route("GET", "/api/v1/offices/{office_id}/exports/visit-register", "XLSX of the visit "
          "register (来访客户登记表); consultants get their own customers; logged", SALES,
          query=ExportQuery, media_type=XLSX, handler="export_visit_register"),
    Route("GET", "/api/v1/offices/{office_id}/exports/call-register", "XLSX of the call "
          "register (来电客户登记表); consultants get their own customers; logged", SALES,
          query=ExportQuery, media_type=XLSX, handler="export_call_register"),
    Route("GET", "/api/v1/offices/{office_id}/exports/grade-tracking", "XLSX of the manager's "
          "grade-tracking sheet (客户等级分配跟踪表); logged", MANAGERS, query=ExportQuery,
          media_type=XLSX, handler="export_grade_tracking"),
    Route("GET", "/api/v1/offices/{office_id}/exports", "Who exported what, when, how many "
          "rows", MANAGERS, response=leads.ExportLogSchema, call="leads.export_log"),
)


HoldApprovalBody = _strict_body(inventory.ApproveHoldSchema, "approve", "comment")


HoldExtensionBody = _strict_body(inventory.ExtendHoldSchema, "days", "reason")


HoldReleaseBody = _strict_body(inventory.ReleaseHoldSchema, "reason")


HoldsQuery = _strict_body(inventory.ListHoldsSchema, "status", "expiring_within_hours",
                          "limit")


class HoldUnitBody(StrictSchema):
    unit_id = inventory.HoldUnitSchema().fields["unit_id"]
    customer_id = inventory.HoldUnitSchema().fields["customer_id"]
    customer_name = inventory.HoldUnitSchema().fields["customer_name"]
    consultant_id = Id(metadata={"description": "defaults to the calling consultant"})


class WaitlistBody(StrictSchema):
    customer_id = inventory.JoinWaitlistSchema().fields["customer_id"]
    consultant_id = Id(metadata={"description": "defaults to the calling consultant"})


PriceListBody = _strict_body(inventory.CreatePriceListSchema, "effective_from", "note", "prices")


UnitPriceQuery = _strict_body(inventory.GetUnitPriceSchema, "at")


class NewRoomBody(inventory.AddUnitSchema):
    """A room's fields but those the gateway fills in (project, who)."""
    class Meta:
        exclude = ("project_id", "created_by")


class GenerateBuildingBody(inventory.GenerateBuildingSchema):
    """The generation's fields but those the gateway fills in (project, who)."""
    class Meta:
        exclude = ("project_id", "created_by")


BoardQuery = _strict_body(inventory.GetBoardSchema, "building", "rooms")


ChannelProjectsBody = _strict_body(inventory.SetChannelProjectsSchema, "project_ids")


class WeeklyPlanBody(StrictSchema):
    weeks = inventory.SetWeeklyPlanSchema().fields["weeks"]
    one_plan_per_week = inventory.SetWeeklyPlanSchema.one_plan_per_week


INVENTORY_ROUTES = (
    Route("POST", "/api/v1/projects", "Create a project with its buildings and units", MANAGERS,
          inventory.CreateProjectSchema, inventory.ProjectSchema, 201, handler="create_project"),
    Route("GET", "/api/v1/projects/{project_id}/board", "The sales-control board (销控表) of "
          "a project, or of one building (?building=)", SALES + ("finance",),
          response=inventory.BoardSchema, query=BoardQuery, handler="get_board"),
    Route("GET", "/api/v1/projects/{project_id}/board.xlsx", "The sales-control board as an "
          "XLSX workbook (?building=)", SALES + ("finance",), query=BoardQuery,
          media_type=XLSX, handler="get_board_xlsx"),
    Route("GET", "/api/v1/units/{unit_id}", "A unit and its current status",
          SALES + ("finance",), response=inventory.UnitSchema, handler="get_unit"),
    Route("GET", "/api/v1/units/{unit_id}/history", "Every status change of a unit: from, to, "
          "who, when, why and the event", SALES + ("finance",),
          response=inventory.UnitHistorySchema, handler="get_unit_history"),
    Route("POST", "/api/v1/projects/{project_id}/units", "Add one room to a building, with its "
          "areas, attributes and prices", MANAGERS, NewRoomBody, inventory.UnitSchema, 201,
          call="inventory.add_unit", by="created_by", channel=True),
    Route("POST", "/api/v1/projects/{project_id}/buildings", "Generate a building (号楼): "
          "floors × rooms per floor in each entrance (单元)", MANAGERS, GenerateBuildingBody,
          inventory.GeneratedBuildingSchema, 201,
          call="inventory.generate_building", by="created_by", channel=True),
    Route("POST", "/api/v1/projects/{project_id}/units/import", "Import rooms with areas and "
          "prices (CSV or XLSX body; columns 号楼, 单元, 房号, 楼层, 建筑面积, 花园面积, 其他面积, "
          "户型, 物业类型, 朝向, 单价, 总价, 底价) as a background job: 202 with the job "
          "(Location: its address); unusable columns, a wrong type or a file over the limits "
          "are refused at once", MANAGERS, response=ImportJobSchema, status=202,
          query=UnitImportQuery, handler="import_units"),
    Route("GET", "/api/v1/projects/{project_id}/unit-imports/{job_id}", "A table of rooms' "
          "import job: status, rows done of rows_total, errors by line (the good rows land); "
          "its result when done (" + UNIT_IMPORT_RESULT + ")", MANAGERS,
          response=ImportJobSchema, call="inventory.get_unit_import", channel=True),
    Route("POST", "/api/v1/projects/{project_id}/price-lists", "A new price-list version "
          "(价目表): unit, total and floor prices (底价) from a time on", MANAGERS,
          PriceListBody, inventory.PriceListSchema, 201,
          call="inventory.create_price_list", by="created_by", channel=True),
    Route("GET", "/api/v1/projects/{project_id}/price-lists", "Every price-list version of a "
          "project", SALES + ("finance",), response=inventory.PriceListsSchema,
          call="inventory.list_price_lists", channel=True),
    Route("GET", "/api/v1/projects/{project_id}/price-lists/{version}", "One price-list "
          "version with its prices", SALES + ("finance",), response=inventory.PriceListSchema,
          call="inventory.get_price_list", channel=True),
    Route("GET", "/api/v1/units/{unit_id}/price", "A unit's price at a moment (?at=, now by "
          "default)", SALES + ("finance",), response=inventory.UnitPriceSchema,
          query=UnitPriceQuery, handler="get_unit_price"),
    Route("POST", "/api/v1/channels", "Create a sales channel (own team or agency) and the "
          "projects it sells", MANAGERS, inventory.CreateChannelSchema, inventory.ChannelSchema,
          201, handler="create_channel"),
    Route("GET", "/api/v1/channels/{channel_id}", "A sales channel and its projects", MANAGERS,
          response=inventory.ChannelSchema, handler="get_channel"),
    Route("PUT", "/api/v1/channels/{channel_id}/projects", "The projects a channel sells",
          MANAGERS, ChannelProjectsBody, inventory.ChannelSchema, handler="set_channel_projects"),
    Route("PUT", "/api/v1/projects/{project_id}/progress/{year}/{quarter}/plan", "Set the "
          "weekly plan (units, sales amount) of a quarter", MANAGERS, WeeklyPlanBody,
          inventory.QuarterlyProgressSchema,
          call="inventory.set_weekly_plan", by="set_by", channel=True),
    Route("GET", "/api/v1/projects/{project_id}/progress/{year}/{quarter}", "The quarterly "
          "progress table (季度全案进度掌控表): plan and actual per week, cumulated, completion",
          SALES + ("finance",), response=inventory.QuarterlyProgressSchema,
          call="inventory.get_quarterly_progress", channel=True),
    Route("POST", "/api/v1/holds", "Hold a unit for a customer (预留)", SALES,
          HoldUnitBody, inventory.UnitSchema, 201, idempotent=True, handler="hold_unit"),
    Route("GET", "/api/v1/holds", "Open holds (pending approval or active) in the user's "
          "projects, a consultant's own only, soonest to expire first", SALES,
          response=inventory.HoldListSchema, query=HoldsQuery,
          call="inventory.list_holds", channel=True),
    Route("GET", "/api/v1/holds/{hold_id}", "A hold and where it stands", SALES,
          response=inventory.HoldSchema, handler="get_hold"),
    Route("POST", "/api/v1/holds/{hold_id}/approval", "Approve or reject a pending hold "
          "(营销经理批准)", MANAGERS, HoldApprovalBody, inventory.HoldSchema, handler="approve_hold"),
    Route("POST", "/api/v1/holds/{hold_id}/extension", "Extend a hold; a manager's act, refused "
          "while consultants wait for the unit", MANAGERS, HoldExtensionBody,
          inventory.HoldSchema, handler="extend_hold"),
    Route("POST", "/api/v1/holds/{hold_id}/release", "Give a held unit back (the holding "
          "consultant or a manager)", SALES, HoldReleaseBody, inventory.HoldSchema,
          handler="release_hold"),
    Route("POST", "/api/v1/units/{unit_id}/waitlist", "Wait for a held unit (等待记录); the first "
          "waiting gets the unit when the hold ends", SALES, WaitlistBody,
          inventory.WaitlistEntrySchema, 201, handler="join_waitlist"),
    Route("POST", "/api/v1/waitlist/{entry_id}/withdrawal", "Leave a unit's waitlist, or pass "
          "on an offer", SALES, response=inventory.WaitlistEntrySchema,
          handler="withdraw_from_waitlist"),
)


SignOrderFormBody = _strict_body(transactions.SignOrderFormSchema, "party", "name")
VoidOrderFormBody = _strict_body(transactions.VoidOrderFormSchema, "reason", "requested_by",
                                 "customer_name", "customer_id_number", "building_area",
                                 "due_date")
ForfeitureBody = _strict_body(transactions.ForfeitDepositSchema, "reason")
PaymentBody = _strict_body(transactions.RecordPaymentSchema, "amount", "purpose", "channel")
SubscriptionBody = _strict_body(transactions.SignSubscriptionSchema, "buyer_name",
                                "buyer_id_number", "signed_by", "power_of_attorney",
                                "power_of_attorney_notarized", "total_price")
ContractBody = _strict_body(transactions.SignContractSchema, "buyer_name", "buyer_id_number",
                            "signed_by", "power_of_attorney", "power_of_attorney_notarized",
                            "payment_method", "mortgage_documents_due")
FilingBody = _strict_body(transactions.FileContractSchema, "filing_number")
ApplicationBody = _strict_body(
    transactions.FileApplicationSchema, "kind", "reason", "to_unit_id", "to_building_area",
    "penalty", "refund_amount", "new_buyer_name", "new_buyer_id_number",
    "discounted_total_price", "requirements", "construction_number")
WaitingApplicationsQuery = _strict_body(transactions.WaitingApplicationsQuery, "limit")
DecisionBody = _strict_body(transactions.DecideApplicationSchema, "decision", "comment")
RefundPaymentBody = _strict_body(transactions.PayRefundSchema, "bank_reference")
# everyone who may decide a step of some chain; the service checks the step's own role
APPROVERS = ("consultant", "sales_statistician", "sales_manager", "general_manager", "finance",
             "engineering", "cost_review")
ApprovalChainsBody = _strict_body(transactions.SetApprovalChainsSchema, "chains")
BankReceiptBody = _strict_body(transactions.ConfirmBankReceiptSchema, "bank_reference",
                               "project_id", "receipt_number", "amount", "received_on", "bank")


ReconciliationPeriod = _strict_body(transactions.ReconciliationQuery, "start", "end")


CollectionBody = _strict_body(transactions.RecordCollectionSchema, "seq", "action", "note")
PaymentPlanBody = _strict_body(transactions.SetPaymentPlanSchema, "items", "mortgage")
MortgageDocumentBody = _strict_body(transactions.MortgageDocumentInput, "name", "handed_in_on")

DEALS = SALES + ("finance",)


class DepositBody(transactions.TakeDepositSchema):
    """A deposit as a client sends it: the project is the unit's, read from inventory; the
    idempotency key comes in its header."""
    project_id = Id(load_default=None, allow_none=True, metadata={
        "description": "optional; the unit's project (inventory's) is taken, a different one "
                       "is refused (400 naming project_id)"})

    class Meta:
        exclude = ("idempotency_key",)

TRANSACTIONS_ROUTES = (
    Route("POST", "/api/v1/deposits", "Take a deposit (定金) for a unit: more than 0 and not "
          "above the stated total price, or the unit's current price when none is stated (404 "
          "for no such unit). A consultant sees and acts only on their own deposits, order forms, "
          "documents, plans and applications (403 naming the id)", DEALS,
          DepositBody, transactions.DepositSchema, 201, idempotent=True, handler="take_deposit"),
    Route("GET", "/api/v1/deposits/{deposit_id}", "A deposit and where its saga stands",
          DEALS, response=transactions.DepositSchema, handler="get_deposit"),
    Route("GET", "/api/v1/deposits/{deposit_id}/order-form", "The order form (定单) made when "
          "the deposit was confirmed; the read is logged", DEALS,
          response=transactions.OrderFormSchema, query=ReadPurposeQuery,
          handler="get_deposit_order_form"),
    Route("GET", "/api/v1/order-forms/{order_form_id}", "An order form with its payments' "
          "receipts; the read is logged", DEALS, response=transactions.OrderFormSchema,
          query=ReadPurposeQuery, handler="get_order_form"),
    Route("POST", "/api/v1/order-forms/{order_form_id}/signatures", "Record a signature: "
          "customer, consultant or (a manager) the manager", SALES, SignOrderFormBody,
          transactions.OrderFormSchema, handler="sign_order_form"),
    Route("POST", "/api/v1/order-forms/{order_form_id}/void", "Void an order form (作废) with a "
          "reason, the calling manager approving; a corrected form replaces it (answered) and "
          "takes its payments with new receipts; nothing is deleted", MANAGERS,
          VoidOrderFormBody, transactions.OrderFormSchema, handler="void_order_form"),
    Route("POST", "/api/v1/order-forms/{order_form_id}/forfeiture", "Declare the deposit "
          "forfeited (挞定) once the agreed date passed unsigned; the calling manager decides; "
          "the unit is released", MANAGERS, ForfeitureBody, transactions.OrderFormSchema,
          handler="forfeit_deposit"),
    Route("POST", "/api/v1/order-forms/{order_form_id}/payments", "Record a payment and issue "
          "its receipt (numbered per project without gaps)", DEALS, PaymentBody,
          transactions.PaymentSchema, 201, idempotent=True, handler="record_payment"),
    Route("POST", "/api/v1/order-forms/{order_form_id}/subscription", "Sign the subscription "
          "(认购书) at the pinned price; buyer identity checked, a proxy only with a power of "
          "attorney", SALES, SubscriptionBody, transactions.SubscriptionSchema, 201,
          handler="sign_subscription"),
    Route("GET", "/api/v1/subscriptions/{subscription_id}", "A subscription", DEALS,
          response=transactions.SubscriptionSchema, handler="get_subscription"),
    Route("POST", "/api/v1/subscriptions/{subscription_id}/contract", "Sign the sales contract "
          "(商品房买卖合同); the deposit receipt is exchanged for a purchase receipt", SALES,
          ContractBody, transactions.ContractSchema, 201, handler="sign_contract"),
    Route("GET", "/api/v1/contracts/{contract_id}", "A contract; the read is logged", DEALS,
          response=transactions.ContractSchema, query=ReadPurposeQuery, handler="get_contract"),
    Route("POST", "/api/v1/contracts/{contract_id}/filing", "Record the filing (备案) with its "
          "number: the sale is final", MANAGERS + ("legal",), FilingBody,
          transactions.ContractSchema, handler="file_contract"),
    Route("PUT", "/api/v1/contracts/{contract_id}/payment-plan", "Set the payment plan (due "
          "dates; a loan plan names the bank and terms); the deposit covers the first items",
          DEALS, PaymentPlanBody, transactions.PaymentPlanSchema, handler="set_payment_plan"),
    Route("GET", "/api/v1/contracts/{contract_id}/payment-plan", "The plan: paid, outstanding "
          "and overdue per item; the mortgage with its repayments and documents", DEALS,
          response=transactions.PaymentPlanSchema, handler="get_payment_plan"),
    Route("POST", "/api/v1/contracts/{contract_id}/mortgage-documents", "Record a mortgage "
          "document handed in (late when after the contract's deadline)", DEALS,
          MortgageDocumentBody, transactions.PaymentPlanSchema, 201,
          handler="record_mortgage_document"),
    Route("POST", "/api/v1/order-forms/{order_form_id}/applications", "File an application: "
          "swap 换房, refund 退房, rename 更名, discount 特惠 or layout change 户型结构变更",
          SALES, ApplicationBody, transactions.ApplicationSchema, 201, idempotent=True,
          handler="file_application"),
    Route("GET", "/api/v1/applications/waiting", "Applications whose next step is the "
          "user's role, in their projects, oldest first (the approvals inbox)",
          APPROVERS + ("admin",), response=transactions.ApplicationListSchema,
          query=WaitingApplicationsQuery, call="transactions.applications_waiting"),
    Route("GET", "/api/v1/applications/{application_id}", "An application, its chain and the "
          "steps decided", APPROVERS + ("admin",), response=transactions.ApplicationSchema,
          handler="get_application"),
    Route("POST", "/api/v1/applications/{application_id}/decisions", "Approve or reject the "
          "next step, in the caller's role (403 wrong role, 409 out of order)", APPROVERS,
          DecisionBody, transactions.ApplicationSchema, handler="decide_application"),
    Route("POST", "/api/v1/applications/{application_id}/refund-payment", "Finance pays an "
          "approved refund out: the order form and its receipts are voided", ("finance",),
          RefundPaymentBody, transactions.ApplicationSchema, idempotent=True,
          handler="pay_refund"),
    Route("GET", "/api/v1/projects/{project_id}/approval-chains", "The project's approval "
          "chain for each kind of application: the seed's form (第3篇) unless the project set a "
          "shorter one", MANAGERS + ("finance",), response=transactions.ApprovalChainsSchema,
          call="transactions.get_approval_chains"),
    Route("PUT", "/api/v1/projects/{project_id}/approval-chains", "Shorten the project's "
          "approval chains (leave steps out of the seed's, never add or reorder); null or [] "
          "for a kind restores the seed's. Applications keep the chain they were filed under",
          ("general_manager", "admin"), ApprovalChainsBody, transactions.ApprovalChainsSchema,
          handler="set_approval_chains"),
    Route("POST", "/api/v1/finance/bank-receipts", "The finance system confirms a bank receipt; "
          "idempotent by the bank's reference (the same request twice: the same answer, counted "
          "once; another payload under that reference: 409)", ("finance", "admin"),
          BankReceiptBody, transactions.BankConfirmationSchema, idempotent=True,
          handler="confirm_bank_receipt"),
    Route("GET", "/api/v1/projects/{project_id}/reconciliation", "Weekly reconciliation (收据"
          "核对): receipts issued against confirmed, per week and cumulative, with the "
          "differences", ("finance",) + MANAGERS, response=transactions.ReconciliationSchema,
          query=ReconciliationPeriod, handler="get_reconciliation"),
    Route("GET", "/api/v1/projects/{project_id}/reconciliation.xlsx", "The weekly "
          "reconciliation as an XLSX workbook (sheets weeks and differences)",
          ("finance",) + MANAGERS, query=ReconciliationPeriod, media_type=XLSX,
          handler="get_reconciliation_xlsx"),
    Route("GET", "/api/v1/deposits/unanswered", "Deposits inventory has not answered in time "
          "(the saga's timeout): still pending, to be checked", MANAGERS + ("finance",),
          response=transactions.DepositListSchema, call="transactions.list_unanswered_deposits"),
    Route("GET", "/api/v1/deals", "Deals (成交) newest first: each deposit with its order form, "
          "subscription, contract, payment plan and what is overdue, in the caller's projects "
          "(?project_id= for one); a consultant sees their own", DEALS,
          response=transactions.DealListSchema, query=transactions.DealsQuery,
          handler="list_deals"),
    Route("GET", "/api/v1/collections", "Overdue amounts buyers owe (催款), per consultant; a "
          "consultant sees their own", DEALS, response=transactions.OverdueSchema,
          query=transactions.CollectionsQuery, handler="list_overdue"),
    Route("POST", "/api/v1/contracts/{contract_id}/collections", "Record a collection step on "
          "an overdue item: contact, or escalate consultant → sales manager → finance",
          ("consultant", "sales_manager", "finance"), CollectionBody,
          transactions.CollectionCaseSchema, handler="record_collection"),
    Route("GET", "/api/v1/deposits/{deposit_id}/deal-report", "The deal report (成交报告) of "
          "a deposit", DEALS, response=transactions.DealReportSchema, handler="get_deal_report"),
    Route("GET", "/api/v1/projects/{project_id}/deal-reports", "Every deal report of a project",
          MANAGERS + ("finance",), response=transactions.DealReportListSchema,
          handler="list_deal_reports"),
    Route("GET", "/api/v1/projects/{project_id}/deal-reports.xlsx", "Every deal report of a "
          "project as an XLSX workbook: the seed's form (客户成交报告) a row a deal, \"/\" for "
          "an empty box", MANAGERS + ("finance",), media_type=XLSX,
          handler="get_deal_reports_xlsx"),
    Route("GET", "/api/v1/repayments", "Monthly repayments of a loan (等额本息 or 等额本金)",
          DEALS, response=transactions.RepaymentSchema, query=transactions.RepaymentQuery,
          handler="calculate_repayment"),
)


# ---- complaints and repairs (客户投诉 第4篇, 售后维修) -----------------------------------
# The handling department a complaint is routed to is answered by the gateway role of the same
# name (engineering 工程部, sales_manager 销售部, finance 财务部, legal 法务部, customer_service
# 客服部); the administration (行政人事部) routes; the service checks each step's role again.
FILERS = ("customer_service", "admin")
ROUTERS = ("administration", "admin")
DEPARTMENT_ROLES = tuple(complaints.DEPARTMENTS) + ("admin",)
REVIEWERS = ("general_manager", "admin")
COMPLAINT_READERS = ("customer_service", "administration", "general_manager", "admin",
                     "consultant") + tuple(complaints.DEPARTMENTS)
STATISTICS_READERS = ("customer_service", "administration", "general_manager", "admin")
REPAIR_DESK = ("customer_service", "engineering", "admin")
REPAIR_READERS = REPAIR_DESK + ("general_manager", "administration")

C = complaints
FileComplaintBody = _strict_body(C.FileComplaintSchema, "complainant_name", "contact", "channel",
                                 "content", "request", "request_detail", "customer_id",
                                 "unit_id", "project_id")
AcceptBody = _strict_body(C.AcceptComplaintSchema, "category", "note")
RejectBody = _strict_body(C.RejectComplaintSchema, "reason")
RouteBody = _strict_body(C.RouteComplaintSchema, "department", "note")
NoteBody = _strict_body(C.NoteSchema, "note")
InvestigationBody = _strict_body(C.InvestigationReportSchema, "cause", "course",
                                 "responsible_party", "conclusion", "countermeasures")
OpinionBody = _strict_body(C.OpinionSchema, "opinion")
ReplyBody = _strict_body(C.ReplyComplaintSchema, "form", "content")
AccountabilityBody = _strict_body(C.AccountabilitySchema, "responsible_department",
                                  "responsible_person", "sanction")
VisitBody = _strict_body(C.VisitSchema, "satisfaction", "note")
ReopenBody = _strict_body(C.ReopenSchema, "reason")
ComplaintListQuery = _strict_body(C.ListComplaintsSchema, "status", "project_id", "limit")
ClockPolicyBody = _strict_body(C.ClockPolicySchema, "clock", "hours", "basis", "on_reopen",
                               "ladder_hours")
CalendarEntryBody = _strict_body(C.CalendarEntrySchema, "day", "kind")
MonthBody = _strict_body(C.MonthQuery, "month", "project_id")
ContractorBody = _strict_body(C.RegisterContractorSchema, "name", "trade", "contact_person",
                              "phone", "warranty_deposit")
EvaluationBody = _strict_body(C.EvaluateContractorSchema, "period", "quality", "timeliness",
                              "attitude", "comment")
RepairBody = _strict_body(C.OrderRepairSchema, "unit_id", "project_id", "customer_id",
                          "complaint_id", "contractor_id", "description", "estimated_amount",
                          "urgency")
CompletionBody = _strict_body(C.CompleteRepairSchema, "actual_cost", "note")
SignatureBody = _strict_body(C.SignRepairSchema, "signer", "name")
RepairVisitBody = _strict_body(C.RepairVisitSchema, "satisfaction", "note")

# (path suffix, RPC, summary, roles, body): each a POST on /api/v1/complaints/{complaint_id}/…
COMPLAINT_STEPS = (
    ("acceptance", "accept_complaint",
     "Accept the complaint within the valid scope (第三条)", FILERS, AcceptBody),
    ("rejection", "reject_complaint",
     "Reject the complaint with a reason (第七条)", FILERS, RejectBody),
    ("routing", "route_complaint",
     "Assign the handling department (第六、九条)", ROUTERS, RouteBody),
    ("waiting", "await_customer",
     "Wait for the customer (pauses the closure clock)", DEPARTMENT_ROLES, NoteBody),
    ("resumption", "resume_complaint",
     "Resume after waiting for the customer", DEPARTMENT_ROLES, NoteBody),
    ("investigation-report", "report_investigation",
     "File the investigation report (投诉调查报告, 第十七条)", DEPARTMENT_ROLES, InvestigationBody),
    ("review", "review_complaint",
     "The general manager's review (第十二条)", REVIEWERS, OpinionBody),
    ("resolution", "resolve_complaint",
     "The handling department's resolution (第十三条)", DEPARTMENT_ROLES, OpinionBody),
    ("reply", "reply_complaint",
     "Reply to the customer, written or oral (第十四条)", FILERS, ReplyBody),
    ("closure", "close_complaint", "Close the complaint", FILERS, None),
    ("accountability", "record_accountability",
     "Responsible party and sanction (第十九–二十四条)", ROUTERS, AccountabilityBody),
    ("visit", "visit_complaint",
     "The follow-up visit (回访) with the customer's satisfaction", FILERS, VisitBody),
    ("reopening", "reopen_complaint",
     "Reopen for a customer who is not satisfied", FILERS, ReopenBody),
)
# (path suffix, RPC, summary, body): each a POST on /api/v1/repairs/{repair_id}/…
REPAIR_STEPS = (
    ("arrival", "record_arrival", "The contractor is on site", None),
    ("self-repair", "start_self_repair", "Repair it ourselves: at once for an emergency, "
     "otherwise once the contractor missed its on-site time (200 % from its warranty deposit)",
     None),
    ("completion", "complete_repair", "The repair is done, at its actual cost", CompletionBody),
    ("signatures", "sign_repair", "Sign the repair sheet (维修单签认: repair dept, owner, "
     "supervisor, project dept)", SignatureBody),
    ("visit", "visit_repair", "The repair follow-up visit", RepairVisitBody),
)

COMPLAINTS_ROUTES = (
    Route("POST", "/api/v1/complaints", "File a complaint (客户投诉记录卡)", FILERS,
          FileComplaintBody, C.ComplaintSchema, 201, handler="file_complaint"),
    Route("GET", "/api/v1/complaints", "Complaints the caller may see", COMPLAINT_READERS,
          response=C.ComplaintListSchema, query=ComplaintListQuery,
          call="complaints.list_complaints"),
    Route("GET", "/api/v1/complaints/{complaint_id}", "A complaint with its history, reports, "
          "clocks and breaches", COMPLAINT_READERS, response=C.ComplaintSchema,
          call="complaints.get_complaint"),
    Route("GET", "/api/v1/complaints/{complaint_id}/record-card.xlsx", "The record card as "
          "XLSX", FILERS + ROUTERS + REVIEWERS, media_type=XLSX, handler="get_record_card_xlsx"),
    Route("GET", "/api/v1/complaints/{complaint_id}/investigation-report.xlsx", "The "
          "investigation report as XLSX", FILERS + ROUTERS + REVIEWERS, media_type=XLSX,
          handler="get_investigation_report_xlsx"),
    *(Route("POST", f"/api/v1/complaints/{{complaint_id}}/{suffix}", summary, roles, body,
            C.ComplaintSchema, call=f"complaints.{rpc}")
      for suffix, rpc, summary, roles, body in COMPLAINT_STEPS),
    Route("POST", "/api/v1/projects/{project_id}/clock-policies", "Set a project's clock "
          "(budget, calendar or working time, reopen rule, escalation hours)", REVIEWERS,
          ClockPolicyBody, C.ClockPolicyViewSchema, 201, call="complaints.set_clock_policy"),
    Route("POST", "/api/v1/projects/{project_id}/calendar-entries", "A project's extra day off "
          "or working day", ROUTERS + REVIEWERS, CalendarEntryBody, C.CalendarEntryViewSchema,
          201, call="complaints.set_calendar_entry"),
    Route("GET", "/api/v1/complaint-statistics", "投诉统计表: the month's complaints and repairs",
          STATISTICS_READERS, response=C.MonthlyStatisticsSchema, query=MonthBody,
          call="complaints.monthly_statistics"),
    Route("GET", "/api/v1/complaint-statistics.xlsx", "投诉统计表 as XLSX", STATISTICS_READERS,
          query=MonthBody, media_type=XLSX, handler="complaint_statistics_xlsx"),
    Route("GET", "/api/v1/complaint-accountability", "The month's sanctions, for HR (第十九条)",
          STATISTICS_READERS, response=C.AccountabilityListSchema, query=MonthBody,
          call="complaints.accountability_list"),
    Route("POST", "/api/v1/contractors", "List a contractor with its warranty deposit "
          "(维修商一览表)", REPAIR_DESK, ContractorBody, C.ContractorSchema, 201,
          call="complaints.register_contractor"),
    Route("GET", "/api/v1/contractors", "The contractors, their deposits and scores",
          REPAIR_READERS, response=C.ContractorListSchema, call="complaints.list_contractors"),
    Route("POST", "/api/v1/contractors/{contractor_id}/evaluations", "Evaluate a contractor "
          "(维修商评估表)", REPAIR_DESK, EvaluationBody, C.EvaluationSchema, 201,
          call="complaints.evaluate_contractor"),
    Route("POST", "/api/v1/repairs", "Order a repair on the contractor responsible", REPAIR_DESK,
          RepairBody, C.RepairSchema, 201, handler="order_repair"),
    Route("GET", "/api/v1/repairs/{repair_id}", "A repair order with its clocks",
          REPAIR_READERS, response=C.RepairSchema, call="complaints.get_repair"),
    *(Route("POST", f"/api/v1/repairs/{{repair_id}}/{suffix}", summary, REPAIR_DESK, body,
            C.RepairSchema, call=f"complaints.{rpc}")
      for suffix, rpc, summary, body in REPAIR_STEPS),
    Route("GET", "/api/v1/repair-register.xlsx", "维修情况登记表 of a month as XLSX",
          STATISTICS_READERS + ("engineering",), query=MonthBody, media_type=XLSX,
          handler="repair_register_xlsx"),
)


ARCHIVE_STAFF = ("archivist", "general_manager", "admin")


def _body(schema, *exclude):
    """An archive RPC schema without the fields the gateway fills in (path, caller)."""
    return type(f"{schema.__name__.removesuffix('Schema')}Body", (schema,),
                {"Meta": type("Meta", (), {"exclude": ("actor",) + exclude})})


class ReadQuery(DossierQuery):
    external_request_id = fields.Integer(load_default=None, validate=validate.Range(min=1),
                                         metadata={"description": "an outside body's approved "
                                                                  "request (公检法)"})


class PurposeQuery(DossierQuery):
    """Why the dossier is exported; kept in the access log."""


class UploadQuery(StrictSchema):
    """A file's classification, in the query string: the body is the file itself."""
    kind = archive.FileDocumentSchema().fields["kind"]
    title = archive.FileDocumentSchema().fields["title"]
    category = archive.FileDocumentSchema().fields["category"]
    group = archive.FileDocumentSchema().fields["group"]
    carrier = archive.FileDocumentSchema().fields["carrier"]
    security_level = archive.FileDocumentSchema().fields["security_level"]
    level_agreed_with = archive.FileDocumentSchema().fields["level_agreed_with"]
    retention = archive.FileDocumentSchema().fields["retention"]
    storage_location = archive.FileDocumentSchema().fields["storage_location"]
    department = archive.FileDocumentSchema().fields["department"]
    file_name = fields.String(validate=validate.Length(max=200))
    corrects_id = fields.Integer(validate=validate.Range(min=1))
    correction_reason = archive.FileDocumentSchema().fields["correction_reason"]


class ProjectLoansQuery(StrictSchema):
    project_id = fields.Integer(load_default=None, validate=validate.Range(min=1))
    today = fields.Date(load_default=None)


LoanRegisterQuery = _strict_body(archive.LoanRegisterQuery, "status", "limit", "today")


class DepartmentQuery(StrictSchema):
    department = archive.OverdueQuery().fields["department"]
    today = fields.Date(load_default=None)


class TodayQuery(StrictSchema):
    today = fields.Date(load_default=None)


class YearQuery(StrictSchema):
    year = fields.Integer(required=True, validate=validate.Range(min=2000, max=2100))


ARCHIVE_ROUTES = (
    Route("GET", "/api/v1/units/{unit_id}/dossier", "The unit's dossier (一户一档) with the "
          "buyer's earlier file and the references; the read is logged with its purpose "
          "before anything is returned (400 without one)", DOSSIER_READERS,
          response=archive.DossierSchema, query=ReadQuery, handler="read_unit_dossier"),
    Route("GET", "/api/v1/dossiers/{dossier_id}", "A dossier of any kind; logged like the "
          "unit's", DOSSIER_READERS, response=archive.DossierSchema, query=ReadQuery,
          call="archive.read_dossier"),
    Route("POST", "/api/v1/dossiers", "Open a topic dossier (一事一档), a litigation case file "
          "or a project's documents, cross-referenced to the dossiers it concerns",
          ARCHIVE_STAFF + ("legal", "customer_service"), _body(archive.OpenDossierSchema),
          archive.DossierSummarySchema, 201, call="archive.open_dossier"),
    Route("POST", "/api/v1/units/{unit_id}/dossier/number", "Number a unit's dossier by the "
          "unit's own name 苑-栋-单元-房号 (once; opens the dossier if needed)", ARCHIVE_STAFF,
          _body(archive.NumberUnitDossierSchema, "unit_id"), archive.DossierSummarySchema,
          201, call="archive.number_unit_dossier"),
    Route("POST", "/api/v1/dossiers/{dossier_id}/documents", "File a document (a paper "
          "with its storage location, or a correction naming the corrected one and why)",
          ARCHIVE_STAFF + ("legal", "customer_service", "sales_manager"),
          _body(archive.FileDocumentSchema, "dossier_id"), archive.DossierEntrySchema, 201,
          call="archive.file_document"),
    Route("POST", "/api/v1/dossiers/{dossier_id}/files", "Upload a file (PDF, JPEG, PNG, "
          "TIFF, MP3, WAV, M4A, MP4, MOV; the body, streamed) as a document; stored once by "
          "its digest", ARCHIVE_STAFF + ("legal", "customer_service", "sales_manager"),
          response=archive.DossierEntrySchema, status=201, query=UploadQuery,
          handler="upload_file"),
    Route("GET", "/api/v1/documents/{document_id}/file", "Download a document's file; logged "
          "before the first byte", DOSSIER_READERS, query=ReadQuery, media_type="*/*",
          handler="download_file"),
    Route("GET", "/api/v1/dossiers/{dossier_id}/verification", "Verify a dossier's hash "
          "chain, its records and its files", ARCHIVE_STAFF + ("legal",),
          response=archive.VerificationSchema, call="archive.verify_dossier"),
    Route("POST", "/api/v1/archive/verifications", "Verify every dossier (or a project's) in "
          "the background", ARCHIVE_STAFF, _body(archive.StartVerificationSchema),
          archive.VerificationRunSchema, 201, call="archive.start_verification"),
    Route("GET", "/api/v1/archive/verifications/{run_id}", "A background verification and its "
          "progress", ARCHIVE_STAFF, response=archive.VerificationRunSchema,
          call="archive.get_verification"),
    Route("POST", "/api/v1/archive/fixity-runs", "Re-read every stored file now (it also runs "
          "by itself periodically)", ARCHIVE_STAFF, response=archive.FixityRunSchema,
          status=201, call="archive.run_fixity"),
    Route("GET", "/api/v1/archive/fixity-runs/latest", "The last fixity check's summary",
          ARCHIVE_STAFF, response=archive.FixityRunSchema, call="archive.latest_fixity"),
    Route("POST", "/api/v1/dossiers/{dossier_id}/export", "The dossier as a zipped BagIt bag "
          "(files, records, chain, manifests); logged", ARCHIVE_STAFF + ("legal",),
          query=PurposeQuery, media_type="application/zip", handler="export_dossier"),
    Route("POST", "/api/v1/dossiers/{dossier_id}/volumes", "Register a paper volume and its "
          "place", ARCHIVE_STAFF, _body(archive.RegisterVolumeSchema, "dossier_id"),
          archive.VolumeSchema, 201, call="archive.register_volume"),
    Route("POST", "/api/v1/volumes/{volume_id}/loans", "Lend a volume (借阅登记; 409 when it "
          "is out)", ARCHIVE_STAFF, _body(archive.LendVolumeSchema, "volume_id"),
          archive.LoanSchema, 201, call="archive.lend_volume"),
    Route("POST", "/api/v1/loans/{loan_id}/return", "A lent volume comes back", ARCHIVE_STAFF,
          _body(archive.ReturnVolumeSchema, "loan_id"), archive.LoanSchema, 201,
          call="archive.return_volume"),
    Route("GET", "/api/v1/projects/{project_id}/loans", "The borrowing register (借阅登记簿): "
          "the project's loans, newest first, with their returns", ARCHIVE_STAFF,
          response=archive.LoanListSchema, query=LoanRegisterQuery, call="archive.loan_register"),
    Route("GET", "/api/v1/loans/overdue", "Volumes out past their due date", ARCHIVE_STAFF,
          response=archive.LoanListSchema, query=ProjectLoansQuery, call="archive.overdue_loans"),
    Route("POST", "/api/v1/dossiers/{dossier_id}/external-requests", "Record an outside "
          "body's request (公检法): credentials and assistance notice", ("archivist", "legal"),
          _body(archive.ExternalRequestInput, "dossier_id"), archive.ExternalRequestSchema,
          201, call="archive.record_external_request"),
    Route("POST", "/api/v1/external-requests/{request_id}/decision", "The legal office "
          "approves or refuses an outside request", ("legal",),
          _body(archive.DecideExternalSchema, "request_id"), archive.ExternalRequestSchema,
          201, call="archive.decide_external_request"),
    Route("POST", "/api/v1/projects/{project_id}/milestones", "Record the end of the "
          "concentrated move-in (入伙), on which handover deadlines hang",
          ARCHIVE_STAFF + ("sales_manager",), _body(archive.MilestoneSchema, "project_id"),
          archive.MilestoneOutSchema, 201, call="archive.set_milestone"),
    Route("POST", "/api/v1/projects/{project_id}/archive-calendar", "A project's own day off "
          "or make-up working day, counted by the handover deadlines", ARCHIVE_STAFF,
          _body(archive.CalendarEntryInput, "project_id"), archive.CalendarEntrySchema, 201,
          call="archive.add_calendar_entry"),
    Route("GET", "/api/v1/dossiers/{dossier_id}/completeness", "What the dossier must hold at "
          "its stage, what is missing and since when", DOSSIER_READERS,
          response=archive.CompletenessSchema, query=TodayQuery,
          call="archive.dossier_completeness"),
    Route("GET", "/api/v1/projects/{project_id}/overdue-handovers", "Papers past their "
          "handover deadline, per department", ARCHIVE_STAFF + ("sales_manager", "legal"),
          response=archive.OverdueHandoversSchema, query=DepartmentQuery,
          call="archive.overdue_handovers"),
    Route("POST", "/api/v1/projects/{project_id}/inspections", "Plan the half-yearly archive "
          "inspection", ARCHIVE_STAFF, _body(archive.PlanInspectionSchema, "project_id"),
          archive.InspectionSchema, 201, call="archive.plan_inspection"),
    Route("POST", "/api/v1/inspections/{plan_id}/findings", "Record an inspection finding",
          ARCHIVE_STAFF, _body(archive.FindingInput, "plan_id"), archive.FindingSchema, 201,
          call="archive.record_finding"),
    Route("GET", "/api/v1/projects/{project_id}/inspections", "A year's two inspections, "
          "planned or not, with findings", ARCHIVE_STAFF + ("legal",),
          response=archive.InspectionListSchema, query=YearQuery, call="archive.inspections"),
)


class QueueNumberBody(opening.TakeQueueNumberSchema):
    """A queue number as a client asks for it: the project from the path, the key from the
    `Idempotency-Key` header."""
    consultant_id = Id(metadata={"description": "defaults to the calling consultant"})

    class Meta:
        exclude = ("project_id", "idempotency_key")


QueueListQuery = _strict_body(opening.ProjectQueueQuery, "status")
QueueCancellationBody = _strict_body(opening.CancelQueueNumberSchema, "reason")


class OpeningBody(opening.CreateOpeningSchema):
    class Meta:
        exclude = ("project_id", "created_by")


SeedBody = _strict_body(opening.AnnounceSeedSchema, "seed")
SelectionBody = _strict_body(opening.SelectUnitSchema, "queue_number", "unit_id")

OPENING_ROUTES = (
    Route("POST", "/api/v1/projects/{project_id}/queue-numbers", "排号: the customer signs the "
          "排号协议 and pays a refundable 诚意金; the project's next queue number (gap-free) and "
          "its receipt", SALES, QueueNumberBody, opening.QueueNumberSchema, 201,
          idempotent=True, handler="take_queue_number"),
    Route("GET", "/api/v1/projects/{project_id}/queue-numbers", "A project's queue numbers "
          "(?status=active|converted|refunded); a consultant sees their own customers'",
          DEALS, response=opening.QueueNumberListSchema, query=QueueListQuery,
          call="transactions.list_queue_numbers"),
    Route("GET", "/api/v1/queue-numbers/{queue_number_id}", "A queue number and its 诚意金",
          DEALS, response=opening.QueueNumberSchema, call="transactions.get_queue_number"),
    Route("POST", "/api/v1/queue-numbers/{queue_number_id}/cancellation", "Cancel a queue "
          "number: the 诚意金 is refunded (409 once converted or refunded)", SALES,
          QueueCancellationBody, opening.QueueNumberSchema,
          call="transactions.cancel_queue_number", by="cancelled_by"),
    Route("POST", "/api/v1/projects/{project_id}/openings", "An opening (开盘活动): the units "
          "released (a building or a list), start and end, the order (all_at_once, slots of "
          "slot_size numbers per slot_minutes, or lottery), the household limit and attempts; "
          "units in another opening at the same time are a 409 naming unit_ids", MANAGERS,
          OpeningBody, opening.OpeningSchema, 201,
          call="inventory.create_opening", by="created_by"),
    Route("GET", "/api/v1/openings/{opening_id}", "An opening and how many units it sold",
          SALES + ("finance",), response=opening.OpeningSchema, call="inventory.get_opening"),
    Route("POST", "/api/v1/openings/{opening_id}/entrants", "Take the project's active queue "
          "numbers as the opening's entrants (before the start and the seed)", MANAGERS,
          response=opening.OpeningSchema, handler="set_opening_entrants"),
    Route("POST", "/api/v1/openings/{opening_id}/seed", "Announce the lottery's seed (摇号) "
          "before the start: the order is drawn from it; another seed later is a 409 naming "
          "seed", MANAGERS, SeedBody, opening.OpeningOrderSchema,
          call="inventory.announce_lottery_seed", by="announced_by"),
    Route("GET", "/api/v1/openings/{opening_id}/order", "The choosing order with each queue "
          "number's slot, the seed and the entrants: recompute it with "
          "`python -m services.inventory.opening_order --verify`", SALES + ("finance",),
          response=opening.OpeningOrderSchema, call="inventory.get_opening_order"),
    Route("POST", "/api/v1/openings/{opening_id}/selections", "Choose a unit for a queue "
          "number in its slot (a consultant for their customer): 201 won (held at once, the "
          "诚意金 becomes the deposit, then the order form); 409 naming unit_id when someone "
          "was first; 4xx naming queue_number or unit_id for a refusal; pressed again with "
          "the same Idempotency-Key after a lost answer: the first answer", SALES,
          SelectionBody, opening.SelectionSchema, 201, idempotent=True, handler="select_unit"),
    Route("POST", "/api/v1/openings/{opening_id}/close", "End the opening: unsold units back "
          "on normal sale, 诚意金 refunds for entrants who bought nothing", MANAGERS,
          response=opening.OpeningSchema, call="inventory.close_opening", by="closed_by"),
    Route("GET", "/api/v1/openings/{opening_id}/results.xlsx", "选房结果 as an XLSX workbook",
          SALES + ("finance",), media_type=XLSX, handler="get_opening_results"),
)


ADMIN_ROUTES = (
    Route("GET", "/api/v1/admin/dead-letters", "Dead letters of every consuming service "
          "(oldest first)", OPERATORS, response=DeadLetterListSchema, query=DeadLettersQuery,
          handler="list_dead_letters"),
    Route("POST", "/api/v1/admin/dead-letters/replay", "Replay one service's dead letters "
          "(ids, or all: true) onto its events queue", OPERATORS, ReplayRequestSchema,
          operations.ReplayResultSchema, handler="replay_dead_letters"),
)


FINANCE = ("finance", "admin")
AccountsBody = _strict_body(finance.SetAccountsSchema, "accounts")
VoucherRangeQuery = _strict_body(finance.RangeQuery, "from_", "to")
VoucherExportQuery = _strict_body(finance.ExportQuery, "from_", "to", "layout", "format")
VoucherStatusBody = _strict_body(finance.VoucherStatusSchema, "status", "note")
ReversalBody = _strict_body(finance.ReverseVoucherSchema, "reason")
RotationBody = _strict_body(finance.RotateSecretSchema, "secret", "overlap_hours")
DeliveriesQuery = _strict_body(finance.DeliveriesQuery, "status", "limit")
ReplayBody = _strict_body(finance.ReplaySchema, "delivery_id", "from_", "to")

FINANCE_ROUTES = (
    Route("GET", "/api/v1/projects/{project_id}/accounts", "The project's account mapping "
          "(科目代码 per voucher role; defaults where unset)", FINANCE,
          call="finance.get_accounts"),
    Route("PUT", "/api/v1/projects/{project_id}/accounts", "Map voucher roles to the project's "
          "科目 (null: unset, its vouchers cannot be exported)", ("admin",), AccountsBody,
          call="finance.set_accounts"),
    Route("GET", "/api/v1/projects/{project_id}/vouchers", "记账凭证 of a date range "
          "(from, to: at most 366 days) with their posted/rejected status", FINANCE,
          query=VoucherRangeQuery, call="finance.list_vouchers"),
    Route("GET", "/api/v1/projects/{project_id}/vouchers/export", "The vouchers of a date range "
          "in a vendor's import layout (layout=kingdee|yonyou, format=xlsx|csv)", FINANCE,
          query=VoucherExportQuery, media_type=(XLSX, "text/csv"), handler="export_vouchers"),
    Route("POST", "/api/v1/vouchers/{voucher_id}/status", "Finance marks a voucher posted or "
          "rejected", FINANCE, VoucherStatusBody, call="finance.set_voucher_status"),
    Route("POST", "/api/v1/vouchers/{voucher_id}/reversal", "Correct a voucher by a reversing "
          "(红字) voucher", FINANCE, ReversalBody, status=201, call="finance.reverse_voucher"),
    Route("GET", "/api/v1/finance/events", "The pull feed: money events in order after a "
          "cursor (after, limit)", FINANCE, query=finance.FeedQuery, call="finance.read_feed"),
    Route("GET", "/api/v1/finance/reconciliation", "The three-way weekly reconciliation "
          "(project_id, week: any day of the office week)", FINANCE,
          query=finance.ReconciliationQuery, call="finance.get_reconciliation"),
    Route("GET", "/api/v1/finance/reconciliation.xlsx", "The three-way weekly reconciliation "
          "as an XLSX workbook (sheets payments, differences, exchanges not closed, refunds "
          "not paid, totals)", FINANCE, query=finance.ReconciliationQuery, media_type=XLSX,
          handler="get_finance_reconciliation_xlsx"),
    Route("POST", "/api/v1/admin/webhooks", "Subscribe a finance endpoint (url, event_types, "
          "secret whsec_…)", ("admin",), finance.WebhookSubscriptionSchema, status=201,
          call="finance.create_subscription"),
    Route("GET", "/api/v1/admin/webhooks", "Webhook subscriptions", ("admin",),
          call="finance.list_subscriptions"),
    Route("POST", "/api/v1/admin/webhooks/{subscription_id}/rotation", "A new secret; the old "
          "one signs too during the overlap", ("admin",), RotationBody,
          call="finance.rotate_secret"),
    Route("GET", "/api/v1/admin/webhooks/{subscription_id}/deliveries", "The delivery log "
          "(attempts, status codes, latency)", ("admin",), query=DeliveriesQuery,
          call="finance.list_deliveries"),
    Route("POST", "/api/v1/admin/webhooks/{subscription_id}/replay", "Replay one delivery "
          "(delivery_id) or a time range (from, to)", ("admin",), ReplayBody,
          call="finance.replay_deliveries"),
)


USER_ROUTES = (
    Route("DELETE", "/api/v1/auth/tokens/current", "Log out: this token stops working at once, "
          "in every gateway worker", ROLES, status=204, handler="log_out"),
    Route("PUT", "/api/v1/auth/password", "Change one's own password (the password policy "
          "applies); every session of the user ends", ROLES, users.OwnPasswordSchema,
          status=204, handler="change_own_password"),
    Route("GET", "/api/v1/admin/users", "Every user", OPERATORS, response=users.UserListSchema,
          handler="list_users"),
    Route("POST", "/api/v1/admin/users", "Create a user (the password policy applies); audited",
          OPERATORS, users.CreateUserSchema, users.UserSchema, 201, handler="create_user"),
    Route("GET", "/api/v1/admin/users/{user_id}", "A user", OPERATORS,
          response=users.UserSchema, handler="get_user"),
    Route("PUT", "/api/v1/admin/users/{user_id}", "Change a user's role, offices, projects, "
          "consultant or channel; their sessions take it at once; audited", OPERATORS,
          users.UpdateUserSchema, users.UserSchema, handler="update_user"),
    Route("PUT", "/api/v1/admin/users/{user_id}/password", "Reset a user's password (the "
          "password policy applies); their sessions end; audited", OPERATORS,
          users.PasswordResetSchema, users.UserSchema, handler="reset_password"),
    Route("POST", "/api/v1/admin/users/{user_id}/deactivation", "Deactivate a user: no more "
          "logins, every session ends at once; audited", OPERATORS, users.DeactivationSchema,
          users.UserSchema, handler="deactivate_user"),
    Route("DELETE", "/api/v1/admin/users/{user_id}/tokens", "End every session of a user; "
          "audited", OPERATORS, response=users.SessionsEndedSchema, handler="revoke_sessions"),
    Route("GET", "/api/v1/admin/personal-data-reads", "Reads of customers, customer files, "
          "order forms and contracts as the owning service logged them, newest first",
          OPERATORS, response=PersonalDataReadListSchema, query=PersonalDataReadsQuery,
          handler="personal_data_reads"),
    Route("GET", "/api/v1/admin/audit", "The audit log, newest first: user administration, "
          "sessions, failed logins", OPERATORS, response=users.AuditListSchema,
          query=users.AuditQuery, handler="audit_log"),
)


ROUTES = (AUTH_AND_HEALTH_ROUTES + LEADS_ROUTES + INVENTORY_ROUTES + TRANSACTIONS_ROUTES
          + COMPLAINTS_ROUTES + ARCHIVE_ROUTES + ADMIN_ROUTES + USER_ROUTES
          + FINANCE_ROUTES + OPENING_ROUTES)


@lru_cache(maxsize=1)
def _patterns() -> tuple:
    return tuple((candidate, re.compile("^" + re.sub(r"{\w+}", "[^/]+", candidate.path) + "$"))
                 for candidate in ROUTES)


def match(method: str, actual_path: str) -> Route | None:
    """The route a request reached (`/api/v1/deposits/7` → `/api/v1/deposits/{deposit_id}`)."""
    for candidate, pattern in _patterns():
        if candidate.method == method and pattern.match(actual_path):
            return candidate
    return None


def route(method: str, path: str) -> Route:
    for candidate in ROUTES:
        if candidate.method == method and candidate.path == path:
            return candidate
    raise KeyError(f"{method} {path}")
