"""Complaint and repair rules (第4篇 客户投诉管理办法, seed 001 售后维修管理办法), free of frameworks.

The lifecycle of a complaint, who may take each step, and the money rules of repairs. Nothing
here touches the database or the broker: handlers load a case, ask these functions, and write
what they answer.
"""
from dataclasses import dataclass
from decimal import Decimal

from contracts.errors import Conflict, Forbidden, InvalidInput

# 第三条: the valid scope of a complaint (客户的正当投诉范围), in a sales office's words
VALID_CATEGORIES = {
    "quality_defect": "产品在品质上有缺陷",
    "delivery_date": "交期(交房日期)",
    "not_as_contracted": "规格、等级、面积、数量等与合同不符",
    "outside_tolerance": "技术规格超过允许误差范围",
    "damage": "运输或包装不良造成损坏",
    "other_contract_breach": "其他品质问题或违反合同问题",
}
# 第二条: what the customer asks for
CUSTOMER_REQUESTS = {
    "price_reduction": "减价", "return": "退货", "exchange": "换货",
    "compensation": "赔偿", "criticism_suggestion": "批评建议", "other": "其他",
}
# the handling departments the administration may route to, each answered by a gateway role
# of the same name (工程部, 案场/销售, 财务部, 法务, 客服)
DEPARTMENTS = {
    "engineering": "工程部", "sales_manager": "销售部", "finance": "财务部",
    "legal": "法务部", "customer_service": "客服部",
}
# 第二十四条: sanctions and the share of the performance bonus each implies (percent)
SANCTIONS = {"none": ("无", Decimal("0")), "warning": ("警告", Decimal("100")),
             "minor_demerit": ("小过", Decimal("30")), "major_demerit": ("大过", Decimal("100"))}
SATISFACTION = ("very_satisfied", "satisfied", "neutral", "dissatisfied", "very_dissatisfied")
SATISFIED = ("very_satisfied", "satisfied")
REPLY_FORMS = ("written", "oral")

# the complaint's statuses, in the order of 第4篇
FILED, REJECTED, ACCEPTED, ROUTED, WAITING_CUSTOMER = (
    "filed", "rejected", "accepted", "routed", "waiting_customer")
INVESTIGATED, REVIEWED, RESOLVED, REPLIED, CLOSED, VISITED, REOPENED = (
    "investigated", "reviewed", "resolved", "replied", "closed", "visited", "reopened")
OPEN_STATUSES = (FILED, ACCEPTED, ROUTED, WAITING_CUSTOMER, INVESTIGATED, REVIEWED, RESOLVED,
                 REPLIED, REOPENED)

ADMIN = "admin"


@dataclass(frozen=True)
class Step:
    """One step of the lifecycle: from which statuses, to which, by which roles."""
    name: str
    from_statuses: tuple
    to_status: str
    roles: tuple  # "department" stands for the role the case was routed to


STEPS = {step.name: step for step in (
    Step("accept", (FILED,), ACCEPTED, ("customer_service",)),
    Step("reject", (FILED,), REJECTED, ("customer_service",)),
    Step("route", (ACCEPTED,), ROUTED, ("administration",)),
    Step("await_customer", (ROUTED, REVIEWED), WAITING_CUSTOMER, ("department",)),
    Step("resume", (WAITING_CUSTOMER,), None, ("department",)),
    Step("report", (ROUTED, REOPENED), INVESTIGATED, ("department",)),
    Step("review", (INVESTIGATED,), REVIEWED, ("general_manager",)),
    Step("resolve", (REVIEWED,), RESOLVED, ("department",)),
    Step("reply", (RESOLVED,), REPLIED, ("customer_service",)),
    Step("close", (REPLIED,), CLOSED, ("customer_service",)),
    Step("record_accountability", (REVIEWED, RESOLVED, REPLIED, CLOSED, VISITED), None,
         ("administration",)),
    Step("visit", (CLOSED,), VISITED, ("customer_service",)),
    Step("reopen", (CLOSED, VISITED), REOPENED, ("customer_service",)),
)}


def available_steps(status: str, role: str, department: str | None) -> list[str]:
    """The steps `role` may take on a complaint that is `status` and routed to `department`,
    in the lifecycle's order: what check_step would let through."""
    return [name for name, step in STEPS.items()
            if status in step.from_statuses and (role == ADMIN or role in {
                department if r == "department" else r for r in step.roles})]


