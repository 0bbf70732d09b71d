"""After registration (第1篇 五, 第5篇, 第6篇): grades and their history, follow-ups by the
customer's own consultant, hopeless customers back to the manager with a non-deal analysis,
deals from confirmed deposits, the customer profile and the daily care reminders."""
from sqlalchemy import select

from contracts.errors import Conflict, Forbidden, NotFound
from infra.database import utcnow
from services.leads import domain, handlers
from services.leads.handlers import customer_view
from services.leads.models import (Assignment, Consultant, Customer, CustomerMobile,
                                   FamilyMember, FollowUp, GradeChange, NonDealAnalysis)


def _own_customer(session, customer_id, consultant_id, field="customer_id"):
    """The customer, if `consultant_id` (None: a manager) may act on them."""
    customer = handlers._customer(session, customer_id)
    if consultant_id is not None and customer.consultant_id != consultant_id:
        raise Forbidden("not this consultant's customer",
                        {field: [f"customer {customer_id} belongs to another consultant"]})
    return customer


def grade_customer(uow, cmd) -> dict:
    """Set the grade A–D (晋级 when it rises); every change is kept with who made it."""
    session = uow.session
    customer = _own_customer(session, cmd["customer_id"], cmd["acting_consultant_id"])
    if customer.outcome is not None:
        raise Conflict("the customer's outcome is decided",
                       {"customer_id": [f"customer is {customer.outcome}"]})
    previous = customer.grade
    if previous == cmd["grade"]:
        raise Conflict("the customer has this grade already", {"grade": ["unchanged"]})
    customer.grade = cmd["grade"]
    session.add(GradeChange(customer_id=customer.id, from_grade=previous, to_grade=cmd["grade"],
                            consultant_id=customer.consultant_id, changed_by=cmd["changed_by"],
                            note=cmd["note"], changed_at=utcnow()))
    uow.emit("lead_graded", {"grade": cmd["grade"], "previous": previous,
                             "consultant_id": customer.consultant_id}, customer_id=customer.id)
    uow.commit()
    return customer_file(session, customer.id)


def record_follow_up(uow, cmd) -> dict:
    session = uow.session
    if session.get(Consultant, cmd["consultant_id"]) is None:
        raise NotFound("unknown consultant", {"consultant_id": ["unknown consultant"]})
    customer = _own_customer(session, cmd["customer_id"], cmd["consultant_id"])
    follow_up = FollowUp(customer_id=customer.id, consultant_id=cmd["consultant_id"],
                         kind=cmd["kind"], content=cmd["content"], reaction=cmd["reaction"],
                         next_appointment=cmd["next_appointment"], recorded_at=utcnow())
    session.add(follow_up)
    uow.commit()
    return _follow_up_view(follow_up)


def mark_hopeless(uow, cmd) -> dict:
    """无望客户: recorded with one of the seed's four kinds and the non-deal analysis; the
    manager then reassigns them (`reassign_hopeless`)."""
    session = uow.session
    customer = _own_customer(session, cmd["customer_id"], cmd["acting_consultant_id"])
    if customer.outcome is not None:
        raise Conflict("the customer's outcome is decided",
                       {"customer_id": [f"customer is {customer.outcome}"]})
    now = utcnow()
    customer.outcome, customer.hopeless_kind, customer.outcome_at = "hopeless", cmd["kind"], now
    session.add(NonDealAnalysis(
        customer_id=customer.id, consultant_id=customer.consultant_id, hopeless_kind=cmd["kind"],
        answers=cmd["analysis"], days_to_give_up=(now - customer.registered_at).days,
        recorded_by=cmd["changed_by"], recorded_at=now))
    uow.commit()
    return customer_file(session, customer.id)


def hopeless_customers(session, office_id) -> dict:
    handlers.find_office(session, office_id)
    customers = session.scalars(select(Customer).where(
        Customer.office_id == office_id, Customer.outcome == "hopeless")
        .order_by(Customer.outcome_at)).all()
    managers = handlers.office_managers(session, office_id)
    mobiles = {}
    for mobile, customer_id in session.execute(select(
            CustomerMobile.mobile, CustomerMobile.customer_id).where(
            CustomerMobile.customer_id.in_([c.id for c in customers]))):
        mobiles.setdefault(customer_id, []).append(mobile)
    return {"customers": [customer_view(c, sorted(mobiles.get(c.id, [])), managers)
                          for c in customers]}


def reassign_hopeless(uow, cmd) -> dict:
    """The manager gives a hopeless customer to a new consultant; the previous one has no share
    in a later deal (第1篇 五(三)2) and the customer is followed again."""
    customer = handlers._customer(uow.session, cmd["customer_id"])
    if customer.outcome != "hopeless":
        raise Conflict("only hopeless customers are reassigned this way",
                       {"customer_id": ["customer is not hopeless"]})
    customer.outcome, customer.hopeless_kind, customer.outcome_at = None, None, None
    return handlers.reassign_customer(uow, cmd, rule="hopeless_reassignment",
                                      excluded_from_credit=True)


def on_deposit_confirmed(uow, event):
    """A confirmed deposit makes its customer a deal (成交). Unknown customers (deposits taken
    for buyers registered elsewhere) are not ours to track."""
    customer = uow.session.get(Customer, event.get("customer_id") or 0)
    if customer is None or customer.outcome == "deal":
        return
    customer.outcome, customer.hopeless_kind, customer.outcome_at = "deal", None, utcnow()


