"""开盘 (opening day): the units released, the entrants (queue numbers) and the order they
choose in (`opening_order`), selections and the end of the opening.

A selection is one transaction: the entrant's attempt counted (a conditional UPDATE when the
opening limits attempts), the household's purchases raised below the limit (a conditional
UPDATE on its row), and the unit moved from available to held for the buyer (a conditional
UPDATE on the unit). The first valid request wins; a loser's UPDATE finds the unit taken and
answers 409 at once, naming the unit; nothing else changes for them but the attempt. The won
unit's hold becomes a reservation and an order form as soon as transactions turns the buyer's
诚意金 into the deposit (`unit_selected` → `deposit_received` → `unit_reserved`).

Under a burst the requests waiting in a process are decided together (`decide_selections`,
called by `selection_batches`): the same rules, request by request in the order received,
in one transaction for all of them."""
import base64

from sqlalchemy import and_, bindparam, delete, func, insert, select, tuple_, update
from sqlalchemy.exc import IntegrityError

from contracts.errors import Conflict, Forbidden, IdempotencyKeyReused, InvalidInput, NotFound
from contracts.scope import check_consultant, check_project
from infra.database import utcnow
from infra.working_calendar import SHANGHAI
from infra.workbooks import xlsx
from services.inventory import domain, opening_order
from services.inventory.history import change_status
from services.inventory.models import (Hold, Opening, OpeningEntrant, OpeningHousehold,
                                       OpeningSelection, OpeningUnit, Project, Unit,
                                       UnitStatusChange)

OPEN, CLOSED = "open", "closed"


def create_opening(uow, cmd) -> dict:
    session = uow.session
    if session.get(Project, cmd["project_id"]) is None:
        raise NotFound(f"project {cmd['project_id']} does not exist",
                       {"project_id": ["unknown project"]})
    unit_ids = _released_units(session, cmd)
    clash = session.execute(
        select(OpeningUnit.unit_id, Opening.id).join(Opening, Opening.id == OpeningUnit.opening_id)
        .where(OpeningUnit.unit_id.in_(unit_ids), Opening.status == OPEN,
               Opening.starts_at < cmd["ends_at"], Opening.ends_at > cmd["starts_at"])
        .order_by(OpeningUnit.unit_id)).all()
    if clash:
        raise Conflict("units are released in another opening at the same time",
                       {"unit_ids": [f"unit {row.unit_id} is in opening {row.id}"
                                     for row in clash[:20]]})
    now = utcnow()
    opening = Opening(**{name: cmd[name] for name in (
        "project_id", "name", "starts_at", "ends_at", "mode", "slot_size", "slot_minutes",
        "limit_per_household", "max_attempts", "created_by")}, status=OPEN, created_at=now)
    session.add(opening)
    session.flush()
    session.execute(insert(OpeningUnit), [{"opening_id": opening.id, "unit_id": unit_id}
                                          for unit_id in unit_ids])
    uow.commit()
    return opening_view(session, opening)


def _released_units(session, cmd) -> list[int]:
    project_id = cmd["project_id"]
    if cmd.get("building") is not None:
        unit_ids = list(session.scalars(select(Unit.id).where(
            Unit.project_id == project_id, Unit.building == cmd["building"],
            Unit.status == domain.AVAILABLE).order_by(Unit.id)))
        if not unit_ids:
            raise InvalidInput("no available unit in that building",
                               {"building": ["no available unit of the project"]})
        return unit_ids
    asked = sorted(set(cmd["unit_ids"]))
    rows = {row.id: row.status for row in session.execute(
        select(Unit.id, Unit.status).where(Unit.id.in_(asked), Unit.project_id == project_id))}
    foreign = [unit_id for unit_id in asked if unit_id not in rows]
    if foreign:
        raise InvalidInput("units not in the project", {"unit_ids": [
            f"unit {unit_id} is not a unit of project {project_id}" for unit_id in foreign[:20]]})
    taken = [f"unit {unit_id} is {rows[unit_id]}" for unit_id in asked
             if rows[unit_id] != domain.AVAILABLE]
    if taken:
        raise Conflict("only available units can be released", {"unit_ids": taken[:20]})
    return asked


