"""The deal report (客户成交报告) and the read model behind it: what leads tells us about each
customer's registration, visits and calls."""
import base64
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select

from contracts.errors import NotFound
from infra.database import insert_into
from infra.workbooks import xlsx
from services.transactions import domain, plans, sales
from services.transactions.models import (Contract, Deposit, LeadActivity, OrderForm,
                                          Payment, QueueNumber, Subscription)


def on_visit_recorded(uow, event) -> None:
    """A visit or call; the first contact also registered the customer (code, channel)."""
    if event["customer_id"] is None:
        return
    data = event["data"]
    activity = [{"kind": data["kind"], "channel": data["channel"],
                 "consultant_id": data["consultant_id"], "customer_code": None}]
    if data["first"]:
        activity.insert(0, {"kind": "registered", "channel": data["channel"],
                            "consultant_id": None, "customer_code": data["customer_code"]})
    uow.session.execute(insert_into(LeadActivity.__table__), [
        {"customer_id": event["customer_id"], "occurred_at": event["occurred_at"], **row}
        for row in activity])


def deal_report(session, deposit_id) -> dict:
    deposit = session.get(Deposit, deposit_id)
    if deposit is None:
        raise NotFound(f"deposit {deposit_id} does not exist", {"deposit_id": ["unknown deposit"]})
    return _report(session, deposit)


def project_deals(session, project_id) -> list[dict]:
    """Every deal of the project: deposits that became an order form, newest first."""
    deposits = session.scalars(select(Deposit).where(
        Deposit.id.in_(select(OrderForm.deposit_id).where(OrderForm.project_id == project_id)))
        .order_by(Deposit.id.desc()))
    return [_report(session, deposit) for deposit in deposits]


def deal_list(session, project_ids=None, consultant_id=None, project_id=None, limit=50,
              today=None) -> dict:
    """成交: deposits newest first, each with where its deal stands (order form, subscription,
    contract, the payment plan and what is overdue) — within the projects given (None: every
    project) and one consultant's when given."""
    today = today or plans.office_today()
    query = select(Deposit).order_by(Deposit.id.desc()).limit(limit)
    if project_ids is not None:
        query = query.where(Deposit.project_id.in_(project_ids))
    if project_id is not None:
        query = query.where(Deposit.project_id == project_id)
    if consultant_id is not None:
        query = query.where(Deposit.consultant_id == consultant_id)
    return {"as_of": today, "deals": [_deal(session, deposit, today)
                                      for deposit in session.scalars(query)]}


def _deal(session, deposit, today) -> dict:
    order = session.scalar(select(OrderForm).where(OrderForm.deposit_id == deposit.id)
                           .order_by(OrderForm.id.desc()).limit(1))
    subscription = contract = plan = None
    if order is not None:
        subscription = session.scalar(select(Subscription).where(
            Subscription.order_form_id == order.id))
        if subscription is not None:
            contract = session.scalar(select(Contract).where(
                Contract.subscription_id == subscription.id))
    if contract is not None:
        plan = plans.get_payment_plan(session, contract.id, today)
    paid = plan["amount_paid"] if plan else (
        sales.amount_paid(session, order.id) if order is not None else Decimal("0"))
    items = plan["items"] if plan else []
    return {
        "deposit_id": deposit.id, "deposit_status": deposit.status, "deposit_kind": deposit.kind,
        "deposit_amount": deposit.amount, "received_at": deposit.received_at,
        "project_id": deposit.project_id, "unit_id": deposit.unit_id,
        "customer_id": deposit.customer_id,
        "customer_name": (order.customer_name if order else None) or deposit.customer_name,
        "consultant_id": deposit.consultant_id,
        "order_form_id": order.id if order else None,
        "order_form_status": order.status if order else None,
        "total_price": contract.total_price if contract else (
            subscription.total_price if subscription else (order.total_price if order else None)),
        "subscription_id": subscription.id if subscription else None,
        "subscription_status": subscription.status if subscription else None,
        "contract_id": contract.id if contract else None,
        "contract_status": contract.status if contract else None,
        "filing_number": contract.filing_number if contract else None,
        "amount_paid": paid, "balance_due": plan["balance_due"] if plan else None,
        "overdue_amount": domain.overdue_owed(items),
        "plan": items}


