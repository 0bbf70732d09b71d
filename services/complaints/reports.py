"""Reports and forms: 投诉统计表 (第二十七条, due by the 10th), the HR list of sanctions
(第十九条), and XLSX of the record card, the investigation report, the monthly statistics and
the repair register (维修情况登记表). User text is always written as a string cell, never as a
formula."""
import base64
import io
from collections import Counter
from datetime import datetime
from decimal import Decimal

from openpyxl import Workbook
from sqlalchemy import select

from contracts import scope
from contracts.errors import Forbidden, InvalidInput
from infra.working_calendar import SHANGHAI
from services.complaints import domain, sla
from services.complaints.handlers import _load, in_projects, month_bounds
from services.complaints.models import (ClockBreach, Complaint, Contractor, InvestigationReport,
                                        RepairOrder)

READERS = ("general_manager", "admin", "administration", "customer_service")


def _allow(query):
    if query["actor"]["role"] not in READERS:
        raise Forbidden(f"role {query['actor']['role']} may not read the complaint statistics",
                        {"role": [f"one of {', '.join(READERS)} is required"]})
    if query.get("project_id") and not in_projects(query["actor"], query["project_id"]):
        raise Forbidden("not one of your projects", {"project_id": ["not one of your projects"]})


def _rate(part, whole):
    return (Decimal(part) * 100 / whole).quantize(Decimal("0.1")) if whole else None


def _scoped(stmt, model, query):
    if query.get("project_id"):
        return stmt.where(model.project_id == query["project_id"])
    actor = query["actor"]
    if actor["role"] not in scope.EVERY_PROJECT_ROLES and not scope.every_project(actor):
        return stmt.where(model.project_id.in_(actor["project_ids"]))
    return stmt


def _breached(session, kind, ids, clocks_named) -> set:
    if not ids:
        return set()
    return set(session.scalars(select(ClockBreach.case_id).where(
        ClockBreach.case_kind == kind, ClockBreach.case_id.in_(ids),
        ClockBreach.clock.in_(clocks_named))))


def monthly_statistics(session, query) -> dict:
    _allow(query)
    start, end = month_bounds(query["month"])
    complaints = session.scalars(_scoped(select(Complaint).where(
        Complaint.filed_at >= start, Complaint.filed_at < end), Complaint, query)).all()
    late = _breached(session, sla.COMPLAINT, [c.id for c in complaints], ["closure"])
    closed = [c for c in complaints if c.status in (domain.CLOSED, domain.VISITED)]
    visited = [c for c in complaints if c.satisfaction]
    satisfied = [c for c in visited if c.satisfaction in domain.SATISFIED]
    outcome = Counter("rejected" if c.status == domain.REJECTED else
                      "closed" if c.status in (domain.CLOSED, domain.VISITED) else "open"
                      for c in complaints)
    counts = {
        "total": len(complaints),
        "by_category": dict(Counter(c.category or "undecided" for c in complaints)),
        "by_department": dict(Counter(c.department or "unrouted" for c in complaints)),
        "by_project": dict(Counter(str(c.project_id or "none") for c in complaints)),
        "by_outcome": dict(outcome),
        "closed": len(closed),
        "closed_on_time": len([c for c in closed if c.id not in late]),
        "on_time_rate": _rate(len([c for c in closed if c.id not in late]), len(closed)),
        "visits": len(visited), "satisfied": len(satisfied),
        "satisfaction_rate": _rate(len(satisfied), len(visited)),
        "reopened": len([c for c in complaints if c.reopen_count]),
    }
    orders = session.scalars(_scoped(select(RepairOrder).where(
        RepairOrder.ordered_at >= start, RepairOrder.ordered_at < end), RepairOrder, query)).all()
    late_repairs = _breached(session, sla.REPAIR, [r.id for r in orders],
                             ["repair_on_site_small", "repair_on_site_large", "repair_emergency"])
    names = dict(session.execute(select(Contractor.id, Contractor.name)).all())
    by_contractor = {}
    for order in orders:
        row = by_contractor.setdefault(order.contractor_id, {
            "contractor_id": order.contractor_id, "name": names.get(order.contractor_id, ""),
            "repairs": 0, "on_time": 0, "self_repaired": 0, "charges": Decimal("0.00")})
        row["repairs"] += 1
        if order.on_site_at is not None and order.id not in late_repairs and not order.missed:
            row["on_time"] += 1
        if order.self_repair_at is not None:
            row["self_repaired"] += 1
        row["charges"] += order.deposit_charge or Decimal("0.00")
    for row in by_contractor.values():
        row["on_time_rate"] = _rate(row["on_time"], row["repairs"])
    return {"month": query["month"], "project_id": query.get("project_id"), "complaints": counts,
            "repairs": sorted(by_contractor.values(), key=lambda r: r["contractor_id"])}