def found(session, opening_id, lock=False) -> Opening:
    opening = session.get(Opening, opening_id, with_for_update=lock)
    if opening is None:
        raise NotFound(f"opening {opening_id} does not exist", {"opening_id": ["unknown opening"]})
    return opening


def _open(opening) -> None:
    if opening.status != OPEN:
        raise Conflict(f"opening {opening.id} is {opening.status}",
                       {"opening_id": [f"the opening is {opening.status}"]})


def set_entrants(uow, cmd, now=None) -> dict:
    """The queue numbers taking part; fixed once the lottery's seed is announced or the
    opening has started."""
    session = uow.session
    opening = found(session, cmd["opening_id"], lock=True)
    _open(opening)
    now = now or utcnow()
    if opening.seed is not None:
        raise Conflict("the entrants are fixed once the seed is announced",
                       {"entrants": ["the seed is announced"]})
    if now >= opening.starts_at:
        raise Conflict("the opening has started", {"entrants": ["the opening has started"]})
    entrants = cmd["entrants"]
    numbers = [entrant["number"] for entrant in entrants]
    if len(set(numbers)) != len(numbers) or \
            len({e["queue_number_id"] for e in entrants}) != len(entrants):
        raise InvalidInput("a queue number appears twice", {"entrants": ["duplicate numbers"]})
    positions = {} if opening.mode == "lottery" else {
        number: place for place, number in enumerate(sorted(numbers), start=1)}
    for table in (OpeningEntrant, OpeningHousehold):
        session.execute(delete(table).where(table.opening_id == opening.id))
    if entrants:
        session.execute(insert(OpeningEntrant), [{
            "opening_id": opening.id, "queue_number_id": e["queue_number_id"],
            "number": e["number"], "customer_id": e["customer_id"],
            "consultant_id": e["consultant_id"], "household": e["id_number"],
            "position": positions.get(e["number"]), "attempts": 0} for e in entrants])
        session.execute(insert(OpeningHousehold), [
            {"opening_id": opening.id, "household": household, "purchases": 0}
            for household in sorted({e["id_number"] for e in entrants})])
    uow.commit()
    return opening_view(session, opening)


def announce_seed(uow, cmd, now=None) -> dict:
    """摇号: the seed, announced before the start, draws the order; it never changes."""
    session = uow.session
    opening = found(session, cmd["opening_id"], lock=True)
    if opening.mode != "lottery":
        raise Conflict(f"opening {opening.id} is not a lottery", {"seed": ["not a lottery"]})
    if opening.seed is not None:
        if opening.seed == cmd["seed"]:
            return order_view(session, opening)
        raise Conflict("the seed was announced already and cannot change",
                       {"seed": [f"announced at {opening.seed_announced_at.isoformat()}; "
                                 "it cannot change"]})
    _open(opening)
    now = now or utcnow()
    if now >= opening.starts_at:
        raise Conflict("the seed must be announced before the opening starts",
                       {"seed": ["the opening has started"]})
    entrants = session.scalars(select(OpeningEntrant).where(
        OpeningEntrant.opening_id == opening.id)).all()
    if not entrants:
        raise Conflict("no entrants to draw", {"entrants": ["set the entrants first"]})
    drawn = opening_order.draw(cmd["seed"], [entrant.number for entrant in entrants])
    place = {number: position for position, number in enumerate(drawn, start=1)}
    for entrant in entrants:
        entrant.position = place[entrant.number]
    opening.seed, opening.seed_announced_at = cmd["seed"], now
    opening.seed_announced_by = cmd["announced_by"]
    uow.emit("lottery_drawn", {"opening_id": opening.id, "seed": opening.seed,
                               "algorithm": opening_order.ALGORITHM, "order": drawn},
             project_id=opening.project_id)
    uow.commit()
    return order_view(session, opening)


