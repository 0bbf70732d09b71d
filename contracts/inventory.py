"""Inventory: projects, buildings, units, holds (预留) and reservations."""
from marshmallow import fields, pre_load, validate, validates_schema, ValidationError

from contracts.base import Id, Money, PositiveMoney, StrictSchema
from contracts.envelope import EventType, register
from contracts.imports import ImportChunkSchema

UNIT_STATUSES = ("available", "held", "offered", "reserved", "subscribed", "contracted",
                 "filed")
HOLD_STATUSES = ("pending", "active", "converted", "expired", "released", "rejected")
WAITLIST_STATUSES = ("waiting", "offered", "claimed", "withdrawn", "lapsed")
Name = lambda **kw: fields.String(validate=validate.Length(min=1, max=100), **kw)  # noqa: E731
Reason = lambda **kw: fields.String(validate=validate.Length(min=1, max=200), **kw)  # noqa: E731


PROPERTY_TYPES = ("楼梯多层", "电梯多层", "小高层", "高层", "叠加", "联排", "独栋")  # 物业类型
MAX_AREA = 10000  # m²


def Area(required=False, **kwargs):
    """m², two decimals like money; more than 10,000 m² is no room's."""
    limit = validate.Range(min=0, min_inclusive=not required, max=MAX_AREA, max_inclusive=False,
                           error="impossible area" if required else "must be 0 to 10000 m²")
    if required:
        return Money(required=True, validate=[limit], **kwargs)
    return Money(load_default=None, validate=[limit], **kwargs)


class RoomSchema(StrictSchema):
    """A room's attributes from the forms (第1篇)."""
    building_area = Area(required=True, metadata={"description": "建筑面积 m²"})
    garden_area = Area(metadata={"description": "花园面积 m²"})
    other_area = Area(metadata={"description": "其他面积 m²"})
    layout = fields.String(load_default=None, allow_none=True,
                           validate=validate.Regexp(r"^\d{1,2}/\d{1,2}(/\d{1,2})?$"),
                           metadata={"description": "户型 rooms/halls, e.g. 3/2"})
    orientation = fields.String(load_default=None, allow_none=True,
                                validate=validate.Length(max=20), metadata={"description": "朝向"})


class NewUnitSchema(StrictSchema):
    number = fields.String(required=True, validate=validate.Length(min=1, max=20))
    entrance = fields.String(load_default="", validate=validate.Length(max=20),
                             metadata={"description": "单元; empty when the building has one"})
    floor = fields.Integer(required=True, strict=True, validate=validate.Range(min=-5, max=200))
    building_area = Area(required=True, metadata={"description": "建筑面积 m²"})
    garden_area = RoomSchema().fields["garden_area"]
    other_area = RoomSchema().fields["other_area"]
    orientation = RoomSchema().fields["orientation"]
    property_type = fields.String(load_default=None, allow_none=True,
                                  validate=validate.OneOf(PROPERTY_TYPES))
    list_price = PositiveMoney(load_default=None, metadata={"description": "总价; with the "
                                                                         "unit price, or alone"})
    list_unit_price = PositiveMoney(load_default=None, metadata={"description": "单价 per m²"})
    floor_total_price = Money(load_default=None, validate=[validate.Range(min=0)],
                              metadata={"description": "底价"})
    layout = RoomSchema().fields["layout"]


class NewBuildingSchema(StrictSchema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=20))  # 号楼
    units = fields.List(fields.Nested(NewUnitSchema), required=True,
                        validate=validate.Length(min=1, max=5000))

    @validates_schema
    def unique_numbers(self, data, **kwargs):
        numbers = [(unit["entrance"], unit["number"]) for unit in data.get("units", [])]
        if len(numbers) != len(set(numbers)):
            raise ValidationError("unit numbers repeat within the building", "units")


