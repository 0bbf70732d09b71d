"""Transactions: deposits (定金) and their saga with inventory."""
from decimal import Decimal

from marshmallow import ValidationError, fields, validate

from contracts.audit import ReadAudit
from contracts.base import MAX_ID, Id, Money, PositiveMoney, StrictSchema
from contracts.envelope import EventType, register

MAX_AREA = Decimal("99999999.99")  # m², Numeric(10, 2)

DEPOSIT_KINDS = ("small", "large")  # 小定 / 大定
DEPOSIT_STATUSES = ("pending", "confirmed", "refund_pending", "refunded", "forfeited")
SIGNATORIES = ("customer", "consultant", "manager")
PAYMENT_PURPOSES = ("deposit", "down_payment", "installment", "full_payment", "loan", "other")
PAYMENT_CHANNELS = ("pos", "transfer", "cash", "bank_loan")
PAYMENT_METHODS = ("lump_sum", "mortgage", "provident_fund", "installments")


def IdempotencyKey():  # noqa: N802 - a field factory, named as the field it makes
    """The caller's `Idempotency-Key` (unique per user at the gateway): a retry of a command
    whose answer was lost finds what the first one created instead of creating it again."""
    return fields.String(load_default=None, allow_none=True,
                         validate=validate.Length(min=1, max=255))


class TakeDepositSchema(StrictSchema):
    unit_id = Id(required=True)
    customer_id = Id(required=True)
    consultant_id = Id(required=True)
    amount = PositiveMoney(required=True)
    kind = fields.String(load_default="small", validate=validate.OneOf(DEPOSIT_KINDS))
    project_id = Id(required=True, metadata={"description": "the unit's project (inventory's)"})
    # what the order form (定单) says; the total price is checked against the deposit here and
    # replaced by the price inventory pins when it reserves the unit
    customer_name = fields.String(load_default=None, allow_none=True,
                                  validate=validate.Length(min=1, max=100))
    customer_id_number = fields.String(load_default=None, allow_none=True,
                                       validate=validate.Length(min=15, max=30))
    building_area = fields.Decimal(load_default=None, allow_none=True, as_string=True,
                                   places=2, validate=validate.Range(min=0, min_inclusive=False, max=MAX_AREA))
    total_price = PositiveMoney(load_default=None, allow_none=True)
    due_date = fields.Date(load_default=None, allow_none=True,
                           metadata={"description": "补足日 or 签约日 agreed with the customer"})
    idempotency_key = IdempotencyKey()


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
    unanswered_at = fields.AwareDateTime(allow_none=True, metadata={
        "description": "when the deposit was flagged for waiting too long for inventory"})


class OrderFormQuery(ReadAudit):
    order_form_id = Id(required=True)


class DepositOrderFormQuery(ReadAudit):
    deposit_id = Id(required=True)


class SignOrderFormSchema(StrictSchema):
    """A signature on the order form; the gateway names the signer from the caller's token."""
    order_form_id = Id(required=True)
    party = fields.String(required=True, validate=validate.OneOf(SIGNATORIES))
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    role = fields.String(required=True)


class VoidOrderFormSchema(StrictSchema):
    """作废: only with a reason, approved by a manager; a corrected form replaces it."""
    order_form_id = Id(required=True)
    reason = fields.String(required=True, validate=validate.Length(min=2, max=200))
    requested_by = fields.String(required=True, validate=validate.Length(min=1, max=100))
    approved_by = fields.String(required=True, validate=validate.Length(min=1, max=100))
    approver_role = fields.String(required=True)
    customer_name = fields.String(load_default=None, allow_none=True,
                                  validate=validate.Length(min=1, max=100))
    customer_id_number = fields.String(load_default=None, allow_none=True,
                                       validate=validate.Length(min=15, max=30))
    building_area = fields.Decimal(load_default=None, allow_none=True, as_string=True,
                                   places=2, validate=validate.Range(min=0, min_inclusive=False, max=MAX_AREA))
    due_date = fields.Date(load_default=None, allow_none=True)


class ForfeitDepositSchema(StrictSchema):
    """挞定 after the agreed top-up or signing date, decided by a manager."""
    order_form_id = Id(required=True)
    reason = fields.String(required=True, validate=validate.Length(min=2, max=200))
    approved_by = fields.String(required=True, validate=validate.Length(min=1, max=100))
    approver_role = fields.String(required=True)


