"""Complaints (客户投诉): filing opens the 7-day closure clock."""
from marshmallow import fields, validate

from contracts.base import Id, StrictSchema
from contracts.envelope import EventType, register

COMPLAINT_CHANNELS = ("visit", "phone", "letter", "email", "other")


class FileComplaintSchema(StrictSchema):
    complainant_name = fields.String(required=True, validate=validate.Length(min=1, max=50))
    contact = fields.String(required=True, validate=validate.Length(min=1, max=64))
    channel = fields.String(required=True, validate=validate.OneOf(COMPLAINT_CHANNELS))
    content = fields.String(required=True, validate=validate.Length(min=1, max=5000))
    customer_id = Id(load_default=None, allow_none=True)
    unit_id = Id(load_default=None, allow_none=True)
    project_id = Id(load_default=None, allow_none=True)


class GetComplaintSchema(StrictSchema):
    complaint_id = Id(required=True)


class ComplaintSchema(StrictSchema):
    id = fields.Integer()
    complainant_name = fields.String()
    contact = fields.String()
    channel = fields.String()
    content = fields.String()
    customer_id = fields.Integer(allow_none=True)
    unit_id = fields.Integer(allow_none=True)
    project_id = fields.Integer(allow_none=True)
    status = fields.String()
    filed_at = fields.AwareDateTime()
    due_at = fields.AwareDateTime()


class ComplaintFiled(StrictSchema):
    complaint_id = fields.Integer(required=True)
    channel = fields.String(required=True)
    due_at = fields.AwareDateTime(required=True)


register(EventType("complaints", "complaint_filed", 1, ComplaintFiled,
                   {"complaint_id": 1, "channel": "phone", "due_at": "2026-11-29T02:00:00+00:00"}))
