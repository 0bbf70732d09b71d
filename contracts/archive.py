"""Archive: one dossier per unit (一户一档), every read logged."""
from marshmallow import fields, validate

from contracts.base import Id, StrictSchema
from contracts.envelope import EventType, register


class ReadDossierSchema(StrictSchema):
    unit_id = Id(required=True)
    reader = fields.String(required=True, validate=validate.Length(min=1, max=100))
    purpose = fields.String(load_default="", validate=validate.Length(max=200))


class DossierEntrySchema(StrictSchema):
    event_id = fields.String()
    type = fields.String()
    source = fields.String()
    occurred_at = fields.AwareDateTime()
    customer_id = fields.Integer(allow_none=True)
    unit_id = fields.Integer(allow_none=True)
    data = fields.Dict()


class DossierSchema(StrictSchema):
    id = fields.Integer()
    unit_id = fields.Integer()
    project_id = fields.Integer(allow_none=True)
    opened_at = fields.AwareDateTime()
    customer_ids = fields.List(fields.Integer())
    entries = fields.List(fields.Nested(DossierEntrySchema))


class DossierOpened(StrictSchema):
    dossier_id = fields.Integer(required=True)


register(EventType("archive", "dossier_opened", 1, DossierOpened, {"dossier_id": 1}))
