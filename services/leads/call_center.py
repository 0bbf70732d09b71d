"""The call center (call客, seed 003): numbers from the call pool handed to call agents, each
call's A–D outcome, invitations that count once the receiving consultant confirms the visit,
and the figures the center is judged by (电开效果管控表, per-source conversion, monthly ranking).

A number's life: pool → assigned to an agent → after a connected A/B/C call it rests for the
office's recall interval (about a month) and goes back to the pool; D never comes back; a
confirmed visit makes it `visited`.
"""
from datetime import datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import and_, case, func, or_, select, update

from contracts.errors import Conflict, Forbidden, InvalidInput, NotFound
from infra.database import utcnow
from services.leads import domain, handlers
from services.leads.models import (CallAttempt, CallLead, Consultant, Customer, CustomerMobile,
                                   Invitation, Office, Visit)


def distribute_call_pool(uow, cmd) -> dict:
    """Each agent gets up to `per_agent` numbers that are free to call: in the pool, or resting
    past their recall time. Rows are claimed with SKIP LOCKED, so two managers distributing at
    once never hand one number to two agents."""
    session = uow.session
    agents = [_agent(session, agent_id, f"agent_ids.{i}")
              for i, agent_id in enumerate(cmd["agent_ids"])]
    now = utcnow()
    assigned = {}
    for agent in agents:
        callable_now = or_(CallLead.status == "pool",
                           and_(CallLead.status == "resting", CallLead.recall_after <= now))
        query = select(CallLead.id).where(callable_now)
        if cmd.get("source"):
            query = query.where(CallLead.source == cmd["source"])
        ids = session.scalars(query.order_by(CallLead.id).limit(cmd["per_agent"])
                              .with_for_update(skip_locked=True)).all()
        if ids:
            session.execute(update(CallLead).where(CallLead.id.in_(ids))
                            .values(status="assigned", agent_id=agent.id))
        assigned[str(agent.id)] = len(ids)
    uow.commit()
    return {"assigned": assigned}


def agent_leads(session, agent_id) -> dict:
    _agent(session, agent_id, "agent_id")
    leads = session.scalars(select(CallLead).where(CallLead.agent_id == agent_id,
                                                   CallLead.status == "assigned")
                            .order_by(CallLead.id).limit(1000)).all()
    return {"leads": [lead_view(lead) for lead in leads]}


def record_call(uow, cmd) -> dict:
    session = uow.session
    agent = _agent(session, cmd["agent_id"], "agent_id")
    lead = session.get(CallLead, cmd["call_lead_id"])
    if lead is None:
        raise NotFound("unknown number", {"call_lead_id": ["not in the call pool"]})
    if lead.status != "assigned" or lead.agent_id != agent.id:
        raise Forbidden("not this agent's number", {"call_lead_id": [
            "the number is not assigned to this agent"]})
    outcome, invite_at = cmd["outcome"], cmd["invite_at"]
    if cmd["connected"] and outcome is None:
        raise InvalidInput("a connected call has an outcome", {"outcome": ["required (A–D)"]})
    if not cmd["connected"] and (outcome or invite_at):
        raise InvalidInput("an unanswered call has no outcome",
                           {"outcome" if outcome else "invite_at": ["the call did not connect"]})
    if invite_at is not None and outcome not in ("A", "B"):
        raise InvalidInput("only A or B customers are invited",
                           {"invite_at": [f"outcome {outcome} is not an invitation"]})
    now = utcnow()
    session.add(CallAttempt(call_lead_id=lead.id, agent_id=agent.id, connected=cmd["connected"],
                            outcome=outcome, notes=cmd["notes"], called_at=now))
    invitation = None
    if cmd["connected"]:
        office = session.get(Office, agent.office_id)
        lead.outcome = outcome
        if outcome == "D":
            lead.status, lead.recall_after = "dead", None
        else:
            lead.status, lead.recall_after = "resting", now + timedelta(days=office.recall_days)
        if invite_at is not None:
            office_id = cmd.get("office_id") or agent.office_id
            handlers.find_office(session, office_id)
            invitation = Invitation(call_lead_id=lead.id, agent_id=agent.id, office_id=office_id,
                                    appointment_at=invite_at, status="pending", created_at=now)
            session.add(invitation)
            session.flush()
            uow.emit("visit_invited", {"invitation_id": invitation.id, "agent_id": agent.id,
                                       "office_id": office_id, "appointment_at": invite_at})
    uow.commit()
    return {"lead": lead_view(lead),
            "invitation": invitation_view(invitation) if invitation else None}