class CreateProjectSchema(StrictSchema):
    code = fields.String(required=True, validate=validate.Regexp(r"^[a-z0-9-]{2,30}$"))
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    hold_days = fields.Integer(load_default=3, strict=True, validate=validate.Range(min=1, max=30))
    holds_auto_approved = fields.Boolean(load_default=False, metadata={
        "description": "holds start active without a manager's approval"})
    offer_hours = fields.Integer(load_default=2, strict=True, validate=validate.Range(min=1, max=72),
                                 metadata={"description": "how long the first waiting consultant "
                                                          "may claim a unit whose hold ended"})
    buildings = fields.List(fields.Nested(NewBuildingSchema), required=True,
                            validate=validate.Length(min=1, max=200))

    @pre_load
    def not_too_many_rooms(self, data, **kwargs):
        """Counted before any room is validated: validating and writing a few hundred thousand
        rooms in one request would hold the service for minutes."""
        buildings = data.get("buildings") if isinstance(data, dict) else None
        if isinstance(buildings, list):
            count = sum(len(b["units"]) for b in buildings
                        if isinstance(b, dict) and isinstance(b.get("units"), list))
            if count > MAX_IMPORT_ROWS:
                raise ValidationError(f"{count} rooms: at most {MAX_IMPORT_ROWS} in one request "
                                      "(add buildings one at a time)", "buildings")
        return data


class HoldSchema(StrictSchema):
    id = fields.Integer()
    unit_id = fields.Integer()
    customer_id = fields.Integer()
    customer_name = fields.String(allow_none=True)
    consultant_id = fields.Integer()
    status = fields.String(metadata={"enum": list(HOLD_STATUSES)})
    created_at = fields.AwareDateTime()
    expires_at = fields.AwareDateTime()
    approved_by = fields.String(allow_none=True)
    approved_at = fields.AwareDateTime(allow_none=True)
    extensions = fields.Integer()
    ended_at = fields.AwareDateTime(allow_none=True)
    ended_by = fields.String(allow_none=True)
    end_reason = fields.String(allow_none=True)


class WaitlistEntrySchema(StrictSchema):
    id = fields.Integer()
    unit_id = fields.Integer()
    consultant_id = fields.Integer()
    customer_id = fields.Integer()
    status = fields.String(metadata={"enum": list(WAITLIST_STATUSES)})
    position = fields.Integer(allow_none=True, metadata={"description": "1 = next in line"})
    created_at = fields.AwareDateTime()
    offer_expires_at = fields.AwareDateTime(allow_none=True)


class UnitReservationSchema(StrictSchema):
    """The deposit's reservation of the unit, with the price pinned when it was made."""
    deposit_id = fields.Integer()
    customer_id = fields.Integer()
    status = fields.String(metadata={"enum": ["active", "sold"]})
    created_at = fields.AwareDateTime()
    price_list_version = fields.Integer(allow_none=True)
    unit_price = Money(allow_none=True)
    total_price = Money(allow_none=True)
    floor_total_price = Money(allow_none=True)


class UnitSchema(StrictSchema):
    id = fields.Integer()
    project_id = fields.Integer()
    building = fields.String()
    entrance = fields.String()
    number = fields.String()
    floor = fields.Integer()
    building_area = Money()
    garden_area = Money(allow_none=True)
    other_area = Money(allow_none=True)
    property_type = fields.String(allow_none=True, metadata={"enum": list(PROPERTY_TYPES)})
    orientation = fields.String(allow_none=True)
    list_price = Money(allow_none=True, metadata={"description": "总价 of the current price list"})
    list_unit_price = Money(allow_none=True, metadata={"description": "单价 per m²"})
    floor_total_price = Money(allow_none=True, metadata={"description": "底价"})
    price_list_version = fields.Integer(allow_none=True)
    layout = fields.String(allow_none=True)
    status = fields.String(metadata={"enum": list(UNIT_STATUSES)})
    version = fields.Integer()
    consultant_id = fields.Integer(allow_none=True, metadata={
        "description": "the holding, then the selling consultant"})
    reservation = fields.Nested(UnitReservationSchema, allow_none=True)
    hold = fields.Nested(HoldSchema, allow_none=True)
    waitlist = fields.List(fields.Nested(WaitlistEntrySchema))
    offered_until = fields.AwareDateTime(allow_none=True)
    reserved_by_deposit_id = fields.Integer(allow_none=True)
    customer_id = fields.Integer(allow_none=True)