class RecordPaymentSchema(StrictSchema):
    order_form_id = Id(required=True)
    amount = Money(required=True)
    purpose = fields.String(load_default="other", validate=validate.OneOf(PAYMENT_PURPOSES))
    channel = fields.String(load_default="transfer", validate=validate.OneOf(PAYMENT_CHANNELS))
    recorded_by = fields.String(required=True, validate=validate.Length(min=1, max=100))
    idempotency_key = IdempotencyKey()


class ReceiptSchema(StrictSchema):
    id = fields.Integer()
    project_id = fields.Integer()
    number = fields.Integer()
    order_form_id = fields.Integer()
    payment_id = fields.Integer()
    kind = fields.String(metadata={"enum": ["deposit", "purchase"]})
    amount = Money()
    status = fields.String(metadata={"enum": ["issued", "voided", "exchanged"]})
    issued_at = fields.AwareDateTime()
    voided_at = fields.AwareDateTime(allow_none=True)
    void_reason = fields.String(allow_none=True)
    replaced_by_id = fields.Integer(allow_none=True)


class PaymentSchema(StrictSchema):
    id = fields.Integer()
    order_form_id = fields.Integer()
    amount = Money()
    purpose = fields.String()
    method = fields.String()
    recorded_by = fields.String()
    paid_at = fields.AwareDateTime()
    receipt = fields.Nested(ReceiptSchema)


class SignatureSchema(StrictSchema):
    name = fields.String(allow_none=True)
    signed_at = fields.AwareDateTime(allow_none=True)


class OrderFormSchema(StrictSchema):
    id = fields.Integer()
    deposit_id = fields.Integer()
    project_id = fields.Integer()
    unit_id = fields.Integer()
    customer_id = fields.Integer()
    consultant_id = fields.Integer()
    customer_name = fields.String(allow_none=True)
    customer_id_number = fields.String(allow_none=True)
    building_area = fields.Decimal(as_string=True, allow_none=True)
    price_list_version = fields.Integer(allow_none=True)
    unit_price = Money(allow_none=True)
    total_price = Money(allow_none=True)
    floor_total_price = Money(allow_none=True)
    deposit_amount = Money()
    kind = fields.String()
    due_date = fields.Date(allow_none=True)
    status = fields.String(metadata={"enum": ["active", "voided", "replaced", "forfeited"]})
    signatures = fields.Dict(keys=fields.String(), values=fields.Nested(SignatureSchema))
    void_reason = fields.String(allow_none=True)
    void_requested_by = fields.String(allow_none=True)
    void_approved_by = fields.String(allow_none=True)
    voided_at = fields.AwareDateTime(allow_none=True)
    created_at = fields.AwareDateTime()
    amount_paid = Money()
    price_payable = Money(allow_none=True, metadata={
        "description": "what the buyer pays: the contract's total, else the subscription's, "
                       "else the approved discounted total, else the order form's"})
    balance_due = Money(allow_none=True)
    receipts = fields.List(fields.Nested(ReceiptSchema))


class SignSubscriptionSchema(StrictSchema):
    """认购书: the buyer named on the order form, or a proxy with a power of attorney."""
    order_form_id = Id(required=True)
    buyer_name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    buyer_id_number = fields.String(required=True, validate=validate.Length(min=15, max=30))
    signed_by = fields.String(required=True, validate=validate.Length(min=1, max=100))
    power_of_attorney = fields.String(load_default=None, allow_none=True,
                                      validate=validate.Length(min=1, max=100))
    power_of_attorney_notarized = fields.Boolean(load_default=None, allow_none=True)
    total_price = PositiveMoney(load_default=None, allow_none=True, metadata={
        "description": "only when the reservation pinned no price; must equal it otherwise"})


class SubscriptionSchema(StrictSchema):
    id = fields.Integer()
    order_form_id = fields.Integer()
    buyer_name = fields.String()
    buyer_id_number = fields.String()
    signed_by = fields.String()
    power_of_attorney = fields.String(allow_none=True)
    power_of_attorney_notarized = fields.Boolean(allow_none=True)
    price_list_version = fields.Integer(allow_none=True)
    unit_price = Money(allow_none=True)
    list_total_price = Money()
    discount = Money()
    total_price = Money()
    status = fields.String()
    signed_at = fields.AwareDateTime()


class SubscriptionQuery(StrictSchema):
    subscription_id = Id(required=True)


