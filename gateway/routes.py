"""The public API: every route, who may call it, and its schemas (the OpenAPI source)."""
from dataclasses import dataclass

from marshmallow import Schema, fields, validate

from contracts import archive, audit, complaints, inventory, leads, operations, transactions
from contracts.base import Id, StrictSchema
from gateway import users
from gateway.auth import ROLES

SALES = ("consultant", "sales_manager", "general_manager", "admin")
MANAGERS = ("sales_manager", "general_manager", "admin")
DOSSIER_READERS = ("archivist", "sales_manager", "legal", "general_manager", "admin")
SERVICE_DESK = ("customer_service", "sales_manager", "general_manager", "admin")
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


AUTH_AND_HEALTH_ROUTES = (
    Route("POST", "/api/v1/auth/tokens", "Issue a bearer token", None, TokenRequestSchema,
          TokenSchema, 201),
    Route("GET", "/api/v1/health", "Health of the gateway and every service", None,
          response=HealthSchema),
)


class CallListQuery(StrictSchema):
    source = leads.ImportCallListSchema().fields["source"]
    file_name = fields.String(load_default="upload", validate=validate.Length(min=1, max=200))


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
          leads.CreateOfficeSchema, leads.OfficeSchema, 201),
    Route("PUT", "/api/v1/offices/{office_id}/projects", "The projects an office sells: its "
          "sales manager acts on these projects' units, holds and deals", ("general_manager",
                                                                           "admin"),
          OfficeProjectsBody, leads.OfficeSchema),
    Route("POST", "/api/v1/consultants", "Add a consultant to an office's rotation", MANAGERS,
          leads.AddConsultantSchema, leads.ConsultantSchema, 201),
    Route("PUT", "/api/v1/consultants/{consultant_id}/status",
          "Mark a consultant available, busy, absent or inactive", SALES, ConsultantStatusBody,
          leads.ConsultantSchema),
    Route("POST", "/api/v1/visits", "Register a visit (来访登记): dedupe and allocate; the "
          "rule and explanation of the allocation come back", SALES,
          leads.RegisterVisitSchema, leads.VisitResultSchema, 201),
    Route("POST", "/api/v1/calls", "Register a call (来电登记): dedupe and allocate", SALES,
          leads.RegisterCallSchema, leads.VisitResultSchema, 201),
    Route("PUT", "/api/v1/offices/{office_id}/roster", "Duty groups on alternate days, the "
          "day's reception and phone answering orders, the call pool's recall interval",
          MANAGERS, OfficeRosterBody, leads.OfficeRosterSchema),
    Route("POST", "/api/v1/customers/{customer_id}/reassignments", "A manager gives a customer "
          "to another consultant, with a reason", MANAGERS, ReassignmentBody,
          leads.VisitResultSchema, 201),
    Route("POST", "/api/v1/call-lists", "Import a call list (CSV or XLSX body; columns 姓名/name, "
          "手机/mobile, 备注/notes) into the call pool", MANAGERS,
          response=leads.CallListImportSchema, status=201, query=CallListQuery),
    Route("GET", "/api/v1/customers/{customer_id}", "A customer (mobile masked unless yours); "
          "the read is logged", SALES, response=leads.CustomerSchema, query=ReadPurposeQuery),
    Route("GET", "/api/v1/customers/{customer_id}/file", "The customer with grade history, "
          "follow-ups, non-deal analysis and profile (客户信息档案); the read is logged", SALES,
          response=leads.CustomerFileSchema, query=ReadPurposeQuery),
    Route("PUT", "/api/v1/customers/{customer_id}/grade", "Grade a customer A–D (晋级 kept "
          "with who and when); consultants only their own", SALES, GradeBody,
          leads.CustomerFileSchema),
    Route("POST", "/api/v1/customers/{customer_id}/follow-ups", "Log a follow-up (visit, call, "
          "SMS) on one of your own customers", SALES, FollowUpBody, leads.FollowUpRecordSchema,
          201),
    Route("POST", "/api/v1/customers/{customer_id}/hopeless", "Give up a customer as hopeless "
          "(无望, one of the seed's four kinds) with the non-deal analysis", SALES, HopelessBody,
          leads.CustomerFileSchema, 201),
    Route("GET", "/api/v1/offices/{office_id}/hopeless-customers", "Hopeless customers waiting "
          "for the manager to reassign them", MANAGERS, response=leads.HopelessListSchema),
    Route("POST", "/api/v1/customers/{customer_id}/hopeless-reassignments", "Reassign a "
          "hopeless customer; the previous consultant loses any share in a later deal",
          MANAGERS, ReassignmentBody, leads.VisitResultSchema, 201),
    Route("PUT", "/api/v1/customers/{customer_id}/profile", "Fill in the customer profile "
          "(客户信息档案) and the family with birthdays", SALES, ProfileBody,
          leads.CustomerFileSchema),
    Route("GET", "/api/v1/consultants/{consultant_id}/care-reminders", "The day's birthday and "
          "holiday greetings for a consultant's closed customers", SALES,
          response=leads.CareRemindersSchema, query=CareRemindersDayQuery),
    Route("POST", "/api/v1/call-pool/distributions", "Hand numbers from the call pool to call "
          "agents (never one number to two agents)", MANAGERS, leads.DistributeCallPoolSchema,
          leads.DistributionSchema, 201),
    Route("GET", "/api/v1/call-agents/{agent_id}/leads", "The numbers an agent has to call",
          CALL_CENTER, response=leads.CallLeadListSchema),
    Route("POST", "/api/v1/call-leads/{call_lead_id}/calls", "Record a call: connected, "
          "outcome A–D (seed 003), an invitation to visit", ("call_agent",), RecordCallBody,
          leads.CallRecordedSchema, 201),
    Route("POST", "/api/v1/invitations/{invitation_id}/confirmation", "The consultant who "
          "received the invited visitor confirms the visit (only then it counts)",
          ("consultant",), response=leads.InvitationSchema, status=201),
    Route("GET", "/api/v1/offices/{office_id}/call-center/day", "Per agent for a day: dialed, "
          "connected, A/B/C/D, invitations, confirmed visits, deals", CALL_CENTER,
          response=leads.CallCenterDaySchema, query=CallCenterDayBody),
    Route("GET", "/api/v1/call-center/sources", "Conversion per call-list source: call → "
          "visit → deal (a sales manager's own office; others may name one)", MANAGERS,
          response=leads.SourceConversionListSchema, query=SourceConversionBody),
    Route("GET", "/api/v1/offices/{office_id}/call-center/ranking", "The agents' monthly "
          "ranking by confirmed visits, then deals", CALL_CENTER,
          response=leads.MonthlyRankingSchema, query=CallCenterMonthBody),
    Route("GET", "/api/v1/offices/{office_id}/exports/visit-register", "XLSX of the visit "
          "register (来访客户登记表); consultants get their own customers; logged", SALES,
          query=ExportQuery),
    Route("GET", "/api/v1/offices/{office_id}/exports/call-register", "XLSX of the call "
          "register (来电客户登记表); consultants get their own customers; logged", SALES,
          query=ExportQuery),
    Route("GET", "/api/v1/offices/{office_id}/exports/grade-tracking", "XLSX of the manager's "
          "grade-tracking sheet (客户等级分配跟踪表); logged", MANAGERS, query=ExportQuery),
    Route("GET", "/api/v1/offices/{office_id}/exports", "Who exported what, when, how many "
          "rows", MANAGERS, response=leads.ExportLogSchema),
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


