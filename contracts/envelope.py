"""The event envelope and the registry of every event type the suite publishes.

Routing key of an event: `<source>.<type>` on the topic exchange `anchang.events`.
"""
import uuid
from dataclasses import dataclass
from functools import cached_property
from datetime import datetime, timezone

from marshmallow import Schema, ValidationError, fields, validate

from contracts.base import StrictSchema

EVENTS_EXCHANGE = "anchang.events"


class EnvelopeSchema(StrictSchema):
    event_id = fields.UUID(required=True)
    type = fields.String(required=True, validate=validate.Length(min=1))
    version = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    occurred_at = fields.AwareDateTime(required=True)
    source = fields.String(required=True, validate=validate.Length(min=1))
    correlation_id = fields.String(required=True)
    project_id = fields.Integer(load_default=None, allow_none=True)
    unit_id = fields.Integer(load_default=None, allow_none=True)
    customer_id = fields.Integer(load_default=None, allow_none=True)
    data = fields.Dict(required=True)


ENVELOPE = EnvelopeSchema()


@dataclass(frozen=True)
class EventType:
    source: str
    name: str
    version: int
    schema: type[Schema]
    sample: dict  # a valid `data` payload, used by the contract tests on both sides

    @property
    def routing_key(self) -> str:
        return f"{self.source}.{self.name}"

    @cached_property
    def validator(self) -> Schema:
        """One instance of the schema, reused: building a marshmallow schema copies its fields,
        which cost more than validating an event."""
        return self.schema()


class InvalidEvent(Exception):
    """A message that is not a well-formed event of a known type and version."""

    def __init__(self, message, details=None):
        super().__init__(message, details or {})
        self.message = message
        self.details = details or {}


REGISTRY: dict[str, EventType] = {}


def register(*event_types: EventType):
    for event_type in event_types:
        REGISTRY[event_type.routing_key] = event_type


def build_event(source, name, data, *, project_id=None, unit_id=None, customer_id=None,
                correlation_id=None, occurred_at=None) -> dict:
    """A JSON-ready envelope; `data` is validated against the registered schema."""
    event_type = REGISTRY[f"{source}.{name}"]
    dumped = event_type.validator.dump(data)
    errors = event_type.validator.validate(dumped)
    if errors:
        raise InvalidEvent(f"{event_type.routing_key} data is invalid", errors)
    event_id = uuid.uuid4()
    return {
        "event_id": str(event_id),
        "type": name,
        "version": event_type.version,
        "occurred_at": (occurred_at or datetime.now(timezone.utc)).isoformat(),
        "source": source,
        "correlation_id": correlation_id or str(event_id),
        "project_id": project_id,
        "unit_id": unit_id,
        "customer_id": customer_id,
        "data": dumped,
    }


def parse_event(body) -> dict:
    """Validate an incoming envelope and its data; returns the envelope with `data` loaded."""
    if not isinstance(body, dict):
        raise InvalidEvent("event body is not a JSON object")
    try:
        envelope = ENVELOPE.load(body)
    except ValidationError as exc:
        raise InvalidEvent("invalid envelope", exc.normalized_messages()) from None
    event_type = REGISTRY.get(f"{envelope['source']}.{envelope['type']}")
    if event_type is None:
        raise InvalidEvent(f"unknown event type {envelope['source']}.{envelope['type']}")
    if envelope["version"] != event_type.version:
        raise InvalidEvent(f"unsupported version {envelope['version']} of {event_type.routing_key}")
    try:
        envelope["data"] = event_type.validator.load(envelope["data"])
    except ValidationError as exc:
        raise InvalidEvent("invalid event data", exc.normalized_messages()) from None
    return envelope