class SignContractSchema(StrictSchema):
    subscription_id = Id(required=True)
    buyer_name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    buyer_id_number = fields.String(required=True, validate=validate.Length(min=15, max=30))
    signed_by = fields.String(required=True, validate=validate.Length(min=1, max=100))
    power_of_attorney = fields.String(load_default=None, allow_none=True,
                                      validate=validate.Length(min=1, max=100))
    power_of_attorney_notarized = fields.Boolean(load_default=None, allow_none=True)
    payment_method = fields.String(required=True, validate=validate.OneOf(PAYMENT_METHODS))
    mortgage_documents_due = fields.Date(load_default=None, allow_none=True, metadata={
        "description": "按揭资料 deadline from the contract; required for a mortgage"})


class ContractSchema(StrictSchema):
    id = fields.Integer()
    subscription_id = fields.Integer()
    order_form_id = fields.Integer()
    buyer_name = fields.String()
    buyer_id_number = fields.String()
    signed_by = fields.String()
    power_of_attorney = fields.String(allow_none=True)
    power_of_attorney_notarized = fields.Boolean(allow_none=True)
    total_price = Money()
    payment_method = fields.String()
    mortgage_documents_due = fields.Date(allow_none=True)
    status = fields.String(metadata={"enum": ["signed", "filed"]})
    signed_at = fields.AwareDateTime()
    filing_number = fields.String(allow_none=True)
    filed_at = fields.AwareDateTime(allow_none=True)


class ContractQuery(ReadAudit):
    contract_id = Id(required=True)


class FileContractSchema(StrictSchema):
    contract_id = Id(required=True)
    filing_number = fields.String(required=True, validate=validate.Length(min=3, max=50))


PLAN_ITEM_KINDS = ("full_payment", "down_payment", "installment", "loan")
REPAYMENT_METHODS = ("equal_installments", "equal_principal")  # 等额本息 / 等额本金


class PlanItemInput(StrictSchema):
    kind = fields.String(required=True, validate=validate.OneOf(PLAN_ITEM_KINDS))
    due_date = fields.Date(required=True)
    amount = PositiveMoney(required=True)