class ProjectSchema(StrictSchema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    hold_days = fields.Integer()
    holds_auto_approved = fields.Boolean()
    offer_hours = fields.Integer()
    unit_count = fields.Integer()


ChannelId = lambda: Id(load_default=None, allow_none=True, metadata={  # noqa: E731
    "description": "a read or change made for this sales channel: refused for a project it "
                   "does not sell"})


class GetUnitSchema(StrictSchema):
    unit_id = Id(required=True)
    channel_id = ChannelId()


CHANNEL_KINDS = ("own_team", "agency")  # 自销团队 / 代理公司


class CreateChannelSchema(StrictSchema):
    code = fields.String(required=True, validate=validate.Regexp(r"^[a-z0-9-]{2,30}$"))
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    kind = fields.String(required=True, validate=validate.OneOf(CHANNEL_KINDS))
    project_ids = fields.List(Id(), load_default=list, validate=validate.Length(max=500))


class SetChannelProjectsSchema(StrictSchema):
    channel_id = Id(required=True)
    project_ids = fields.List(Id(), required=True, validate=validate.Length(max=500))


class GetChannelSchema(StrictSchema):
    channel_id = Id(required=True)


class ChannelSchema(StrictSchema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    kind = fields.String(metadata={"enum": list(CHANNEL_KINDS)})
    project_ids = fields.List(fields.Integer(), metadata={"description": "the projects it sells"})


class StatusChangeSchema(StrictSchema):
    from_status = fields.String(metadata={"enum": list(UNIT_STATUSES)})
    to_status = fields.String(metadata={"enum": list(UNIT_STATUSES)})
    changed_by = fields.String()
    reason = fields.String()
    event_id = fields.String(allow_none=True)
    event_type = fields.String(allow_none=True, metadata={"description": "source.type"})
    changed_at = fields.AwareDateTime()


class UnitHistorySchema(StrictSchema):
    unit_id = fields.Integer()
    changes = fields.List(fields.Nested(StatusChangeSchema))


class PriceSchema(StrictSchema):
    unit_id = Id(required=True)
    unit_price = PositiveMoney(load_default=None, metadata={"description": "单价 per m²"})
    total_price = PositiveMoney(load_default=None, metadata={
        "description": "总价; either price may be left out, it follows from the area"})
    floor_total_price = Money(load_default=None, validate=[validate.Range(
        min=0, error="must not be negative")], metadata={"description": "底价"})


class CreatePriceListSchema(StrictSchema):
    channel_id = ChannelId()
    project_id = Id(required=True)
    effective_from = fields.AwareDateTime(load_default=None, metadata={
        "description": "when the version applies; now when absent, never in the past"})
    created_by = Name(required=True)
    note = fields.String(load_default="", validate=validate.Length(max=200))
    prices = fields.List(fields.Nested(PriceSchema), required=True,
                         validate=validate.Length(min=1, max=200_000))

    @validates_schema
    def one_price_per_unit(self, data, **kwargs):
        unit_ids = [price["unit_id"] for price in data.get("prices", [])]
        if len(unit_ids) != len(set(unit_ids)):
            raise ValidationError("a unit is priced twice", "prices")


class PriceListSchema(StrictSchema):
    project_id = fields.Integer()
    version = fields.Integer()
    effective_from = fields.AwareDateTime()
    created_by = fields.String()
    note = fields.String()
    created_at = fields.AwareDateTime()
    in_force = fields.Boolean(metadata={"description": "its time has come"})
    prices = fields.List(fields.Nested(PriceSchema))


class PriceListsSchema(StrictSchema):
    project_id = fields.Integer()
    price_lists = fields.List(fields.Nested(PriceListSchema))


class GetPriceListsSchema(StrictSchema):
    channel_id = ChannelId()
    project_id = Id(required=True)


class GetPriceListSchema(StrictSchema):
    channel_id = ChannelId()
    project_id = Id(required=True)
    version = Id(required=True)


class GetUnitPriceSchema(StrictSchema):
    channel_id = ChannelId()
    unit_id = Id(required=True)
    at = fields.AwareDateTime(load_default=None, metadata={"description": "now when absent"})


class UnitPriceSchema(StrictSchema):
    unit_id = fields.Integer()
    at = fields.AwareDateTime()
    price_list_version = fields.Integer()
    effective_from = fields.AwareDateTime()
    unit_price = Money()
    total_price = Money()
    floor_total_price = Money(allow_none=True)


class AddUnitSchema(NewUnitSchema):
    """One room added to a building of a project."""
    channel_id = ChannelId()
    project_id = Id(required=True)
    building = fields.String(required=True, validate=validate.Length(min=1, max=20))
    created_by = Name(required=True)


class GenerateBuildingSchema(StrictSchema):
    """A building (号楼) from floors × rooms per floor, in each of its entrances (单元)."""
    channel_id = ChannelId()
    project_id = Id(required=True)
    building = fields.String(required=True, validate=validate.Length(min=1, max=20))
    entrances = fields.Integer(load_default=1, strict=True, validate=validate.Range(min=1, max=20))
    first_floor = fields.Integer(load_default=1, strict=True,
                                 validate=validate.Range(min=-5, max=200))
    floors = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=200))
    rooms = fields.List(fields.Nested(RoomSchema), required=True,
                        validate=validate.Length(min=1, max=20),
                        metadata={"description": "the rooms of one floor, in position order "
                                                 "(room 1501 is floor 15, position 1)"})
    property_type = fields.String(load_default=None, allow_none=True,
                                  validate=validate.OneOf(PROPERTY_TYPES))
    unit_price = PositiveMoney(load_default=None, metadata={
        "description": "单价 per m² of every room; a price-list version when given"})
    created_by = Name(required=True)

    @validates_schema
    def not_too_many(self, data, **kwargs):
        count = data.get("entrances", 1) * data.get("floors", 0) * len(data.get("rooms", []))
        if count > 5000:
            raise ValidationError(f"{count} rooms: at most 5000 per building", "floors")
        if data.get("first_floor", 1) + data.get("floors", 0) - 1 > 200:
            raise ValidationError("the top floor is above 200", "floors")