def update_profile(uow, cmd) -> dict:
    """客户信息档案: collected over time, answers added or replaced; the family list (with
    birthdays) replaced whole when given."""
    session = uow.session
    customer = _own_customer(session, cmd["customer_id"], cmd["acting_consultant_id"])
    customer.archive = {**(customer.archive or {}), **cmd["archive"]}
    if cmd["family"] is not None:
        for member in session.scalars(select(FamilyMember).where(
                FamilyMember.customer_id == customer.id)):
            session.delete(member)
        session.add_all([FamilyMember(customer_id=customer.id, **member)
                         for member in cmd["family"]])
    uow.commit()
    return customer_file(session, customer.id)


def care_reminders(session, consultant_id, day=None) -> dict:
    """The day's greetings for a consultant's closed (deal) customers: birthdays of the
    customer and family, and the holiday's greeting for every one of them."""
    if session.get(Consultant, consultant_id) is None:
        raise NotFound("unknown consultant", {"consultant_id": ["unknown consultant"]})
    day = day or domain.office_day(utcnow())
    customers = session.scalars(select(Customer).where(
        Customer.consultant_id == consultant_id, Customer.outcome == "deal")
        .order_by(Customer.id)).all()
    reminders = []
    holiday = domain.holiday_on(day)
    family = {}
    for member in session.scalars(select(FamilyMember).where(
            FamilyMember.customer_id.in_([c.id for c in customers]))):
        family.setdefault(member.customer_id, []).append(member)
    for customer in customers:
        for member in family.get(customer.id, []):
            if domain.is_birthday(member.birthday, day):
                reminders.append({"customer_id": customer.id, "customer_name": customer.name,
                                  "occasion": "birthday",
                                  "who": f"{member.relation} {member.name}".strip()})
        if holiday:
            reminders.append({"customer_id": customer.id, "customer_name": customer.name,
                              "occasion": holiday, "who": ""})
    return {"consultant_id": consultant_id, "day": day, "reminders": reminders}


def consultant_customers(session, consultant_id, day=None) -> dict:
    """我的客户: a consultant's customers with their grade and the appointment their latest
    follow-up made, those due on `day` (today) first; no contact details."""
    if session.get(Consultant, consultant_id) is None:
        raise NotFound("unknown consultant", {"consultant_id": ["unknown consultant"]})
    day = day or domain.office_day(utcnow())
    customers = session.scalars(select(Customer).where(Customer.consultant_id == consultant_id)
                                .order_by(Customer.id)).all()
    latest = {}
    for follow_up in session.scalars(select(FollowUp).where(
            FollowUp.customer_id.in_([c.id for c in customers])).order_by(FollowUp.id)):
        latest[follow_up.customer_id] = follow_up
    rows = []
    for customer in customers:
        follow_up = latest.get(customer.id)
        appointment = follow_up.next_appointment if follow_up else None
        rows.append({"id": customer.id, "code": customer.code, "name": customer.name,
                     "grade": customer.grade, "outcome": customer.outcome,
                     "visit_count": customer.visit_count, "call_count": customer.call_count,
                     "registered_at": customer.registered_at,
                     "last_follow_up_at": follow_up.recorded_at if follow_up else None,
                     "next_appointment": appointment,
                     "due_today": domain.due_on(appointment, day)})
    rows.sort(key=domain.customer_list_order)
    return {"consultant_id": consultant_id, "day": day, "customers": rows}


def customer_file(session, customer_id, consultant_id=None) -> dict:
    customer = _own_customer(session, customer_id, consultant_id)
    grades = session.scalars(select(GradeChange).where(GradeChange.customer_id == customer.id)
                             .order_by(GradeChange.id)).all()
    follow_ups = session.scalars(select(FollowUp).where(FollowUp.customer_id == customer.id)
                                 .order_by(FollowUp.id)).all()
    analysis = session.scalar(select(NonDealAnalysis).where(
        NonDealAnalysis.customer_id == customer.id).order_by(NonDealAnalysis.id.desc()).limit(1))
    family = session.scalars(select(FamilyMember).where(FamilyMember.customer_id == customer.id)
                             .order_by(FamilyMember.id)).all()
    return {
        "customer": full_customer_view(session, customer),
        "grades": [{"from_grade": g.from_grade, "to_grade": g.to_grade,
                    "consultant_id": g.consultant_id, "changed_by": g.changed_by,
                    "note": g.note, "changed_at": g.changed_at} for g in grades],
        "follow_ups": [_follow_up_view(f) for f in follow_ups],
        "non_deal_analysis": None if analysis is None else {
            **analysis.answers, "hopeless_kind": analysis.hopeless_kind,
            "consultant_id": analysis.consultant_id,
            "days_to_give_up": analysis.days_to_give_up, "recorded_by": analysis.recorded_by},
        "archive": customer.archive or {},
        "family": [{"relation": m.relation, "name": m.name, "birthday": m.birthday}
                   for m in family],
    }


def get_customer(session, customer_id) -> dict:
    return full_customer_view(session, handlers._customer(session, customer_id))


def full_customer_view(session, customer) -> dict:
    view = customer_view(customer, handlers._customer_mobiles(session, customer),
                         handlers.office_managers(session, customer.office_id))
    view["excluded_from_credit"] = list(session.scalars(select(Assignment.from_consultant_id)
                                        .where(Assignment.customer_id == customer.id,
                                               Assignment.excluded_from_credit.is_(True))
                                        .order_by(Assignment.id)))
    return view


def _follow_up_view(follow_up) -> dict:
    return {"id": follow_up.id, "consultant_id": follow_up.consultant_id, "kind": follow_up.kind,
            "content": follow_up.content, "reaction": follow_up.reaction,
            "next_appointment": follow_up.next_appointment,
            "recorded_at": follow_up.recorded_at}