class RateField(fields.Decimal):
    """An annual interest rate as a decimal string ("0.049" is 4.9 %), never a float."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str):
            raise ValidationError('a rate is a string like "0.049", not a number')
        return super()._deserialize(value, attr, data, **kwargs)


RATE_PLACES = 5  # the mortgage table keeps Numeric(7, 5): a finer rate would be rounded silently


def _at_most_rate_places(value: Decimal):
    if value != value.quantize(Decimal(1).scaleb(-RATE_PLACES)):
        raise ValidationError(f"at most {RATE_PLACES} decimal places, like \"0.04900\"")


def Rate(**kwargs):
    return RateField(as_string=True, allow_nan=False, validate=[
        validate.Range(min=0, max=1, max_inclusive=False), _at_most_rate_places], **kwargs)


class MortgageInput(StrictSchema):
    bank = fields.String(required=True, validate=validate.Length(min=1, max=100))
    annual_rate = Rate(required=True)
    months = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=360))
    repayment = fields.String(load_default="equal_installments",
                              validate=validate.OneOf(REPAYMENT_METHODS))


class SetPaymentPlanSchema(StrictSchema):
    contract_id = Id(required=True)
    items = fields.List(fields.Nested(PlanItemInput), required=True,
                        validate=validate.Length(min=1, max=120))
    mortgage = fields.Nested(MortgageInput, load_default=None, allow_none=True)


class RepaymentQuery(StrictSchema):
    principal = PositiveMoney(required=True)
    annual_rate = Rate(required=True)
    months = fields.Integer(required=True, validate=validate.Range(min=1, max=360))
    method = fields.String(load_default="equal_installments",
                           validate=validate.OneOf(REPAYMENT_METHODS))


class RepaymentSchema(StrictSchema):
    method = fields.String()
    principal = Money()
    annual_rate = fields.Decimal(as_string=True)
    months = fields.Integer()
    first_payment = Money()
    last_payment = Money()
    monthly_decrease = Money(metadata={"description": "等额本金: how much less each month"})
    total_payment = Money()
    total_interest = Money()


class MortgageDocumentSchema(StrictSchema):
    name = fields.String()
    handed_in_on = fields.Date()
    late = fields.Boolean(metadata={"description": "handed in after the contract's deadline"})
    recorded_by = fields.String()


class MortgageSchema(StrictSchema):
    bank = fields.String()
    loan_amount = Money()
    annual_rate = fields.Decimal(as_string=True)
    months = fields.Integer()
    repayment = fields.Nested(RepaymentSchema)
    documents_due = fields.Date(allow_none=True)
    documents = fields.List(fields.Nested(MortgageDocumentSchema))


class PlanItemSchema(StrictSchema):
    seq = fields.Integer()
    kind = fields.String()
    due_date = fields.Date()
    amount = Money()
    paid = Money()
    outstanding = Money()
    overdue = fields.Boolean()


class PaymentPlanSchema(StrictSchema):
    contract_id = fields.Integer()
    payment_method = fields.String()
    total_price = Money()
    amount_paid = Money()
    balance_due = Money()
    items = fields.List(fields.Nested(PlanItemSchema))
    mortgage = fields.Nested(MortgageSchema, allow_none=True)


class MortgageDocumentInput(StrictSchema):
    contract_id = Id(required=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    handed_in_on = fields.Date(required=True)
    recorded_by = fields.String(required=True, validate=validate.Length(min=1, max=100))


APPLICATION_KINDS = ("swap", "refund", "rename", "discount", "layout_change")
APPLICATION_STATUSES = ("pending", "approved", "rejected", "completed", "failed")


class FileApplicationSchema(StrictSchema):
    """An application on an order form; each kind needs its own fields (the seed's forms)."""
    order_form_id = Id(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(APPLICATION_KINDS))
    reason = fields.String(required=True, validate=validate.Length(min=2, max=500))
    applicant = fields.String(required=True, validate=validate.Length(min=1, max=100))
    to_unit_id = Id(load_default=None, allow_none=True, metadata={"description": "swap"})
    to_building_area = fields.Decimal(load_default=None, allow_none=True, as_string=True,
                                      places=2, validate=validate.Range(min=0, min_inclusive=False, max=MAX_AREA),
                                      metadata={"description": "swap: the new unit's area"})
    # swap, 调房申请单: the new unit as the price list has it (the gateway reads it from
    # inventory); inventory pins the price again when it moves the reservation
    to_unit_price = Money(load_default=None, allow_none=True,
                          metadata={"description": "swap: 调房后单价"})
    to_total_price = PositiveMoney(load_default=None, allow_none=True,
                                   metadata={"description": "swap: 调房后总房款"})
    to_project_id = Id(load_default=None, allow_none=True,
                       metadata={"description": "swap: the new unit's project"})
    to_layout = fields.String(load_default=None, allow_none=True,
                              validate=validate.Length(max=50),
                              metadata={"description": "swap: 调房后户型"})
    penalty = Money(load_default=None, allow_none=True, metadata={"description": "refund: 违约金"})
    refund_amount = Money(load_default=None, allow_none=True,
                          metadata={"description": "refund: optional, checked against paid"})
    new_buyer_name = fields.String(load_default=None, allow_none=True,
                                   validate=validate.Length(min=1, max=100))
    new_buyer_id_number = fields.String(load_default=None, allow_none=True,
                                        validate=validate.Length(min=15, max=30))
    discounted_total_price = PositiveMoney(load_default=None, allow_none=True)
    requirements = fields.String(load_default=None, allow_none=True,
                                 validate=validate.Length(min=2, max=2000),
                                 metadata={"description": "layout change: 改动要求"})
    construction_number = fields.String(load_default=None, allow_none=True,
                                        validate=validate.Length(max=50))


class DecideApplicationSchema(StrictSchema):
    """One approval step; the gateway names the approver and role from the caller's token."""
    application_id = Id(required=True)
    decision = fields.String(required=True, validate=validate.OneOf(("approve", "reject")))
    comment = fields.String(load_default="", validate=validate.Length(max=500))
    approver = fields.String(required=True, validate=validate.Length(min=1, max=100))
    role = fields.String(required=True)


class PayRefundSchema(StrictSchema):
    application_id = Id(required=True)
    bank_reference = fields.String(required=True, validate=validate.Length(min=1, max=100))
    paid_by = fields.String(required=True, validate=validate.Length(min=1, max=100))
    role = fields.String(required=True)


class ApplicationQuery(StrictSchema):
    application_id = Id(required=True)


class ApprovalStepSchema(StrictSchema):
    seq = fields.Integer()
    role = fields.String()
    approver = fields.String()
    decision = fields.String()
    comment = fields.String()
    decided_at = fields.AwareDateTime()


class WaitingApplicationsQuery(StrictSchema):
    limit = fields.Integer(load_default=200, validate=validate.Range(min=1, max=1000))


class ApplicationListSchema(StrictSchema):
    applications = fields.List(fields.Nested(lambda: ApplicationSchema()))


class ApplicationSchema(StrictSchema):
    id = fields.Integer()
    kind = fields.String(metadata={"enum": list(APPLICATION_KINDS)})
    order_form_id = fields.Integer()
    status = fields.String(metadata={"enum": list(APPLICATION_STATUSES)})
    applicant = fields.String()
    reason = fields.String()
    details = fields.Dict(metadata={"description": "the form's fields; money as strings"})
    outcome = fields.String(allow_none=True)
    chain = fields.List(fields.String())
    chain_source = fields.String(metadata={
        "enum": ["default", "project"],
        "description": "the seed's form (default) or the project's own shorter chain"})
    waiting_for = fields.String(allow_none=True)
    steps = fields.List(fields.Nested(ApprovalStepSchema))
    created_at = fields.AwareDateTime()
    closed_at = fields.AwareDateTime(allow_none=True)


class SetApprovalChainsSchema(StrictSchema):
    """A project's own chains, shorter than the seed's forms; null or [] for a kind: back to
    the seed's chain."""
    project_id = Id(required=True)
    chains = fields.Dict(
        required=True, keys=fields.String(validate=validate.OneOf(APPLICATION_KINDS)),
        values=fields.List(fields.String(validate=validate.Length(min=1, max=30)),
                           allow_none=True, validate=validate.Length(max=10)),
        metadata={"description": "kind → the roles in order, e.g. {\"discount\": "
                                 "[\"sales_manager\", \"finance\"]}"})
    set_by = fields.String(required=True, validate=validate.Length(min=1, max=100))
    role = fields.String(required=True)


class ApprovalChainsQuery(StrictSchema):
    project_id = Id(required=True)


class ProjectChainSchema(StrictSchema):
    chain = fields.List(fields.String())
    source = fields.String(metadata={"enum": ["default", "project"]})
    default = fields.List(fields.String(), metadata={"description": "the seed's chain"})
    set_by = fields.String(allow_none=True)
    set_at = fields.AwareDateTime(allow_none=True)


class ApprovalChainsSchema(StrictSchema):
    project_id = fields.Integer()
    chains = fields.Dict(keys=fields.String(), values=fields.Nested(ProjectChainSchema))


class ConfirmBankReceiptSchema(StrictSchema):
    """The finance system confirms that the bank received the money of a receipt."""
    bank_reference = fields.String(required=True, validate=validate.Length(min=1, max=100),
                                   metadata={"description": "the bank's own reference: the "
                                                            "idempotency key"})
    project_id = Id(required=True)
    receipt_number = Id(required=True)
    amount = PositiveMoney(required=True)
    received_on = fields.Date(required=True)
    bank = fields.String(required=True, validate=validate.Length(min=1, max=100))
    confirmed_by = fields.String(required=True, validate=validate.Length(min=1, max=100))


class BankConfirmationSchema(StrictSchema):
    id = fields.Integer()
    bank_reference = fields.String()
    project_id = fields.Integer()
    receipt_number = fields.Integer()
    payment_id = fields.Integer()
    amount = Money()
    payment_amount = Money()
    matches = fields.Boolean()
    received_on = fields.Date()
    bank = fields.String()
    confirmed_by = fields.String()
    confirmed_at = fields.AwareDateTime()


class ReconciliationQuery(StrictSchema):
    project_id = Id(required=True)
    start = fields.Date(required=True, data_key="from")
    end = fields.Date(required=True, data_key="to")


class ReconciliationWeekSchema(StrictSchema):
    week_start = fields.Date()
    issued_count = fields.Integer()
    issued_amount = Money()
    confirmed_count = fields.Integer()
    confirmed_amount = Money()
    difference = Money()
    cumulative_issued = Money()
    cumulative_confirmed = Money()


class ReconciliationDifferenceSchema(StrictSchema):
    receipt_number = fields.Integer()
    payment_id = fields.Integer()
    paid_on = fields.Date()
    issued_amount = Money()
    confirmed_amount = Money(allow_none=True)
    problem = fields.String(metadata={"enum": ["not confirmed", "amount differs"]})


class ReconciliationReceiptSchema(StrictSchema):
    """One receipt issued in the period, as the weekly check (核对收据) goes through them:
    voided and exchanged ones too, each with the bank's confirmation of its payment."""
    receipt_number = fields.Integer()
    kind = fields.String(metadata={"enum": ["deposit", "purchase"]})
    issued_on = fields.Date()
    amount = Money()
    status = fields.String(metadata={"enum": ["issued", "voided", "exchanged"]})
    replaced_by_number = fields.Integer(allow_none=True)
    void_reason = fields.String(allow_none=True)
    payment_id = fields.Integer()
    bank_reference = fields.String(allow_none=True)
    confirmed_amount = Money(allow_none=True)


class ReconciliationSchema(StrictSchema):
    project_id = fields.Integer()
    start = fields.Date(data_key="from")
    end = fields.Date(data_key="to")
    weeks = fields.List(fields.Nested(ReconciliationWeekSchema))
    total_issued = Money()
    total_confirmed = Money()
    differences = fields.List(fields.Nested(ReconciliationDifferenceSchema))
    receipts = fields.List(fields.Nested(ReconciliationReceiptSchema))


class FileContentSchema(StrictSchema):
    file_name = fields.String()
    content_base64 = fields.String()


class DepositListSchema(StrictSchema):
    deposits = fields.List(fields.Nested(DepositSchema))


COLLECTION_LEVELS = ("consultant", "sales_manager", "finance")


class DealsQuery(StrictSchema):
    project_id = fields.Integer(load_default=None, allow_none=True,
                                validate=validate.Range(min=1, max=MAX_ID), metadata={
        "description": "one project's deals; every project in the caller's scope when absent"})
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class DealSchema(StrictSchema):
    """One deal from its deposit on: order form, subscription, contract, payment plan."""
    deposit_id = fields.Integer()
    deposit_status = fields.String()
    deposit_kind = fields.String()
    deposit_amount = Money()
    received_at = fields.AwareDateTime()
    project_id = fields.Integer(allow_none=True)
    unit_id = fields.Integer()
    customer_id = fields.Integer()
    customer_name = fields.String(allow_none=True)
    consultant_id = fields.Integer()
    order_form_id = fields.Integer(allow_none=True)
    order_form_status = fields.String(allow_none=True)
    total_price = Money(allow_none=True)
    subscription_id = fields.Integer(allow_none=True)
    subscription_status = fields.String(allow_none=True)
    contract_id = fields.Integer(allow_none=True)
    contract_status = fields.String(allow_none=True)
    filing_number = fields.String(allow_none=True)
    amount_paid = Money()
    balance_due = Money(allow_none=True)
    overdue_amount = Money(metadata={"description": "what the buyer owes past its due date"})
    plan = fields.List(fields.Nested(PlanItemSchema))


class DealListSchema(StrictSchema):
    as_of = fields.Date()
    deals = fields.List(fields.Nested(DealSchema))


class CollectionsQuery(StrictSchema):
    consultant_id = Id(load_default=None, allow_none=True)


class OverdueItemSchema(StrictSchema):
    contract_id = fields.Integer()
    order_form_id = fields.Integer()
    buyer_name = fields.String()
    seq = fields.Integer()
    kind = fields.String()
    due_date = fields.Date()
    outstanding = Money()
    days_overdue = fields.Integer()
    level = fields.String(metadata={"enum": list(COLLECTION_LEVELS)})
    steps = fields.Integer()


class ConsultantOverdueSchema(StrictSchema):
    consultant_id = fields.Integer()
    items = fields.List(fields.Nested(OverdueItemSchema))
    total_outstanding = Money()


class OverdueSchema(StrictSchema):
    as_of = fields.Date()
    consultants = fields.List(fields.Nested(ConsultantOverdueSchema))


class RecordCollectionSchema(StrictSchema):
    contract_id = Id(required=True)
    seq = Id(required=True)
    action = fields.String(required=True, validate=validate.OneOf(("contact", "escalate")))
    note = fields.String(required=True, validate=validate.Length(min=2, max=500))
    by = fields.String(required=True, validate=validate.Length(min=1, max=100))
    role = fields.String(required=True)


class CollectionStepSchema(StrictSchema):
    level = fields.String()
    action = fields.String()
    by = fields.String()
    note = fields.String()
    at = fields.AwareDateTime()


class CollectionCaseSchema(StrictSchema):
    contract_id = fields.Integer()
    seq = fields.Integer()
    level = fields.String(metadata={"enum": list(COLLECTION_LEVELS)})
    outstanding = Money()
    due_date = fields.Date()
    steps = fields.List(fields.Nested(CollectionStepSchema))


class ProjectQuery(StrictSchema):
    project_id = Id(required=True)


class DealCustomerSchema(StrictSchema):
    """The form's customer boxes, from leads' customer profile; null: not recorded (the
    form's "/")."""
    gender = fields.String(allow_none=True, metadata={"description": "性别"})
    age_band = fields.String(allow_none=True, metadata={"description": "年龄"})
    mobile = fields.String(allow_none=True, metadata={
        "description": "联系电话 (masked unless the caller's own customer)"})
    address = fields.String(allow_none=True, metadata={"description": "联系地址"})
    purchase_motive = fields.String(allow_none=True, metadata={"description": "购房目的"})
    objections = fields.List(fields.String(), allow_none=True, metadata={
        "description": "主要异议 (not recorded by the suite)"})
    occupation = fields.String(allow_none=True, metadata={
        "description": "职业 (the registration's customer category)"})
    residence_area = fields.String(allow_none=True, metadata={"description": "现住区域"})
    home_purchase_count = fields.String(allow_none=True, metadata={
        "description": "第几次置业 (not recorded by the suite)"})
    household_income = fields.String(allow_none=True, metadata={
        "description": "家庭收入 (not recorded by the suite)"})
    household = fields.String(allow_none=True, metadata={
        "description": "家庭人口 (the registration's family structure)"})
    friends_looking = fields.String(allow_none=True, metadata={
        "description": "周边是否还有朋友需求购房 (not recorded by the suite)"})


class DealPropertySchema(StrictSchema):
    """The form's property boxes, from inventory's unit; null: not recorded (the form's "/")."""
    location = fields.String(allow_none=True, metadata={
        "description": "坐落位置: building and unit number"})
    garden_area = fields.String(allow_none=True, metadata={"description": "花园面积"})
    other_area = fields.String(allow_none=True, metadata={"description": "其他面积"})
    property_type = fields.String(allow_none=True, metadata={"description": "物业类型"})
    building_category = fields.String(allow_none=True, metadata={"description": "房屋类别"})
    layout = fields.String(allow_none=True, metadata={"description": "房型"})


class DealReportSchema(StrictSchema):
    """客户成交报告 of one deal: every box of the seed's form (none may be dropped)."""
    deposit_id = fields.Integer()
    customer_id = fields.Integer()
    customer_code = fields.String(allow_none=True)
    customer_name = fields.String(allow_none=True)
    consultant_id = fields.Integer()
    unit_id = fields.Integer()
    project_id = fields.Integer(allow_none=True)
    channel = fields.String(allow_none=True, metadata={"description": "来访渠道"})
    first_visit_at = fields.AwareDateTime(allow_none=True)
    deposit_at = fields.AwareDateTime()
    days_first_visit_to_deposit = fields.Integer(allow_none=True, metadata={
        "description": "days from the first visit to this deposit (small or large)"})
    large_deposit_at = fields.AwareDateTime(allow_none=True, metadata={
        "description": "大定: a large deposit, or a small one's top-up payment"})
    days_first_visit_to_large_deposit = fields.Integer(allow_none=True, metadata={
        "description": "自首次看房至大定时间 (office days); null before the 大定"})
    queue_date = fields.Date(metadata={"description": "排号日期: the office day of the deposit"})
    birth_date = fields.Date(allow_none=True, metadata={
        "description": "出生日期, from the buyer's ID number"})
    visits = fields.Integer(metadata={"description": "来访次数"})
    visits_box = fields.String()
    calls = fields.Integer()
    deposit_kind = fields.String()
    deposit_amount = Money()
    building_area = fields.Decimal(as_string=True, allow_none=True)
    unit_price = Money(allow_none=True)
    total_price = Money(allow_none=True)
    subscribed_at = fields.AwareDateTime(allow_none=True)
    contracted_at = fields.AwareDateTime(allow_none=True)
    payment_method = fields.String(allow_none=True)
    status = fields.String()
    customer = fields.Nested(DealCustomerSchema)
    property = fields.Nested(DealPropertySchema)


class DealReportListSchema(StrictSchema):
    deals = fields.List(fields.Nested(DealReportSchema))


class DealBoxesSchema(StrictSchema):
    """What other services know of one deal's form: the customer's and the property's boxes."""
    deposit_id = Id(required=True)
    customer = fields.Nested(DealCustomerSchema, required=True)
    property = fields.Nested(DealPropertySchema, required=True)


class DealReportsFileQuery(StrictSchema):
    """The project's deal reports as a workbook; the gateway sends the boxes it read from
    leads and inventory."""
    project_id = Id(required=True)
    boxes = fields.List(fields.Nested(DealBoxesSchema), load_default=list)


class DepositUnanswered(StrictSchema):
    """The deposit saga's timeout: inventory has not answered; the deposit stays pending."""
    deposit_id = fields.Integer(required=True)
    received_at = fields.AwareDateTime(required=True)
    waited_seconds = fields.Integer(required=True)


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


class PaymentReceived(StrictSchema):
    """A payment recorded with its receipt (finance consumes it)."""
    payment_id = fields.Integer(required=True)
    order_form_id = fields.Integer(required=True)
    deposit_id = fields.Integer(required=True)
    amount = Money(required=True)
    purpose = fields.String(required=True)
    method = fields.String(required=True)
    receipt_id = fields.Integer(required=True)
    receipt_number = fields.Integer(required=True)
    paid_at = fields.AwareDateTime(required=True)


class ReceiptVoided(StrictSchema):
    """A receipt voided (order voided, refund) or exchanged for a purchase receipt at signing
    (`replaced_by_number`)."""
    receipt_id = fields.Integer(required=True)
    receipt_number = fields.Integer(required=True)
    order_form_id = fields.Integer(required=True)
    amount = Money(required=True)
    reason = fields.String(required=True)
    replaced_by_number = fields.Integer(load_default=None, allow_none=True)


class UnitSwapped(StrictSchema):
    """换房 done: the reservation moved, a new order form and receipts replace the old ones."""
    application_id = fields.Integer(required=True)
    deposit_id = fields.Integer(required=True)
    from_unit_id = fields.Integer(required=True)
    to_unit_id = fields.Integer(required=True)
    old_order_form_id = fields.Integer(required=True)
    new_order_form_id = fields.Integer(required=True)
    total_price = Money(required=True, allow_none=True)
    overpaid_amount = Money(metadata={
        "description": "paid above the new unit's total price, to be paid back to the buyer "
                       "by finance; 0.00 when the payments fit (added within version 1)"})


class RefundPaid(StrictSchema):
    """Finance paid an approved refund out; the order form and its receipts are voided."""
    application_id = fields.Integer(required=True)
    deposit_id = fields.Integer(required=True)
    refund_amount = Money(required=True)
    bank_reference = fields.String(required=True)


class BankReceiptConfirmed(StrictSchema):
    """The finance system confirmed that the bank received a payment (FINANCE.md §2)."""
    bank_reference = fields.String(required=True)
    payment_id = fields.Integer(required=True)
    receipt_id = fields.Integer(required=True)
    receipt_number = fields.Integer(required=True)
    amount = Money(required=True)
    received_on = fields.Date(required=True)
    bank = fields.String(required=True)


class BuyerRenamed(StrictSchema):
    application_id = fields.Integer(required=True)
    deposit_id = fields.Integer(required=True)
    order_form_id = fields.Integer(required=True)
    new_buyer_name = fields.String(required=True)


class DiscountApproved(StrictSchema):
    application_id = fields.Integer(required=True)
    deposit_id = fields.Integer(required=True)
    original_total_price = Money(required=True)
    discounted_total_price = Money(required=True)


register(
    EventType("transactions", "deposit_unanswered", 1, DepositUnanswered,
              {"deposit_id": 7, "received_at": "2026-11-22T03:00:00+00:00",
               "waited_seconds": 905}),
    EventType("transactions", "unit_swapped", 1, UnitSwapped,
              {"application_id": 2, "deposit_id": 7, "from_unit_id": 11, "to_unit_id": 12,
               "old_order_form_id": 4, "new_order_form_id": 6, "total_price": "1250000.00",
               "overpaid_amount": "0.00"}),
    EventType("transactions", "refund_paid", 1, RefundPaid,
              {"application_id": 3, "deposit_id": 7, "refund_amount": "45000.00",
               "bank_reference": "ICBC-20261122-0042"}),
    EventType("transactions", "bank_receipt_confirmed", 1, BankReceiptConfirmed,
              {"bank_reference": "CCB-20261122-0042", "payment_id": 9, "receipt_id": 12,
               "receipt_number": 57, "amount": "300000.00", "received_on": "2026-11-22",
               "bank": "建设银行"}),
    EventType("transactions", "buyer_renamed", 1, BuyerRenamed,
              {"application_id": 5, "deposit_id": 7, "order_form_id": 4,
               "new_buyer_name": "李四"}),
    EventType("transactions", "discount_approved", 1, DiscountApproved,
              {"application_id": 6, "deposit_id": 7, "original_total_price": "1200000.00",
               "discounted_total_price": "1180000.00"}),
    EventType("transactions", "payment_received", 1, PaymentReceived,
              {"payment_id": 9, "order_form_id": 4, "deposit_id": 7, "amount": "300000.00",
               "purpose": "down_payment", "method": "transfer", "receipt_id": 12,
               "receipt_number": 57, "paid_at": "2026-11-22T03:00:00+00:00"}),
    EventType("transactions", "receipt_voided", 1, ReceiptVoided,
              {"receipt_id": 11, "receipt_number": 56, "order_form_id": 4,
               "amount": "20000.00", "reason": "exchanged for a purchase receipt at signing",
               "replaced_by_number": 58}),
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