BoardQuery = _strict_body(inventory.GetBoardSchema, "building")


ChannelProjectsBody = _strict_body(inventory.SetChannelProjectsSchema, "project_ids")


class WeeklyPlanBody(StrictSchema):
    weeks = inventory.SetWeeklyPlanSchema().fields["weeks"]
    one_plan_per_week = inventory.SetWeeklyPlanSchema.one_plan_per_week


INVENTORY_ROUTES = (
    Route("POST", "/api/v1/projects", "Create a project with its buildings and units", MANAGERS,
          inventory.CreateProjectSchema, inventory.ProjectSchema, 201),
    Route("GET", "/api/v1/projects/{project_id}/board", "The sales-control board (销控表) of "
          "a project, or of one building (?building=)", SALES + ("finance",),
          response=inventory.BoardSchema, query=BoardQuery),
    Route("GET", "/api/v1/projects/{project_id}/board.xlsx", "The sales-control board as an "
          "XLSX workbook (?building=)", SALES + ("finance",), query=BoardQuery),
    Route("GET", "/api/v1/units/{unit_id}", "A unit and its current status",
          SALES + ("finance",), response=inventory.UnitSchema),
    Route("GET", "/api/v1/units/{unit_id}/history", "Every status change of a unit: from, to, "
          "who, when, why and the event", SALES + ("finance",),
          response=inventory.UnitHistorySchema),
    Route("POST", "/api/v1/projects/{project_id}/units", "Add one room to a building, with its "
          "areas, attributes and prices", MANAGERS, NewRoomBody, inventory.UnitSchema, 201),
    Route("POST", "/api/v1/projects/{project_id}/buildings", "Generate a building (号楼): "
          "floors × rooms per floor in each entrance (单元)", MANAGERS, GenerateBuildingBody,
          inventory.GeneratedBuildingSchema, 201),
    Route("POST", "/api/v1/projects/{project_id}/units/import", "Import rooms with areas and "
          "prices (CSV or XLSX body; columns 号楼, 单元, 房号, 楼层, 建筑面积, 花园面积, 其他面积, "
          "户型, 物业类型, 朝向, 单价, 总价, 底价); errors by line, good rows land",
          MANAGERS, response=inventory.UnitImportSchema, status=201),
    Route("POST", "/api/v1/projects/{project_id}/price-lists", "A new price-list version "
          "(价目表): unit, total and floor prices (底价) from a time on", MANAGERS,
          PriceListBody, inventory.PriceListSchema, 201),
    Route("GET", "/api/v1/projects/{project_id}/price-lists", "Every price-list version of a "
          "project", SALES + ("finance",), response=inventory.PriceListsSchema),
    Route("GET", "/api/v1/projects/{project_id}/price-lists/{version}", "One price-list "
          "version with its prices", SALES + ("finance",), response=inventory.PriceListSchema),
    Route("GET", "/api/v1/units/{unit_id}/price", "A unit's price at a moment (?at=, now by "
          "default)", SALES + ("finance",), response=inventory.UnitPriceSchema,
          query=UnitPriceQuery),
    Route("POST", "/api/v1/channels", "Create a sales channel (own team or agency) and the "
          "projects it sells", MANAGERS, inventory.CreateChannelSchema, inventory.ChannelSchema,
          201),
    Route("GET", "/api/v1/channels/{channel_id}", "A sales channel and its projects", MANAGERS,
          response=inventory.ChannelSchema),
    Route("PUT", "/api/v1/channels/{channel_id}/projects", "The projects a channel sells",
          MANAGERS, ChannelProjectsBody, inventory.ChannelSchema),
    Route("PUT", "/api/v1/projects/{project_id}/progress/{year}/{quarter}/plan", "Set the "
          "weekly plan (units, sales amount) of a quarter", MANAGERS, WeeklyPlanBody,
          inventory.QuarterlyProgressSchema),
    Route("GET", "/api/v1/projects/{project_id}/progress/{year}/{quarter}", "The quarterly "
          "progress table (季度全案进度掌控表): plan and actual per week, cumulated, completion",
          SALES + ("finance",), response=inventory.QuarterlyProgressSchema),
    Route("POST", "/api/v1/holds", "Hold a unit for a customer (预留)", SALES,
          HoldUnitBody, inventory.UnitSchema, 201),
    Route("GET", "/api/v1/holds", "Open holds (pending approval or active) in the user's "
          "projects, a consultant's own only, soonest to expire first", SALES,
          response=inventory.HoldListSchema, query=HoldsQuery),
    Route("GET", "/api/v1/holds/{hold_id}", "A hold and where it stands", SALES,
          response=inventory.HoldSchema),
    Route("POST", "/api/v1/holds/{hold_id}/approval", "Approve or reject a pending hold "
          "(营销经理批准)", MANAGERS, HoldApprovalBody, inventory.HoldSchema),
    Route("POST", "/api/v1/holds/{hold_id}/extension", "Extend a hold; a manager's act, refused "
          "while consultants wait for the unit", MANAGERS, HoldExtensionBody,
          inventory.HoldSchema),
    Route("POST", "/api/v1/holds/{hold_id}/release", "Give a held unit back (the holding "
          "consultant or a manager)", SALES, HoldReleaseBody, inventory.HoldSchema),
    Route("POST", "/api/v1/units/{unit_id}/waitlist", "Wait for a held unit (等待记录); the first "
          "waiting gets the unit when the hold ends", SALES, WaitlistBody,
          inventory.WaitlistEntrySchema, 201),
    Route("POST", "/api/v1/waitlist/{entry_id}/withdrawal", "Leave a unit's waitlist, or pass "
          "on an offer", SALES, response=inventory.WaitlistEntrySchema),
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
DecisionBody = _strict_body(transactions.DecideApplicationSchema, "decision", "comment")
RefundPaymentBody = _strict_body(transactions.PayRefundSchema, "bank_reference")
# everyone who may decide a step of some chain; the service checks the step's own role
APPROVERS = ("consultant", "sales_statistician", "sales_manager", "general_manager", "finance",
             "engineering", "cost_review")
BankReceiptBody = _strict_body(transactions.ConfirmBankReceiptSchema, "bank_reference",
                               "project_id", "receipt_number", "amount", "received_on", "bank")


ReconciliationPeriod = _strict_body(transactions.ReconciliationQuery, "start", "end")


CollectionBody = _strict_body(transactions.RecordCollectionSchema, "seq", "action", "note")
PaymentPlanBody = _strict_body(transactions.SetPaymentPlanSchema, "items", "mortgage")
MortgageDocumentBody = _strict_body(transactions.MortgageDocumentInput, "name", "handed_in_on")

DEALS = SALES + ("finance",)

TRANSACTIONS_ROUTES = (
    Route("POST", "/api/v1/deposits", "Take a deposit (定金) for a unit: more than 0 and not "
          "above the stated total price, or the unit's current price when none is stated (404 "
          "for no such unit). A consultant sees and acts only on their own deposits, order forms, "
          "documents, plans and applications (403 naming the id)", DEALS,
          transactions.TakeDepositSchema, transactions.DepositSchema, 201),
    Route("GET", "/api/v1/deposits/{deposit_id}", "A deposit and where its saga stands",
          DEALS, response=transactions.DepositSchema),
    Route("GET", "/api/v1/deposits/{deposit_id}/order-form", "The order form (定单) made when "
          "the deposit was confirmed; the read is logged", DEALS,
          response=transactions.OrderFormSchema, query=ReadPurposeQuery),
    Route("GET", "/api/v1/order-forms/{order_form_id}", "An order form with its payments' "
          "receipts; the read is logged", DEALS, response=transactions.OrderFormSchema,
          query=ReadPurposeQuery),
    Route("POST", "/api/v1/order-forms/{order_form_id}/signatures", "Record a signature: "
          "customer, consultant or (a manager) the manager", SALES, SignOrderFormBody,
          transactions.OrderFormSchema),
    Route("POST", "/api/v1/order-forms/{order_form_id}/void", "Void an order form (作废) with a "
          "reason, the calling manager approving; a corrected form replaces it (answered) and "
          "takes its payments with new receipts; nothing is deleted", MANAGERS,
          VoidOrderFormBody, transactions.OrderFormSchema),
    Route("POST", "/api/v1/order-forms/{order_form_id}/forfeiture", "Declare the deposit "
          "forfeited (挞定) once the agreed date passed unsigned; the calling manager decides; "
          "the unit is released", MANAGERS, ForfeitureBody, transactions.OrderFormSchema),
    Route("POST", "/api/v1/order-forms/{order_form_id}/payments", "Record a payment and issue "
          "its receipt (numbered per project without gaps)", DEALS, PaymentBody,
          transactions.PaymentSchema, 201),
    Route("POST", "/api/v1/order-forms/{order_form_id}/subscription", "Sign the subscription "
          "(认购书) at the pinned price; buyer identity checked, a proxy only with a power of "
          "attorney", SALES, SubscriptionBody, transactions.SubscriptionSchema, 201),
    Route("GET", "/api/v1/subscriptions/{subscription_id}", "A subscription", DEALS,
          response=transactions.SubscriptionSchema),
    Route("POST", "/api/v1/subscriptions/{subscription_id}/contract", "Sign the sales contract "
          "(商品房买卖合同); the deposit receipt is exchanged for a purchase receipt", SALES,
          ContractBody, transactions.ContractSchema, 201),
    Route("GET", "/api/v1/contracts/{contract_id}", "A contract; the read is logged", DEALS,
          response=transactions.ContractSchema, query=ReadPurposeQuery),
    Route("POST", "/api/v1/contracts/{contract_id}/filing", "Record the filing (备案) with its "
          "number: the sale is final", MANAGERS + ("legal",), FilingBody,
          transactions.ContractSchema),
    Route("PUT", "/api/v1/contracts/{contract_id}/payment-plan", "Set the payment plan (due "
          "dates; a loan plan names the bank and terms); the deposit covers the first items",
          DEALS, PaymentPlanBody, transactions.PaymentPlanSchema),
    Route("GET", "/api/v1/contracts/{contract_id}/payment-plan", "The plan: paid, outstanding "
          "and overdue per item; the mortgage with its repayments and documents", DEALS,
          response=transactions.PaymentPlanSchema),
    Route("POST", "/api/v1/contracts/{contract_id}/mortgage-documents", "Record a mortgage "
          "document handed in (late when after the contract's deadline)", DEALS,
          MortgageDocumentBody, transactions.PaymentPlanSchema, 201),
    Route("POST", "/api/v1/order-forms/{order_form_id}/applications", "File an application: "
          "swap 换房, refund 退房, rename 更名, discount 特惠 or layout change 户型结构变更",
          SALES, ApplicationBody, transactions.ApplicationSchema, 201),
    Route("GET", "/api/v1/applications/{application_id}", "An application, its chain and the "
          "steps decided", APPROVERS + ("admin",), response=transactions.ApplicationSchema),
    Route("POST", "/api/v1/applications/{application_id}/decisions", "Approve or reject the "
          "next step, in the caller's role (403 wrong role, 409 out of order)", APPROVERS,
          DecisionBody, transactions.ApplicationSchema),
    Route("POST", "/api/v1/applications/{application_id}/refund-payment", "Finance pays an "
          "approved refund out: the order form and its receipts are voided", ("finance",),
          RefundPaymentBody, transactions.ApplicationSchema),
    Route("POST", "/api/v1/finance/bank-receipts", "The finance system confirms a bank receipt; "
          "idempotent by the bank's reference (the same request twice: the same answer, counted "
          "once; another payload under that reference: 409)", ("finance", "admin"),
          BankReceiptBody, transactions.BankConfirmationSchema),
    Route("GET", "/api/v1/projects/{project_id}/reconciliation", "Weekly reconciliation (收据"
          "核对): receipts issued against confirmed, per week and cumulative, with the "
          "differences", ("finance",) + MANAGERS, response=transactions.ReconciliationSchema,
          query=ReconciliationPeriod),
    Route("GET", "/api/v1/projects/{project_id}/reconciliation.xlsx", "The weekly "
          "reconciliation as an XLSX workbook (sheets weeks and differences)",
          ("finance",) + MANAGERS, query=ReconciliationPeriod),
    Route("GET", "/api/v1/deposits/unanswered", "Deposits inventory has not answered in time "
          "(the saga's timeout): still pending, to be checked", MANAGERS + ("finance",),
          response=transactions.DepositListSchema),
    Route("GET", "/api/v1/collections", "Overdue amounts buyers owe (催款), per consultant; a "
          "consultant sees their own", DEALS, response=transactions.OverdueSchema,
          query=transactions.CollectionsQuery),
    Route("POST", "/api/v1/contracts/{contract_id}/collections", "Record a collection step on "
          "an overdue item: contact, or escalate consultant → sales manager → finance",
          ("consultant", "sales_manager", "finance"), CollectionBody,
          transactions.CollectionCaseSchema),
    Route("GET", "/api/v1/deposits/{deposit_id}/deal-report", "The deal report (成交报告) of "
          "a deposit", DEALS, response=transactions.DealReportSchema),
    Route("GET", "/api/v1/projects/{project_id}/deal-reports", "Every deal report of a project",
          MANAGERS + ("finance",), response=transactions.DealReportListSchema),
    Route("GET", "/api/v1/projects/{project_id}/deal-reports.xlsx", "Every deal report of a "
          "project as an XLSX workbook: the seed's form (客户成交报告) a row a deal, \"/\" for "
          "an empty box", MANAGERS + ("finance",)),
    Route("GET", "/api/v1/repayments", "Monthly repayments of a loan (等额本息 or 等额本金)",
          DEALS, response=transactions.RepaymentSchema, query=transactions.RepaymentQuery),
)


SERVICE_DESK_ROUTES = (
    Route("GET", "/api/v1/units/{unit_id}/dossier", "The unit's dossier (一户一档) for a stated "
          "purpose (400 without one); the read is logged", DOSSIER_READERS,
          response=archive.DossierSchema, query=DossierQuery),
    Route("POST", "/api/v1/complaints", "File a complaint", SERVICE_DESK,
          complaints.FileComplaintSchema, complaints.ComplaintSchema, 201),
    Route("GET", "/api/v1/complaints/{complaint_id}", "A complaint", SERVICE_DESK,
          response=complaints.ComplaintSchema),
)


ADMIN_ROUTES = (
    Route("GET", "/api/v1/admin/dead-letters", "Dead letters of every consuming service "
          "(oldest first)", OPERATORS, response=DeadLetterListSchema, query=DeadLettersQuery),
    Route("POST", "/api/v1/admin/dead-letters/replay", "Replay one service's dead letters "
          "(ids, or all: true) onto its events queue", OPERATORS, ReplayRequestSchema,
          operations.ReplayResultSchema),
)


FINANCE = ("finance", "admin")
FINANCE_ROUTES = (
    Route("GET", "/api/v1/projects/{project_id}/accounts", "The project's account mapping "
          "(科目代码 per voucher role; defaults where unset)", FINANCE),
    Route("PUT", "/api/v1/projects/{project_id}/accounts", "Map voucher roles to the project's "
          "科目 (null: unset, its vouchers cannot be exported)", ("admin",)),
    Route("GET", "/api/v1/projects/{project_id}/vouchers", "记账凭证 of a date range "
          "(from, to: at most 366 days) with their posted/rejected status", FINANCE),
    Route("GET", "/api/v1/projects/{project_id}/vouchers/export", "The vouchers of a date range "
          "in a vendor's import layout (layout=kingdee|yonyou, format=xlsx|csv)", FINANCE),
    Route("POST", "/api/v1/vouchers/{voucher_id}/status", "Finance marks a voucher posted or "
          "rejected", FINANCE),
    Route("POST", "/api/v1/vouchers/{voucher_id}/reversal", "Correct a voucher by a reversing "
          "(红字) voucher", FINANCE),
    Route("GET", "/api/v1/finance/events", "The pull feed: money events in order after a "
          "cursor (after, limit)", FINANCE),
    Route("GET", "/api/v1/finance/reconciliation", "The three-way weekly reconciliation "
          "(project_id, week: any day of the office week)", FINANCE),
    Route("POST", "/api/v1/admin/webhooks", "Subscribe a finance endpoint (url, event_types, "
          "secret whsec_…)", ("admin",), status=201),
    Route("GET", "/api/v1/admin/webhooks", "Webhook subscriptions", ("admin",)),
    Route("POST", "/api/v1/admin/webhooks/{subscription_id}/rotation", "A new secret; the old "
          "one signs too during the overlap", ("admin",)),
    Route("GET", "/api/v1/admin/webhooks/{subscription_id}/deliveries", "The delivery log "
          "(attempts, status codes, latency)", ("admin",)),
    Route("POST", "/api/v1/admin/webhooks/{subscription_id}/replay", "Replay one delivery "
          "(delivery_id) or a time range (from, to)", ("admin",)),
)


USER_ROUTES = (
    Route("DELETE", "/api/v1/auth/tokens/current", "Log out: this token stops working at once, "
          "in every gateway worker", ROLES, status=204),
    Route("PUT", "/api/v1/auth/password", "Change one's own password (the password policy "
          "applies); every session of the user ends", ROLES, users.OwnPasswordSchema,
          status=204),
    Route("GET", "/api/v1/admin/users", "Every user", OPERATORS, response=users.UserListSchema),
    Route("POST", "/api/v1/admin/users", "Create a user (the password policy applies); audited",
          OPERATORS, users.CreateUserSchema, users.UserSchema, 201),
    Route("GET", "/api/v1/admin/users/{user_id}", "A user", OPERATORS,
          response=users.UserSchema),
    Route("PUT", "/api/v1/admin/users/{user_id}", "Change a user's role, offices, projects, "
          "consultant or channel; their sessions take it at once; audited", OPERATORS,
          users.UpdateUserSchema, users.UserSchema),
    Route("PUT", "/api/v1/admin/users/{user_id}/password", "Reset a user's password (the "
          "password policy applies); their sessions end; audited", OPERATORS,
          users.PasswordResetSchema, users.UserSchema),
    Route("POST", "/api/v1/admin/users/{user_id}/deactivation", "Deactivate a user: no more "
          "logins, every session ends at once; audited", OPERATORS, users.DeactivationSchema,
          users.UserSchema),
    Route("DELETE", "/api/v1/admin/users/{user_id}/tokens", "End every session of a user; "
          "audited", OPERATORS, response=users.SessionsEndedSchema),
    Route("GET", "/api/v1/admin/personal-data-reads", "Reads of customers, customer files, "
          "order forms and contracts as the owning service logged them, newest first",
          OPERATORS, response=PersonalDataReadListSchema, query=PersonalDataReadsQuery),
    Route("GET", "/api/v1/admin/audit", "The audit log, newest first: user administration, "
          "sessions, failed logins", OPERATORS, response=users.AuditListSchema,
          query=users.AuditQuery),
)


ROUTES = (AUTH_AND_HEALTH_ROUTES + LEADS_ROUTES + INVENTORY_ROUTES + TRANSACTIONS_ROUTES
          + SERVICE_DESK_ROUTES + ADMIN_ROUTES + USER_ROUTES + FINANCE_ROUTES)

def route(method: str, path: str) -> Route:
    for candidate in ROUTES:
        if candidate.method == method and candidate.path == path:
            return candidate
    raise KeyError(f"{method} {path}")
