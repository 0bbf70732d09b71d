"""Leads rules, free of frameworks: mobile numbers, customer codes, the reception rotation."""
import re
from datetime import date, datetime
from zoneinfo import ZoneInfo
from dataclasses import dataclass

from pypinyin import Style, lazy_pinyin

_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_SEPARATORS = re.compile(r"[\s\-()（）]")


def normalize_mobile(raw: str) -> str | None:
    """A mainland mobile as 11 digits, or None when it is not one. Accepts +86/0086 prefixes,
    spaces, dashes and brackets (how numbers arrive from forms and call lists)."""
    digits = _SEPARATORS.sub("", raw or "")
    for prefix in ("+86", "0086", "86"):
        if digits.startswith(prefix) and len(digits) == len(prefix) + 11:
            digits = digits[len(prefix):]
            break
    return digits if _MOBILE.match(digits) else None


def name_initials(name: str) -> str:
    """First letters of the name's pinyin: 张三 → zs; Latin names give their words' initials."""
    letters = []
    for part in lazy_pinyin(name.strip(), style=Style.FIRST_LETTER, errors="default"):
        words = re.findall(r"[A-Za-z]+", part)
        letters.extend(word[0] for word in words)
    return "".join(letters).lower()[:10] or "x"


def customer_code(region_code: str, initials: str, sequence: int) -> str:
    """The seed's format: region + initials + a three-digit sequence (洛阳 张三 → ly-zs001)."""
    return f"{region_code}-{initials}{sequence:03d}"


@dataclass(frozen=True)
class RotationCandidate:
    consultant_id: int
    status: str
    rotation_order: int
    last_turn: int  # 0 when the consultant has not received anyone today


@dataclass(frozen=True)
class Allocation:
    consultant_id: int
    rule: str
    explanation: str


class NoConsultantAvailable(Exception):
    pass


def next_in_rotation(candidates: list[RotationCandidate]) -> Allocation:
    """The day's reception rotation: whoever has waited longest (fewest/earliest turns, then
    roster order) among the free consultants. A busy consultant is skipped but, having taken
    no turn, stays first in line for the next visitor; absent and inactive ones never get
    new customers."""
    waiting = sorted(candidates, key=lambda c: (c.last_turn, c.rotation_order))
    skipped = [c for c in waiting if c.status == "busy"]
    free = [c for c in waiting if c.status == "available"]
    if not free:
        raise NoConsultantAvailable("no consultant is free for reception")
    chosen = free[0]
    explanation = "reception rotation: next free consultant in today's order"
    ahead = [c.consultant_id for c in skipped if (c.last_turn, c.rotation_order)
             < (chosen.last_turn, chosen.rotation_order)]
    if ahead:
        explanation += f"; skipped busy consultant(s) {ahead}, who keep their turn"
    return Allocation(chosen.consultant_id, "new_visitor_rotation", explanation)


def returning_allocation(consultant_id: int) -> Allocation:
    return Allocation(consultant_id, "returning_customer",
                      "returning customer: stays with the original consultant")


OFFICE_TIMEZONE = ZoneInfo("Asia/Shanghai")


def office_day(moment: datetime) -> date:
    """The sales office's calendar day of an aware moment (rosters run on Beijing time)."""
    return moment.astimezone(OFFICE_TIMEZONE).date()