def confirm_invitation(uow, cmd) -> dict:
    """邀约客户确认标准: the consultant who received the invited visitor at reception signs the
    invitation; only then does it count. The visit must be registered today in the invitation's
    office, received by that consultant (as owner or assistant)."""
    session = uow.session
    invitation = session.get(Invitation, cmd["invitation_id"])
    if invitation is None:
        raise NotFound("unknown invitation", {"invitation_id": ["unknown invitation"]})
    lead = session.get(CallLead, invitation.call_lead_id)
    customer_id = session.scalar(select(CustomerMobile.customer_id).where(
        CustomerMobile.mobile == lead.mobile))
    today = _day_range(domain.office_day(utcnow()))
    received = customer_id is not None and session.scalar(select(Visit.id).where(
        Visit.customer_id == customer_id, Visit.kind == "visit",
        Visit.office_id == invitation.office_id,
        Visit.visited_at >= today[0], Visit.visited_at < today[1],
        or_(Visit.consultant_id == cmd["consultant_id"],
            Visit.assisted_by == cmd["consultant_id"])).limit(1))
    if not received:
        raise Conflict("no visit of this customer received by you today", {"consultant_id": [
            "register the visit first; only the consultant who received it confirms"]})
    confirmed = session.execute(
        update(Invitation).where(Invitation.id == invitation.id,
                                 Invitation.status == "pending")
        .values(status="confirmed", customer_id=customer_id, confirmed_by=cmd["consultant_id"],
                confirmed_at=utcnow())).rowcount
    if not confirmed:
        raise Conflict("the invitation is confirmed already", {"invitation_id": ["confirmed"]})
    session.execute(update(CallLead).where(CallLead.id == lead.id).values(status="visited"))
    uow.emit("visit_confirmed", {"invitation_id": invitation.id, "agent_id": invitation.agent_id,
                                 "office_id": invitation.office_id,
                                 "consultant_id": cmd["consultant_id"]}, customer_id=customer_id)
    uow.commit()
    session.refresh(invitation)
    return invitation_view(invitation)


def agents_day(session, office_id, day=None) -> dict:
    """Per agent for one office day: dialed, connected, A/B/C/D, invitations, confirmed visits,
    deals (customers of the agent's confirmed invitations who closed that day)."""
    handlers.find_office(session, office_id)
    day = day or domain.office_day(utcnow())
    start, end = _day_range(day)
    agents = session.scalars(select(Consultant).where(
        Consultant.office_id == office_id, Consultant.kind == "call_agent")
        .order_by(Consultant.id)).all()
    ids = [agent.id for agent in agents]
    calls = {row.agent_id: row for row in session.execute(
        select(CallAttempt.agent_id, func.count().label("dialed"),
               *[func.sum(case((CallAttempt.outcome == grade, 1), else_=0)).label(grade)
                 for grade in "ABCD"],
               func.sum(case((CallAttempt.connected.is_(True), 1), else_=0)).label("connected"))
        .where(CallAttempt.agent_id.in_(ids), CallAttempt.called_at >= start,
               CallAttempt.called_at < end).group_by(CallAttempt.agent_id))}
    invited = _count_by_agent(session, Invitation.created_at, start, end, ids)
    confirmed = _count_by_agent(session, Invitation.confirmed_at, start, end, ids)
    deals = _deals_by_agent(session, start, end, ids)
    rows = []
    for agent in agents:
        row = calls.get(agent.id)
        rows.append({"agent_id": agent.id, "name": agent.name,
                     "dialed": row.dialed if row else 0,
                     "connected": int(row.connected or 0) if row else 0,
                     **{grade: int(getattr(row, grade) or 0) if row else 0 for grade in "ABCD"},
                     "invitations": invited.get(agent.id, 0),
                     "confirmed_visits": confirmed.get(agent.id, 0),
                     "deals": deals.get(agent.id, 0)})
    return {"office_id": office_id, "day": day, "agents": rows}


