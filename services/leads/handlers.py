"""Leads use cases: offices, consultants, the visit registration that allocates them, and
call lists imported into the call pool."""
from datetime import datetime, time

from sqlalchemy import and_, delete, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from contracts.errors import Conflict, InvalidInput, NotFound
from contracts.leads import CallListImportSchema
from infra.database import utcnow
from infra.imports import off_hub
from services.leads import call_lists, domain
from services.leads.models import (Assignment, CallLead, CodeSequence, Consultant, Customer,
                                   CustomerMobile, LeadImport, Office, OfficeProject, PhoneOrder,
                                   PhoneTurn, ReceptionOrder, ReceptionTurn, Visit)

IMPORT_BATCH = 5000


def create_office(uow, cmd) -> dict:
    if uow.session.scalar(select(Office.id).where(Office.code == cmd["code"])):
        raise Conflict(f"office {cmd['code']} exists already", {"code": ["already used"]})
    office = Office(code=cmd["code"], name=cmd["name"], region_code=cmd["region_code"], turn_seq=0,
                    alternate_groups=cmd.get("alternate_groups", False))
    uow.session.add(office)
    uow.session.flush()
    _sell_projects(uow.session, office.id, cmd.get("project_ids") or [])
    uow.commit()
    return office_view(uow.session, office)


def set_office_projects(uow, cmd) -> dict:
    """The office now sells exactly these projects."""
    office = find_office(uow.session, cmd["office_id"])
    uow.session.execute(delete(OfficeProject).where(OfficeProject.office_id == office.id))
    _sell_projects(uow.session, office.id, cmd["project_ids"])
    uow.commit()
    return office_view(uow.session, office)


def actor_scope(session, consultant_id) -> dict:
    """The office of a consultant, agent or manager record and the projects it sells (none
    for an unknown record)."""
    consultant = session.get(Consultant, consultant_id)
    if consultant is None:
        return {"office_ids": [], "project_ids": []}
    return {"office_ids": [consultant.office_id],
            "project_ids": office_project_ids(session, consultant.office_id)}


def office_project_ids(session, office_id) -> list[int]:
    return list(session.scalars(select(OfficeProject.project_id).where(
        OfficeProject.office_id == office_id).order_by(OfficeProject.project_id)))


def _sell_projects(session, office_id, project_ids) -> None:
    session.add_all(OfficeProject(office_id=office_id, project_id=project_id)
                    for project_id in sorted(set(project_ids)))


def add_consultant(uow, cmd) -> dict:
    session = uow.session
    office = find_office(session, cmd["office_id"])
    last = session.scalar(select(Consultant.rotation_order).where(Consultant.office_id == office.id)
                          .order_by(Consultant.rotation_order.desc()).limit(1)) or 0
    consultant = Consultant(office_id=office.id, name=cmd["name"], status="available",
                            rotation_order=last + 1, duty_group=cmd.get("duty_group", 1),
                            kind=cmd.get("kind", "sales"))
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


PROFILE_FIELDS = ("age_band", "marital_status", "residence_area", "address", "postcode",
                  "family_structure", "channel_other", "focus_points", "focus_other",
                  "purchase_motive", "motive_other", "customer_category", "category_other",
                  "intended_product")
CONTACT_FIELDS = ("visitors", "visitor_relation", "recommended_units", "intended_units", "notes",
                  "ad_medium", "ad_theme", "invited_by", "referrer_mobile", "answered_by")


def register_visit(uow, cmd, office) -> dict:
    """来访登记 in `office` (an Office row): dedupe, allocate by the rules of 第1篇, record the
    visit."""
    return _register(uow, cmd, "visit", office)


def register_call(uow, cmd, office) -> dict:
    """来电登记 in `office`: dedupe, allocate by the phone rules of 第1篇, record the call."""
    return _register(uow, cmd, "call", office)


