"""The public API: every route, who may call it, and its schemas (the OpenAPI source)."""
from dataclasses import dataclass

from marshmallow import Schema, fields, validate

from contracts import archive, complaints, inventory, leads, operations, transactions
from contracts.base import Id, StrictSchema
from gateway.auth import ROLES

SALES = ("consultant", "sales_manager", "general_manager", "admin")
MANAGERS = ("sales_manager", "general_manager", "admin")
DOSSIER_READERS = ("archivist", "sales_manager", "legal", "general_manager", "admin")
SERVICE_DESK = ("customer_service", "sales_manager", "general_manager", "admin")
OPERATORS = ("admin",)


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


class ConsultantStatusBody(StrictSchema):
    status = leads.SetConsultantStatusSchema().fields["status"]


LEADS_ROUTES = (
    Route("POST", "/api/v1/offices", "Create a sales office", MANAGERS,
          leads.CreateOfficeSchema, leads.OfficeSchema, 201),
    Route("POST", "/api/v1/consultants", "Add a consultant to an office's rotation", MANAGERS,
          leads.AddConsultantSchema, leads.ConsultantSchema, 201),
    Route("PUT", "/api/v1/consultants/{consultant_id}/status",
          "Mark a consultant available, busy, absent or inactive", SALES, ConsultantStatusBody,
          leads.ConsultantSchema),
    Route("POST", "/api/v1/visits", "Register a visit (来访登记): dedupe and allocate", SALES,
          leads.RegisterVisitSchema, leads.VisitResultSchema, 201),
    Route("POST", "/api/v1/call-lists", "Import a call list (CSV or XLSX body; columns 姓名/name, "
          "手机/mobile, 备注/notes) into the call pool", MANAGERS,
          response=leads.CallListImportSchema, status=201, query=CallListQuery),
    Route("GET", "/api/v1/customers/{customer_id}", "A customer (mobile masked unless yours)",
          SALES, response=leads.CustomerSchema),
)


class HoldApprovalBody(StrictSchema):
    approve = inventory.ApproveHoldSchema().fields["approve"]
    comment = inventory.ApproveHoldSchema().fields["comment"]


class HoldExtensionBody(StrictSchema):
    days = inventory.ExtendHoldSchema().fields["days"]
    reason = inventory.ExtendHoldSchema().fields["reason"]


class HoldReleaseBody(StrictSchema):
    reason = inventory.ReleaseHoldSchema().fields["reason"]


class WaitlistBody(StrictSchema):
    customer_id = inventory.JoinWaitlistSchema().fields["customer_id"]
    consultant_id = Id(metadata={"description": "defaults to the calling consultant"})


class PriceListBody(StrictSchema):
    effective_from = inventory.CreatePriceListSchema().fields["effective_from"]
    note = inventory.CreatePriceListSchema().fields["note"]
    prices = inventory.CreatePriceListSchema().fields["prices"]


class UnitPriceQuery(StrictSchema):
    at = inventory.GetUnitPriceSchema().fields["at"]


class NewRoomBody(inventory.AddUnitSchema):
    """A room's fields but those the gateway fills in (project, who)."""
    class Meta:
        exclude = ("project_id", "created_by")


class GenerateBuildingBody(inventory.GenerateBuildingSchema):
    """The generation's fields but those the gateway fills in (project, who)."""
    class Meta:
        exclude = ("project_id", "created_by")


class BoardQuery(StrictSchema):
    building = inventory.GetBoardSchema().fields["building"]


class ChannelProjectsBody(StrictSchema):
    project_ids = inventory.SetChannelProjectsSchema().fields["project_ids"]


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
          inventory.HoldUnitSchema, inventory.UnitSchema, 201),
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


TRANSACTIONS_ROUTES = (
    Route("POST", "/api/v1/deposits", "Take a deposit (定金) for a unit",
          SALES + ("finance",), transactions.TakeDepositSchema, transactions.DepositSchema, 201),
    Route("GET", "/api/v1/deposits/{deposit_id}", "A deposit and where its saga stands",
          SALES + ("finance",), response=transactions.DepositSchema),
)


SERVICE_DESK_ROUTES = (
    Route("GET", "/api/v1/units/{unit_id}/dossier", "The unit's dossier (一户一档); the read "
          "is logged", DOSSIER_READERS, response=archive.DossierSchema),
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


ROUTES = (AUTH_AND_HEALTH_ROUTES + LEADS_ROUTES + INVENTORY_ROUTES + TRANSACTIONS_ROUTES
          + SERVICE_DESK_ROUTES + ADMIN_ROUTES)

def route(method: str, path: str) -> Route:
    for candidate in ROUTES:
        if candidate.method == method and candidate.path == path:
            return candidate
    raise KeyError(f"{method} {path}")