class GeneratedBuildingSchema(StrictSchema):
    project_id = fields.Integer()
    building = fields.String()
    created = fields.Integer()
    entrances = fields.Integer()
    price_list_version = fields.Integer(allow_none=True)


MAX_IMPORT_ROWS = 20_000


class ImportUnitsSchema(StrictSchema):
    """What services.inventory.structure.import_units takes; an import job builds it from the
    uploaded file (UnitTableChunkSchema)."""
    channel_id = ChannelId()
    project_id = Id(required=True)
    imported_by = Name(required=True)
    header = fields.List(fields.String(), required=True)
    rows = fields.List(fields.List(fields.String()), required=True,
                       validate=validate.Length(max=MAX_IMPORT_ROWS))


class UnitTableChunkSchema(ImportChunkSchema):
    """A chunk of a table of rooms (ImportUnitsSchema's table, uploaded as a file)."""
    channel_id = ChannelId()
    project_id = Id(required=True)


class GetUnitImportSchema(StrictSchema):
    channel_id = ChannelId()
    project_id = Id(required=True)
    job_id = Id(required=True)


class ImportErrorSchema(StrictSchema):
    line = fields.Integer()
    field = fields.String()
    reason = fields.String()


class UnitImportSchema(StrictSchema):
    project_id = fields.Integer()
    rows = fields.Integer()
    created = fields.Integer()
    updated = fields.Integer()
    unchanged = fields.Integer()
    priced = fields.Integer(metadata={"description": "rooms whose price changed"})
    price_list_version = fields.Integer(allow_none=True)
    errors = fields.List(fields.Nested(ImportErrorSchema))


class WeekPlanSchema(StrictSchema):
    week = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=14),
                          metadata={"description": "第N周 of the quarter"})
    units = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=100_000),
                           metadata={"description": "本周户数"})
    amount = Money(required=True, validate=[validate.Range(min=0, error="must not be negative")],
                   metadata={"description": "本周总销"})