def _register(uow, cmd, kind, office) -> dict:
    """Two first contacts of one number (or ID) at the same moment meet the unique indexes; the
    loser is retried as the returning customer."""
    mobiles = _mobiles(cmd)
    referrer = None
    if cmd.get("referrer_mobile"):
        referrer = domain.normalize_mobile(cmd["referrer_mobile"])
        if referrer is None:
            raise InvalidInput("invalid referrer mobile",
                               {"referrer_mobile": ["not a mainland mobile number"]})
    try:
        return _register_contact(uow, cmd, kind, office, mobiles, referrer)
    except IntegrityError:
        uow.rollback()
        return _register_contact(uow, cmd, kind, office, mobiles, referrer)


def _mobiles(cmd) -> list[str]:
    """The primary mobile first, then the others, normalized and each once."""
    mobiles = []
    for field, raw in [("mobile", cmd["mobile"])] + [
            (f"other_mobiles.{i}", raw) for i, raw in enumerate(cmd.get("other_mobiles", []))]:
        mobile = domain.normalize_mobile(raw)
        if mobile is None:
            raise InvalidInput("invalid mobile number",
                               {field: ["not a mainland mobile number (11 digits, 1[3-9]…)"]})
        if mobile not in mobiles:
            mobiles.append(mobile)
    return mobiles


def _register_contact(uow, cmd, kind, office, mobiles, referrer) -> dict:
    """Everything the rotation does not decide is read and written first; the office's turn
    (its row lock, held until the commit) is taken last, and the rows that name the chosen
    consultant are written with one statement, so registrations side by side wait for each
    other only for the allocation itself."""
    session = uow.session
    now = utcnow()
    customer, matched_by = _find_customer(session, mobiles, cmd.get("id_number"))
    owner = _staff(session, customer.consultant_id) if customer else None
    if kind == "visit":
        decision = domain.choose_for_visit(
            owner, _same_day_caller(session, customer, now) if customer else None,
            _staff_in_office(session, office, cmd.get("invited_by"), "invited_by"),
            _referrer_owner(session, referrer))
    else:
        answered = _staff_in_office(session, office, cmd.get("answered_by"), "answered_by")
        decision = domain.choose_for_call(owner, answered,
                                          _has_phone_order(session, office, now))
    first = customer is None
    if first:
        # the code's counter row stays locked until the commit too: always before the office's
        code, customer_id = _next_code_and_id(session, office.region_code,
                                              domain.name_initials(cmd["name"]))
    else:
        customer_id = customer.id
        _update_customer(session, customer, cmd, mobiles)
        if kind == "visit":
            customer.visit_count += 1
        else:
            customer.call_count += 1
        mobiles = _customer_mobiles(session, customer)  # theirs and the new ones
    allocation, turn = decision.allocation, None
    if allocation is None:  # a new customer only: the office's turn, last
        allocation, managers, turn = _rotate(session, office, now, kind, decision.note)
    else:
        if decision.needs_assistant:
            allocation = _with_assistant(session, office, now, allocation, owner)
        managers = office_managers(session, office.id if first else customer.office_id)
    visit = {"customer_id": customer_id, "office_id": office.id, "kind": kind,
             "channel": cmd["channel"], "first": first,
             "consultant_id": allocation.consultant_id, "assisted_by": allocation.assisted_by,
             "rule": allocation.rule, "explanation": allocation.explanation,
             "visitors": cmd.get("visitors", 1), "notes": cmd["notes"],
             "form": _answers(cmd, CONTACT_FIELDS), "visited_at": now}
    if first:
        customer = _new_customer(cmd, office, customer_id, code, mobiles, allocation, now, kind)
        writes = [insert(Customer.__table__).values(_columns(customer)),
                  *[insert(CustomerMobile.__table__).values(mobile=mobile, customer_id=customer_id)
                    for mobile in mobiles]]  # a row each: SQLAlchemy caches such a statement
    else:
        session.flush()  # the returning customer's changes before the rows that follow
        writes = []
    if turn is not None:
        writes.append(turn)
    _write_together(session, [*writes, insert(Visit.__table__).values(visit)])
    uow.emit("visit_recorded", {"kind": kind, "office_id": office.id,
                                "customer_code": customer.code, **_assignment_view(allocation),
                                "channel": cmd["channel"], "first": first},
             customer_id=customer_id)
    uow.commit()
    return {"customer": customer_view(customer, mobiles, managers),
            "returning": not first, "matched_by": matched_by,
            "assignment": _assignment_view(allocation)}