def _report(session, deposit) -> dict:
    activity = list(session.scalars(select(LeadActivity).where(
        LeadActivity.customer_id == deposit.customer_id).order_by(LeadActivity.occurred_at)))
    registered = next((a for a in activity if a.kind == "registered"), None)
    visits = [a for a in activity if a.kind == "visit"]
    # before leads announced every visit, the registration was the only visit we heard of
    visit_count = len(visits) or (1 if registered else 0)
    first_contact = min((a.occurred_at for a in activity if a.kind in ("registered", "visit")),
                        default=None)
    order = session.scalar(select(OrderForm).where(OrderForm.deposit_id == deposit.id)
                           .order_by(OrderForm.id.desc()).limit(1))
    subscription = contract = None
    if order is not None:
        subscription = session.scalar(select(Subscription).where(
            Subscription.order_form_id == order.id))
        contract = session.scalar(select(Contract).where(Contract.order_form_id == order.id))
    large_at = large_deposit_at(session, deposit)
    days = days_to_large = None
    if first_contact is not None:
        days = (plans.office_date(deposit.received_at) - plans.office_date(first_contact)).days
        if large_at is not None:
            days_to_large = (plans.office_date(large_at) - plans.office_date(first_contact)).days
    first = registered or (visits[0] if visits else None)
    id_number = order.customer_id_number if order else deposit.customer_id_number
    return {
        "deposit_id": deposit.id, "customer_id": deposit.customer_id,
        "customer_code": registered.customer_code if registered else None,
        "customer_name": order.customer_name if order else deposit.customer_name,
        "consultant_id": deposit.consultant_id, "unit_id": deposit.unit_id,
        "project_id": order.project_id if order else deposit.project_id,
        "channel": first.channel if first else None,
        "first_visit_at": first_contact, "deposit_at": deposit.received_at,
        "days_first_visit_to_deposit": days, "large_deposit_at": large_at,
        "days_first_visit_to_large_deposit": days_to_large,
        "queue_date": plans.office_date(_queued_at(session, deposit)), "birth_date":
        domain.birth_date(id_number), "visits": visit_count,
        "visits_box": domain.visit_bucket(visit_count),
        "calls": sum(1 for a in activity if a.kind == "call"),
        "deposit_kind": deposit.kind, "deposit_amount": deposit.amount,
        "building_area": order.building_area if order else deposit.building_area,
        "unit_price": subscription.unit_price if subscription else (order and order.unit_price),
        "total_price": (subscription.total_price if subscription
                        else (order.total_price if order else None)),
        "subscribed_at": subscription.signed_at if subscription else None,
        "contracted_at": contract.signed_at if contract else None,
        "payment_method": contract.payment_method if contract else None,
        "status": order.status if order else deposit.status,
        # the form's customer and property boxes the suite keeps elsewhere (leads' customer
        # profile, inventory's unit): the gateway fills them in; None is the form's "/"
        "customer": dict.fromkeys(CUSTOMER_BOXES), "property": dict.fromkeys(PROPERTY_BOXES)}


def _queued_at(session, deposit) -> datetime:
    """排号日期: the day the buyer took their queue number when the deposit came from its
    诚意金 at an opening; else the day of the deposit."""
    taken = session.scalar(select(QueueNumber.taken_at).where(
        QueueNumber.deposit_id == deposit.id))
    return taken or deposit.received_at


# 客户成交报告 (seed 第3篇): the customer boxes and the property boxes, in the form's order
CUSTOMER_BOXES = ("gender", "age_band", "mobile", "address", "purchase_motive", "objections",
                  "occupation", "residence_area", "home_purchase_count", "household_income",
                  "household", "friends_looking")
PROPERTY_BOXES = ("location", "garden_area", "other_area", "property_type", "building_category",
                  "layout")


def large_deposit_at(session, deposit) -> datetime | None:
    """大定: when the deposit was large, or when a small one was topped up (the first later
    payment for the deposit, 补足), else None."""
    if deposit.kind == "large":
        return deposit.received_at
    paid = session.scalars(select(Payment.paid_at).join(
        OrderForm, OrderForm.id == Payment.order_form_id).where(
        OrderForm.deposit_id == deposit.id, Payment.purpose == "deposit")
        .order_by(Payment.paid_at, Payment.id)).all()
    return paid[1] if len(paid) > 1 else None


# the workbook's columns: the 客户成交报告 boxes in the form's order, then what the suite adds
# (the form may grow, never shrink)
FORM_COLUMNS = (
    ("customer_code", "客户编号"), ("consultant_id", "成交业务员"), ("queue_date", "排号日期"),
    ("subscribed_at", "认购日期"), ("contracted_at", "签约日期"), ("customer_name", "客户姓名"),
    ("gender", "性别"), ("age_band", "年龄"), ("birth_date", "出生日期"), ("mobile", "联系电话"),
    ("address", "联系地址"), ("purchase_motive", "购房目的"), ("objections", "主要异议"),
    ("occupation", "职业"), ("residence_area", "现住区域"), ("home_purchase_count", "第几次置业"),
    ("days_first_visit_to_large_deposit", "自首次看房至大定时间(天)"),
    ("household_income", "家庭收入"), ("household", "家庭人口"), ("location", "坐落位置"),
    ("building_area", "建筑面积"), ("garden_area", "花园面积"), ("other_area", "其他面积"),
    ("property_type", "物业类型"), ("layout", "房型"), ("building_category", "房屋类别"),
    ("channel", "来访渠道"), ("visits_box", "来访次数"), ("friends_looking", "周边是否还有朋友需求购房"),
    ("calls", "来电次数"), ("deposit_kind", "定金类别"), ("deposit_amount", "定金"),
    ("unit_price", "单价"), ("total_price", "总房款"), ("payment_method", "付款方式"),
    ("status", "状态"))


def deal_reports_file(session, project_id, boxes: list[dict]) -> dict:
    """The project's deal reports as an XLSX workbook, one row a deal, the form's boxes as
    columns; an empty box is "/" (暂无内容处均用/表示)."""
    by_deposit = {box["deposit_id"]: box for box in boxes}

    def rows():
        yield [title for _, title in FORM_COLUMNS]
        for report in project_deals(session, project_id):
            box = by_deposit.get(report["deposit_id"], {})
            row = {**report, **report["customer"], **report["property"],
                   **{k: v for k, v in {**box.get("customer", {}), **box.get("property", {})}
                      .items() if v is not None}}
            yield [_cell(row[key]) for key, _ in FORM_COLUMNS]

    content = xlsx([("客户成交报告", rows())])
    return {"file_name": f"deal-reports-{project_id}.xlsx",
            "content_base64": base64.b64encode(content).decode()}


def _cell(value):
    if value is None or value == []:
        return "/"
    if isinstance(value, datetime):
        return plans.office_date(value)
    if isinstance(value, list):
        return "、".join(value)
    return value