class Quarter(StrictSchema):
    project_id = Id(required=True)
    year = fields.Integer(required=True, strict=True, validate=validate.Range(min=2000, max=2100))
    quarter = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=4))


class SetWeeklyPlanSchema(Quarter):
    channel_id = ChannelId()
    weeks = fields.List(fields.Nested(WeekPlanSchema), required=True,
                        validate=validate.Length(min=1, max=14))
    set_by = Name(required=True)

    @validates_schema
    def one_plan_per_week(self, data, **kwargs):
        weeks = [week["week"] for week in data.get("weeks", [])]
        if len(weeks) != len(set(weeks)):
            raise ValidationError("a week is planned twice", "weeks")


class GetProgressSchema(Quarter):
    channel_id = ChannelId()
    pass


class WeekProgressSchema(StrictSchema):
    week = fields.Integer()
    starts_on = fields.Date()
    ends_on = fields.Date()
    plan_units = fields.Integer()
    plan_amount = Money()
    plan_cumulative_units = fields.Integer()
    plan_cumulative_amount = Money()
    actual_units = fields.Integer()
    actual_amount = Money()
    actual_cumulative_units = fields.Integer()
    actual_cumulative_amount = Money()
    units_completion_ratio = fields.Decimal(as_string=True, allow_none=True)
    amount_completion_ratio = fields.Decimal(as_string=True, allow_none=True, metadata={
        "description": "完成进度比例: cumulative actual over cumulative plan"})
    units_sold = fields.List(fields.String(), metadata={"description": "房源编号"})


class QuarterlyProgressSchema(StrictSchema):
    """季度全案进度掌控表: a sale counts when its unit is subscribed (认购)."""
    project_id = fields.Integer()
    year = fields.Integer()
    quarter = fields.Integer()
    weeks = fields.List(fields.Nested(WeekProgressSchema))


class GetBoardSchema(StrictSchema):
    project_id = Id(required=True)
    channel_id = ChannelId()
    building = fields.String(load_default=None, validate=validate.Length(min=1, max=20),
                             metadata={"description": "one building (号楼) only"})
    rooms = fields.Boolean(load_default=True, metadata={
        "description": "false: the buildings and their totals only, no rooms (a large "
                       "project's tabs, a building's rooms asked for one at a time)"})


class BoardCellSchema(StrictSchema):
    """One room on the board: the board sends it as a row of these values, in this order
    (the board's `columns`)."""
    id = fields.Integer()
    building = fields.String()
    entrance = fields.String()
    floor = fields.Integer()
    number = fields.String()
    layout = fields.String(allow_none=True)
    building_area = Money()
    list_unit_price = Money(allow_none=True)
    list_price = Money(allow_none=True)
    status = fields.String(metadata={"enum": list(UNIT_STATUSES)})
    consultant_id = fields.Integer(allow_none=True, metadata={
        "description": "the holding, then the selling consultant"})


class BoardBuildingSchema(StrictSchema):
    building = fields.String()
    entrances = fields.List(fields.String())
    lowest_floor = fields.Integer()
    highest_floor = fields.Integer()
    unit_count = fields.Integer()
    by_status = fields.Dict(keys=fields.String(), values=fields.Integer())


class BoardProjectSchema(StrictSchema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    unit_count = fields.Integer()


class BoardSchema(StrictSchema):
    """The sales-control board (销控表): rooms by building, entrance, floor and number."""
    project = fields.Nested(BoardProjectSchema)
    buildings = fields.List(fields.Nested(BoardBuildingSchema))
    columns = fields.List(fields.String(), metadata={
        "description": "the fields of each room's row, in order: id, building, entrance, floor, "
                       "number, layout, building_area, list_unit_price, list_price, status, "
                       "consultant_id (BoardCell)"})
    units = fields.List(fields.List(fields.Raw()), metadata={
        "description": "one row per room, ordered by building, entrance, floor, number"})


class HoldUnitSchema(StrictSchema):
    channel_id = ChannelId()
    unit_id = Id(required=True)
    customer_id = Id(required=True)
    customer_name = fields.String(load_default=None, validate=validate.Length(min=1, max=50))
    consultant_id = Id(required=True)


class ApproveHoldSchema(StrictSchema):
    channel_id = ChannelId()
    hold_id = Id(required=True)
    approve = fields.Boolean(required=True)
    manager = Name(required=True)
    comment = fields.String(load_default="", validate=validate.Length(max=200))


class ExtendHoldSchema(StrictSchema):
    """An extension is the manager's approval itself (第9篇: 须经营销经理批准)."""
    channel_id = ChannelId()
    hold_id = Id(required=True)
    days = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=30))
    approved_by = Name(required=True)
    reason = Reason(required=True)