def order_view(session, opening) -> dict:
    rows = session.execute(select(OpeningEntrant.number, OpeningEntrant.position).where(
        OpeningEntrant.opening_id == opening.id)).all()
    ordered = sorted((row for row in rows if row.position is not None),
                     key=lambda row: row.position)
    order = []
    for row in ordered:
        start, end = opening_order.window(opening.mode, opening.starts_at, opening.ends_at,
                                          row.position, opening.slot_size,
                                          opening.slot_minutes) or (None, None)
        order.append({"position": row.position, "queue_number": row.number,
                      "slot": 0 if opening.mode == "all_at_once" else
                      opening_order.slot_of(row.position, opening.slot_size),
                      "slot_starts_at": start, "slot_ends_at": end})
    return {"opening_id": opening.id, "mode": opening.mode,
            "algorithm": opening_order.ALGORITHM if opening.mode == "lottery" else None,
            "seed": opening.seed, "entrants": sorted(row.number for row in rows),
            "order": order}


def check_selection(actor, opening, entrant, number, unit_released: bool, now) -> None:
    """The refusals before any row is touched: each a 4xx naming the reason."""
    _open(opening)
    if entrant is None:
        raise InvalidInput(f"queue number {number} does not take part in opening {opening.id}",
                           {"queue_number": ["not an entrant of this opening"]})
    check_consultant(actor, entrant.consultant_id, "queue_number")
    if not unit_released:
        raise InvalidInput("the unit is not released in this opening",
                           {"unit_id": [f"not released in opening {opening.id}"]})
    slot = opening_order.window(opening.mode, opening.starts_at, opening.ends_at,
                                entrant.position, opening.slot_size, opening.slot_minutes)
    if slot is None:
        raise Conflict("the queue number has no slot yet",
                       {"queue_number": ["no slot: the order is not drawn, or the slot falls "
                                         "after the opening"]})
    if not slot[0] <= now < slot[1]:
        raise Conflict("outside the buyer's slot", {"queue_number": [
            f"may choose from {slot[0].astimezone(SHANGHAI).isoformat()} to "
            f"{slot[1].astimezone(SHANGHAI).isoformat()}"]})


def select_unit(uow, actor, cmd, now=None) -> dict:
    """A selection pressed again with the same `idempotency_key` (its answer lost to a timeout
    or a worker's crash) gets the first one's answer, won or lost, and changes nothing."""
    key = cmd.get("idempotency_key")
    if key and (earlier := _by_key(uow.session, key)) is not None:
        return _answer_again(earlier, cmd)
    try:
        return _select(uow, actor, cmd, now)
    except IntegrityError:  # the same key was recorded meanwhile by a retry racing this one
        if not key:
            raise
        uow.rollback()
        earlier = _by_key(uow.session, key)
        if earlier is None:
            raise
        return _answer_again(earlier, cmd)


def _by_key(session, key) -> OpeningSelection | None:
    return session.scalar(select(OpeningSelection).where(OpeningSelection.idempotency_key == key))


def _answer_again(earlier: OpeningSelection, cmd) -> dict:
    asked = (cmd["opening_id"], cmd["queue_number"], cmd["unit_id"])
    if asked != (earlier.opening_id, earlier.queue_number, earlier.unit_id):
        raise IdempotencyKeyReused("this idempotency key made another selection",
                                   {"idempotency_key": [f"used for selection {earlier.id}"]})
    if earlier.outcome != "won":
        raise _taken(cmd["unit_id"], "held")
    return {column: getattr(earlier, column) for column in (
        "id", "opening_id", "unit_id", "queue_number_id", "queue_number", "customer_id",
        "consultant_id", "outcome", "total_price", "requested_at", "selected_by")}