def _write_together(session, statements) -> None:
    """INSERTs that depend on nothing but their values, run as one statement on PostgreSQL
    (the others as data-modifying WITH queries of the last: one round trip; foreign keys are
    checked at the end of the statement), one by one elsewhere."""
    if _dialect(session) is not postgresql or len(statements) == 1:
        for statement in statements:
            session.execute(statement)
        return
    *first, last = statements
    session.execute(last.add_cte(*[statement.cte(f"write_{i}")
                                   for i, statement in enumerate(first)]))


def _find_customer(session, mobiles, id_number):
    """A match on any of the mobiles, else on the ID number, is the same customer."""
    customer_id = session.scalar(select(CustomerMobile.customer_id)
                                 .where(CustomerMobile.mobile.in_(mobiles))
                                 .order_by(CustomerMobile.customer_id).limit(1))
    if customer_id is not None:
        return session.get(Customer, customer_id), "mobile"
    if id_number:
        customer = session.scalar(select(Customer).where(Customer.id_number == id_number.upper()))
        if customer is not None:
            return customer, "id_number"
    return None, None


def _new_customer(cmd, office, customer_id, code, mobiles, allocation, now, kind):
    """The new customer's row, not yet written (the caller inserts it with its visit)."""
    return Customer(
        id=customer_id, code=code, name=cmd["name"], mobile=mobiles[0], gender=cmd["gender"],
        office_id=office.id, consultant_id=allocation.consultant_id, channel=cmd["channel"],
        visit_count=int(kind == "visit"), call_count=int(kind == "call"), registered_at=now,
        id_number=cmd["id_number"].upper() if cmd.get("id_number") else None,
        profile=_answers(cmd, PROFILE_FIELDS), archive={})


def _columns(row) -> dict:
    return {column.key: getattr(row, column.key) for column in row.__table__.columns
            if getattr(row, column.key) is not None}


def _update_customer(session, customer, cmd, mobiles):
    """A returning customer's new answers fill in the profile (第一次来访无法填写完全的在之后回访及
    再次来访时填写完全); a new number of theirs is added unless it is someone else's."""
    answers = {k: v for k, v in _answers(cmd, PROFILE_FIELDS).items() if v not in ("", [], {}, None)}
    if answers:
        customer.profile = {**(customer.profile or {}), **answers}
    if customer.gender is None and cmd.get("gender"):
        customer.gender = cmd["gender"]
    if cmd.get("id_number") and customer.id_number is None and session.scalar(
            select(Customer.id).where(Customer.id_number == cmd["id_number"].upper())) is None:
        customer.id_number = cmd["id_number"].upper()
    session.execute(_insert_ignoring(session, CustomerMobile, "mobile"),
                    [{"mobile": mobile, "customer_id": customer.id} for mobile in mobiles])


def _answers(cmd, names) -> dict:
    return {name: cmd[name] for name in names if name in cmd}


def _customer_mobiles(session, customer) -> list[str]:
    return list(session.scalars(select(CustomerMobile.mobile).where(
        CustomerMobile.customer_id == customer.id).order_by(CustomerMobile.mobile)))


def _staff(session, consultant_id):
    consultant = session.get(Consultant, consultant_id)
    return domain.Staff(consultant.id, consultant.status)


def _staff_in_office(session, office, consultant_id, field):
    if consultant_id is None:
        return None
    consultant = session.get(Consultant, consultant_id)
    if consultant is None or consultant.office_id != office.id:
        raise NotFound("unknown consultant", {field: [f"no consultant {consultant_id} in office "
                                                      f"{office.id}"]})
    if consultant.kind != "sales":
        raise InvalidInput("not a sales consultant", {field: [
            f"consultant {consultant_id} is a call agent, who does not receive customers"]})
    return domain.Staff(consultant.id, consultant.status)


