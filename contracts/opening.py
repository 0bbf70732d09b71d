"""Opening day (开盘): queue numbers (排号) with their refundable 诚意金 (transactions), the
opening itself with its selection order and the selections (inventory), and their events."""
from marshmallow import ValidationError, fields, validate, validates_schema

from contracts.base import Id, Money, PositiveMoney, StrictSchema
from contracts.envelope import EventType, register

QUEUE_STATUSES = ("active", "converted", "refunded")
OPENING_MODES = ("all_at_once", "slots", "lottery")  # 先到先得 / 按号分批 / 摇号
OPENING_STATUSES = ("open", "closed")
LOTTERY_ALGORITHM = "sha256-seed-queue-number-v1"
MAX_ENTRANTS = 20000


# --- transactions: queue numbers (排号) --------------------------------------------------------

class TakeQueueNumberSchema(StrictSchema):
    """The 排号协议 signed and its 诚意金 paid: the next queue number of the project."""
    project_id = Id(required=True)
    customer_id = Id(required=True)
    consultant_id = Id(required=True)
    customer_name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    customer_id_number = fields.String(required=True, validate=validate.Length(min=15, max=30),
                                       metadata={"description": "身份证号: the household's key "
                                                                "for the opening's limits"})
    amount = PositiveMoney(required=True, metadata={"description": "诚意金, refundable"})
    channel = fields.String(load_default="pos", validate=validate.OneOf(
        ("pos", "transfer", "cash")))
    agreement_number = fields.String(load_default=None, allow_none=True,
                                     validate=validate.Length(min=1, max=50),
                                     metadata={"description": "the 排号协议's paper number"})
    idempotency_key = fields.String(load_default=None, allow_none=True,
                                    validate=validate.Length(min=1, max=255))


class QueueNumberQuery(StrictSchema):
    queue_number_id = Id(required=True)


class ProjectQueueQuery(StrictSchema):
    project_id = Id(required=True)
    status = fields.String(load_default=None, allow_none=True,
                           validate=validate.OneOf(QUEUE_STATUSES))


class CancelQueueNumberSchema(StrictSchema):
    queue_number_id = Id(required=True)
    reason = fields.String(required=True, validate=validate.Length(min=1, max=200))
    cancelled_by = fields.String(required=True, validate=validate.Length(min=1, max=100))


class QueueNumberSchema(StrictSchema):
    id = fields.Integer()
    project_id = fields.Integer()
    number = fields.Integer(metadata={"description": "排号, gap-free per project from 1"})
    customer_id = fields.Integer()
    consultant_id = fields.Integer()
    customer_name = fields.String()
    customer_id_number = fields.String()
    amount = Money()
    channel = fields.String()
    agreement_number = fields.String(allow_none=True)
    receipt_number = fields.Integer(metadata={"description": "诚意金收据 number, gap-free per "
                                                             "project"})
    status = fields.String(metadata={"enum": list(QUEUE_STATUSES)})
    taken_at = fields.AwareDateTime()
    deposit_id = fields.Integer(allow_none=True)
    ended_at = fields.AwareDateTime(allow_none=True)
    end_reason = fields.String(allow_none=True)


class QueueNumberListSchema(StrictSchema):
    queue_numbers = fields.List(fields.Nested(QueueNumberSchema))


# --- inventory: openings (开盘活动) -------------------------------------------------------------

class EntrantSchema(StrictSchema):
    queue_number_id = Id(required=True)
    number = fields.Integer(required=True, validate=validate.Range(min=1))
    customer_id = Id(required=True)
    consultant_id = Id(required=True)
    id_number = fields.String(required=True, validate=validate.Length(min=1, max=30))


