"""XLSX exports in the seed's columns, masked for viewers who may not see the mobiles, and
every export logged (PostgreSQL)."""
import base64
import io

import pytest
from openpyxl import load_workbook

from contracts.base import load
from contracts.errors import InvalidInput, NotFound
from contracts.leads import ExportSchema, GradeCustomerSchema, MarkHopelessSchema
from services.leads import exports, follow_up
from tests.integration.test_leads_registration import call, office_with, visit

pytestmark = pytest.mark.integration


def export(store, **query):
    cmd = load(ExportSchema(), {"exported_by": "manager-li", **query})
    with store() as uow:
        result = exports.export(uow, cmd)
    sheet = load_workbook(io.BytesIO(base64.b64decode(result["content"]))).active
    return result, sheet.title, [list(row) for row in sheet.iter_rows(values_only=True)]


def test_the_registers_and_the_grade_sheet_in_the_seed_columns(stores):
    store = stores["leads"]
    office_id, (a, b) = office_with(store, ["甲", "乙"])
    seen = visit(store, office_id, mobile="13600001111", channel="tv",
                 age_band="25_34", focus_points=["school", "view"],
                 intended_product={"layout": "3b2l", "total_price_band": "410k_600k"},
                 visitors=2, visitor_relation="夫妻", notes="看了样板间")["customer"]
    call(store, office_id, mobile="13600002222", ad_medium="晚报", ad_theme="开盘",
         channel="evening_paper", intended_product={"unit_price_band": "3000_3500"})
    for grade, by in (("C", "consultant"), ("B", "consultant"), ("A", "manager")):
        with store() as uow:
            follow_up.grade_customer(uow, load(GradeCustomerSchema(), {
                "customer_id": seen["id"], "grade": grade, "changed_by": by}))

    result, title, rows = export(store, kind="visits", office_id=office_id, viewer_sees_all=True)
    assert title == "来访客户登记表" and result["rows"] == 1
    assert rows[0][:8] == ["客户编号", "来访日期", "置业顾问", "客户姓名", "性别", "年龄",
                           "婚姻状况", "手机"]
    row = dict(zip(rows[0], rows[1]))
    assert (row["客户编号"], row["置业顾问"], row["手机"]) == (seen["code"], "甲", "13600001111")
    assert (row["认知途径"], row["询问重点"], row["户型"], row["总价"]) == (
        "电视", "学校、景观", "3/2", "41-60万")
    assert row["来访人数及关系"] == "2人 夫妻" and row["婚姻状况"] == "/"

    _, title, rows = export(store, kind="calls", office_id=office_id, viewer_consultant_id=a)
    row = dict(zip(rows[0], rows[1]))
    assert title == "来电客户登记表"
    assert (row["序号"], row["获知渠道"], row["广告投放媒体及主题"], row["接受价格"]) == (
        1, "晚报", "晚报 开盘", "3000-3500")
    assert row["联系方式"] == "136****2222"  # b's customer, exported by a

    with store() as uow:
        follow_up.mark_hopeless(uow, load(MarkHopelessSchema(), {
            "customer_id": seen["id"], "kind": "refused_repeatedly", "changed_by": "m",
            "analysis": {"reasons": "价格"}}))
    _, title, rows = export(store, kind="grades", office_id=office_id)
    assert title == "客户等级分配跟踪表"
    assert rows[0] == ["NO.", "时间", "客户姓名", "客户级别", "置业顾问", "升级情况", "成交", "备注"]
    graded = dict(zip(rows[0], rows[1]))
    assert (graded["客户级别"], graded["升级情况"], graded["成交"]) == ("A", "C→B→A", "×")

    with store() as uow:
        log = exports.export_log(uow.session, office_id)["exports"]
    assert [(e["kind"], e["row_count"], e["exported_by"]) for e in log] == [
        ("grades", 2, "manager-li"), ("calls", 1, "manager-li"), ("visits", 1, "manager-li")]


def test_bad_export_requests_are_refused(stores):
    with pytest.raises(InvalidInput) as refused:
        load(ExportSchema(), {"kind": "contracts", "office_id": 1, "exported_by": "x"})
    assert "kind" in refused.value.details
    with pytest.raises(NotFound) as refused:
        export(stores["leads"], kind="visits", office_id=999_999)
    assert "office_id" in refused.value.details


def test_the_visit_register_leaves_out_the_address_for_who_may_not_see_it(stores):
    store = stores["leads"]
    office_id, (a, b) = office_with(store, ["甲", "乙"])
    visit(store, office_id, mobile="13600003333", address="中州路1号", postcode="471000")

    def address(**viewer):
        _, _, rows = export(store, kind="visits", office_id=office_id, **viewer)
        row = dict(zip(rows[0], rows[1]))
        return row["手机"], row["地址"], row["邮编"]

    assert address(viewer_consultant_id=a) == ("13600003333", "中州路1号", "471000")
    assert address(viewer_consultant_id=b) == ("136****3333", "/", "/")