def _referrer_owner(session, referrer):
    if referrer is None:
        return None
    row = session.execute(select(Consultant.id, Consultant.status)
                          .join(Customer, Customer.consultant_id == Consultant.id)
                          .join(CustomerMobile, CustomerMobile.customer_id == Customer.id)
                          .where(CustomerMobile.mobile == referrer)).first()
    if row is None:
        raise NotFound("unknown referrer", {"referrer_mobile": ["no customer has this mobile"]})
    return domain.Staff(row.id, row.status)


def _day_start(now):
    day = domain.office_day(now)
    return datetime.combine(day, time(), domain.OFFICE_TIMEZONE)


def _same_day_caller(session, customer, now):
    return session.scalar(select(Visit.consultant_id).where(
        Visit.customer_id == customer.id, Visit.kind == "call",
        Visit.visited_at >= _day_start(now)).order_by(Visit.id.desc()).limit(1))


def _has_phone_order(session, office, now) -> bool:
    return session.scalar(select(PhoneOrder.consultant_id).where(
        PhoneOrder.office_id == office.id, PhoneOrder.day == domain.office_day(now))
        .limit(1)) is not None


def _with_assistant(session, office, now, allocation, owner):
    assistant = domain.assistant_for(_reception_candidates(session, office, now), owner.id)
    if assistant is None:
        note = f"; the original consultant is {owner.status} and nobody is free to assist"
    else:
        note = (f"; the original consultant is {owner.status}: consultant {assistant} assists, "
                "the customer stays the original's")
    rule = "returning_customer_assisted" if allocation.rule == "returning_customer" \
        else allocation.rule
    return domain.Allocation(allocation.consultant_id, rule, allocation.explanation + note,
                             assistant)


def _rotate(session, office, now, kind, note):
    """The next consultant in today's phone order (calls, when the office set one) or reception
    rotation, the office's managers, and the statement recording the consultant's turn (for
    the caller to run with its other writes); taking the office's turn counter also locks the
    office row until the commit, so workers side by side hand out one turn at a time."""
    offices = Office.__table__  # a plain UPDATE: no loaded office to keep in step
    turn = session.execute(update(offices).where(offices.c.id == office.id)
                           .values(turn_seq=offices.c.turn_seq + 1)
                           .returning(offices.c.turn_seq)).scalar_one()
    day = domain.office_day(now)
    reception, managers = _office_staff(session, office, day)
    allocation = None
    if kind == "call":
        phone = _phone_candidates(session, office, day)
        if phone:
            try:
                allocation = domain.next_in_rotation(phone, "call_phone_order",
                                                     "phone answering order")
                turns = PhoneTurn
            except domain.NoConsultantAvailable:
                note = "; ".join(filter(None, [note, "nobody free in the phone order"]))
    if allocation is None:
        rule, label = (("call_reception_order", "reception order for calls") if kind == "call"
                       else ("new_visitor_rotation", "reception rotation"))
        try:
            allocation = domain.next_in_rotation(reception, rule, label)
        except domain.NoConsultantAvailable as exc:
            raise Conflict(str(exc), {"office_id": [str(exc)]}) from None
        turns = ReceptionTurn
    turn_taken = _upsert(session, turns, ("office_id", "day", "consultant_id"), "turn").values(
        office_id=office.id, day=day, consultant_id=allocation.consultant_id, turn=turn)
    if note:
        allocation = domain.Allocation(allocation.consultant_id, allocation.rule,
                                       f"{allocation.explanation} ({note})")
    return allocation, managers, turn_taken


def _reception_candidates(session, office, now):
    return _office_staff(session, office, domain.office_day(now))[0]


def _office_staff(session, office, day):
    """Today's reception line and the office's managers, in one read. The line is the day's
    reception order when the manager set one (第一接待、第二接待…), else every sales consultant
    on duty (their group, on alternate days) in roster order; each with their last turn."""
    rows = session.execute(
        select(Consultant.id, Consultant.status, Consultant.kind, Consultant.rotation_order,
               Consultant.duty_group, ReceptionOrder.position, ReceptionTurn.turn)
        .outerjoin(ReceptionOrder, and_(ReceptionOrder.consultant_id == Consultant.id,
                                        ReceptionOrder.day == day))
        .outerjoin(ReceptionTurn, and_(ReceptionTurn.consultant_id == Consultant.id,
                                       ReceptionTurn.day == day))
        .where(Consultant.office_id == office.id)).all()
    managers = [c.id for c in rows if c.kind == "manager"]
    ordered = [c for c in rows if c.position is not None]
    if ordered:
        return [domain.RotationCandidate(c.id, c.status, c.position, c.turn or 0)
                for c in ordered], managers
    candidates = [domain.RotationCandidate(c.id, c.status, c.rotation_order, c.turn or 0,
                                           c.duty_group) for c in rows if c.kind == "sales"]
    return domain.on_duty(candidates, day, office.alternate_groups), managers


