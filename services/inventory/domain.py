"""Inventory rules, free of frameworks: what may happen to a unit, and when a hold ends."""
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

# 销控 states, in the order a sale moves through them; `offered`: a hold ended and the first
# waiting consultant may claim the unit for a while (第9篇: 记录的其他置业顾问优先续留)
AVAILABLE, HELD, OFFERED, RESERVED = "available", "held", "offered", "reserved"
SUBSCRIBED, CONTRACTED, FILED = "subscribed", "contracted", "filed"  # 认购, 签约, 备案
# the stages of a sale after the deposit, in order; a unit only moves forward through them
SALE_STAGES = (RESERVED, SUBSCRIBED, CONTRACTED, FILED)
# what a refund (退房) or a forfeiture (挞定) may release: a filed sale is final here
BOARD_STATUSES = (AVAILABLE, HELD, OFFERED) + SALE_STAGES
RELEASABLE = {"refund": (RESERVED, SUBSCRIBED, CONTRACTED), "forfeiture": (RESERVED, SUBSCRIBED)}
SWAPPABLE = (RESERVED, SUBSCRIBED)  # 换房 before the contract; after it, refund and buy anew
OPEN_HOLD_STATUSES = ("pending", "active")
OPEN_ENTRY_STATUSES = ("waiting", "offered")


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


def stages_before(stage: str) -> tuple[str, ...]:
    """The sale stages a unit may be in for `stage` to apply: any earlier one, so events that
    arrive out of order (a contract before its subscription) still move the unit forward,
    and a late one never moves it back."""
    return SALE_STAGES[:SALE_STAGES.index(stage)]


def swap_refusal(target_status: str | None, target_customer_id: int | None,
                 customer_id: int) -> str | None:
    """Why a reservation cannot move to the target unit, or None when it can: the target is
    available, or held (or offered) for the same customer."""
    if target_status is None:
        return "unknown unit"
    if target_status == AVAILABLE:
        return None
    if target_status in (HELD, OFFERED):
        if target_customer_id == customer_id:
            return None
        return f"the unit is {target_status} for another customer"
    return f"the unit is already {target_status}"


def hold_expires_at(start: datetime, hold_days: int) -> datetime:
    if start.tzinfo is None:
        raise ValueError("hold start must be timezone-aware")
    return start + timedelta(days=hold_days)


def opening_hold_status(auto_approved: bool) -> str:
    """A hold waits for the sales manager's approval (第9篇 §2) unless the project approves
    holds by itself."""
    return "active" if auto_approved else "pending"


def offer_expires_at(now: datetime, offer_hours: int) -> datetime:
    if now.tzinfo is None:
        raise ValueError("offer start must be timezone-aware")
    return now + timedelta(hours=offer_hours)


def may_extend(waiting_consultants: int) -> bool:
    """Waiting consultants come before a renewal (第9篇 §4: 优先照顾等待的置业顾问)."""
    return waiting_consultants == 0


FEN = Decimal("0.01")


def to_fen(amount: Decimal) -> Decimal:
    return amount.quantize(FEN, rounding=ROUND_HALF_UP)


def complete_price(area: Decimal | None, unit_price: Decimal | None,
                   total_price: Decimal | None) -> tuple[Decimal | None, Decimal | None]:
    """单价 × 建筑面积 = 总价: when one of them is given, the other follows from the area."""
    if unit_price is None and total_price is not None and area:
        unit_price = to_fen(total_price / area)
    elif total_price is None and unit_price is not None and area:
        total_price = to_fen(unit_price * area)
    return unit_price, total_price


MAX_MONEY = Decimal("1000000000000")  # every amount is a Numeric(14, 2): below this
TOO_LARGE = f"too large: below {MAX_MONEY:,} yuan"


def price_problems(unit_price, total_price, floor_total_price) -> dict[str, list[str]]:
    """What is wrong with a unit's prices: none below zero, a floor price (底价) not above
    the list price."""
    problems = {}
    for name, value in (("unit_price", unit_price), ("total_price", total_price)):
        if value is None:
            problems[name] = ["give the unit price or the total price"]
        elif value <= 0:
            problems[name] = ["must be greater than 0"]
        elif value >= MAX_MONEY:
            problems[name] = [TOO_LARGE]
    if floor_total_price is not None:
        if floor_total_price >= MAX_MONEY:
            problems["floor_total_price"] = [TOO_LARGE]
        elif floor_total_price < 0:
            problems["floor_total_price"] = ["must not be negative"]
        elif total_price is not None and floor_total_price > total_price:
            problems["floor_total_price"] = ["above the total price"]
    return problems


# 物业类型, as the forms list them
PROPERTY_TYPES = ("楼梯多层", "电梯多层", "小高层", "高层", "叠加", "联排", "独栋")
MAX_AREA = Decimal("10000")  # m²: more than any one room (户) could be
LAYOUT = re.compile(r"^\d{1,2}/\d{1,2}(/\d{1,2})?$")  # rooms/halls(/bathrooms), 3/2 = 三室两厅


def area_problem(area: Decimal | None, required: bool) -> str | None:
    """Why an area cannot be a room's, or None."""
    if area is None:
        return "required" if required else None
    if area <= 0 and required:
        return "must be greater than 0"
    if area < 0:
        return "must not be negative"
    if area >= MAX_AREA:
        return f"impossible: {MAX_AREA} m² or more"
    return None


def room_number(floor: int, position: int) -> str:
    """房号 as the buildings are numbered: the floor, then the room's position in two digits
    (1501 = floor 15, room 1)."""
    return f"{floor}{position:02d}"


OFFICE_TIME = ZoneInfo("Asia/Shanghai")


def quarter_weeks(year: int, quarter: int) -> list[tuple[datetime, datetime]]:
    """The weeks of a quarter as the progress table counts them (第一周 … 第十三周): seven days
    from the quarter's first day in the office's time zone, the last week cut at the quarter's
    end. Each is (start, end), end exclusive, timezone-aware."""
    if not 1 <= quarter <= 4:
        raise ValueError("quarter is 1 to 4")
    start = datetime(year, 3 * quarter - 2, 1, tzinfo=OFFICE_TIME)
    end = (datetime(year + 1, 1, 1, tzinfo=OFFICE_TIME) if quarter == 4
           else datetime(year, 3 * quarter + 1, 1, tzinfo=OFFICE_TIME))
    weeks, week_start = [], start
    while week_start < end:
        weeks.append((week_start, min(week_start + timedelta(days=7), end)))
        week_start += timedelta(days=7)
    return weeks


def completion_ratio(actual: Decimal, planned: Decimal) -> Decimal | None:
    """完成进度比例: actual over plan, to four places; none without a plan."""
    if not planned:
        return None
    return (Decimal(actual) / Decimal(planned)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


DAY = timedelta(days=1)
