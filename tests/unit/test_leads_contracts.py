"""Leads' request schemas refuse what the service cannot answer, naming the field."""
import pytest

from contracts.base import load
from contracts.errors import InvalidInput
from contracts.leads import CallCenterMonthQuery
from gateway.routes import CallCenterMonthBody


@pytest.mark.parametrize("month", ["0000-01", "9999-12", "1999-12", "2100-01", "2026-13"])
def test_a_ranking_month_outside_the_years_2000_to_2099_is_refused_naming_month(month):
    for schema in (CallCenterMonthQuery(), CallCenterMonthBody()):
        payload = {"month": month} if isinstance(schema, CallCenterMonthBody) else {
            "office_id": 1, "month": month}
        with pytest.raises(InvalidInput) as refused:
            load(schema, payload)
        assert list(refused.value.details) == ["month"]


@pytest.mark.parametrize("month", ["2000-01", "2026-11", "2099-12"])
def test_a_ranking_month_of_this_century_is_taken(month):
    assert load(CallCenterMonthQuery(), {"office_id": 1, "month": month})["month"] == month


def test_a_file_without_contact_details_keeps_nothing_of_the_contact_list():
    from contracts.leads import CONTACT_DETAILS, file_without_contact_details

    customer = {"id": 7, "name": "张三", "mobile": "13912345678",
                "other_mobiles": ["13800001111"], "id_number": "41030219800101123X",
                "profile": {"address": "中州路1号", "postcode": "471000", "residence_area": "西工区"}}
    file = {"customer": customer, "follow_ups": [], "family": [{"name": "王芳"}],
            "archive": {name: "x" for name in CONTACT_DETAILS["archive"] + ("education",)}}
    shown = file_without_contact_details(file, lambda value: value[:3] + "****")
    assert shown["customer"]["mobile"] == "139****"
    assert shown["customer"]["other_mobiles"] == ["138****"]
    assert shown["customer"]["id_number"] == "410****"
    assert shown["customer"]["profile"] == {"residence_area": "西工区"}
    assert shown["archive"] == {"education": "x"} and "family" not in shown
    assert shown["follow_ups"] == [] and file["customer"]["mobile"] == "13912345678"