def _phone_candidates(session, office, day):
    rows = session.execute(
        select(Consultant, PhoneOrder.position, PhoneTurn.turn)
        .join(PhoneOrder, and_(PhoneOrder.consultant_id == Consultant.id,
                               PhoneOrder.day == day, PhoneOrder.office_id == office.id))
        .outerjoin(PhoneTurn, and_(PhoneTurn.consultant_id == Consultant.id,
                                   PhoneTurn.day == day))).all()
    return [domain.RotationCandidate(c.id, c.status, position, last_turn or 0)
            for c, position, last_turn in rows]


def set_office_roster(uow, cmd) -> dict:
    """Duty groups, the recall interval of the call pool, and the day's reception and phone
    answering orders, set by the office manager."""
    session = uow.session
    office = find_office(session, cmd["office_id"])
    if cmd.get("alternate_groups") is not None:
        office.alternate_groups = cmd["alternate_groups"]
    if cmd.get("recall_days") is not None:
        office.recall_days = cmd["recall_days"]
    staff = {c.id: c for c in session.scalars(select(Consultant).where(
        Consultant.office_id == office.id, Consultant.kind == "sales"))}
    for key, group in cmd["groups"].items():
        if int(key) not in staff:
            raise NotFound("unknown consultant", {f"groups.{key}": ["not a consultant of this "
                                                                    "office"]})
        staff[int(key)].duty_group = group
    day = cmd.get("day") or domain.office_day(utcnow())
    for field, table in (("reception_order", ReceptionOrder), ("phone_order", PhoneOrder)):
        if cmd.get(field) is not None:
            _set_day_order(session, office, day, staff, field, table, cmd[field])
    uow.commit()
    return {"office_id": office.id, "alternate_groups": office.alternate_groups,
            "recall_days": office.recall_days,
            "groups": {str(c.id): c.duty_group for c in staff.values()},
            "reception_order": _day_order(session, office, day, ReceptionOrder),
            "phone_order": _day_order(session, office, day, PhoneOrder), "day": day}


def _set_day_order(session, office, day, staff, field, table, consultant_ids):
    for i, consultant_id in enumerate(consultant_ids):
        if consultant_id not in staff:
            raise NotFound("unknown consultant", {f"{field}.{i}": [
                "not a sales consultant of this office"]})
    if len(set(consultant_ids)) != len(consultant_ids):
        raise InvalidInput("a consultant appears twice", {field: ["repeated"]})
    session.execute(delete(table).where(table.office_id == office.id, table.day == day))
    session.add_all([table(office_id=office.id, day=day, consultant_id=consultant_id,
                           position=i + 1) for i, consultant_id in enumerate(consultant_ids)])


def _day_order(session, office, day, table) -> list[int]:
    return list(session.scalars(select(table.consultant_id).where(
        table.office_id == office.id, table.day == day).order_by(table.position)))


