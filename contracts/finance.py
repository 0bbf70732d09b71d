"""Finance: account mappings, vouchers and their export, webhook subscriptions, the pull feed
and the three-way reconciliation (services/finance/README.md)."""
from datetime import timedelta
from urllib.parse import urlparse

from marshmallow import ValidationError, fields, validate, validates_schema

from contracts.base import Id, StrictSchema
from services.finance.domain import ACCOUNT_ROLES, LAYOUTS, SECRET_PREFIX, WEBHOOK_EVENTS

MAX_EXPORT_DAYS = 366


class AccountSchema(StrictSchema):
    code = fields.String(required=True, validate=validate.Regexp(r"^[0-9][0-9.]{0,39}$"))
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))


class SetAccountsSchema(StrictSchema):
    """role → {code, name}, or null to leave a role unset (its vouchers cannot be exported)."""
    project_id = Id(required=True)
    accounts = fields.Dict(keys=fields.String(validate=validate.OneOf(ACCOUNT_ROLES)),
                           values=fields.Nested(AccountSchema, allow_none=True), required=True)


class ProjectQuery(StrictSchema):
    project_id = Id(required=True)


class RangeQuery(StrictSchema):
    project_id = Id(required=True)
    from_ = fields.Date(required=True, data_key="from")
    to = fields.Date(required=True)

    @validates_schema
    def _range(self, data, **kwargs):
        if data["to"] < data["from_"]:
            raise ValidationError("must not be before from", "to")
        if data["to"] - data["from_"] > timedelta(days=MAX_EXPORT_DAYS - 1):
            raise ValidationError(f"the range is at most {MAX_EXPORT_DAYS} days", "to")


class ExportQuery(RangeQuery):
    layout = fields.String(required=True, validate=validate.OneOf(tuple(LAYOUTS)))
    format = fields.String(load_default="xlsx", validate=validate.OneOf(("xlsx", "csv")))


class VoucherStatusSchema(StrictSchema):
    voucher_id = Id(required=True)
    status = fields.String(required=True, validate=validate.OneOf(("posted", "rejected")))
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))


class ReverseVoucherSchema(StrictSchema):
    voucher_id = Id(required=True)
    reason = fields.String(required=True, validate=validate.Length(min=1, max=150))


class FeedQuery(StrictSchema):
    after = fields.Integer(load_default=0, validate=validate.Range(min=0))
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))
    project_id = fields.Integer(load_default=None, allow_none=True,
                                validate=validate.Range(min=1))


def _http_url(value):
    parsed = urlparse(value)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ValidationError("must be an http(s) URL")


def _secret(value):
    import base64
    import binascii
    if not value.startswith(SECRET_PREFIX):
        raise ValidationError(f"must start with {SECRET_PREFIX}")
    try:
        key = base64.b64decode(value.removeprefix(SECRET_PREFIX), validate=True)
    except (binascii.Error, ValueError):
        raise ValidationError("must be base64 after the prefix") from None
    if not 24 <= len(key) <= 64:
        raise ValidationError("the key is 24 to 64 bytes")


class WebhookSubscriptionSchema(StrictSchema):
    url = fields.String(required=True, validate=[validate.Length(max=500), _http_url])
    event_types = fields.List(fields.String(validate=validate.OneOf(WEBHOOK_EVENTS)),
                              required=True, validate=validate.Length(min=1))
    project_ids = fields.List(Id(), load_default=None, allow_none=True)
    secret = fields.String(load_default=None, allow_none=True, validate=_secret)
    max_in_flight = fields.Integer(load_default=4, validate=validate.Range(min=1, max=32))


class RotateSecretSchema(StrictSchema):
    subscription_id = Id(required=True)
    secret = fields.String(load_default=None, allow_none=True, validate=_secret)
    overlap_hours = fields.Integer(load_default=24, validate=validate.Range(min=0, max=720))


class DeliveriesQuery(StrictSchema):
    subscription_id = Id(required=True)
    status = fields.String(load_default=None, allow_none=True,
                           validate=validate.OneOf(("pending", "delivered", "dead")))
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))


class ReplaySchema(StrictSchema):
    """One delivery (`delivery_id`), or every delivery of events filed in [from, to)."""
    subscription_id = Id(required=True)
    delivery_id = Id(load_default=None, allow_none=True)
    from_ = fields.AwareDateTime(load_default=None, allow_none=True, data_key="from")
    to = fields.AwareDateTime(load_default=None, allow_none=True)

    @validates_schema
    def _one(self, data, **kwargs):
        if data["delivery_id"] is None and (data["from_"] is None or data["to"] is None):
            raise ValidationError("name a delivery_id, or from and to", "delivery_id")


class ReconciliationQuery(StrictSchema):
    project_id = fields.Integer(required=True, validate=validate.Range(min=1))
    week = fields.Date(required=True, metadata={"description": "any day of the office week"})
