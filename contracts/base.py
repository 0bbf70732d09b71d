"""Schema helpers shared by every contract module."""
from decimal import Decimal

from marshmallow import Schema, ValidationError, fields, validate, RAISE

from contracts.errors import InvalidInput

FEN = Decimal("0.01")
MAX_MONEY = Decimal("1000000000000")  # Numeric(14, 2)


class StrictSchema(Schema):
    class Meta:
        unknown = RAISE

    @classmethod
    def shared(cls):
        """One instance per schema, reused: building one copies every field, which costs more
        than loading or dumping a request."""
        if "_shared" not in cls.__dict__:
            cls._shared = cls()
        return cls._shared


def _at_most_fen(value: Decimal):
    if value != value.quantize(FEN):
        raise ValidationError("at most two decimal places (fen)")
    if abs(value) >= MAX_MONEY:
        raise ValidationError("too large")


class MoneyField(fields.Decimal):
    """Accepts only strings, so a JSON float never becomes money."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str):
            raise ValidationError('money is a string like "12345.60", not a number')
        return super()._deserialize(value, attr, data, **kwargs)


def Money(**kwargs):
    """Yuan to the fen: a JSON string like "12345.60" in and out, a Decimal inside."""
    validators = [_at_most_fen, *kwargs.pop("validate", [])]
    return MoneyField(as_string=True, allow_nan=False, validate=validators, **kwargs)


def PositiveMoney(**kwargs):
    return Money(validate=[validate.Range(min=0, min_inclusive=False, error="must be greater than 0")], **kwargs)


Id = lambda **kw: fields.Integer(strict=True, validate=validate.Range(min=1), **kw)  # noqa: E731


def load(schema: Schema, payload):
    """Validate `payload` with `schema`, raising the typed InvalidInput with the field errors."""
    if not isinstance(payload, dict):
        raise InvalidInput("the request body must be a JSON object", {"_schema": ["not an object"]})
    try:
        return schema.load(payload)
    except ValidationError as exc:
        raise InvalidInput("the request has invalid fields", exc.normalized_messages()) from None