def check_step(step_name: str, status: str, role: str, department: str | None,
               resumes_to: str | None = None) -> str:
    """The status after `step_name` from `status` by `role`; Forbidden for a wrong role,
    Conflict for a step out of order. `department` is the one the case was routed to."""
    step = STEPS[step_name]
    allowed = {department if r == "department" else r for r in step.roles} - {None}
    if role != ADMIN and role not in allowed:
        raise Forbidden(f"role {role} may not {step_name.replace('_', ' ')} this complaint",
                        {"role": [f"one of {', '.join(sorted(allowed)) or '-'} is required"]})
    if status not in step.from_statuses:
        raise Conflict(f"cannot {step_name.replace('_', ' ')} a complaint that is {status}",
                       {"status": [f"must be one of {', '.join(step.from_statuses)}"]})
    if step_name == "resume":
        return resumes_to
    return step.to_status or status


def check_category(category: str) -> None:
    if category not in VALID_CATEGORIES:
        raise InvalidInput("the matter is outside the valid scope of a complaint (第三条)",
                           {"category": [f"must be one of {', '.join(VALID_CATEGORIES)}"]})


def bonus_share(sanction: str) -> Decimal:
    """第二十四条: the percentage of the performance bonus the sanction deducts."""
    return SANCTIONS[sanction][1]


def is_major(request: str, category: str) -> bool:
    """A major complaint (重大投诉) gets its own topic file: compensation or returns."""
    return request in ("compensation", "return")


# ---- repairs (售后维修管理办法) -------------------------------------------------------
SMALL_REPAIR_LIMIT = Decimal("1000.00")  # ≤ 1,000 yuan: on site within 24 h, above: 36 h
SELF_REPAIR_FACTOR = Decimal("2")        # missed: 200 % of the cost from the warranty deposit
SIGNERS = ("repair_department", "owner", "supervisor", "project_department")  # 维修单签认
URGENCIES = ("normal", "emergency")

ORDERED, ON_SITE, SELF_REPAIRING, REPAIRED, SIGNED_OFF, REPAIR_VISITED = (
    "ordered", "on_site", "self_repairing", "repaired", "signed_off", "visited")
REPAIR_OPEN_STATUSES = (ORDERED, ON_SITE, SELF_REPAIRING, REPAIRED)


def on_site_clock(urgency: str, estimated_amount: Decimal) -> str:
    """The name of the clock the contractor's arrival runs against."""
    if urgency == "emergency":
        return "repair_emergency"
    return "repair_on_site_small" if estimated_amount <= SMALL_REPAIR_LIMIT else "repair_on_site_large"


def deposit_charge(cost: Decimal, self_repaired_after_miss: bool) -> Decimal:
    """What the contractor's warranty deposit (质保金) is charged for a repair the after-sales
    department did itself: 200 % after a missed on-site deadline, the cost itself for an
    emergency repaired at once."""
    factor = SELF_REPAIR_FACTOR if self_repaired_after_miss else Decimal("1")
    return (cost * factor).quantize(Decimal("0.01"))


REPAIR_STEPS = {
    "arrive": ((ORDERED,), ON_SITE),
    "self_repair": ((ORDERED,), SELF_REPAIRING),
    "complete": ((ON_SITE, SELF_REPAIRING), REPAIRED),
    "sign": ((REPAIRED,), None),
    "visit": ((SIGNED_OFF,), REPAIR_VISITED),
}


def check_repair_step(step: str, status: str) -> str:
    from_statuses, to_status = REPAIR_STEPS[step]
    if status not in from_statuses:
        raise Conflict(f"cannot {step.replace('_', ' ')} a repair order that is {status}",
                       {"status": [f"must be one of {', '.join(from_statuses)}"]})
    return to_status or status


CLOSURE_DAYS = 7  # 第二十六条: a complaint is closed within 7 days of filing


def closure_due(filed_at):
    """The default closure deadline (a project may set its own clock, see clocks.py)."""
    from datetime import timedelta
    if filed_at.tzinfo is None:
        raise ValueError("filing time must be timezone-aware")
    return filed_at + timedelta(days=CLOSURE_DAYS)
