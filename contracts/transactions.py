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


class SubscriptionSigned(StrictSchema):
    """认购书 signed: the unit becomes subscribed."""
    subscription_id = fields.Integer(required=True)
    deposit_id = fields.Integer(required=True)
    consultant_id = fields.Integer(required=True)
    total_price = Money(required=True)
    price_list_version = fields.Integer(required=True, allow_none=True)


class ContractSigned(StrictSchema):
    """商品房买卖合同 signed: the unit becomes contracted."""
    contract_id = fields.Integer(required=True)
    subscription_id = fields.Integer(required=True)
    deposit_id = fields.Integer(required=True)
    total_price = Money(required=True)
    payment_method = fields.String(required=True)


class ContractFiled(StrictSchema):
    """备案 with the housing authority: the sale is final (inventory answers `unit_sold`)."""
    contract_id = fields.Integer(required=True)
    deposit_id = fields.Integer(required=True)
    filing_number = fields.String(required=True)


class SwapApproved(StrictSchema):
    """换房 approved: inventory moves the reservation from one unit to the other in one
    transaction and answers `reservation_swapped` or `swap_rejected`."""
    application_id = fields.Integer(required=True)
    deposit_id = fields.Integer(required=True)
    from_unit_id = fields.Integer(required=True)
    to_unit_id = fields.Integer(required=True)


class RefundApproved(StrictSchema):
    """退房 approved by the whole chain: the unit is released."""
    application_id = fields.Integer(required=True)
    deposit_id = fields.Integer(required=True)
    amount_paid = Money(required=True)
    penalty = Money(required=True)
    refund_amount = Money(required=True)


class DepositForfeited(StrictSchema):
    """挞定: the buyer did not sign in time and the deposit is kept; the unit is released."""
    deposit_id = fields.Integer(required=True)
    reason = fields.String(required=True)


register(
    EventType("transactions", "deposit_received", 1, DepositReceived,
              {"deposit_id": 7, "amount": "20000.00", "kind": "small", "consultant_id": 3}),
    EventType("transactions", "deposit_confirmed", 1, DepositConfirmed,
              {"deposit_id": 7, "amount": "20000.00"}),
    EventType("transactions", "deposit_rejected", 1, DepositRejected,
              {"deposit_id": 8, "amount": "20000.00", "reason": "the unit is reserved by another deposit",
               "resolution": "refund"}),
    EventType("transactions", "subscription_signed", 1, SubscriptionSigned,
              {"subscription_id": 5, "deposit_id": 7, "consultant_id": 3,
               "total_price": "1234567.00", "price_list_version": 2}),
    EventType("transactions", "contract_signed", 1, ContractSigned,
              {"contract_id": 4, "subscription_id": 5, "deposit_id": 7,
               "total_price": "1234567.00", "payment_method": "mortgage"}),
    EventType("transactions", "contract_filed", 1, ContractFiled,
              {"contract_id": 4, "deposit_id": 7, "filing_number": "LY2026-000123"}),
    EventType("transactions", "swap_approved", 1, SwapApproved,
              {"application_id": 2, "deposit_id": 7, "from_unit_id": 11, "to_unit_id": 12}),
    EventType("transactions", "refund_approved", 1, RefundApproved,
              {"application_id": 3, "deposit_id": 7, "amount_paid": "50000.00",
               "penalty": "5000.00", "refund_amount": "45000.00"}),
    EventType("transactions", "deposit_forfeited", 1, DepositForfeited,
              {"deposit_id": 7, "reason": "not signed by the agreed date"}),
)
