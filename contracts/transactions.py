"""Transactions: deposits (定金) and their saga with inventory."""
from marshmallow import fields, validate

from contracts.base import Id, Money, PositiveMoney, StrictSchema
from contracts.envelope import EventType, register

DEPOSIT_KINDS = ("small", "large")  # 小定 / 大定
DEPOSIT_STATUSES = ("pending", "confirmed", "refund_pending")


class TakeDepositSchema(StrictSchema):
    unit_id = Id(required=True)
    customer_id = Id(required=True)
    consultant_id = Id(required=True)
    amount = PositiveMoney(required=True)
    kind = fields.String(load_default="small", validate=validate.OneOf(DEPOSIT_KINDS))
    project_id = Id(load_default=None, allow_none=True)


class GetDepositSchema(StrictSchema):
    deposit_id = Id(required=True)


class DepositSchema(StrictSchema):
    id = fields.Integer()
    unit_id = fields.Integer()
    customer_id = fields.Integer()
    consultant_id = fields.Integer()
    project_id = fields.Integer(allow_none=True)
    amount = Money()
    kind = fields.String()
    status = fields.String()
    status_reason = fields.String(allow_none=True)
    received_at = fields.AwareDateTime()
    settled_at = fields.AwareDateTime(allow_none=True)


class DepositReceived(StrictSchema):
    deposit_id = fields.Integer(required=True)
    amount = Money(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(DEPOSIT_KINDS))
    consultant_id = fields.Integer(required=True)


class DepositConfirmed(StrictSchema):
    deposit_id = fields.Integer(required=True)
    amount = Money(required=True)


class DepositRejected(StrictSchema):
    deposit_id = fields.Integer(required=True)
    amount = Money(required=True)
    reason = fields.String(required=True)
    resolution = fields.String(required=True, validate=validate.OneOf(("refund",)))


register(
    EventType("transactions", "deposit_received", 1, DepositReceived,
              {"deposit_id": 7, "amount": "20000.00", "kind": "small", "consultant_id": 3}),
    EventType("transactions", "deposit_confirmed", 1, DepositConfirmed,
              {"deposit_id": 7, "amount": "20000.00"}),
    EventType("transactions", "deposit_rejected", 1, DepositRejected,
              {"deposit_id": 8, "amount": "20000.00", "reason": "the unit is reserved by another deposit",
               "resolution": "refund"}),
)