class ReleaseHoldSchema(StrictSchema):
    channel_id = ChannelId()
    hold_id = Id(required=True)
    consultant_id = Id(required=True, allow_none=True,
                       metadata={"description": "the releasing consultant; null for a manager"})
    released_by = Name(required=True)
    reason = Reason(required=True)


class GetHoldSchema(StrictSchema):
    channel_id = ChannelId()
    hold_id = Id(required=True)


class ListHoldsSchema(StrictSchema):
    """Open holds (pending approval or active) the actor may see, soonest to expire first."""
    channel_id = ChannelId()
    status = fields.String(load_default=None, allow_none=True,
                           validate=validate.OneOf(("pending", "active")),
                           metadata={"description": "one status; both open ones when absent"})
    # not strict: they come from a query string
    expiring_within_hours = fields.Integer(load_default=None, allow_none=True,
                                           validate=validate.Range(min=1, max=24 * 30))
    limit = fields.Integer(load_default=200, validate=validate.Range(min=1, max=1000))


class ListedHoldSchema(HoldSchema):
    project_id = fields.Integer()
    building = fields.String()
    number = fields.String()


class HoldListSchema(StrictSchema):
    holds = fields.List(fields.Nested(ListedHoldSchema))


class JoinWaitlistSchema(StrictSchema):
    channel_id = ChannelId()
    unit_id = Id(required=True)
    consultant_id = Id(required=True)
    customer_id = Id(required=True)


class GetWaitlistEntrySchema(StrictSchema):
    entry_id = Id(required=True)


class WithdrawFromWaitlistSchema(StrictSchema):
    channel_id = ChannelId()
    entry_id = Id(required=True)
    consultant_id = Id(required=True, allow_none=True,
                       metadata={"description": "the withdrawing consultant; null for a manager"})


class UnitHeld(StrictSchema):
    hold_id = fields.Integer(required=True)
    consultant_id = fields.Integer(required=True)
    expires_at = fields.AwareDateTime(required=True)
    status = fields.String(load_default="active", validate=validate.OneOf(("pending", "active")))


class HoldApproved(StrictSchema):
    hold_id = fields.Integer(required=True)
    approved_by = fields.String(required=True)


class HoldExtended(StrictSchema):
    hold_id = fields.Integer(required=True)
    expires_at = fields.AwareDateTime(required=True)
    approved_by = fields.String(required=True)
    reason = fields.String(required=True)


class HoldReleased(StrictSchema):
    hold_id = fields.Integer(required=True)
    outcome = fields.String(required=True, validate=validate.OneOf(("released", "rejected")))
    by = fields.String(required=True)
    reason = fields.String(required=True)


class UnitOffered(StrictSchema):
    entry_id = fields.Integer(required=True)
    consultant_id = fields.Integer(required=True)
    offer_expires_at = fields.AwareDateTime(required=True)


class OfferLapsed(StrictSchema):
    entry_id = fields.Integer(required=True)
    consultant_id = fields.Integer(required=True)
    outcome = fields.String(required=True, validate=validate.OneOf(("lapsed", "withdrawn")))


class HoldExpired(StrictSchema):
    hold_id = fields.Integer(required=True)


class PinnedPrice(StrictSchema):
    """The price a reservation was made at: the unit's price-list version then, which
    transactions pins for the subscription and contract. Absent from older events."""
    price_list_version = fields.Integer(load_default=None, allow_none=True)
    unit_price = Money(load_default=None, allow_none=True)
    total_price = Money(load_default=None, allow_none=True)
    floor_total_price = Money(load_default=None, allow_none=True,
                              metadata={"description": "底价: below it a discount needs the "
                                                       "general manager"})