def _select(uow, actor, cmd, now=None) -> dict:
    """Opening day's hot path, in as few round trips as the rules allow: one read of the
    opening, the entrant, the unit's release and the project; the unit's row locked (and its
    price read); the household's counter raised; the unit moved; the records written."""
    session = uow.session
    now = now or utcnow()
    found_row = session.execute(
        select(Opening, OpeningEntrant, OpeningUnit.unit_id, Project.hold_days)
        .join(Project, Project.id == Opening.project_id)
        .outerjoin(OpeningEntrant, and_(OpeningEntrant.opening_id == Opening.id,
                                        OpeningEntrant.number == cmd["queue_number"]))
        .outerjoin(OpeningUnit, and_(OpeningUnit.opening_id == Opening.id,
                                     OpeningUnit.unit_id == cmd["unit_id"]))
        .where(Opening.id == cmd["opening_id"])).first()
    if found_row is None:
        raise NotFound(f"opening {cmd['opening_id']} does not exist",
                       {"opening_id": ["unknown opening"]})
    opening, entrant, released, hold_days = found_row
    check_project(actor, opening.project_id)
    check_selection(actor, opening, entrant, cmd["queue_number"], released is not None, now)
    # the entrant's row lock orders one queue number's requests (the attempt counted with it)
    if opening.max_attempts is None:
        session.execute(select(OpeningEntrant.queue_number_id).where(
            OpeningEntrant.opening_id == opening.id,
            OpeningEntrant.queue_number_id == entrant.queue_number_id).with_for_update())
    elif session.execute(
            update(OpeningEntrant).where(
                OpeningEntrant.opening_id == opening.id,
                OpeningEntrant.queue_number_id == entrant.queue_number_id,
                OpeningEntrant.attempts < opening.max_attempts)
            .values(attempts=OpeningEntrant.attempts + 1)).rowcount != 1:
        raise Conflict("no selection attempts left", {"queue_number": [
            f"used all {opening.max_attempts} attempts"]})
    chosen = session.scalar(select(OpeningSelection.unit_id).where(
        OpeningSelection.opening_id == opening.id,
        OpeningSelection.queue_number_id == entrant.queue_number_id,
        OpeningSelection.outcome == "won").limit(1))
    if chosen is not None:
        uow.commit()  # the attempt counts
        raise _chosen_already(entrant.number, chosen)
    # the unit's row lock orders the racing requests: the first valid one finds it available
    unit = session.execute(select(
        Unit.status, Unit.project_id, Unit.list_price, Unit.list_unit_price,
        Unit.floor_total_price, Unit.price_list_version).where(Unit.id == cmd["unit_id"])
        .with_for_update()).first()
    if unit.status != domain.AVAILABLE:
        return _lost(uow, opening, entrant, cmd, unit.status, now)
    counted = session.execute(update(OpeningHousehold).where(
        OpeningHousehold.opening_id == opening.id, OpeningHousehold.household == entrant.household,
        OpeningHousehold.purchases < opening.limit_per_household)
        .values(purchases=OpeningHousehold.purchases + 1))
    if counted.rowcount != 1:
        uow.commit()  # the attempt counts; the unit is untouched
        raise Conflict("the household has bought its limit", {"queue_number": [
            f"the household's limit is {opening.limit_per_household} unit(s)"]})
    taken = change_status(
        session, cmd["unit_id"], domain.HELD, where=(Unit.status == domain.AVAILABLE,),
        by=cmd["selected_by"], reason=f"opening {opening.id}: queue number {entrant.number}",
        now=now, locked=unit, customer_id=entrant.customer_id,
        consultant_id=entrant.consultant_id)
    if taken is None:  # only where row locks are ignored (SQLite): undo the household's count
        uow.rollback()
        return _lost(uow, opening, entrant, cmd, "taken", now)
    session.execute(insert(Hold).values(
        unit_id=cmd["unit_id"], customer_id=entrant.customer_id,
        consultant_id=entrant.consultant_id, status="active", created_at=now, extensions=0,
        expires_at=domain.hold_expires_at(now, hold_days), approved_by=f"opening {opening.id}",
        approved_at=now))
    selection = _record(session, opening, entrant, cmd, "won", unit.list_price, now)
    uow.emit("unit_selected", {"opening_id": opening.id, "selection_id": selection["id"],
                               "queue_number_id": entrant.queue_number_id,
                               "queue_number": entrant.number,
                               "consultant_id": entrant.consultant_id,
                               "total_price": unit.list_price},
             project_id=opening.project_id, unit_id=cmd["unit_id"],
             customer_id=entrant.customer_id)
    uow.commit()
    return selection


def _lost(uow, opening, entrant, cmd, status, now):
    """Someone was first: the lost request is recorded (with the attempt) and answered 409
    naming the unit at once."""
    _record(uow.session, opening, entrant, cmd, "lost", None, now)
    uow.commit()
    raise _taken(cmd["unit_id"], status)