def accountability_list(session, query) -> dict:
    """The cases closed in the month with a sanction: HR's list (第十九条)."""
    _allow(query)
    start, end = month_bounds(query["month"])
    rows = session.scalars(_scoped(select(Complaint).where(
        Complaint.closed_at >= start, Complaint.closed_at < end, Complaint.sanction.is_not(None),
        Complaint.sanction != "none"), Complaint, query).order_by(Complaint.id))
    return {"month": query["month"], "rows": [{
        "complaint_id": c.id, "number": c.number, "closed_at": c.closed_at,
        "responsible_department": c.responsible_department,
        "responsible_person": c.responsible_person, "sanction": c.sanction,
        "sanction_name": domain.SANCTIONS[c.sanction][0],
        "bonus_share_percent": c.bonus_share_percent} for c in rows]}


# ---- XLSX ----------------------------------------------------------------------------

def export(session, query) -> dict:
    kind = query["kind"]
    if kind in ("record_card", "investigation_report"):
        if not query.get("complaint_id"):
            raise InvalidInput("which complaint?", {"complaint_id": ["required for this form"]})
        complaint = _load(session, query)
        book = (record_card(complaint) if kind == "record_card"
                else investigation_report(session, complaint))
        name = f"{kind.replace('_', '-')}-{complaint.number}.xlsx"
    else:
        if not query.get("month"):
            raise InvalidInput("which month?", {"month": ["required for this report"]})
        month_query = {**query, "month": query["month"]}
        if kind == "monthly_statistics":
            book = statistics_book(monthly_statistics(session, month_query))
        else:
            _allow(query)
            book = repair_register(session, month_query)
        name = f"{kind.replace('_', '-')}-{query['month']}.xlsx"
    out = io.BytesIO()
    book.save(out)
    return {"file_name": name, "content_base64": base64.b64encode(out.getvalue()).decode()}


def _value(value):
    if value is None:
        return "/"
    if isinstance(value, datetime):
        return value.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
    return value


def _append(sheet, values):
    """A row whose strings stay strings: a customer's `=HYPERLINK(...)` is text, not a formula."""
    sheet.append([_value(v) for v in values])
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str):
            cell.data_type = "s"
        elif isinstance(cell.value, Decimal):
            cell.number_format = "#,##0.00"


def record_card(complaint) -> Workbook:
    """客户投诉记录卡 (第十五条): a label and its box a row."""
    book = Workbook()
    sheet = book.active
    sheet.title = "客户投诉记录卡"
    for label, value in (
            ("编号", complaint.number), ("投诉客户名称", complaint.complainant_name),
            ("联系方式", complaint.contact), ("客户编号", complaint.customer_id),
            ("房号", complaint.unit_id), ("项目", complaint.project_id),
            ("投诉渠道", complaint.channel), ("投诉内容", complaint.content),
            ("客户要求", domain.CUSTOMER_REQUESTS.get(complaint.request or "other")),
            ("要求说明", complaint.request_detail),
            ("投诉类别", domain.VALID_CATEGORIES.get(complaint.category or "", complaint.category)),
            ("受理时间", complaint.accepted_at), ("受理人", complaint.accepted_by),
            ("不受理理由", complaint.rejection_reason),
            ("受理部门", domain.DEPARTMENTS.get(complaint.department or "", complaint.department)),
            ("受理部门处理意见", complaint.department_opinion),
            ("答复方式", {"written": "书面", "oral": "口头"}.get(complaint.reply_form or "")),
            ("答复内容", complaint.reply_content), ("结案时间", complaint.closed_at),
            ("回访满意度", complaint.satisfaction), ("重开次数", complaint.reopen_count)):
        _append(sheet, [label, value])
    return book


