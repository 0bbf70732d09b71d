"""Inventory: projects, buildings, units, holds (预留) and reservations."""
from marshmallow import fields, validate, validates_schema, ValidationError

from contracts.base import Id, Money, PositiveMoney, StrictSchema
from contracts.envelope import EventType, register

UNIT_STATUSES = ("available", "held", "reserved", "subscribed", "contracted", "filed")


class NewUnitSchema(StrictSchema):
    number = fields.String(required=True, validate=validate.Length(min=1, max=20))
    floor = fields.Integer(required=True, strict=True, validate=validate.Range(min=-5, max=200))
    building_area = PositiveMoney(required=True)  # m², two decimals like money
    list_price = PositiveMoney(required=True)
    layout = fields.String(load_default=None, allow_none=True, validate=validate.Regexp(r"^\d/\d(/\d)?$"))


class NewBuildingSchema(StrictSchema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=20))  # 号楼
    units = fields.List(fields.Nested(NewUnitSchema), required=True,
                        validate=validate.Length(min=1, max=5000))

    @validates_schema
    def unique_numbers(self, data, **kwargs):
        numbers = [unit["number"] for unit in data.get("units", [])]
        if len(numbers) != len(set(numbers)):
            raise ValidationError("unit numbers repeat within the building", "units")


class CreateProjectSchema(StrictSchema):
    code = fields.String(required=True, validate=validate.Regexp(r"^[a-z0-9-]{2,30}$"))
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    hold_days = fields.Integer(load_default=3, strict=True, validate=validate.Range(min=1, max=30))
    buildings = fields.List(fields.Nested(NewBuildingSchema), required=True,
                            validate=validate.Length(min=1, max=200))


class HoldSchema(StrictSchema):
    id = fields.Integer()
    customer_id = fields.Integer()
    consultant_id = fields.Integer()
    expires_at = fields.AwareDateTime()


class UnitSchema(StrictSchema):
    id = fields.Integer()
    project_id = fields.Integer()
    building = fields.String()
    number = fields.String()
    floor = fields.Integer()
    building_area = Money()
    list_price = Money()
    layout = fields.String(allow_none=True)
    status = fields.String()
    version = fields.Integer()
    hold = fields.Nested(HoldSchema, allow_none=True)
    reserved_by_deposit_id = fields.Integer(allow_none=True)
    customer_id = fields.Integer(allow_none=True)


class ProjectSchema(StrictSchema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    hold_days = fields.Integer()
    unit_count = fields.Integer()


class GetUnitSchema(StrictSchema):
    unit_id = Id(required=True)


class GetBoardSchema(StrictSchema):
    project_id = Id(required=True)


class BoardSchema(StrictSchema):
    project = fields.Nested(ProjectSchema)
    units = fields.List(fields.Nested(UnitSchema))


class HoldUnitSchema(StrictSchema):
    unit_id = Id(required=True)
    customer_id = Id(required=True)
    consultant_id = Id(required=True)


class UnitHeld(StrictSchema):
    hold_id = fields.Integer(required=True)
    consultant_id = fields.Integer(required=True)
    expires_at = fields.AwareDateTime(required=True)


class HoldExpired(StrictSchema):
    hold_id = fields.Integer(required=True)


class UnitReserved(StrictSchema):
    deposit_id = fields.Integer(required=True)
    hold_id = fields.Integer(required=True, allow_none=True)


class UnitReservationRejected(StrictSchema):
    deposit_id = fields.Integer(required=True)
    reason = fields.String(required=True)
    unit_status = fields.String(required=True, allow_none=True)


register(
    EventType("inventory", "unit_held", 1, UnitHeld,
              {"hold_id": 1, "consultant_id": 3, "expires_at": "2026-11-25T02:00:00+00:00"}),
    EventType("inventory", "hold_expired", 1, HoldExpired, {"hold_id": 1}),
    EventType("inventory", "unit_reserved", 1, UnitReserved, {"deposit_id": 7, "hold_id": 1}),
    EventType("inventory", "unit_reservation_rejected", 1, UnitReservationRejected,
              {"deposit_id": 8, "reason": "the unit is reserved by another deposit",
               "unit_status": "reserved"}),
)