def _chosen_already(number, unit_id) -> Conflict:
    """One queue number, one unit: its 诚意金 becomes the deposit of the unit it won."""
    return Conflict(f"queue number {number} has chosen unit {unit_id} already",
                    {"queue_number": [f"has chosen unit {unit_id}: one unit per queue number"]})


def _taken(unit_id, status) -> Conflict:
    return Conflict(f"unit {unit_id} was chosen by someone else first",
                    {"unit_id": [f"unit {unit_id} is {status}: taken"]})


def _record(session, opening, entrant, cmd, outcome, total_price, now) -> dict:
    values = dict(opening_id=opening.id, unit_id=cmd["unit_id"],
                  queue_number_id=entrant.queue_number_id, queue_number=entrant.number,
                  customer_id=entrant.customer_id, consultant_id=entrant.consultant_id,
                  outcome=outcome, total_price=total_price, requested_at=now,
                  selected_by=cmd["selected_by"])
    selection_id = session.execute(insert(OpeningSelection).values(
        **values, idempotency_key=cmd.get("idempotency_key"))
        .returning(OpeningSelection.id)).scalar_one()
    return {"id": selection_id, **values}


def decide_selections(uow, requests) -> list:
    """A batch of selection requests, `(actor, cmd, requested_at)` in the order inventory
    received them, decided in one transaction with a fixed number of statements whatever its
    size: the openings, entrants, releases, units and households read at once (the rows that
    change locked, always in the same order: entrants, units, households), each request
    decided in turn against what the ones before it did, then every change written together.
    The rules are `select_unit`'s, request by request, its `idempotency_key` included; the
    outcome of each is its selection (a dict) or the refusal (an exception) to answer it with,
    in the requests' order."""
    session = uow.session
    outcomes: list = [None] * len(requests)
    keys = {i: cmd["idempotency_key"] for i, (_, cmd, _) in enumerate(requests)
            if cmd.get("idempotency_key")}
    if len(set(keys.values())) < len(keys):  # a retry raced its first press into this batch
        return [decide_alone(uow, request) for request in requests]
    earlier = {row.idempotency_key: row for row in session.scalars(
        select(OpeningSelection).where(OpeningSelection.idempotency_key.in_(keys.values())))
    } if keys else {}
    found_openings = {row.id: row for row in session.execute(
        select(*Opening.__table__.c, Project.hold_days)
        .join(Project, Project.id == Opening.project_id)
        .where(Opening.id.in_({cmd["opening_id"] for _, cmd, _ in requests})))}
    entrants = {(row.opening_id, row.number): row for row in session.execute(
        select(*OpeningEntrant.__table__.c).where(tuple_(
            OpeningEntrant.opening_id, OpeningEntrant.number).in_(
            {(cmd["opening_id"], cmd["queue_number"]) for _, cmd, _ in requests}))
        .order_by(OpeningEntrant.opening_id, OpeningEntrant.queue_number_id)
        .with_for_update())}
    released = set(session.execute(select(OpeningUnit.opening_id, OpeningUnit.unit_id).where(
        tuple_(OpeningUnit.opening_id, OpeningUnit.unit_id).in_(
            {(cmd["opening_id"], cmd["unit_id"]) for _, cmd, _ in requests}))).tuples())
    valid = []
    for i, (actor, cmd, at) in enumerate(requests):
        if keys.get(i) in earlier:  # pressed again: the first answer
            try:
                outcomes[i] = _answer_again(earlier[keys[i]], cmd)
            except (Conflict, IdempotencyKeyReused) as refused:
                outcomes[i] = refused
            continue
        opening = found_openings.get(cmd["opening_id"])
        entrant = entrants.get((cmd["opening_id"], cmd["queue_number"]))
        try:
            if opening is None:
                raise NotFound(f"opening {cmd['opening_id']} does not exist",
                               {"opening_id": ["unknown opening"]})
            check_project(actor, opening.project_id)
            check_selection(actor, opening, entrant, cmd["queue_number"],
                            (opening.id, cmd["unit_id"]) in released, at)
        except (NotFound, InvalidInput, Conflict, Forbidden) as refused:
            outcomes[i] = refused
            continue
        valid.append((i, cmd, at, opening, entrant))
    if not valid:
        return outcomes
    units = {row.id: row for row in session.execute(
        select(Unit.id, Unit.status, Unit.project_id, Unit.list_price)
        .where(Unit.id.in_({cmd["unit_id"] for _, cmd, _, _, _ in valid}))
        .order_by(Unit.id).with_for_update())}
    purchases = {(row.opening_id, row.household): row.purchases for row in session.execute(
        select(OpeningHousehold.opening_id, OpeningHousehold.household,
               OpeningHousehold.purchases)
        .where(tuple_(OpeningHousehold.opening_id, OpeningHousehold.household).in_(
            {(opening.id, entrant.household) for _, _, _, opening, entrant in valid}))
        .order_by(OpeningHousehold.opening_id, OpeningHousehold.household).with_for_update())}
    attempts = {(e.opening_id, e.queue_number_id): e.attempts for e in entrants.values()}
    chosen = dict(((row.opening_id, row.queue_number_id), row.unit_id) for row in session.execute(
        select(OpeningSelection.opening_id, OpeningSelection.queue_number_id,
               OpeningSelection.unit_id).where(
            OpeningSelection.outcome == "won", tuple_(
                OpeningSelection.opening_id, OpeningSelection.queue_number_id).in_(set(attempts)))))
    status = {unit_id: row.status for unit_id, row in units.items()}
    bought, records, wins = set(), [], []
    for i, cmd, at, opening, entrant in valid:
        buyer, household = (opening.id, entrant.queue_number_id), (opening.id, entrant.household)
        if opening.max_attempts is not None:  # counted only where the opening limits them
            if attempts[buyer] >= opening.max_attempts:
                outcomes[i] = Conflict("no selection attempts left", {"queue_number": [
                    f"used all {opening.max_attempts} attempts"]})
                continue
            attempts[buyer] += 1
        if buyer in chosen:
            outcomes[i] = _chosen_already(entrant.number, chosen[buyer])
            continue
        unit_id = cmd["unit_id"]
        if status[unit_id] != domain.AVAILABLE:
            outcomes[i] = Conflict(f"unit {unit_id} was chosen by someone else first",
                                   {"unit_id": [f"unit {unit_id} is {status[unit_id]}: taken"]})
            records.append((i, _selection(opening, entrant, cmd, "lost", None, at), keys.get(i)))
            continue
        if purchases.get(household, 0) >= opening.limit_per_household:
            outcomes[i] = Conflict("the household has bought its limit", {"queue_number": [
                f"the household's limit is {opening.limit_per_household} unit(s)"]})
            continue
        purchases[household] = purchases.get(household, 0) + 1
        chosen[buyer] = unit_id
        bought.add(household)
        status[unit_id] = domain.HELD
        records.append((i, _selection(opening, entrant, cmd, "won", units[unit_id].list_price,
                                      at), keys.get(i)))
        wins.append((i, cmd, at, opening, entrant))
    _write_decisions(uow, entrants, attempts, purchases, bought, units, records, wins)
    for i, values, _ in records:
        if values["outcome"] == "won":
            outcomes[i] = values
    return outcomes