def source_conversion(session, office_id=None) -> dict:
    """Per call-list source: numbers, called, connected, confirmed visits, deals (seed 003 ranks
    the sources by the visits and deals they bring). For one office: the numbers its call
    agents hold or held last, their calls, and the visits they invited."""
    numbers_query = select(CallLead.source, func.count()).group_by(CallLead.source)
    called_query = (
        select(CallLead.source, func.count(func.distinct(CallAttempt.call_lead_id)).label("called"),
               func.count(func.distinct(case((CallAttempt.connected.is_(True),
                                              CallAttempt.call_lead_id)))).label("connected"))
        .join(CallAttempt, CallAttempt.call_lead_id == CallLead.id).group_by(CallLead.source))
    visits_query = (
        select(CallLead.source, func.count(func.distinct(Invitation.customer_id)).label("visits"),
               func.count(func.distinct(case((Customer.outcome == "deal", Customer.id))))
               .label("deals"))
        .join(Invitation, and_(Invitation.call_lead_id == CallLead.id,
                               Invitation.status == "confirmed"))
        .join(Customer, Customer.id == Invitation.customer_id).group_by(CallLead.source))
    if office_id is not None:
        handlers.find_office(session, office_id)
        agents = select(Consultant.id).where(Consultant.office_id == office_id,
                                             Consultant.kind == "call_agent")
        numbers_query = numbers_query.where(CallLead.agent_id.in_(agents))
        called_query = called_query.where(CallAttempt.agent_id.in_(agents))
        visits_query = visits_query.where(Invitation.agent_id.in_(agents))
    numbers = dict(session.execute(numbers_query).all())
    called = {row.source: row for row in session.execute(called_query)}
    visits = {row.source: row for row in session.execute(visits_query)}
    rows = []
    for source, count in sorted(numbers.items()):
        dialed = called[source].called if source in called else 0
        visited = visits[source].visits if source in visits else 0
        closed = visits[source].deals if source in visits else 0
        rows.append({"source": source, "numbers": count, "called": dialed,
                     "connected": called[source].connected if source in called else 0,
                     "visits": visited, "deals": closed,
                     "visit_rate": _rate(visited, dialed), "deal_rate": _rate(closed, visited)})
    return {"sources": rows}


def monthly_ranking(session, office_id, month) -> dict:
    """以每名电开人员每月邀约客户数量和到访转成交量作为指标进行排名: confirmed visits first,
    then deals; ties share a rank."""
    handlers.find_office(session, office_id)
    year, number = map(int, month.split("-"))
    first = datetime(year, number, 1).date()
    following = datetime(year + number // 12, number % 12 + 1, 1).date()
    start, end = _day_range(first)[0], _day_range(following)[0]
    agents = session.scalars(select(Consultant).where(
        Consultant.office_id == office_id, Consultant.kind == "call_agent")).all()
    ids = [agent.id for agent in agents]
    confirmed = _count_by_agent(session, Invitation.confirmed_at, start, end, ids)
    deals = _deals_by_agent(session, start, end, ids)
    rows = sorted(({"agent_id": a.id, "name": a.name, "confirmed_visits": confirmed.get(a.id, 0),
                    "deals": deals.get(a.id, 0)} for a in agents),
                  key=lambda r: (-r["confirmed_visits"], -r["deals"], r["agent_id"]))
    for i, row in enumerate(rows):
        same = i and (rows[i - 1]["confirmed_visits"], rows[i - 1]["deals"]) == (
            row["confirmed_visits"], row["deals"])
        row["rank"] = rows[i - 1]["rank"] if same else i + 1
    return {"office_id": office_id, "month": month, "ranking": rows}


def _count_by_agent(session, column, start, end, ids) -> dict:
    return dict(session.execute(select(Invitation.agent_id, func.count()).where(
        Invitation.agent_id.in_(ids), column >= start, column < end)
        .group_by(Invitation.agent_id)).all())


def _deals_by_agent(session, start, end, ids) -> dict:
    return dict(session.execute(
        select(Invitation.agent_id, func.count(func.distinct(Customer.id)))
        .join(Customer, Customer.id == Invitation.customer_id)
        .where(Invitation.agent_id.in_(ids), Invitation.status == "confirmed",
               Customer.outcome == "deal", Customer.outcome_at >= start,
               Customer.outcome_at < end).group_by(Invitation.agent_id)).all())


def _agent(session, agent_id, field):
    agent = session.get(Consultant, agent_id)
    if agent is None:
        raise NotFound("unknown call agent", {field: ["unknown call agent"]})
    if agent.kind != "call_agent":
        raise InvalidInput("not a call agent", {field: [f"consultant {agent_id} is not a call "
                                                        "agent"]})
    return agent


def _day_range(day):
    start = datetime.combine(day, time(), domain.OFFICE_TIMEZONE)
    return start, start + timedelta(days=1)


def _rate(part, whole) -> str:
    if not whole:
        return "0.0000"
    return str((Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001"), ROUND_HALF_UP))


def lead_view(lead) -> dict:
    return {"id": lead.id, "mobile": lead.mobile, "name": lead.name, "source": lead.source,
            "status": lead.status, "agent_id": lead.agent_id, "outcome": lead.outcome,
            "recall_after": lead.recall_after}


def invitation_view(invitation) -> dict:
    return {column: getattr(invitation, column) for column in (
        "id", "call_lead_id", "agent_id", "office_id", "appointment_at", "status", "customer_id",
        "confirmed_by")}