class CreateOpeningSchema(StrictSchema):
    project_id = Id(required=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    starts_at = fields.AwareDateTime(required=True)
    ends_at = fields.AwareDateTime(required=True)
    mode = fields.String(required=True, validate=validate.OneOf(OPENING_MODES))
    building = fields.String(load_default=None, allow_none=True,
                             validate=validate.Length(min=1, max=20),
                             metadata={"description": "release every unit of this building"})
    unit_ids = fields.List(Id(), load_default=None, allow_none=True,
                           validate=validate.Length(min=1, max=5000),
                           metadata={"description": "or release these units"})
    slot_size = fields.Integer(load_default=None, allow_none=True,
                               validate=validate.Range(min=1, max=MAX_ENTRANTS),
                               metadata={"description": "queue numbers per slot (slots, lottery)"})
    slot_minutes = fields.Integer(load_default=None, allow_none=True,
                                  validate=validate.Range(min=1, max=24 * 60))
    limit_per_household = fields.Integer(load_default=1, validate=validate.Range(min=1, max=20))
    max_attempts = fields.Integer(load_default=None, allow_none=True,
                                  validate=validate.Range(min=1, max=1000))
    created_by = fields.String(required=True, validate=validate.Length(min=1, max=100))

    @validates_schema
    def _shape(self, data, **kwargs):
        errors = {}
        if (data.get("building") is None) == (data.get("unit_ids") is None):
            errors["unit_ids"] = ["give either building or unit_ids"]
        if data["ends_at"] <= data["starts_at"]:
            errors["ends_at"] = ["must be after starts_at"]
        if data["mode"] != "all_at_once":
            for name in ("slot_size", "slot_minutes"):
                if data.get(name) is None:
                    errors[name] = [f"required for mode {data['mode']}"]
        if errors:
            raise ValidationError(errors)


class OpeningQuery(StrictSchema):
    opening_id = Id(required=True)


class SetEntrantsSchema(StrictSchema):
    opening_id = Id(required=True)
    entrants = fields.List(fields.Nested(EntrantSchema), required=True,
                           validate=validate.Length(max=MAX_ENTRANTS))


class AnnounceSeedSchema(StrictSchema):
    opening_id = Id(required=True)
    seed = fields.String(required=True, validate=[validate.Length(min=8, max=200),
                                                  validate.Regexp(r"^\S+$",
                                                                  error="no spaces")],
                         metadata={"description": "announced beforehand (e.g. with the notary); "
                                                  "immutable once announced"})
    announced_by = fields.String(required=True, validate=validate.Length(min=1, max=100))


class SelectUnitSchema(StrictSchema):
    opening_id = Id(required=True)
    queue_number = fields.Integer(required=True, strict=True,
                                  validate=validate.Range(min=1, max=2**31 - 1))
    unit_id = Id(required=True)
    selected_by = fields.String(required=True, validate=validate.Length(min=1, max=100))
    idempotency_key = fields.String(load_default=None, allow_none=True,
                                    validate=validate.Length(min=1, max=255))


class CloseOpeningSchema(StrictSchema):
    opening_id = Id(required=True)
    closed_by = fields.String(required=True, validate=validate.Length(min=1, max=100))


class OrderEntrySchema(StrictSchema):
    position = fields.Integer()
    queue_number = fields.Integer()
    slot = fields.Integer()
    slot_starts_at = fields.AwareDateTime()
    slot_ends_at = fields.AwareDateTime()


class OpeningSchema(StrictSchema):
    id = fields.Integer()
    project_id = fields.Integer()
    name = fields.String()
    starts_at = fields.AwareDateTime()
    ends_at = fields.AwareDateTime()
    mode = fields.String(metadata={"enum": list(OPENING_MODES)})
    slot_size = fields.Integer(allow_none=True)
    slot_minutes = fields.Integer(allow_none=True)
    limit_per_household = fields.Integer()
    max_attempts = fields.Integer(allow_none=True)
    seed = fields.String(allow_none=True)
    seed_announced_at = fields.AwareDateTime(allow_none=True)
    status = fields.String(metadata={"enum": list(OPENING_STATUSES)})
    unit_ids = fields.List(fields.Integer())
    entrants = fields.Integer(metadata={"description": "how many queue numbers take part"})
    sold = fields.Integer()
    closed_at = fields.AwareDateTime(allow_none=True)


class OpeningOrderSchema(StrictSchema):
    opening_id = fields.Integer()
    mode = fields.String()
    algorithm = fields.String(allow_none=True)
    seed = fields.String(allow_none=True)
    entrants = fields.List(fields.Integer(), metadata={
        "description": "the entrants' queue numbers, ascending: with the seed, all it takes "
                       "to recompute the order"})
    order = fields.List(fields.Nested(OrderEntrySchema))


class SelectionSchema(StrictSchema):
    id = fields.Integer()
    opening_id = fields.Integer()
    unit_id = fields.Integer()
    queue_number = fields.Integer()
    customer_id = fields.Integer()
    outcome = fields.String(metadata={"enum": ["won", "lost", "void"]})
    requested_at = fields.AwareDateTime()
    total_price = Money(allow_none=True)


class ResultsFileSchema(StrictSchema):
    file_name = fields.String()
    content_base64 = fields.String()


# --- events ------------------------------------------------------------------------------------

class SincerityReceived(StrictSchema):
    """排号协议 signed and 诚意金 paid: the queue number and its receipt (the archive files the
    agreement in the customer's dossier; finance sees the money)."""
    queue_number_id = fields.Integer(required=True)
    number = fields.Integer(required=True)
    amount = Money(required=True)
    channel = fields.String(required=True)
    consultant_id = fields.Integer(required=True)
    receipt_number = fields.Integer(required=True)
    agreement_number = fields.String(load_default=None, allow_none=True)


class SincerityRefunded(StrictSchema):
    """诚意金 paid back: the queue number was cancelled, or its buyer bought nothing."""
    queue_number_id = fields.Integer(required=True)
    number = fields.Integer(required=True)
    amount = Money(required=True)
    receipt_number = fields.Integer(required=True)
    reason = fields.String(required=True)


class SincerityConverted(StrictSchema):
    """诚意金转定金: the buyer chose a unit; the money became the deposit of that unit."""
    queue_number_id = fields.Integer(required=True)
    number = fields.Integer(required=True)
    amount = Money(required=True)
    deposit_id = fields.Integer(required=True)
    opening_id = fields.Integer(required=True)


class LotteryDrawn(StrictSchema):
    """摇号: the seed announced and the order it gives, for anyone to recompute."""
    opening_id = fields.Integer(required=True)
    seed = fields.String(required=True)
    algorithm = fields.String(required=True)
    order = fields.List(fields.Integer(), required=True)


class UnitSelected(StrictSchema):
    """A buyer won a unit at the opening: held for them at once; transactions turns their
    诚意金 into the deposit, which reserves it (the deposit saga)."""
    opening_id = fields.Integer(required=True)
    selection_id = fields.Integer(required=True)
    queue_number_id = fields.Integer(required=True)
    queue_number = fields.Integer(required=True)
    consultant_id = fields.Integer(required=True)
    total_price = Money(required=True, allow_none=True)


class SelectionUnfunded(StrictSchema):
    """A unit won with a queue number that was no longer active (cancelled, its 诚意金
    refunded, between the entrants' list and the selection): no deposit is taken, and
    inventory voids the selection and puts the unit back on sale."""
    opening_id = fields.Integer(required=True)
    selection_id = fields.Integer(required=True)
    queue_number_id = fields.Integer(required=True)
    reason = fields.String(required=True)


class OpeningClosed(StrictSchema):
    """The opening ended: unsold units are back on normal sale; entrants who bought nothing
    get their 诚意金 back."""
    opening_id = fields.Integer(required=True)
    sold_unit_ids = fields.List(fields.Integer(), required=True)
    unsold_unit_ids = fields.List(fields.Integer(), required=True)
    refund_queue_number_ids = fields.List(fields.Integer(), required=True)


register(
    EventType("transactions", "sincerity_received", 1, SincerityReceived,
              {"queue_number_id": 3, "number": 3, "amount": "50000.00", "channel": "pos",
               "consultant_id": 2, "receipt_number": 3, "agreement_number": "PH-0003"}),
    EventType("transactions", "sincerity_refunded", 1, SincerityRefunded,
              {"queue_number_id": 3, "number": 3, "amount": "50000.00", "receipt_number": 3,
               "reason": "bought nothing at opening 1"}),
    EventType("transactions", "sincerity_converted", 1, SincerityConverted,
              {"queue_number_id": 3, "number": 3, "amount": "50000.00", "deposit_id": 9,
               "opening_id": 1}),
    EventType("transactions", "selection_unfunded", 1, SelectionUnfunded,
              {"opening_id": 1, "selection_id": 4, "queue_number_id": 3,
               "reason": "queue number 3 is refunded"}),
    EventType("inventory", "lottery_drawn", 1, LotteryDrawn,
              {"opening_id": 1, "seed": "notary-20261130-7f3a", "algorithm": LOTTERY_ALGORITHM,
               "order": [3, 1, 2]}),
    EventType("inventory", "unit_selected", 1, UnitSelected,
              {"opening_id": 1, "selection_id": 4, "queue_number_id": 3, "queue_number": 3,
               "consultant_id": 2, "total_price": "1200000.00"}),
    EventType("inventory", "opening_closed", 1, OpeningClosed,
              {"opening_id": 1, "sold_unit_ids": [11], "unsold_unit_ids": [12],
               "refund_queue_number_ids": [5]}),
)