def reassign_customer(uow, cmd, rule="manager_override", excluded_from_credit=False) -> dict:
    """A manager gives a customer to another consultant of the office, with a reason."""
    session = uow.session
    customer = _customer(session, cmd["customer_id"])
    office = find_office(session, customer.office_id)
    target = _staff_in_office(session, office, cmd["consultant_id"], "consultant_id")
    if not domain.can_take_new(target):
        raise Conflict("consultant cannot take customers",
                       {"consultant_id": [f"consultant is {target.status}"]})
    if target.id == customer.consultant_id:
        raise Conflict("already this consultant's customer",
                       {"consultant_id": ["the customer's consultant already"]})
    seen = customer.consultant_id
    # two managers reassigning at once: the second waits for the first's row lock and then
    # finds another consultant than the one it read, so only one reassignment is recorded
    moved = session.execute(update(Customer).where(Customer.id == customer.id,
                                                   Customer.consultant_id == seen)
                            .values(consultant_id=target.id)
                            .execution_options(synchronize_session=False)).rowcount
    if moved != 1:
        raise Conflict("the customer was reassigned meanwhile", {"customer_id": [
            f"customer {customer.id} is no longer consultant {seen}'s: read it again"]})
    customer.consultant_id = target.id
    explanation = f"{rule.replace('_', ' ')} by {cmd['decided_by']}: {cmd['reason']}"
    session.add(Assignment(customer_id=customer.id, from_consultant_id=seen,
                           to_consultant_id=target.id, rule=rule, reason=cmd["reason"],
                           decided_by=cmd["decided_by"],
                           excluded_from_credit=excluded_from_credit, decided_at=utcnow()))
    uow.emit("lead_reassigned", {"from_consultant_id": seen,
                                 "to_consultant_id": target.id, "rule": rule,
                                 "reason": cmd["reason"],
                                 "excluded_from_credit": excluded_from_credit},
             customer_id=customer.id)
    allocation = domain.Allocation(target.id, rule, explanation)
    uow.emit("lead_assigned", {"consultant_id": target.id, "office_id": office.id, "rule": rule,
                               "explanation": explanation}, customer_id=customer.id)
    uow.commit()
    return {"customer": customer_view(customer, _customer_mobiles(session, customer),
                                      office_managers(session, customer.office_id)),
            "returning": True, "matched_by": None, "assignment": _assignment_view(allocation)}


def _assignment_view(allocation) -> dict:
    return {"consultant_id": allocation.consultant_id, "assisted_by": allocation.assisted_by,
            "rule": allocation.rule, "explanation": allocation.explanation}


def _next_code_and_id(session, region_code, initials) -> tuple[str, int]:
    """The next number of the region and initials, counted in one upsert: two registrations
    of the same initials at once wait for each other on the row and get different numbers;
    with it, on PostgreSQL, the new customer's id from its sequence (elsewhere the next id,
    under the database's one writer lock that the upsert took)."""
    statement = _dialect(session).insert(CodeSequence).values(
        region_code=region_code, initials=initials, last=1)
    statement = statement.on_conflict_do_update(
        index_elements=["region_code", "initials"], set_={"last": CodeSequence.last + 1})
    if _dialect(session) is postgresql:
        sequence, customer_id = session.execute(statement.returning(
            CodeSequence.last, func.nextval(func.pg_get_serial_sequence("customers", "id")))
        ).one()
    else:
        sequence = session.execute(statement.returning(CodeSequence.last)).scalar_one()
        customer_id = session.scalar(select(func.coalesce(func.max(Customer.id), 0) + 1))
    return domain.customer_code(region_code, initials, sequence), customer_id


def _customer(session, customer_id):
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise NotFound("unknown customer", {"customer_id": ["unknown customer"]})
    return customer


def known_customer(session, office_id, raw_mobile):
    """The office's customer with this full mobile number (any of their numbers), or None; a
    number that is no full mainland mobile is refused naming `mobile`."""
    mobile = domain.normalize_mobile(raw_mobile)
    if mobile is None:
        raise InvalidInput("not a full mobile number", {"mobile": ["not a full mainland mobile "
                                                                   "number (11 digits, 1[3-9]…)"]})
    customer, _ = _find_customer(session, [mobile], None)
    return customer if customer is not None and customer.office_id == office_id else None


def find_office(session, office_id):
    office = session.get(Office, office_id)
    if office is None:
        raise NotFound(f"office {office_id} does not exist", {"office_id": ["unknown office"]})
    return office


def office_view(session, office) -> dict:
    return {"id": office.id, "code": office.code, "name": office.name,
            "region_code": office.region_code, "alternate_groups": office.alternate_groups,
            "project_ids": office_project_ids(session, office.id)}


