"""Inventory rules, free of frameworks: what may happen to a unit, and when a hold ends."""
from dataclasses import dataclass
from datetime import datetime, timedelta

# 销控 states, in the order a sale moves through them
AVAILABLE, HELD, RESERVED = "available", "held", "reserved"


@dataclass(frozen=True)
class ReservationDecision:
    accepted: bool
    reason: str = ""


def decide_reservation(unit_status: str | None, unit_customer_id: int | None,
                       customer_id: int) -> ReservationDecision:
    """A deposit reserves an available unit, or a unit held for the same customer (第9篇:
    the holding customer keeps the unit if they pay first); anything else is refused."""
    if unit_status is None:
        return ReservationDecision(False, "unknown unit")
    if unit_status == AVAILABLE:
        return ReservationDecision(True)
    if unit_status == HELD:
        if unit_customer_id == customer_id:
            return ReservationDecision(True)
        return ReservationDecision(False, "the unit is held for another customer")
    return ReservationDecision(False, f"the unit is already {unit_status}")


def can_hold(unit_status: str) -> bool:
    return unit_status == AVAILABLE


def hold_expires_at(start: datetime, hold_days: int) -> datetime:
    if start.tzinfo is None:
        raise ValueError("hold start must be timezone-aware")
    return start + timedelta(days=hold_days)