def decide_alone(uow, request):
    """One request `(actor, cmd, requested_at)` in its own transaction: its selection, or the
    refusal to answer it with."""
    actor, cmd, at = request
    try:
        return select_unit(uow, actor, cmd, now=at)
    except (NotFound, InvalidInput, Conflict, Forbidden, IdempotencyKeyReused) as refused:
        uow.rollback()
        return refused


def _selection(opening, entrant, cmd, outcome, total_price, at) -> dict:
    return dict(opening_id=opening.id, unit_id=cmd["unit_id"],
                queue_number_id=entrant.queue_number_id, queue_number=entrant.number,
                customer_id=entrant.customer_id, consultant_id=entrant.consultant_id,
                outcome=outcome, total_price=total_price, requested_at=at,
                selected_by=cmd["selected_by"])


def _write_decisions(uow, entrants, attempts, purchases, bought, units, records, wins) -> None:
    """A batch's changes, one statement per table: attempts, households' purchases, the won
    units held (with their history and holds), every selection recorded, the events."""
    session = uow.session
    entrant_table, household_table = OpeningEntrant.__table__, OpeningHousehold.__table__
    counted = [{"o": e.opening_id, "q": e.queue_number_id,
                "a": attempts[(e.opening_id, e.queue_number_id)]} for e in entrants.values()
               if attempts[(e.opening_id, e.queue_number_id)] != e.attempts]
    if counted:
        session.execute(update(entrant_table).where(
            entrant_table.c.opening_id == bindparam("o"),
            entrant_table.c.queue_number_id == bindparam("q"))
            .values(attempts=bindparam("a")), counted)
    if bought:
        session.execute(update(household_table).where(
            household_table.c.opening_id == bindparam("o"),
            household_table.c.household == bindparam("h"))
            .values(purchases=bindparam("p")),
            [{"o": o, "h": h, "p": purchases[(o, h)]} for o, h in sorted(bought)])
    if records:
        ids = session.execute(insert(OpeningSelection.__table__).returning(
            OpeningSelection.id, sort_by_parameter_order=True),
            [{**values, "idempotency_key": key} for _, values, key in records]).scalars().all()
        for (_, values, _), selection_id in zip(records, ids):
            values["id"] = selection_id
    if not wins:
        return
    unit_table = Unit.__table__
    session.execute(update(unit_table).where(unit_table.c.id == bindparam("u")).values(
        status=domain.HELD, version=unit_table.c.version + 1, updated_at=bindparam("at"),
        customer_id=bindparam("c"), consultant_id=bindparam("k")),
        [{"u": cmd["unit_id"], "at": at, "c": entrant.customer_id, "k": entrant.consultant_id}
         for _, cmd, at, _, entrant in wins])
    session.execute(insert(UnitStatusChange.__table__), [{
        "unit_id": cmd["unit_id"], "project_id": units[cmd["unit_id"]].project_id,
        "from_status": units[cmd["unit_id"]].status, "to_status": domain.HELD,
        "changed_by": cmd["selected_by"][:100],
        "reason": f"opening {opening.id}: queue number {entrant.number}"[:200],
        "event_id": None, "event_type": None, "changed_at": at}
        for _, cmd, at, opening, entrant in wins])
    session.execute(insert(Hold.__table__), [{
        "unit_id": cmd["unit_id"], "customer_id": entrant.customer_id,
        "consultant_id": entrant.consultant_id, "status": "active", "created_at": at,
        "extensions": 0, "expires_at": domain.hold_expires_at(at, opening.hold_days),
        "approved_by": f"opening {opening.id}", "approved_at": at}
        for _, cmd, at, opening, entrant in wins])
    won = {i: values for i, values, _ in records}
    uow.emit_many([("unit_selected", {
        "opening_id": opening.id, "selection_id": won[i]["id"],
        "queue_number_id": entrant.queue_number_id, "queue_number": entrant.number,
        "consultant_id": entrant.consultant_id, "total_price": units[cmd["unit_id"]].list_price},
        {"project_id": opening.project_id, "unit_id": cmd["unit_id"],
         "customer_id": entrant.customer_id}) for i, cmd, _, opening, entrant in wins])


