"""Complaint rules, free of frameworks."""
from datetime import datetime, timedelta

CLOSURE_DAYS = 7  # 第4篇: a complaint is closed within 7 days of filing


def closure_due(filed_at: datetime) -> datetime:
    if filed_at.tzinfo is None:
        raise ValueError("filing time must be timezone-aware")
    return filed_at + timedelta(days=CLOSURE_DAYS)
