"""Leads use cases: offices, consultants, the visit registration that allocates them, and
call lists imported into the call pool."""
from sqlalchemy import and_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from contracts.errors import Conflict, InvalidInput, NotFound
from infra.database import utcnow
from services.leads import call_lists, domain
from services.leads.models import (CallLead, CodeSequence, Consultant, Customer, LeadImport,
                                   Office, ReceptionTurn, Visit)

IMPORT_BATCH = 5000


def create_office(uow, cmd) -> dict:
    if uow.session.scalar(select(Office.id).where(Office.code == cmd["code"])):
        raise Conflict(f"office {cmd['code']} exists already", {"code": ["already used"]})
    office = Office(code=cmd["code"], name=cmd["name"], region_code=cmd["region_code"], turn_seq=0)
    uow.session.add(office)
    uow.commit()
    return _office_view(office)


def add_consultant(uow, cmd) -> dict:
    session = uow.session
    office = _office(session, cmd["office_id"])
    last = session.scalar(select(Consultant.rotation_order).where(Consultant.office_id == office.id)
                          .order_by(Consultant.rotation_order.desc()).limit(1)) or 0
    consultant = Consultant(office_id=office.id, name=cmd["name"], status="available",
                            rotation_order=last + 1)
    session.add(consultant)
    uow.commit()
    return consultant_view(consultant)


def set_consultant_status(uow, cmd) -> dict:
    consultant = uow.session.get(Consultant, cmd["consultant_id"])
    if consultant is None:
        raise NotFound("unknown consultant", {"consultant_id": ["unknown consultant"]})
    consultant.status = cmd["status"]
    uow.commit()
    return consultant_view(consultant)


def register_visit(uow, cmd) -> dict:
    """来访登记: dedupe by mobile, allocate, record the visit. Two first visits of one number at
    the same moment meet the unique index; the loser is retried as the returning customer."""
    mobile = domain.normalize_mobile(cmd["mobile"])
    if mobile is None:
        raise InvalidInput("invalid mobile number",
                           {"mobile": ["not a mainland mobile number (11 digits, 1[3-9]…)"]})
    try:
        return _register_visit(uow, cmd, mobile)
    except IntegrityError:
        uow.rollback()
        return _register_visit(uow, cmd, mobile)


def _register_visit(uow, cmd, mobile) -> dict:
    session = uow.session
    office = _office(session, cmd["office_id"])
    now = utcnow()
    customer = session.scalar(select(Customer).where(Customer.mobile == mobile))
    returning = customer is not None
    if returning:
        allocation = domain.returning_allocation(customer.consultant_id)
    else:
        allocation = _rotate(session, office, now)
        customer = Customer(
            code=_next_code(session, office.region_code, domain.name_initials(cmd["name"])),
            name=cmd["name"], mobile=mobile, gender=cmd["gender"], office_id=office.id,
            consultant_id=allocation.consultant_id, channel=cmd["channel"], visit_count=0,
            registered_at=now)
        session.add(customer)
        session.flush()
        uow.emit("lead_registered", {"customer_code": customer.code, "office_id": office.id,
                                     "channel": customer.channel}, customer_id=customer.id)
    customer.visit_count += 1
    session.add(Visit(customer_id=customer.id, office_id=office.id,
                      consultant_id=allocation.consultant_id, rule=allocation.rule,
                      explanation=allocation.explanation, visitors=cmd["visitors"],
                      notes=cmd["notes"], visited_at=now))
    uow.emit("lead_assigned", {"consultant_id": allocation.consultant_id, "office_id": office.id,
                               "rule": allocation.rule, "explanation": allocation.explanation},
             customer_id=customer.id)
    uow.commit()
    return {"customer": customer_view(customer), "returning": returning,
            "assignment": {"consultant_id": allocation.consultant_id, "rule": allocation.rule,
                           "explanation": allocation.explanation}}