def void_selection(session, selection_id) -> OpeningSelection | None:
    """A win no 诚意金 pays for (its queue number was cancelled meanwhile) is voided: the
    household's purchase given back. The won selection, or None if it was voided before."""
    selection = session.scalar(select(OpeningSelection).where(
        OpeningSelection.id == selection_id, OpeningSelection.outcome == "won").with_for_update())
    if selection is None:
        return None
    selection.outcome = "void"
    household = select(OpeningEntrant.household).where(
        OpeningEntrant.opening_id == selection.opening_id,
        OpeningEntrant.queue_number_id == selection.queue_number_id).scalar_subquery()
    session.execute(update(OpeningHousehold).where(
        OpeningHousehold.opening_id == selection.opening_id,
        OpeningHousehold.household == household)
        .values(purchases=OpeningHousehold.purchases - 1))
    return selection


def close_opening(uow, cmd) -> dict:
    """The end: unsold units are back on normal sale (they leave the open opening), and every
    entrant who bought nothing is listed for the refund of their 诚意金."""
    session = uow.session
    opening = found(session, cmd["opening_id"], lock=True)
    _open(opening)
    opening.status, opening.closed_at, opening.closed_by = CLOSED, utcnow(), cmd["closed_by"]
    sold = _sold_units(session, opening.id)
    released = list(session.scalars(select(OpeningUnit.unit_id).where(
        OpeningUnit.opening_id == opening.id).order_by(OpeningUnit.unit_id)))
    buyers = set(session.scalars(select(OpeningSelection.queue_number_id).where(
        OpeningSelection.opening_id == opening.id, OpeningSelection.outcome == "won")))
    refunds = sorted(set(session.scalars(select(OpeningEntrant.queue_number_id).where(
        OpeningEntrant.opening_id == opening.id))) - buyers)
    uow.emit("opening_closed", {"opening_id": opening.id, "sold_unit_ids": sorted(sold),
                                "unsold_unit_ids": [u for u in released if u not in sold],
                                "refund_queue_number_ids": refunds},
             project_id=opening.project_id)
    uow.commit()
    return opening_view(session, opening)


