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
