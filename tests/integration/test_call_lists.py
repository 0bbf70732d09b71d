"""Call-list import on PostgreSQL: bulk, deduplicated against customers and earlier lists,
bad rows reported by line, the same list twice adds nothing twice."""
import pytest
from sqlalchemy import func, select

from contracts.base import load
from contracts.errors import InvalidInput
from contracts.leads import ImportCallListSchema, RegisterVisitSchema
from services.leads import handlers
from services.leads.models import CallLead

pytestmark = pytest.mark.integration


def import_list(store, rows, header=("姓名", "手机"), source="purchased"):
    cmd = load(ImportCallListSchema(), {"source": source, "file_name": "list.csv",
                                        "imported_by": "manager-li", "header": list(header),
                                        "rows": rows})
    with store() as uow:
        return handlers.import_call_list(uow, cmd)


def test_a_call_list_lands_in_bulk_without_duplicates(stores):
    store = stores["leads"]
    with store() as uow:
        office = handlers.create_office(uow, {"code": "call-office", "name": "Call",
                                              "region_code": "cl"})
        handlers.add_consultant(uow, {"office_id": office["id"], "name": "钱七"})
    with store() as uow:
        customer = handlers.register_visit(uow, load(RegisterVisitSchema(), {
            "office_id": office["id"], "name": "老客户", "mobile": "15000000007"}),
            handlers.find_office(uow.session, office["id"]))["customer"]
    rows = [[f"客户{n}", f"150{n:08d}"] for n in range(12_000)]
    rows[5] = ["坏号码", "123"]
    rows.append(["重复", "15000000001"])  # repeats row 1 within the list

    first = import_list(store, rows)
    assert (first["rows"], first["rejected"]) == (12_001, 1)
    assert first["errors"] == [{"line": 7, "field": "mobile",
                                "reason": "not a mainland mobile number"}]
    assert first["added"] == 12_000 - 1 - 1  # minus the bad row and the existing customer
    assert first["duplicates"] == 2          # the customer's number and the repeat

    again = import_list(store, rows)
    assert (again["added"], again["duplicates"], again["rejected"]) == (0, 12_000, 1)
    with store() as uow:
        total = uow.session.scalar(select(func.count()).select_from(CallLead).where(
            CallLead.import_id.in_([first["id"], again["id"]])))
        assert total == 11_998
        assert uow.session.scalar(select(CallLead.id).where(
            CallLead.mobile == customer["mobile"])) is None


def test_a_list_with_unusable_columns_is_refused_whole(stores):
    store = stores["leads"]
    with pytest.raises(InvalidInput) as refused:
        import_list(store, [["x", "13800138000"]], header=("姓名", "QQ"))
    assert refused.value.details == {"header": ["missing: mobile", "unknown: QQ"]}