def _sold_units(session, opening_id) -> set[int]:
    return set(session.scalars(select(OpeningSelection.unit_id).where(
        OpeningSelection.opening_id == opening_id, OpeningSelection.outcome == "won")))


def in_open_opening(session, unit_id) -> int | None:
    """The open opening a unit is released in: out of normal sale until it closes."""
    return session.scalar(select(Opening.id).join(OpeningUnit, OpeningUnit.opening_id == Opening.id)
                          .where(OpeningUnit.unit_id == unit_id, Opening.status == OPEN)
                          .limit(1))


def opening_view(session, opening) -> dict:
    unit_ids = list(session.scalars(select(OpeningUnit.unit_id).where(
        OpeningUnit.opening_id == opening.id).order_by(OpeningUnit.unit_id)))
    entrants = session.scalar(select(func.count()).select_from(OpeningEntrant).where(
        OpeningEntrant.opening_id == opening.id))
    view = {name: getattr(opening, name) for name in (
        "id", "project_id", "name", "starts_at", "ends_at", "mode", "slot_size", "slot_minutes",
        "limit_per_household", "max_attempts", "seed", "seed_announced_at", "status",
        "closed_at")}
    return {**view, "unit_ids": unit_ids, "entrants": entrants,
            "sold": len(_sold_units(session, opening.id))}


RESULT_HEADER = ("序号", "排号", "楼栋", "单元", "房号", "建筑面积", "总价", "客户编号",
                 "置业顾问", "选房时间")


def results_file(session, opening_id) -> dict:
    """选房结果: every unit won, in the order inventory received the winning requests, and
    the units left unsold."""
    opening = found(session, opening_id)
    won = session.execute(
        select(OpeningSelection, Unit).join(Unit, Unit.id == OpeningSelection.unit_id)
        .where(OpeningSelection.opening_id == opening.id, OpeningSelection.outcome == "won")
        .order_by(OpeningSelection.id)).all()
    rows = [RESULT_HEADER] + [
        (i, s.queue_number, u.building, u.entrance, u.number, u.building_area, s.total_price,
         s.customer_id, s.consultant_id,
         s.requested_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3])
        for i, (s, u) in enumerate(won, start=1)]
    sold = {s.unit_id for s, _ in won}
    unsold = session.scalars(select(Unit).join(OpeningUnit, OpeningUnit.unit_id == Unit.id)
                             .where(OpeningUnit.opening_id == opening.id)
                             .order_by(Unit.building, Unit.entrance, Unit.floor, Unit.number))
    rest = [("楼栋", "单元", "房号", "建筑面积", "总价")] + [
        (u.building, u.entrance, u.number, u.building_area, u.list_price)
        for u in unsold if u.id not in sold]
    content = xlsx([("选房结果", rows), ("未售房源", rest)])
    return {"file_name": f"opening-{opening.id}-results.xlsx",
            "content_base64": base64.b64encode(content).decode("ascii")}