def investigation_report(session, complaint) -> Workbook:
    """投诉调查报告 (第十七条), one block per investigation round."""
    book = Workbook()
    sheet = book.active
    sheet.title = "投诉调查报告"
    _append(sheet, ["投诉编号", complaint.number])
    for report in session.scalars(select(InvestigationReport).where(
            InvestigationReport.complaint_id == complaint.id).order_by(InvestigationReport.round)):
        for label, value in (
                ("调查轮次", report.round), ("发生原因", report.cause), ("具体经过", report.course),
                ("具体责任者", report.responsible_party), ("结论", report.conclusion),
                ("对策和防范措施", report.countermeasures), ("调查人", report.filed_by),
                ("报告时间", report.filed_at), ("总经理批阅", report.review_opinion),
                ("批阅人", report.reviewed_by), ("批阅时间", report.reviewed_at)):
            _append(sheet, [label, value])
    return book


def statistics_book(stats) -> Workbook:
    """投诉统计表 and the repairs by contractor."""
    book = Workbook()
    sheet = book.active
    sheet.title = "投诉统计表"
    counts = stats["complaints"]
    _append(sheet, ["月份", stats["month"]])
    _append(sheet, ["投诉总数", counts["total"]])
    for title, key in (("按类别", "by_category"), ("按部门", "by_department"),
                       ("按项目", "by_project"), ("按结果", "by_outcome")):
        for name, number in sorted(counts[key].items()):
            _append(sheet, [title, name, number])
    for label, key in (("结案数", "closed"), ("按期结案数", "closed_on_time"),
                       ("按期结案率(%)", "on_time_rate"), ("回访数", "visits"),
                       ("满意数", "satisfied"), ("满意率(%)", "satisfaction_rate"),
                       ("重开数", "reopened")):
        _append(sheet, [label, counts[key]])
    repairs = book.create_sheet("维修商统计")
    _append(repairs, ["维修商", "维修单数", "按时到场", "按时率(%)", "自行维修", "质保金扣款"])
    for row in stats["repairs"]:
        _append(repairs, [row["name"], row["repairs"], row["on_time"], row["on_time_rate"],
                          row["self_repaired"], row["charges"]])
    return book


REGISTER_COLUMNS = ("序号", "维修单号", "报修日期", "房号", "业主编号", "报修内容", "维修单位",
                    "预计金额", "紧急程度", "到场时间", "是否逾期", "自行维修时间", "完成时间",
                    "实际费用", "质保金扣款", "签认", "回访满意度")


def repair_register(session, query) -> Workbook:
    """维修情况登记表: the month's repair orders."""
    start, end = month_bounds(query["month"])
    names = dict(session.execute(select(Contractor.id, Contractor.name)).all())
    book = Workbook()
    sheet = book.active
    sheet.title = "维修情况登记表"
    _append(sheet, REGISTER_COLUMNS)
    orders = session.scalars(_scoped(select(RepairOrder).where(
        RepairOrder.ordered_at >= start, RepairOrder.ordered_at < end), RepairOrder, query)
        .order_by(RepairOrder.id))
    for n, order in enumerate(orders, 1):
        _append(sheet, [n, order.number, order.ordered_at, order.unit_id, order.customer_id,
                        order.description, names.get(order.contractor_id),
                        order.estimated_amount, "紧急" if order.urgency == "emergency" else "一般",
                        order.on_site_at, "是" if order.missed else "否", order.self_repair_at,
                        order.completed_at, order.actual_cost, order.deposit_charge,
                        "、".join(s["name"] for s in order.signatures), order.satisfaction])
    return book