class UnitReserved(PinnedPrice):
    deposit_id = fields.Integer(required=True)
    hold_id = fields.Integer(required=True, allow_none=True)


class ReservationSwapped(PinnedPrice):
    """The reservation moved from one unit to another in one transaction; the price fields
    are the new unit's."""
    application_id = fields.Integer(required=True)
    deposit_id = fields.Integer(required=True)
    from_unit_id = fields.Integer(required=True)
    to_unit_id = fields.Integer(required=True)


class SwapRejected(StrictSchema):
    application_id = fields.Integer(required=True)
    deposit_id = fields.Integer(required=True)
    reason = fields.String(required=True)
    unit_status = fields.String(required=True, allow_none=True)


class UnitReleased(StrictSchema):
    """A reserved (or later) unit is available again: refund, forfeiture (挞定) or swap."""
    deposit_id = fields.Integer(required=True, allow_none=True)
    reason = fields.String(required=True, validate=validate.OneOf(("refund", "forfeiture",
                                                                   "swap")))
    previous_status = fields.String(required=True)


class UnitSold(StrictSchema):
    deposit_id = fields.Integer(required=True)
    contract_id = fields.Integer(required=True)
    filing_number = fields.String(required=True)


class UnitReservationRejected(StrictSchema):
    deposit_id = fields.Integer(required=True)
    reason = fields.String(required=True)
    unit_status = fields.String(required=True, allow_none=True)


register(
    EventType("inventory", "unit_held", 1, UnitHeld,
              {"hold_id": 1, "consultant_id": 3, "expires_at": "2026-11-25T02:00:00+00:00"}),
    EventType("inventory", "hold_expired", 1, HoldExpired, {"hold_id": 1}),
    EventType("inventory", "hold_approved", 1, HoldApproved,
              {"hold_id": 1, "approved_by": "manager-wang"}),
    EventType("inventory", "hold_extended", 1, HoldExtended,
              {"hold_id": 1, "expires_at": "2026-11-27T02:00:00+00:00",
               "approved_by": "manager-wang", "reason": "customer abroad until Friday"}),
    EventType("inventory", "hold_released", 1, HoldReleased,
              {"hold_id": 1, "outcome": "released", "by": "consultant-3",
               "reason": "customer chose another unit"}),
    EventType("inventory", "unit_offered", 1, UnitOffered,
              {"entry_id": 4, "consultant_id": 5,
               "offer_expires_at": "2026-11-25T04:00:00+00:00"}),
    EventType("inventory", "offer_lapsed", 1, OfferLapsed,
              {"entry_id": 4, "consultant_id": 5, "outcome": "lapsed"}),
    EventType("inventory", "unit_reserved", 1, UnitReserved,
              {"deposit_id": 7, "hold_id": 1, "price_list_version": 2,
               "unit_price": "12345.00", "total_price": "1234500.00",
               "floor_total_price": "1180000.00"}),
    EventType("inventory", "reservation_swapped", 1, ReservationSwapped,
              {"application_id": 2, "deposit_id": 7, "from_unit_id": 11, "to_unit_id": 12,
               "price_list_version": 2, "unit_price": "12000.00", "total_price": "1200000.00",
               "floor_total_price": "1150000.00"}),
    EventType("inventory", "swap_rejected", 1, SwapRejected,
              {"application_id": 2, "deposit_id": 7, "reason": "the unit is held by another "
               "customer", "unit_status": "held"}),
    EventType("inventory", "unit_released", 1, UnitReleased,
              {"deposit_id": 7, "reason": "refund", "previous_status": "subscribed"}),
    EventType("inventory", "unit_sold", 1, UnitSold,
              {"deposit_id": 7, "contract_id": 4, "filing_number": "LY2026-000123"}),
    EventType("inventory", "unit_reservation_rejected", 1, UnitReservationRejected,
              {"deposit_id": 8, "reason": "the unit is reserved by another deposit",
               "unit_status": "reserved"}),
)