def consultant_view(consultant) -> dict:
    return {"id": consultant.id, "office_id": consultant.office_id, "name": consultant.name,
            "status": consultant.status, "rotation_order": consultant.rotation_order,
            "duty_group": consultant.duty_group, "kind": consultant.kind}


def office_managers(session, office_id) -> list[int]:
    return list(session.scalars(select(Consultant.id).where(
        Consultant.office_id == office_id, Consultant.kind == "manager")))


def customer_view(customer, mobiles, managers=()) -> dict:
    view = {column: getattr(customer, column) for column in (
        "id", "code", "name", "mobile", "gender", "office_id", "consultant_id", "channel",
        "visit_count", "call_count", "registered_at", "id_number", "profile", "grade", "outcome",
        "hopeless_kind")}
    view["other_mobiles"] = [mobile for mobile in mobiles if mobile != customer.mobile]
    view["excluded_from_credit"] = []
    view["visible_to"] = [customer.consultant_id, *managers]
    return view


def import_call_list(uow, cmd, job=None) -> dict:
    """Add a call list's new numbers to the call pool in bulk; numbers of existing customers,
    of earlier lists or repeated in this one are counted as duplicates, bad rows reported.

    The numbers are saved IMPORT_BATCH at a time, one transaction each; as a background `job`
    (infra.imports.Job) each batch records the job's progress and lets the service's other
    requests run before the next. The list's totals and its event come last."""
    try:
        parsed = off_hub(call_lists.parse, cmd["header"], cmd["rows"],
                         cmd["first_line"])
    except call_lists.UnusableColumns as exc:
        raise _unusable_call_list(exc) from None
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
        customers = set(session.scalars(select(CustomerMobile.mobile).where(
            CustomerMobile.mobile.in_([lead["mobile"] for lead in leads]))))
        fresh = [{**lead, "source": cmd["source"], "import_id": batch.id, "status": "pool",
                  "created_at": now} for lead in leads if lead["mobile"] not in customers]
        if fresh:
            added += len(session.execute(
                _insert_new_numbers(session).returning(CallLead.mobile), fresh).all())
        if job is not None:
            done = start + len(leads)
            job.progress(session, len(cmd["rows"]) * done // len(parsed.leads))
            uow.commit()
            job.pause()
    batch.added = added
    batch.duplicates = len(cmd["rows"]) - len(parsed.errors) - added
    uow.emit("call_list_imported", {"import_id": batch.id, "source": batch.source,
                                    "added": added})
    uow.commit()
    return {"id": batch.id, "source": batch.source, "file_name": batch.file_name,
            "rows": batch.rows, "added": batch.added, "duplicates": batch.duplicates,
            "rejected": batch.rejected, "errors": parsed.errors}


def run_call_list_import(uow_factory, job, header, rows) -> dict:
    """A queued import job of a call list (infra.imports.run_next)."""
    with uow_factory() as uow:
        return CallListImportSchema.shared().dump(import_call_list(uow, {
            "source": job.params["source"], "file_name": job.params["file_name"],
            "imported_by": job.created_by, "header": header, "rows": rows, "first_line": 2},
            job))


def check_call_list_header(header: list) -> None:
    """Refuse a list whose columns cannot be used, before it is imported."""
    try:
        call_lists.column_fields(header)
    except call_lists.UnusableColumns as exc:
        raise _unusable_call_list(exc) from None


def _unusable_call_list(exc) -> InvalidInput:
    return InvalidInput("the list's columns are not usable; nothing was imported",
                        {"header": [f"missing: {', '.join(exc.missing) or '-'}",
                                    f"unknown: {', '.join(exc.unknown) or '-'}"]})


def _insert_new_numbers(session):
    return _insert_ignoring(session, CallLead, "mobile")


def _dialect(session):
    return postgresql if session.get_bind().dialect.name == "postgresql" else sqlite


def _upsert(session, table, keys, column):
    statement = _dialect(session).insert(table)
    return statement.on_conflict_do_update(index_elements=list(keys),
                                           set_={column: statement.excluded[column]})


def _insert_ignoring(session, table, key):
    return _dialect(session).insert(table).on_conflict_do_nothing(index_elements=[key])
