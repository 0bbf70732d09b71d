"""The approval engine, pure: an application of a kind walks an ordered chain of roles; each
step is decided by that role only, in order; a rejection ends it."""
from dataclasses import dataclass
from decimal import Decimal

# the chains of the seed's forms (第3篇 客户成交相关表格)
CHAINS: dict[str, tuple[str, ...]] = {
    "swap": ("sales_manager",),  # 调房: the manager decides (换房规则)
    "refund": ("consultant", "sales_statistician", "sales_manager", "general_manager"),
    "rename": ("sales_manager", "general_manager", "finance"),
    "discount": ("sales_manager", "finance"),  # + the general manager below the floor price
    "layout_change": ("finance", "sales_manager", "engineering", "cost_review",
                      "general_manager", "engineering"),  # the last: inspection record
}
KINDS = tuple(CHAINS)
PENDING, APPROVED, REJECTED = "pending", "approved", "rejected"


@dataclass(frozen=True)
class Refusal:
    status: int  # 403 wrong role, 409 out of order or already decided
    field: str
    reason: str


def chain_for(kind: str, details: dict) -> tuple[str, ...]:
    """The roles that decide, in order. A discount that takes the price below the floor needs
    the general manager between the sales department and finance (特惠申请单)."""
    if kind == "discount" and below_floor(details):
        return ("sales_manager", "general_manager", "finance")
    return CHAINS[kind]


def below_floor(details: dict) -> bool:
    floor = details.get("floor_total_price")
    return floor is not None and Decimal(details["discounted_total_price"]) < Decimal(floor)


def check_decision(status: str, chain: tuple[str, ...], decided: int, role: str
                   ) -> Refusal | None:
    """Why `role` may not decide the next step now, or None when it may."""
    if status != PENDING:
        return Refusal(409, "application_id", f"the application is {status}")
    expected = chain[decided]
    if role == expected:
        return None
    if role in chain[decided + 1:]:
        return Refusal(409, "role", f"step {decided + 1} waits for the {expected} first")
    if role in chain[:decided]:
        return Refusal(409, "role", f"the {role} has decided already; step {decided + 1} is "
                                    f"for the {expected}")
    return Refusal(403, "role", f"step {decided + 1} is for the {expected}, not a {role}")


def status_after(chain: tuple[str, ...], decided: int, approve: bool) -> str:
    """The application's status once step `decided + 1` is decided."""
    if not approve:
        return REJECTED
    return APPROVED if decided + 1 == len(chain) else PENDING
