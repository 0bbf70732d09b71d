"""The approval engine, pure: an application of a kind walks an ordered chain of roles; each
step is decided by that role only, in order; a rejection ends it."""
from dataclasses import dataclass

# the chains of the seed's forms (第3篇 客户成交相关表格), the default of every project: 特惠申请单,
# 调房申请单 and 更名申请单 are signed 销售部意见 → 总经理意见 → 财务部意见 (the sales department's
# opinion is the 案场经理's); 退房申请单 置业顾问 → 销售统计员 → 案场经理 → 总经理; 户型结构变更
# 财务部 → 销售部 → 工程部 → 审算 → 总经理 → 工程部 (the inspection record)
CHAINS: dict[str, tuple[str, ...]] = {
    "swap": ("sales_manager", "general_manager", "finance"),
    "refund": ("consultant", "sales_statistician", "sales_manager", "general_manager"),
    "rename": ("sales_manager", "general_manager", "finance"),
    "discount": ("sales_manager", "general_manager", "finance"),
    "layout_change": ("finance", "sales_manager", "engineering", "cost_review",
                      "general_manager", "engineering"),
}
KINDS = tuple(CHAINS)
PENDING, APPROVED, REJECTED = "pending", "approved", "rejected"
DEFAULT, PROJECT = "default", "project"  # where an application's chain came from
# who may shorten a project's chains
CHAIN_SETTERS = ("general_manager", "admin")


@dataclass(frozen=True)
class Refusal:
    status: int  # 403 wrong role, 409 out of order or already decided
    field: str
    reason: str


def chain_for(kind: str, project_chains: dict | None = None) -> tuple[tuple[str, ...], str]:
    """The roles that decide, in order, and where the chain came from: the project's own chain
    for the kind when it set one, else the seed's form."""
    own = (project_chains or {}).get(kind)
    if own:
        return tuple(own), PROJECT
    return CHAINS[kind], DEFAULT


def chain_refusal(kind: str, chain) -> str | None:
    """Why a project may not use `chain` for `kind`, or None when it may: a project shortens
    the seed's chain (drops steps, keeps the order); it never adds a signer or reorders them."""
    if not chain:
        return "a chain has at least one step"
    default = iter(CHAINS[kind])
    if not all(any(role == step for step in default) for role in chain):
        return (f"not a shorter form of the {kind} chain "
                f"{' → '.join(CHAINS[kind])}: steps may be left out, not added or reordered")
    return None


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
