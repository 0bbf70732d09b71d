"""The quarterly progress table (季度全案进度掌控表) of a project: per week of the quarter, the
manager's plan and the actual sales, each for the week and cumulated, and how far the plan
is done.

A sale counts when a deposit's unit is subscribed (认购): that is when the office reports a
unit as sold, weeks before the contract is signed and filed. A unit that jumps from reserved
straight to contracted or filed (its subscription event came late) counts then, once. A
refund or forfeiture of a counted sale takes it back in the week it happens, so the weeks
already reported keep their numbers.
"""
from decimal import Decimal

from sqlalchemy import func, insert, select

from contracts.errors import InvalidInput
from infra.database import utcnow
from services.inventory import channels, domain
from services.inventory.models import SaleRecord, Unit, WeeklyPlan


def count_sale(session, event, unit_id, project_id, deposit_id, amount) -> None:
    session.execute(insert(SaleRecord).values(
        project_id=project_id, unit_id=unit_id, deposit_id=deposit_id, units=1,
        amount=amount or Decimal("0"), occurred_at=event["occurred_at"],
        event_id=str(event["event_id"])))


def take_back_sale(session, event, unit_id, project_id, deposit_id) -> None:
    """Cancel the deposit's counted sale, if it has one standing."""
    units, amount = session.execute(
        select(func.coalesce(func.sum(SaleRecord.units), 0),
               func.coalesce(func.sum(SaleRecord.amount), 0))
        .where(SaleRecord.deposit_id == deposit_id)).one()
    if units <= 0:
        return
    session.execute(insert(SaleRecord).values(
        project_id=project_id, unit_id=unit_id, deposit_id=deposit_id, units=-units,
        amount=-amount, occurred_at=event["occurred_at"], event_id=str(event["event_id"])))


def set_plan(uow, cmd) -> dict:
    """A manager sets (or resets) the plan of some weeks of a quarter."""
    session = uow.session
    channels.visible_project(session, cmd["project_id"], cmd.get("channel_id"))
    weeks = len(domain.quarter_weeks(cmd["year"], cmd["quarter"]))
    late = [week["week"] for week in cmd["weeks"] if week["week"] > weeks]
    if late:
        raise InvalidInput(f"the quarter has {weeks} weeks", {"weeks": [f"no week {late[0]}"]})
    now = utcnow()
    for week in cmd["weeks"]:
        session.merge(WeeklyPlan(project_id=cmd["project_id"], year=cmd["year"],
                                 quarter=cmd["quarter"], week=week["week"], units=week["units"],
                                 amount=week["amount"], set_by=cmd["set_by"], set_at=now))
    uow.commit()
    return quarterly_progress(session, cmd["project_id"], cmd["year"], cmd["quarter"])


def quarterly_progress(session, project_id, year, quarter, channel_id=None) -> dict:
    channels.visible_project(session, project_id, channel_id)
    weeks = domain.quarter_weeks(year, quarter)
    plans = {plan.week: plan for plan in session.scalars(select(WeeklyPlan).where(
        WeeklyPlan.project_id == project_id, WeeklyPlan.year == year,
        WeeklyPlan.quarter == quarter))}
    records = session.execute(
        select(SaleRecord.occurred_at, SaleRecord.units, SaleRecord.amount, Unit.building,
               Unit.entrance, Unit.number)
        .join(Unit, Unit.id == SaleRecord.unit_id)
        .where(SaleRecord.project_id == project_id, SaleRecord.occurred_at >= weeks[0][0],
               SaleRecord.occurred_at < weeks[-1][1])).all()
    rows, plan_units, plan_amount, units_sold, amount_sold = [], 0, Decimal("0"), 0, Decimal("0")
    for index, (start, end) in enumerate(weeks, start=1):
        plan = plans.get(index)
        in_week = [r for r in records if start <= r.occurred_at < end]
        week_units = sum(r.units for r in in_week)
        week_amount = sum((r.amount for r in in_week), Decimal("0"))
        plan_units += plan.units if plan else 0
        plan_amount += plan.amount if plan else Decimal("0")
        units_sold += week_units
        amount_sold += week_amount
        rows.append({
            "week": index, "starts_on": start.date(), "ends_on": (end - domain.DAY).date(),
            "plan_units": plan.units if plan else 0,
            "plan_amount": plan.amount if plan else Decimal("0"),
            "plan_cumulative_units": plan_units, "plan_cumulative_amount": plan_amount,
            "actual_units": week_units, "actual_amount": week_amount,
            "actual_cumulative_units": units_sold, "actual_cumulative_amount": amount_sold,
            "units_completion_ratio": domain.completion_ratio(units_sold, plan_units),
            "amount_completion_ratio": domain.completion_ratio(amount_sold, plan_amount),
            "units_sold": [_label(r) for r in in_week if r.units > 0]})
    return {"project_id": project_id, "year": year, "quarter": quarter, "weeks": rows}


def _label(record) -> str:
    """房源编号: building-entrance-room, or building-room without an entrance."""
    return "-".join(part for part in (record.building, record.entrance, record.number) if part)


