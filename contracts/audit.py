"""Reads of personal data: who reads (named by the caller) and why; each service that holds
contact details or ID numbers logs the read (infra.read_log)."""
from marshmallow import fields, validate

from contracts.base import StrictSchema


class ReaderSchema(StrictSchema):
    user_id = fields.Integer(allow_none=True, load_default=None)
    username = fields.String(required=True, validate=validate.Length(min=1, max=100))
    role = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=30))


class ReadAudit(StrictSchema):
    """Fields of a query that reads personal data: the person it is read for, and why."""
    read_by = fields.Nested(ReaderSchema, load_default=None, allow_none=True, metadata={
        "description": "who the record is read for; logged with the read"})
    purpose = fields.String(load_default=None, allow_none=True,
                            validate=validate.Length(max=500))


class ListReadsSchema(StrictSchema):
    kind = fields.String(validate=validate.Length(max=30))
    subject_id = fields.Integer(validate=validate.Range(min=1))
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))


class ReadSchema(StrictSchema):
    id = fields.Integer()
    read_at = fields.DateTime()
    kind = fields.String()
    subject_id = fields.Integer()
    reader = fields.String()
    reader_id = fields.Integer(allow_none=True)
    reader_role = fields.String(allow_none=True)
    purpose = fields.String(allow_none=True)