def _rotate(session, office, now) -> domain.Allocation:
    # taking the office's turn counter also locks the office row: one allocation at a time
    turn = session.execute(update(Office).where(Office.id == office.id)
                           .values(turn_seq=Office.turn_seq + 1)
                           .returning(Office.turn_seq)).scalar_one()
    day = domain.office_day(now)
    rows = session.execute(
        select(Consultant, ReceptionTurn.turn)
        .outerjoin(ReceptionTurn, and_(ReceptionTurn.consultant_id == Consultant.id,
                                       ReceptionTurn.day == day))
        .where(Consultant.office_id == office.id)).all()
    candidates = [domain.RotationCandidate(c.id, c.status, c.rotation_order, last_turn or 0)
                  for c, last_turn in rows]
    try:
        allocation = domain.next_in_rotation(candidates)
    except domain.NoConsultantAvailable as exc:
        raise Conflict(str(exc), {"office_id": office.id}) from None
    session.merge(ReceptionTurn(office_id=office.id, day=day,
                                consultant_id=allocation.consultant_id, turn=turn))
    return allocation


def _next_code(session, region_code, initials) -> str:
    sequence = _bump_sequence(session, region_code, initials)
    if sequence is None:
        try:
            with session.begin_nested():
                session.add(CodeSequence(region_code=region_code, initials=initials, last=0))
        except IntegrityError:
            pass  # created by a concurrent registration
        sequence = _bump_sequence(session, region_code, initials)
    return domain.customer_code(region_code, initials, sequence)


def _bump_sequence(session, region_code, initials):
    return session.execute(
        update(CodeSequence)
        .where(CodeSequence.region_code == region_code, CodeSequence.initials == initials)
        .values(last=CodeSequence.last + 1).returning(CodeSequence.last)).scalar()


def get_customer(session, customer_id) -> dict:
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise NotFound("unknown customer", {"customer_id": ["unknown customer"]})
    return customer_view(customer)


def _office(session, office_id):
    office = session.get(Office, office_id)
    if office is None:
        raise NotFound(f"office {office_id} does not exist", {"office_id": ["unknown office"]})
    return office


def _office_view(office) -> dict:
    return {"id": office.id, "code": office.code, "name": office.name,
            "region_code": office.region_code}


def consultant_view(consultant) -> dict:
    return {"id": consultant.id, "office_id": consultant.office_id, "name": consultant.name,
            "status": consultant.status, "rotation_order": consultant.rotation_order}


def customer_view(customer) -> dict:
    return {column: getattr(customer, column) for column in (
        "id", "code", "name", "mobile", "gender", "office_id", "consultant_id", "channel",
        "visit_count", "registered_at")}


def import_call_list(uow, cmd) -> dict:
    """Add a call list's new numbers to the call pool in bulk; numbers of existing customers,
    of earlier lists or repeated in this one are counted as duplicates, bad rows reported."""
    try:
        parsed = call_lists.parse(cmd["header"], cmd["rows"], cmd["first_line"])
    except call_lists.UnusableColumns as exc:
        raise InvalidInput("the list's columns are not usable; nothing was imported",
                           {"header": [f"missing: {', '.join(exc.missing) or '-'}",
                                       f"unknown: {', '.join(exc.unknown) or '-'}"]}) from None
    session = uow.session
    now = utcnow()
    batch = LeadImport(source=cmd["source"], file_name=cmd["file_name"],
                       imported_by=cmd["imported_by"], rows=len(cmd["rows"]), added=0,
                       duplicates=0, rejected=len(parsed.errors), imported_at=now)
    session.add(batch)
    session.flush()
    added = 0
    for start in range(0, len(parsed.leads), IMPORT_BATCH):
        leads = parsed.leads[start:start + IMPORT_BATCH]
        customers = set(session.scalars(select(Customer.mobile).where(
            Customer.mobile.in_([lead["mobile"] for lead in leads]))))
        fresh = [{**lead, "source": cmd["source"], "import_id": batch.id, "status": "pool",
                  "created_at": now} for lead in leads if lead["mobile"] not in customers]
        if fresh:
            added += len(session.execute(
                _insert_new_numbers(session).returning(CallLead.mobile), fresh).all())
    batch.added = added
    batch.duplicates = len(cmd["rows"]) - len(parsed.errors) - added
    uow.emit("call_list_imported", {"import_id": batch.id, "source": batch.source,
                                    "added": added})
    uow.commit()
    return {"id": batch.id, "source": batch.source, "file_name": batch.file_name,
            "rows": batch.rows, "added": batch.added, "duplicates": batch.duplicates,
            "rejected": batch.rejected, "errors": parsed.errors}


def _insert_new_numbers(session):
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(CallLead).on_conflict_do_nothing(index_elements=["mobile"])
