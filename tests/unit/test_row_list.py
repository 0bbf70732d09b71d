"""`RowList` dumps plain rows exactly as `List(Nested(schema))` does, only faster."""
from datetime import datetime, timedelta, timezone

from marshmallow import Schema, fields, post_dump

from contracts.archive import DossierEntrySchema, DossierSchema
from contracts.base import RowList


def rows():
    at = datetime(2026, 11, 30, 6, 15, 0, 123456, tzinfo=timezone.utc)
    full = {column: None for column in DossierEntrySchema().dump_fields}
    return [
        {**full, "id": 1, "type": "deposit", "source": "archive", "kind": "sale_contract",
         "title": "合同", "category": "signing", "occurred_at": at,
         "filed_at": at.astimezone(timezone(timedelta(hours=8))), "data": {"a": [1, "二"]},
         "file_size": 2**40, "customer_id": 7, "corrected_by": [3, 4],
         "project_id": 9, "level_agreed_with": "法务"},  # extra keys are not dumped
        {**full, "id": 2, "data": {}, "corrected_by": []},
        {"id": 3, "title": 42, "data": None},  # missing keys are left out; 42 becomes "42"
    ]


class Plain(Schema):
    entries = fields.List(fields.Nested(DossierEntrySchema))


def test_the_same_output_as_list_of_nested():
    assert DossierSchema().dump({"entries": rows()})["entries"] == \
        Plain().dump({"entries": rows()})["entries"]
    assert DossierSchema().dump({"entries": None})["entries"] is None


def test_a_schema_with_dump_hooks_takes_marshmallows_path():
    class Hooked(Schema):
        name = fields.String()

        @post_dump
        def shout(self, data, **kwargs):
            return {"name": data["name"].upper()}

    class Outer(Schema):
        items = RowList(Hooked)
    assert Outer().dump({"items": [{"name": "a"}]}) == {"items": [{"name": "A"}]}
