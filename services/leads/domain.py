"""Leads rules, free of frameworks: mobile numbers, customer codes, the reception rotation."""
import re
from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo
from dataclasses import dataclass

from lunardate import LunarDate
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
    duty_group: int = 1


@dataclass(frozen=True)
class Allocation:
    consultant_id: int
    rule: str
    explanation: str
    assisted_by: int | None = None  # who received the visitor in the owner's place


@dataclass(frozen=True)
class Staff:
    """A consultant as the allocation rules see them."""
    id: int
    status: str


@dataclass(frozen=True)
class Decision:
    """What the rules decided before the rotation is consulted: a fixed consultant (`allocation`,
    possibly needing an assistant), or the rotation with a `note` on why."""
    allocation: Allocation | None = None
    needs_assistant: bool = False
    note: str = ""


def group_on_duty(day: date) -> int:
    """With two groups on alternate days (隔天值班), group 1 has the even days."""
    return 1 if day.toordinal() % 2 == 0 else 2


def on_duty(candidates: list[RotationCandidate], day: date, alternate_groups: bool):
    if not alternate_groups:
        return candidates
    group = group_on_duty(day)
    return [c for c in candidates if c.duty_group == group]


def can_take_new(staff: Staff | None) -> bool:
    return staff is not None and staff.status in ("available", "busy")


def choose_for_visit(owner: Staff | None, same_day_caller: int | None, inviter: Staff | None,
                     referrer_owner: Staff | None) -> Decision:
    """第1篇 三(一): a returning customer → the original consultant (the one who answered their
    call today, if so), assisted by another when the original is not free; a phone-invited
    visitor → the inviter; a referred visitor (老带新) → the referrer's consultant; otherwise
    the rotation. Absent or inactive consultants never get a new customer."""
    if owner is not None:
        if same_day_caller == owner.id:
            allocation = Allocation(owner.id, "same_day_call", "called today and visits the "
                                    "same day: received by the consultant who answered")
        else:
            allocation = Allocation(owner.id, "returning_customer",
                                    "returning customer: stays with the original consultant")
        return Decision(allocation, needs_assistant=owner.status != "available")
    notes = []
    if inviter is not None:
        if can_take_new(inviter):
            return Decision(Allocation(inviter.id, "phone_invited",
                                       "invited by phone: received by the inviting consultant"))
        notes.append(f"inviting consultant {inviter.id} is {inviter.status}")
    if referrer_owner is not None:
        if can_take_new(referrer_owner):
            return Decision(Allocation(referrer_owner.id, "referral", "referred by an existing "
                                       "customer (老带新): goes to that customer's consultant"))
        notes.append(f"referrer's consultant {referrer_owner.id} is {referrer_owner.status}")
    return Decision(note="; ".join(notes))


def choose_for_call(owner: Staff | None, answered_by: Staff | None,
                    has_phone_order: bool) -> Decision:
    """第1篇 三(三): an existing customer's call → their consultant; a new caller → whoever the
    phone log says answered, else the day's phone answering order, else the reception order."""
    if owner is not None:
        return Decision(Allocation(owner.id, "existing_customer_call",
                                   "an existing customer's call goes to their consultant"))
    if answered_by is not None:
        if can_take_new(answered_by):
            return Decision(Allocation(answered_by.id, "call_answered",
                                       "new caller: goes to the consultant who answered"))
        return Decision(note=f"answering consultant {answered_by.id} is {answered_by.status}")
    return Decision(note="" if has_phone_order else "no phone answering order today")


def assistant_for(candidates: list[RotationCandidate], owner_id: int) -> int | None:
    """Who receives a returning customer whose consultant is not free: the manager sends the
    last consultant in today's line (第1篇 三(二)3), so the rotation is not disturbed."""
    free = [c for c in candidates if c.status == "available" and c.consultant_id != owner_id]
    if not free:
        return None
    return max(free, key=lambda c: (c.last_turn, c.rotation_order)).consultant_id


class NoConsultantAvailable(Exception):
    pass


def next_in_rotation(candidates: list[RotationCandidate], rule: str = "new_visitor_rotation",
                     label: str = "reception rotation") -> Allocation:
    """The day's reception rotation: whoever has waited longest (fewest/earliest turns, then
    roster order) among the free consultants. A busy consultant is skipped but, having taken
    no turn, stays first in line for the next visitor; absent and inactive ones never get
    new customers."""
    waiting = sorted(candidates, key=lambda c: (c.last_turn, c.rotation_order))
    skipped = [c for c in waiting if c.status == "busy"]
    free = [c for c in waiting if c.status == "available"]
    if not free:
        raise NoConsultantAvailable(f"no consultant is free for the {label}")
    chosen = free[0]
    explanation = f"{label}: next free consultant in today's order"
    ahead = [c.consultant_id for c in skipped if (c.last_turn, c.rotation_order)
             < (chosen.last_turn, chosen.rotation_order)]
    if ahead:
        explanation += f"; skipped busy consultant(s) {ahead}, who keep their turn"
    return Allocation(chosen.consultant_id, rule, explanation)


OFFICE_TIMEZONE = ZoneInfo("Asia/Shanghai")


def office_day(moment: datetime) -> date:
    """The sales office's calendar day of an aware moment (rosters run on Beijing time)."""
    return moment.astimezone(OFFICE_TIMEZONE).date()


def due_on(appointment: datetime | None, day: date) -> bool:
    """A follow-up's next appointment falls on the office day `day`."""
    return appointment is not None and office_day(appointment) == day


GRADE_ORDER = {"A": 0, "B": 1, "C": 2, "D": 3}


def customer_list_order(customer: dict) -> tuple:
    """My customers: follow-ups due today first, then by grade (A first, ungraded last), then
    the soonest appointment, then the newest registration."""
    appointment = customer.get("next_appointment")
    return (not customer["due_today"], GRADE_ORDER.get(customer.get("grade"), 4),
            appointment is None, appointment.timestamp() if appointment else 0,
            -customer["registered_at"].timestamp())


# Holidays for the care greetings (第6篇 二、4/9: 节假日电话或短信问候): the fixed ones by date,
# 春节, 端午 and 中秋 by the lunar calendar.
FIXED_HOLIDAYS = {(1, 1): "元旦", (3, 8): "妇女节", (5, 1): "劳动节", (6, 1): "儿童节",
                  (10, 1): "国庆节", (12, 25): "圣诞节"}
LUNAR_HOLIDAYS = ((1, 1, "春节"), (5, 5, "端午节"), (8, 15, "中秋节"))  # lunar month, day


@lru_cache(maxsize=32)
def lunar_holidays(year: int) -> dict:
    """The solar dates of 春节, 端午 and 中秋 in `year` (each falls in the solar year that bears
    its lunar year's number; never in a leap month); none outside the library's 1900–2099."""
    try:
        return {LunarDate(year, month, day).to_solar_date(): name
                for month, day, name in LUNAR_HOLIDAYS}
    except ValueError:
        return {}


def holiday_on(day: date) -> str | None:
    return lunar_holidays(day.year).get(day) or FIXED_HOLIDAYS.get((day.month, day.day))


def is_birthday(birthday: date | None, day: date) -> bool:
    """A birthday on 29 February is greeted on 28 February in other years."""
    if birthday is None:
        return False
    if (birthday.month, birthday.day) == (2, 29) and not _leap(day.year):
        return (day.month, day.day) == (2, 28)
    return (birthday.month, birthday.day) == (day.month, day.day)


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
