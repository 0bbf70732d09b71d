"""What every service answers the same way: health, and listing and replaying dead letters."""
from marshmallow import ValidationError, fields, validate, validates_schema

from contracts.base import Id, StrictSchema
from contracts.subscriptions import SUBSCRIPTIONS

SERVICES = ("leads", "inventory", "transactions", "complaints", "archive", "finance")
CONSUMING_SERVICES = tuple(service for service in SERVICES if service in SUBSCRIPTIONS)
DEAD_LETTER_STATUSES = ("dead", "replayed")


class ListDeadLettersSchema(StrictSchema):
    status = fields.String(load_default="dead", allow_none=True,
                           validate=validate.OneOf(DEAD_LETTER_STATUSES))
    limit = fields.Integer(strict=True, load_default=100, validate=validate.Range(min=1, max=1000))


class ReplayDeadLettersSchema(StrictSchema):
    """Either `ids` (those dead letters) or `all: true` (every one still dead)."""
    ids = fields.List(Id(), validate=validate.Length(min=1, max=1000))
    all = fields.Boolean(load_default=False)

    @validates_schema
    def one_choice(self, data, **kwargs):
        if bool(data.get("ids")) == bool(data.get("all")):
            raise ValidationError("give either ids or all: true", "ids")


class DeadLetterSchema(StrictSchema):
    id = fields.Integer()
    event_id = fields.String(allow_none=True)
    routing_key = fields.String(allow_none=True)
    reason = fields.String()
    status = fields.String(metadata={"enum": list(DEAD_LETTER_STATUSES)})
    deaths = fields.Integer()
    first_dead_at = fields.AwareDateTime()
    last_dead_at = fields.AwareDateTime()
    replays = fields.Integer()
    replayed_at = fields.AwareDateTime(allow_none=True)
    body = fields.String(metadata={"description": "the message body as text (first 4,000 "
                                                  "characters)"})


class ReplayResultSchema(StrictSchema):
    service = fields.String()
    replayed = fields.List(fields.Integer())


class ServiceHealthSchema(StrictSchema):
    service = fields.String()
    database = fields.String(metadata={"description": "ok, or unreachable: <error>"})
    broker = fields.String(metadata={"description": "ok, or unreachable: <error>"})
    outbox_backlog = fields.Integer(metadata={"description": "committed events not yet "
                                                             "published"})
    dead_letters = fields.Integer(metadata={"description": "dead letters not replayed"})
    events_waiting = fields.Integer(metadata={"description": "messages ready in the events "
                                                             "queue (consuming services)"})
    event_consumers = fields.Integer()
