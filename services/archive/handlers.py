"""Archive use cases. Every record lands in a dossier's hash chain in the transaction that
writes it; nothing here updates or deletes a filed record (the database refuses it too)."""
import json
import logging
import os
import shutil
import tempfile
import zipfile
from datetime import datetime, timezone
from functools import lru_cache

import bagit
from sqlalchemy import event as sqlalchemy_event, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from contracts.envelope import REGISTRY
from contracts import scope
from contracts.errors import Conflict, Forbidden, InvalidInput, NotFound
from infra.database import insert_into, utcnow
from infra.filestore import DIGEST
from infra.working_calendar import WorkingCalendar, calendar_from_entries
from services.archive import domain
from services.archive.models import (
    ENTRY_TABLES, CalendarEntry, ChainLink, Document, Dossier, DossierNumber, DossierReference,
    ExternalApproval, ExternalRequest, FixityRun, InspectionFinding, InspectionPlan, Loan,
    LoanReturn, PaperVolume, ProjectMilestone, StoredFile, VerificationRun)

log = logging.getLogger(__name__)

UNLIMITED_ROLES = ("general_manager", "admin")
DOCUMENTS = Document.__table__
# documents filed together, their rows as stored answered in the order given
FILE_DOCUMENTS = insert(DOCUMENTS).returning(*DOCUMENTS.c, sort_by_parameter_order=True)
ARCHIVE_STAFF = ("archivist",)
VERIFY_BATCH = 200


@lru_cache(maxsize=1)
def calendar() -> WorkingCalendar:
    """The suite's calendar; a year not yet published counts weekdays (provisional) so a
    deadline across the new year is still given."""
    return WorkingCalendar(uncovered="weekdays")


# ---- who may do what -----------------------------------------------------------------------

def check_reader(actor: dict, dossier) -> None:
    if actor["role"] not in domain.LEVEL_ROLES["C"]:
        raise Forbidden(f"role {actor['role']} does not read dossiers",
                        {"role": ["an archive reader's role is required"]})
    check_project(actor, dossier.project_id)


def check_project(actor: dict, project_id) -> None:
    """Readers are bounded by their projects here too, not only at the gateway."""
    scope.check_project(actor, project_id)


def check_staff(actor: dict, roles=ARCHIVE_STAFF + UNLIMITED_ROLES) -> None:
    if actor["role"] not in roles:
        raise Forbidden(f"role {actor['role']} may not do this",
                        {"role": [f"one of {', '.join(roles)} is required"]})


# ---- the chain -----------------------------------------------------------------------------

DOSSIER_LOCK = 1  # the advisory-lock class of dossiers (this database's own lock space)


def lock_dossier(session, dossier_id: int) -> None:
    """Hold the dossier until the transaction ends, so its links are numbered one after
    another. On PostgreSQL a transaction-scoped advisory lock: a row lock (`FOR UPDATE`)
    would need the UPDATE privilege the service's role does not have on the append-only
    tables (migration archive_0005). SQLite writes one transaction at a time anyway."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(DOSSIER_LOCK, dossier_id)))


def find_locked(session, find) -> int | None:
    """The dossier id `find` selects, held as `lock_dossier` holds it, in one statement; its
    links are to be read by the next one (a statement sees what was committed when it began,
    before the lock was granted)."""
    if session.get_bind().dialect.name == "postgresql":
        row = session.execute(find.add_columns(
            func.pg_advisory_xact_lock(DOSSIER_LOCK, Dossier.id))).first()
        return row and row[0]
    return session.scalar(find)


def _head(session, dossier_id: int) -> tuple[int, str]:
    """The seq and hash of a dossier's last link; (0, GENESIS) before its first."""
    head = session.execute(select(ChainLink.seq, ChainLink.hash)
                           .where(ChainLink.dossier_id == dossier_id)
                           .order_by(ChainLink.seq.desc()).limit(1)).first()
    return (head.seq, head.hash) if head else (0, domain.GENESIS)


def append(uow, dossier_id: int, entry_type: str, values: dict, locked=False) -> dict:
    """Insert a record and link it into its dossier's chain, in the caller's transaction.
    The dossier is locked (here, or by the caller: `locked`) so links are numbered one
    after another."""
    return append_linked(uow, dossier_id, entry_type, values, locked)[0]


def append_linked(uow, dossier_id: int, entry_type: str, values: dict, locked=False,
                  head=None) -> tuple[dict, str]:
    """`append`, answering the record and the hash of its link (the dossier's new head).
    `head`: the dossier's last link `(seq, hash)` when the caller knows it and holds the
    dossier (one it has just opened in this transaction, that no one else sees yet)."""
    session = uow.session
    if head is None:
        if not locked:
            lock_dossier(session, dossier_id)
        head = _head(session, dossier_id)
    table = ENTRY_TABLES[entry_type]
    record = dict(session.execute(insert(table).returning(*table.c), values).one()._mapping)
    seq, prev = head[0] + 1, head[1]
    entry_digest = domain.digest(domain.canonical(record), DIGEST)
    link_hash = domain.link_hash(prev, dossier_id, seq, entry_type, record["id"], entry_digest,
                                 DIGEST)
    session.execute(insert(ChainLink), {
        "dossier_id": dossier_id, "seq": seq, "entry_type": entry_type,
        "entry_id": record["id"], "entry_digest": entry_digest, "prev_hash": prev,
        "hash": link_hash, "algorithm": DIGEST, "linked_at": utcnow()})
    return record, link_hash


def verify_dossier(uow, dossier_id: int, store, file_cache: dict | None = None) -> dict:
    session = uow.session
    links = [domain.Link(r.seq, r.entry_type, r.entry_id, r.entry_digest, r.prev_hash, r.hash,
                         r.algorithm)
             for r in session.execute(select(ChainLink).where(ChainLink.dossier_id == dossier_id)
                                      .order_by(ChainLink.seq)).scalars()]
    records, wanted = {}, {}
    for link in links:
        wanted.setdefault(link.entry_type, []).append(link.entry_id)
    for entry_type, ids in wanted.items():
        table = ENTRY_TABLES[entry_type]
        for row in session.execute(select(table).where(table.c.id.in_(ids))):
            records[(entry_type, row.id)] = dict(row._mapping)
    file_cache = {} if file_cache is None else file_cache
    for record in records.values():
        file_digest = record.get("file_digest")
        if file_digest and file_digest not in file_cache:
            file_cache[file_digest] = store.rehash(file_digest, record["file_algorithm"])
    problems = domain.verify_chain(dossier_id, links, records, file_cache)
    return {"dossier_id": dossier_id, "ok": not problems, "links": len(links),
            "algorithm": DIGEST, "head": links[-1].hash if links else None,
            "problems": problems}


def verify_one(uow, cmd, store) -> dict:
    dossier = _dossier(uow.session, cmd["dossier_id"])
    check_staff(cmd["actor"], ARCHIVE_STAFF + UNLIMITED_ROLES + ("legal",))
    check_project(cmd["actor"], dossier.project_id)
    return verify_dossier(uow, dossier.id, store)


# ---- dossiers ------------------------------------------------------------------------------

def _dossier(session, dossier_id):
    dossier = session.get(Dossier, dossier_id)
    if dossier is None:
        raise NotFound(f"no dossier {dossier_id}", {"dossier_id": ["no such dossier"]})
    return dossier


def _number_of(session, dossier_id):
    return session.scalar(select(DossierNumber.number)
                          .where(DossierNumber.dossier_id == dossier_id))


def _open(uow, kind, *, unit_id=None, customer_id=None, project_id=None, title=None,
          by="archive", number=None) -> tuple[int, tuple[int, str]] | None:
    """Insert a dossier and its number, when it has one: its id and the head of its chain
    `(seq, hash)`; None when a concurrent transaction opened the same one first (the same
    unit or customer, or the number given), leaving nothing of it behind."""
    session = uow.session
    values = {"kind": kind, "unit_id": unit_id, "customer_id": customer_id,
              "project_id": project_id, "title": title, "opened_by": by, "opened_at": utcnow()}
    if number is None:  # unique by its unit or customer if any; a number of its own id
        dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
        dossier_id = session.scalar(dialect.insert(Dossier).values(values)
                                    .on_conflict_do_nothing().returning(Dossier.id))
        if dossier_id is None:
            return None
        head = _number(uow, dossier_id, by, None if kind == "unit" else
                       domain.other_dossier_number(kind, project_id, dossier_id))
    else:
        try:
            with session.begin_nested():
                dossier_id = session.execute(insert(Dossier).returning(Dossier.id),
                                             values).scalar_one()
                head = _number(uow, dossier_id, by, number)
        except IntegrityError:
            return None
    if kind == "unit":  # announced as before: a unit's dossier exists
        uow.emit("dossier_opened", {"dossier_id": dossier_id}, project_id=project_id,
                 unit_id=unit_id, customer_id=customer_id)
    return dossier_id, head


def _number(uow, dossier_id, by, number) -> tuple[int, str]:
    """A dossier just opened in this transaction numbered (unless `number` is None): the
    head of its chain. Nobody else sees the dossier before the commit: no lock."""
    if number is None:
        return 0, domain.GENESIS
    _, link = append_linked(uow, dossier_id, "number", head=(0, domain.GENESIS), values={
        "dossier_id": dossier_id, "number": number, "named_by": by, "named_at": utcnow()})
    return 1, link


class _Filing:
    """The events filed in one transaction (a batch, or one event): each dossier is looked up
    and locked once and its chain head carried from one event to the next; the documents and
    their links are inserted together, two statements, just before the transaction commits
    (or before a dossier is opened in it). Kept in the session's `info`, so it lives exactly
    as long as the transaction."""

    def __init__(self, session):
        self.session = session
        self.dossiers: dict = {}  # filing_order key -> the dossier's id, locked
        self.heads: dict = {}     # dossier id -> (seq, hash) of its last link
        self.pending: list = []   # document values, in filing order
        sqlalchemy_event.listen(session, "before_commit", self.flush)

    @classmethod
    def of(cls, uow) -> "_Filing":
        info = uow.session.info
        if "archive_filing" not in info:
            info["archive_filing"] = cls(uow.session)
        return info["archive_filing"]

    def dossier_for(self, uow, event) -> int:
        key = filing_order(event)
        if key not in self.dossiers:
            dossier_id, head = self._find_or_open(uow, event)
            if head is None:  # a dossier filed into before, held now: where its chain ends
                head = _head(self.session, dossier_id)
            self.heads[dossier_id] = head
            self.dossiers[key] = dossier_id
        return self.dossiers[key]

    def _find_or_open(self, uow, event) -> tuple[int, tuple[int, str] | None]:
        """Unit → the unit's dossier; else customer → the customer's file before any unit;
        else project → the project's documents; else the general dossier. Opened on first
        need; with its chain's head when opened here, else locked."""
        if event["unit_id"] is not None:
            find = select(Dossier.id).where(Dossier.unit_id == event["unit_id"])
            opened = dict(kind="unit", unit_id=event["unit_id"],
                          project_id=event["project_id"])
        elif event["customer_id"] is not None:
            find = select(Dossier.id).where(Dossier.customer_id == event["customer_id"])
            opened = dict(kind="customer", customer_id=event["customer_id"],
                          project_id=event["project_id"])
        else:
            project_id = event["project_id"]
            number = f"XM-{project_id}" if project_id else "ZH-0"
            find = select(Dossier.id).where(Dossier.id.in_(
                select(DossierNumber.dossier_id).where(DossierNumber.number == number)))
            opened = dict(kind="project" if project_id else "general", project_id=project_id,
                          number=number, title="项目文档" if project_id else "综合")
        dossier_id = find_locked(self.session, find)
        if dossier_id is None:
            self.flush()  # nothing pending inside the savepoint that opens it
            return _open(uow, **opened) or (find_locked(self.session, find), None)
        return dossier_id, None

    def flush(self, _session=None) -> None:
        """Insert the pending documents (one statement, their stored rows returned in order)
        and link each into its dossier's chain (one statement)."""
        if not self.pending:
            return
        pending, self.pending = self.pending, []
        connection = self.session.connection()
        rows = connection.execute(FILE_DOCUMENTS, pending).all()
        links, now = [], utcnow()
        for row in rows:
            record = dict(row._mapping)
            dossier_id = record["dossier_id"]
            seq, prev = self.heads[dossier_id]
            seq += 1
            entry_digest = domain.digest(domain.canonical(record), DIGEST)
            link = domain.link_hash(prev, dossier_id, seq, "document", record["id"],
                                    entry_digest, DIGEST)
            self.heads[dossier_id] = (seq, link)
            links.append({"dossier_id": dossier_id, "seq": seq, "entry_type": "document",
                          "entry_id": record["id"], "entry_digest": entry_digest,
                          "prev_hash": prev, "hash": link, "algorithm": DIGEST,
                          "linked_at": now})
        connection.execute(insert_into(ChainLink.__table__), links)


def filing_order(event) -> tuple:
    """The order in which a batch of events is filed: by the dossier each one locks (a unit's,
    else a customer's, else a project's), so two batches filed at once lock their dossiers in
    the same order and never wait for each other in a circle; events of one dossier keep the
    order they came in."""
    if event["unit_id"] is not None:
        return (0, event["unit_id"])
    if event["customer_id"] is not None:
        return (1, event["customer_id"])
    return (2, event["project_id"] or 0)


def file_event(uow, event) -> None:
    """Every event becomes a document of its category in the dossier it concerns, chained
    when the transaction commits (`_Filing`)."""
    routing_key = f"{event['source']}.{event['type']}"
    data = REGISTRY[routing_key].validator.dump(event["data"])
    category = domain.event_category(routing_key)
    filing = _Filing.of(uow)
    dossier_id = filing.dossier_for(uow, event)
    filing.pending.append({
        "event_id": str(event["event_id"]), "dossier_id": dossier_id,
        "unit_id": event["unit_id"], "customer_id": event["customer_id"],
        "project_id": event["project_id"], "source": event["source"], "type": event["type"],
        "occurred_at": event["occurred_at"], "data": data, "filed_at": utcnow(),
        "kind": "event", "title": routing_key, "category": category,
        "group": domain.event_group(routing_key, category), "carrier": "electronic",
        "security_level": domain.DEFAULT_LEVEL, "retention": "permanent",
        "department": domain.DEPARTMENT_OF_CATEGORY[category], "filed_by": event["source"]})


def open_dossier(uow, cmd) -> dict:
    """A topic dossier (一事一档), a litigation case file, or a project's documents."""
    actor = cmd["actor"]
    check_staff(actor, ARCHIVE_STAFF + UNLIMITED_ROLES + ("legal", "customer_service"))
    check_project(actor, cmd["project_id"])
    related = [_dossier(uow.session, i) for i in cmd["related_dossier_ids"]]
    dossier_id, _ = _open(uow, cmd["kind"], project_id=cmd["project_id"],
                          title=cmd["title"], by=actor["username"])
    relation = "litigation" if cmd["kind"] == "litigation" else "topic"
    for other in related:
        for one, two in ((dossier_id, other.id), (other.id, dossier_id)):
            append(uow, one, "reference", {
                "dossier_id": one, "other_dossier_id": two, "relation": relation,
                "note": cmd["title"], "created_by": actor["username"], "created_at": utcnow()})
    uow.commit()
    return summary(uow.session, _dossier(uow.session, dossier_id))


def number_unit_dossier(uow, cmd) -> dict:
    """Give a unit's dossier its number, the unit's own name (5.10.1), once; the dossier is
    opened now when no event opened it yet."""
    actor = cmd["actor"]
    check_staff(actor)
    check_project(actor, cmd["project_id"])
    session = uow.session
    number = domain.unit_dossier_number(cmd["garden"], cmd["building"], cmd["entrance"],
                                        cmd["room"])
    find = select(Dossier.id).where(Dossier.unit_id == cmd["unit_id"])
    dossier_id = session.scalar(find)
    if dossier_id is None:
        opened = _open(uow, "unit", unit_id=cmd["unit_id"], project_id=cmd["project_id"],
                       by=actor["username"])
        dossier_id = opened[0] if opened else session.scalar(find)
    if _number_of(session, dossier_id) is not None:
        raise Conflict("the dossier has its number already", {"number": ["given already"]})
    try:
        with session.begin_nested():
            append(uow, dossier_id, "number", {"dossier_id": dossier_id, "number": number,
                                               "named_by": actor["username"],
                                               "named_at": utcnow()})
    except IntegrityError:
        raise Conflict(f"number {number} belongs to another dossier",
                       {"number": ["used by another dossier"]}) from None
    uow.commit()
    return summary(session, _dossier(session, dossier_id))


def summary(session, dossier) -> dict:
    return {"id": dossier.id, "kind": dossier.kind, "number": _number_of(session, dossier.id),
            "title": dossier.title, "unit_id": dossier.unit_id,
            "project_id": dossier.project_id, "opened_at": dossier.opened_at}


# ---- documents -----------------------------------------------------------------------------

def file_document(uow, cmd, store) -> dict:
    """A paper, file, photo or recording handed over to the archive."""
    actor = cmd["actor"]
    check_staff(actor, ARCHIVE_STAFF + UNLIMITED_ROLES + ("legal", "customer_service",
                                                          "sales_manager"))
    session = uow.session
    dossier = _dossier(session, cmd["dossier_id"])
    check_project(actor, dossier.project_id)
    file = cmd.pop("file")
    if file is not None:
        cmd.setdefault("carrier", _carrier_of(file["media_type"]))
        if not store.exists(file["digest"]) or store.size(file["digest"]) != file["size"]:
            raise InvalidInput("the file is not in the store as described",
                               {"file": ["upload the file first; digest and size must match"]})
    cmd.setdefault("carrier", "paper")
    if cmd["carrier"] != "paper" and file is None:
        raise InvalidInput(f"a {cmd['carrier']} document comes with its file",
                           {"file": ["required unless the carrier is paper"]})
    if "corrects_id" in cmd:
        corrected = session.get(Document, cmd["corrects_id"])
        if corrected is None or corrected.dossier_id != dossier.id:
            raise InvalidInput("a correction corrects a document of the same dossier",
                               {"corrects_id": ["no such document in this dossier"]})
    doc = domain.check_document(dossier.kind, cmd, actor["role"])
    if file is not None:
        try:
            with session.begin_nested():
                session.execute(insert(StoredFile), {
                    "digest": file["digest"], "algorithm": DIGEST, "size": file["size"],
                    "media_type": file["media_type"], "first_stored_at": utcnow()})
        except IntegrityError:
            pass  # the same bytes are recorded already
    now = utcnow()
    record = append(uow, dossier.id, "document", {
        "event_id": None, "dossier_id": dossier.id, "unit_id": dossier.unit_id,
        "customer_id": dossier.customer_id, "project_id": dossier.project_id,
        "source": "archive", "type": "deposit", "occurred_at": doc.get("occurred_at", now),
        "data": {}, "filed_at": now, "kind": doc["kind"], "title": doc["title"],
        "category": doc["category"], "group": doc["group"], "carrier": doc["carrier"],
        "security_level": doc["security_level"],
        "level_agreed_with": doc.get("level_agreed_with"), "retention": doc["retention"],
        "storage_location": doc.get("storage_location"),
        "department": doc.get("department", domain.DEPARTMENT_OF_CATEGORY[doc["category"]]),
        "filed_by": actor["username"],
        "file_digest": file and file["digest"], "file_algorithm": file and DIGEST,
        "file_size": file and file["size"], "media_type": file and file["media_type"],
        "file_name": file and file["file_name"], "corrects_id": doc.get("corrects_id"),
        "correction_reason": doc.get("correction_reason")})
    uow.commit()
    return {**record, "corrected_by": []}


def _carrier_of(media_type: str) -> str:
    from infra.filestore import ALLOWED_TYPES
    return ALLOWED_TYPES.get(media_type, "electronic")


def _external_ok(session, actor, dossier_id, request_id) -> ExternalRequest | None:
    """5.11.2: outsiders see a dossier only through a recorded request the legal role approved."""
    if request_id is None:
        return None
    request = session.get(ExternalRequest, request_id)
    if request is None or request.dossier_id != dossier_id:
        raise Forbidden("no external request for this dossier",
                        {"external_request_id": ["not a request for this dossier"]})
    approval = session.scalar(select(ExternalApproval)
                              .where(ExternalApproval.request_id == request_id))
    if approval is None or not approval.approved:
        raise Forbidden("the external request has no approval of the legal office",
                        {"external_request_id": ["not approved by legal"]})
    return request


def _log_access(uow, dossier_id, actor, purpose, action, document_id=None,
                external_request_id=None) -> str:
    """Log the access in the dossier's chain and commit it; the chain's new head."""
    _, head = append_linked(uow, dossier_id, "access", {
        "dossier_id": dossier_id, "reader": actor["username"], "role": actor["role"],
        "purpose": purpose, "read_at": utcnow(), "action": action, "document_id": document_id,
        "external_request_id": external_request_id})
    uow.commit()
    return head


def read_dossier(uow, query) -> dict:
    """The dossier in order, with the customer's earlier file (visits, registration) of every
    buyer in it, its references and the same buyer's other dossiers. Logged before anything
    is returned; documents above the reader's level are withheld (counted)."""
    session, actor = uow.session, query["actor"]
    if "unit_id" in query:
        dossier = session.scalar(select(Dossier).where(Dossier.unit_id == query["unit_id"]))
        if dossier is None:
            raise NotFound(f"no dossier for unit {query['unit_id']}",
                           {"unit_id": ["no dossier"]})
    else:
        dossier = _dossier(session, query["dossier_id"])
    check_reader(actor, dossier)
    _external_ok(session, actor, dossier.id, query["external_request_id"])
    head = _log_access(uow, dossier.id, actor, query["purpose"], "view",
                       external_request_id=query["external_request_id"])
    buyers = select(Document.customer_id).where(Document.dossier_id == dossier.id,
                                                Document.customer_id.is_not(None))
    customer_files = select(Dossier.id).where(Dossier.customer_id.in_(buyers))
    result = session.execute(  # plain rows, not ORM objects: a dossier may hold thousands
        select(DOCUMENTS).where(or_(Document.dossier_id == dossier.id,
                                    Document.dossier_id.in_(customer_files)))
        .order_by(Document.occurred_at, Document.id))
    keys = list(result.keys())
    documents = [dict(zip(keys, row)) for row in result]
    customer_ids = sorted({d["customer_id"] for d in documents
                           if d["dossier_id"] == dossier.id and d["customer_id"] is not None})
    corrected_by = {}
    for d in documents:
        if d["corrects_id"]:
            corrected_by.setdefault(d["corrects_id"], []).append(d["id"])
    role, entries = actor["role"], []
    for d in documents:
        if domain.may_see(role, d["security_level"]):
            d["corrected_by"] = corrected_by.get(d["id"], [])
            entries.append(d)
    return {**summary(session, dossier), "customer_ids": customer_ids,
            "references": references(session, dossier, customer_ids),
            "withheld": len(documents) - len(entries), "chain_head": head,
            "entries": entries}


def _document_view(d: Document) -> dict:
    return {c.key: getattr(d, c.key) for c in Document.__mapper__.column_attrs}


def references(session, dossier, customer_ids) -> list[dict]:
    """The dossier's references and the same buyer's other unit dossiers, with their numbers:
    two queries whatever their count."""
    refs = [{"dossier_id": other_id, "number": number, "kind": kind, "relation": relation,
             "note": note}
            for other_id, number, kind, relation, note in session.execute(
                select(Dossier.id, DossierNumber.number, Dossier.kind,
                       DossierReference.relation, DossierReference.note)
                .join(Dossier, Dossier.id == DossierReference.other_dossier_id)
                .outerjoin(DossierNumber, DossierNumber.dossier_id == Dossier.id)
                .where(DossierReference.dossier_id == dossier.id)
                .order_by(DossierReference.id))]
    if customer_ids:  # 5.1.3: the same buyer's other dossiers
        refs += [{"dossier_id": other_id, "number": number, "kind": kind,
                  "relation": "same_buyer", "note": None}
                 for other_id, number, kind in session.execute(
                     select(Dossier.id, DossierNumber.number, Dossier.kind)
                     .outerjoin(DossierNumber, DossierNumber.dossier_id == Dossier.id)
                     .where(Dossier.kind == "unit", Dossier.id != dossier.id,
                            Dossier.id.in_(select(Document.dossier_id).where(
                                Document.customer_id.in_(customer_ids))))
                     .order_by(Dossier.id))]
    return refs


def open_document(uow, query) -> dict:
    """A download: the level and the scope are checked and the access logged, then the
    caller gets what to stream."""
    session, actor = uow.session, query["actor"]
    document = session.get(Document, query["document_id"])
    if document is None or document.dossier_id is None:
        raise NotFound(f"no document {query['document_id']}", {"document_id": ["not found"]})
    dossier = _dossier(session, document.dossier_id)
    check_reader(actor, dossier)
    domain.check_may_see(actor["role"], document.security_level, f"document {document.id}")
    _external_ok(session, actor, dossier.id, query["external_request_id"])
    if not document.file_digest:
        raise NotFound(f"document {document.id} is on paper only",
                       {"document_id": ["no stored file; borrow the paper volume"]})
    _log_access(uow, dossier.id, actor, query["purpose"], "download", document.id,
                query["external_request_id"])
    return {**_document_view(document), "corrected_by": []}


# ---- background verification and fixity ----------------------------------------------------

def start_verification(uow, cmd) -> dict:
    check_staff(cmd["actor"])
    if cmd["project_id"] is not None:
        check_project(cmd["actor"], cmd["project_id"])
    session = uow.session
    total = session.scalar(_dossiers_in(cmd["project_id"], select(func.count(Dossier.id))))
    run_id = session.execute(insert(VerificationRun).returning(VerificationRun.id), {
        "project_id": cmd["project_id"], "status": "queued", "total": total, "checked": 0,
        "last_dossier_id": 0, "broken": [], "requested_by": cmd["actor"]["username"],
        "requested_at": utcnow()}).scalar_one()
    uow.commit()
    return verification_view(session.get(VerificationRun, run_id))


def _dossiers_in(project_id, query):
    return query if project_id is None else query.where(Dossier.project_id == project_id)


def verification_view(run) -> dict:
    return {"id": run.id, "project_id": run.project_id, "status": run.status,
            "total": run.total, "checked": run.checked,
            "progress": 1.0 if not run.total else round(run.checked / run.total, 4),
            "broken": run.broken, "requested_by": run.requested_by,
            "requested_at": run.requested_at, "finished_at": run.finished_at,
            "error": run.error}


def get_verification(uow, query) -> dict:
    check_staff(query["actor"])
    run = uow.session.get(VerificationRun, query["run_id"])
    if run is None:
        raise NotFound(f"no verification run {query['run_id']}", {"run_id": ["not found"]})
    return verification_view(run)


def verify_next_batch(uow_factory, store) -> bool:
    """Advance the oldest unfinished verification by one batch; False when there is none."""
    with uow_factory() as uow:
        session = uow.session
        run = session.scalar(select(VerificationRun)
                             .where(VerificationRun.status.in_(("queued", "running")))
                             .order_by(VerificationRun.id).limit(1))
        if run is None:
            return False
        try:
            ids = session.scalars(_dossiers_in(run.project_id, select(Dossier.id))
                                  .where(Dossier.id > run.last_dossier_id)
                                  .order_by(Dossier.id).limit(VERIFY_BATCH)).all()
            broken, cache = list(run.broken), {}
            for dossier_id in ids:
                result = verify_dossier(uow, dossier_id, store, cache)
                if not result["ok"]:
                    broken.append({"dossier_id": dossier_id, "problems": result["problems"]})
            done = len(ids) < VERIFY_BATCH
            session.execute(update(VerificationRun).where(VerificationRun.id == run.id).values(
                status="done" if done else "running", checked=run.checked + len(ids),
                last_dossier_id=ids[-1] if ids else run.last_dossier_id, broken=broken,
                finished_at=utcnow() if done else None))
        except Exception as exc:
            session.rollback()
            log.exception("verification run %s failed", run.id)
            session.execute(update(VerificationRun).where(VerificationRun.id == run.id)
                            .values(status="failed", error=repr(exc), finished_at=utcnow()))
        uow.commit()
        return True


def run_fixity(uow_factory, store, rehash=None) -> dict:
    """Re-read every stored file; store a summary; an event on any mismatch, and on the
    check's own failure (it is never silently green)."""
    rehash = rehash or store.rehash
    started, checked, size, problems = utcnow(), 0, 0, []
    try:
        with uow_factory() as uow:
            files = uow.session.execute(select(StoredFile.digest, StoredFile.algorithm,
                                               StoredFile.size)).all()
        for file in files:
            now = rehash(file.digest, file.algorithm)
            checked, size = checked + 1, size + file.size
            if now != file.digest:
                problems.append({"digest": file.digest,
                                 "problem": "missing" if now is None else "changed"})
        status, error = ("mismatch" if problems else "ok"), None
    except Exception as exc:
        log.exception("the fixity check failed")
        status, error = "failed", repr(exc)
    with uow_factory() as uow:
        run_id = uow.session.execute(insert(FixityRun).returning(FixityRun.id), {
            "started_at": started, "finished_at": utcnow(), "status": status,
            "files_checked": checked, "bytes_checked": size, "problems": problems,
            "error": error}).scalar_one()
        if status != "ok":
            uow.emit("fixity_failed", {"run_id": run_id, "status": status,
                                       "problems": problems[:100], "error": error})
        uow.commit()
        return fixity_view(uow.session.get(FixityRun, run_id))


def fixity_view(run) -> dict:
    return {c.key: getattr(run, c.key) for c in FixityRun.__mapper__.column_attrs}


def latest_fixity(uow, query) -> dict:
    check_staff(query["actor"])
    run = uow.session.scalar(select(FixityRun).order_by(FixityRun.id.desc()).limit(1))
    if run is None:
        raise NotFound("the fixity check has not run yet", {"run_id": ["none yet"]})
    return fixity_view(run)


# ---- lending -------------------------------------------------------------------------------

def register_volume(uow, cmd) -> dict:
    check_staff(cmd["actor"])
    dossier = _dossier(uow.session, cmd["dossier_id"])
    check_project(cmd["actor"], dossier.project_id)
    try:
        with uow.session.begin_nested():
            record = append(uow, dossier.id, "volume", {
                "dossier_id": dossier.id, "label": cmd["label"],
                "storage_location": cmd["storage_location"],
                "registered_by": cmd["actor"]["username"], "registered_at": utcnow()})
    except IntegrityError:
        raise Conflict(f"the dossier has a volume {cmd['label']} already",
                       {"label": ["used in this dossier"]}) from None
    uow.commit()
    return record


def lend_volume(uow, cmd) -> dict:
    """5.11.1: a volume leaves the archive room only with a line in the register; one that is
    out is not lent again."""
    check_staff(cmd["actor"])
    session = uow.session
    volume = session.get(PaperVolume, cmd["volume_id"])
    if volume is None:
        raise NotFound(f"no volume {cmd['volume_id']}", {"volume_id": ["not found"]})
    dossier = _dossier(session, volume.dossier_id)
    check_project(cmd["actor"], dossier.project_id)
    domain.check_loan_due(domain.local_day(utcnow()), cmd["due_on"])
    lock_dossier(session, dossier.id)  # every loan of the volume is chained in its dossier
    out = session.scalar(select(Loan.id).where(
        Loan.volume_id == volume.id,
        Loan.id.not_in(select(LoanReturn.loan_id))).limit(1))
    if out is not None:
        raise Conflict(f"volume {volume.label} is out on loan {out}",
                       {"volume_id": [f"lent already (loan {out})"]})
    record = append(uow, dossier.id, "loan", locked=True, values={
        "volume_id": volume.id, "dossier_id": dossier.id, "borrower": cmd["borrower"],
        "department": cmd["department"], "purpose": cmd["purpose"],
        "lent_by": cmd["actor"]["username"], "lent_at": utcnow(), "due_on": cmd["due_on"]})
    uow.commit()
    return loan_view(record, volume.label, None, domain.local_day(utcnow()))


def return_volume(uow, cmd) -> dict:
    check_staff(cmd["actor"])
    session = uow.session
    loan = session.get(Loan, cmd["loan_id"])
    if loan is None:
        raise NotFound(f"no loan {cmd['loan_id']}", {"loan_id": ["not found"]})
    check_project(cmd["actor"], _dossier(session, loan.dossier_id).project_id)
    try:
        with session.begin_nested():
            returned = append(uow, loan.dossier_id, "return", {
                "loan_id": loan.id, "dossier_id": loan.dossier_id,
                "received_by": cmd["actor"]["username"], "returned_at": utcnow(),
                "note": cmd["note"]})
    except IntegrityError:
        raise Conflict(f"loan {loan.id} is returned already", {"loan_id": ["returned"]}) \
            from None
    uow.commit()
    volume = session.get(PaperVolume, loan.volume_id)
    return loan_view(_document_view_of(loan), volume.label, returned,
                     domain.local_day(utcnow()))


def _document_view_of(row) -> dict:
    return {c.key: getattr(row, c.key) for c in type(row).__mapper__.column_attrs}


def loan_view(loan: dict, label: str, returned: dict | None, today) -> dict:
    overdue = 0 if returned else max(0, (today - loan["due_on"]).days)
    return {**{k: loan[k] for k in ("id", "volume_id", "dossier_id", "borrower", "department",
                                    "purpose", "lent_by", "lent_at", "due_on")},
            "label": label, "returned_at": returned and returned["returned_at"],
            "received_by": returned and returned["received_by"], "overdue_days": overdue}


def overdue_loans(uow, query) -> dict:
    check_staff(query["actor"])
    today = query["today"] or domain.local_day(utcnow())
    stmt = (select(Loan, PaperVolume.label).join(PaperVolume, PaperVolume.id == Loan.volume_id)
            .join(Dossier, Dossier.id == Loan.dossier_id)
            .where(Loan.id.not_in(select(LoanReturn.loan_id)), Loan.due_on < today)
            .order_by(Loan.due_on, Loan.id))
    if query["project_id"] is not None:
        check_project(query["actor"], query["project_id"])
        stmt = stmt.where(Dossier.project_id == query["project_id"])
    elif not scope.every_project(query["actor"]):
        stmt = stmt.where(Dossier.project_id.in_(query["actor"]["project_ids"]))
    return {"loans": [loan_view(_document_view_of(loan), label, None, today)
                      for loan, label in uow.session.execute(stmt)]}


def loan_register(uow, query) -> dict:
    """借阅登记簿: every loan of a project's volumes, newest first, with its return."""
    check_staff(query["actor"])
    check_project(query["actor"], query["project_id"])
    stmt = (select(Loan, PaperVolume.label, LoanReturn)
            .join(PaperVolume, PaperVolume.id == Loan.volume_id)
            .join(Dossier, Dossier.id == Loan.dossier_id)
            .outerjoin(LoanReturn, LoanReturn.loan_id == Loan.id)
            .where(Dossier.project_id == query["project_id"])
            .order_by(Loan.lent_at.desc(), Loan.id.desc()).limit(query["limit"]))
    if query["status"] == "out":
        stmt = stmt.where(LoanReturn.id.is_(None))
    elif query["status"] == "returned":
        stmt = stmt.where(LoanReturn.id.is_not(None))
    today = query["today"] or domain.local_day(utcnow())
    return {"loans": [loan_view(_document_view_of(loan), label,
                                returned and _document_view_of(returned), today)
                      for loan, label, returned in uow.session.execute(stmt)]}


# ---- external access (公检法) --------------------------------------------------------------

def record_external_request(uow, cmd) -> dict:
    check_staff(cmd["actor"], ARCHIVE_STAFF + ("legal",))
    dossier = _dossier(uow.session, cmd["dossier_id"])
    check_project(cmd["actor"], dossier.project_id)
    record = append(uow, dossier.id, "external_request", {
        **{k: cmd[k] for k in ("dossier_id", "requester_name", "organization", "authority",
                               "credential_number", "notice_number", "purpose")},
        "recorded_by": cmd["actor"]["username"], "recorded_at": utcnow()})
    uow.commit()
    return {**record, "status": "pending", "decided_by": None}


def decide_external_request(uow, cmd) -> dict:
    check_staff(cmd["actor"], ("legal",))
    session = uow.session
    request = session.get(ExternalRequest, cmd["request_id"])
    if request is None:
        raise NotFound(f"no external request {cmd['request_id']}", {"request_id": ["not found"]})
    check_project(cmd["actor"], _dossier(session, request.dossier_id).project_id)
    try:
        with session.begin_nested():
            append(uow, request.dossier_id, "external_approval", {
                "request_id": request.id, "dossier_id": request.dossier_id,
                "decided_by": cmd["actor"]["username"], "approved": cmd["approve"],
                "comment": cmd["comment"], "decided_at": utcnow()})
    except IntegrityError:
        raise Conflict(f"request {request.id} is decided already",
                       {"request_id": ["decided"]}) from None
    uow.commit()
    return {**_document_view_of(request),
            "status": "approved" if cmd["approve"] else "rejected",
            "decided_by": cmd["actor"]["username"]}


# ---- deadlines and completeness ------------------------------------------------------------

def set_milestone(uow, cmd) -> dict:
    check_staff(cmd["actor"], ARCHIVE_STAFF + UNLIMITED_ROLES + ("sales_manager",))
    check_project(cmd["actor"], cmd["project_id"])
    try:
        with uow.session.begin_nested():
            uow.session.execute(insert(ProjectMilestone), {
                "project_id": cmd["project_id"], "kind": cmd["kind"], "day": cmd["day"],
                "recorded_by": cmd["actor"]["username"], "recorded_at": utcnow()})
    except IntegrityError:
        raise Conflict("the milestone is recorded already", {"kind": ["recorded"]}) from None
    uow.commit()
    return {"project_id": cmd["project_id"], "kind": cmd["kind"], "day": cmd["day"],
            "recorded_by": cmd["actor"]["username"]}


def add_calendar_entry(uow, cmd) -> dict:
    check_staff(cmd["actor"])
    check_project(cmd["actor"], cmd["project_id"])
    try:
        with uow.session.begin_nested():
            uow.session.execute(insert(CalendarEntry), {
                **{k: cmd[k] for k in ("project_id", "day", "kind", "note")},
                "recorded_by": cmd["actor"]["username"], "recorded_at": utcnow()})
    except IntegrityError:
        raise Conflict(f"{cmd['day']} has an entry already", {"day": ["entered already"]}) \
            from None
    uow.commit()
    return {k: cmd[k] for k in ("project_id", "day", "kind", "note")}


def project_calendars(session, project_ids) -> dict:
    """Each project's calendar: the official one with the project's own entries."""
    entries: dict = {}
    for entry in session.scalars(select(CalendarEntry)
                                 .where(CalendarEntry.project_id.in_(project_ids))):
        entries.setdefault(entry.project_id, []).append({"day": entry.day, "kind": entry.kind})
    return {p: calendar_from_entries(entries[p], uncovered="weekdays") if p in entries
            else calendar() for p in project_ids}


def _checklists(session, dossiers: list, today) -> list[dict]:
    """The checklist items of several dossiers, with three queries in all."""
    ids = [d.id for d in dossiers]
    if not ids:
        return []
    triggers: dict = {}
    keys = {r.after for r in domain.CHECKLIST if "." in r.after}
    for dossier_id, source, type_, first in session.execute(
            select(Document.dossier_id, Document.source, Document.type,
                   func.min(Document.occurred_at))
            .where(Document.dossier_id.in_(ids), Document.kind == "event")
            .group_by(Document.dossier_id, Document.source, Document.type)):
        if f"{source}.{type_}" in keys:
            triggers.setdefault(dossier_id, {})[f"{source}.{type_}"] = domain.local_day(first)
    held: dict = {}
    for dossier_id, kind, first in session.execute(
            select(Document.dossier_id, Document.kind, func.min(Document.filed_at))
            .where(Document.dossier_id.in_(ids), Document.kind != "event")
            .group_by(Document.dossier_id, Document.kind)):
        held.setdefault(dossier_id, {})[kind] = domain.local_day(first)
    for dossier_id, first in session.execute(
            select(DossierReference.dossier_id, func.min(Document.occurred_at))
            .join(Document, Document.dossier_id == DossierReference.other_dossier_id)
            .where(DossierReference.dossier_id.in_(ids),
                   DossierReference.relation == "litigation", Document.kind == "case_closed")
            .group_by(DossierReference.dossier_id)):
        triggers.setdefault(dossier_id, {})["litigation_closed"] = domain.local_day(first)
    move_in = dict(session.execute(
        select(ProjectMilestone.project_id, ProjectMilestone.day).where(
            ProjectMilestone.kind == "concentrated_move_in_end",
            ProjectMilestone.project_id.in_({d.project_id for d in dossiers}))).all())
    calendars = project_calendars(session, {d.project_id for d in dossiers})
    items = []
    for d in dossiers:
        mine = dict(triggers.get(d.id, {}))
        end = move_in.get(d.project_id)
        if end is not None and "transactions.contract_signed" in mine:
            mine["move_in"] = max(end, mine["transactions.contract_signed"])
        for item in domain.completeness(mine, held.get(d.id, {}), end, today,
                                        calendars[d.project_id]):
            items.append({**item, "dossier_id": d.id, "unit_id": d.unit_id})
    return items


def dossier_completeness(uow, query) -> dict:
    session = uow.session
    dossier = _dossier(session, query["dossier_id"])
    check_reader(query["actor"], dossier)
    today = query["today"] or domain.local_day(utcnow())
    items = _checklists(session, [dossier], today)
    number = _number_of(session, dossier.id)
    return {"dossier_id": dossier.id, "complete": all(i["status"] == "present" for i in items),
            "items": [{**i, "number": number} for i in items]}


def overdue_handovers(uow, query) -> dict:
    """What each department still owes the archive past its deadline, per project."""
    check_staff(query["actor"], ARCHIVE_STAFF + UNLIMITED_ROLES + ("sales_manager", "legal"))
    check_project(query["actor"], query["project_id"])
    session = uow.session
    today = query["today"] or domain.local_day(utcnow())
    dossiers = session.scalars(select(Dossier).where(Dossier.project_id == query["project_id"],
                                                     Dossier.kind == "unit")
                               .order_by(Dossier.id)).all()
    numbers = dict(session.execute(select(DossierNumber.dossier_id, DossierNumber.number).where(
        DossierNumber.dossier_id.in_([d.id for d in dossiers]))).all()) if dossiers else {}
    by_department: dict = {}
    for item in _checklists(session, dossiers, today):
        if item["status"] != "overdue":
            continue
        if query["department"] and item["department"] != query["department"]:
            continue
        by_department.setdefault(item["department"], []).append(
            {**item, "number": numbers.get(item["dossier_id"])})
    return {"project_id": query["project_id"], "today": today, "by_department": by_department}


# ---- inspections ---------------------------------------------------------------------------

def plan_inspection(uow, cmd) -> dict:
    check_staff(cmd["actor"])
    check_project(cmd["actor"], cmd["project_id"])
    domain.check_period(cmd["period"], cmd["planned_on"])
    try:
        with uow.session.begin_nested():
            plan_id = uow.session.execute(insert(InspectionPlan).returning(InspectionPlan.id), {
                **{k: cmd[k] for k in ("project_id", "period", "planned_on", "inspector",
                                       "scope")},
                "created_by": cmd["actor"]["username"], "created_at": utcnow()}).scalar_one()
    except IntegrityError:
        raise Conflict(f"{cmd['period']} has its inspection plan already",
                       {"period": ["planned already"]}) from None
    uow.commit()
    return inspection_view(uow.session, uow.session.get(InspectionPlan, plan_id))


def record_finding(uow, cmd) -> dict:
    check_staff(cmd["actor"])
    session = uow.session
    plan = session.get(InspectionPlan, cmd["plan_id"])
    if plan is None:
        raise NotFound(f"no inspection plan {cmd['plan_id']}", {"plan_id": ["not found"]})
    check_project(cmd["actor"], plan.project_id)
    values = {"plan_id": plan.id, "dossier_id": cmd["dossier_id"], "severity": cmd["severity"],
              "finding": cmd["finding"], "recorded_by": cmd["actor"]["username"],
              "recorded_at": utcnow()}
    if cmd["dossier_id"] is not None:
        if _dossier(session, cmd["dossier_id"]).project_id != plan.project_id:
            raise InvalidInput("the dossier is not of the inspected project",
                               {"dossier_id": ["another project's dossier"]})
        record = append(uow, cmd["dossier_id"], "finding", values)
    else:
        record = dict(session.execute(insert(InspectionFinding)
                                      .returning(*InspectionFinding.__table__.c), values)
                      .one()._mapping)
    uow.commit()
    return record


def inspection_view(session, plan) -> dict:
    findings = session.scalars(select(InspectionFinding).where(
        InspectionFinding.plan_id == plan.id).order_by(InspectionFinding.id)).all()
    return {**_document_view_of(plan), "planned": True,
            "findings": [_document_view_of(f) for f in findings]}


def inspections(uow, query) -> dict:
    """Both half years of a year: the plan and its findings, or that no plan exists yet."""
    check_staff(query["actor"], ARCHIVE_STAFF + UNLIMITED_ROLES + ("legal",))
    check_project(query["actor"], query["project_id"])
    session, out = uow.session, []
    for period in domain.periods_of(query["year"]):
        plan = session.scalar(select(InspectionPlan).where(
            InspectionPlan.project_id == query["project_id"], InspectionPlan.period == period))
        out.append(inspection_view(session, plan) if plan else {
            "id": None, "project_id": query["project_id"], "period": period, "planned": False,
            "planned_on": None, "inspector": None, "scope": None, "findings": []})
    return {"inspections": out}


# ---- BagIt export --------------------------------------------------------------------------

def export_dossier(uow, cmd, store) -> dict:
    """A BagIt bag of the dossier, zipped: its files, every record as stored, the chain and a
    manifest of digests; anyone can validate it offline. Logged before it is built."""
    session, actor = uow.session, cmd["actor"]
    dossier = _dossier(session, cmd["dossier_id"])
    check_staff(actor, ARCHIVE_STAFF + UNLIMITED_ROLES + ("legal",))
    check_project(actor, dossier.project_id)
    _log_access(uow, dossier.id, actor, cmd["purpose"], "export")
    links = session.scalars(select(ChainLink).where(ChainLink.dossier_id == dossier.id)
                            .order_by(ChainLink.seq)).all()
    records = []
    for link in links:
        table = ENTRY_TABLES[link.entry_type]
        row = session.execute(select(table).where(table.c.id == link.entry_id)).first()
        records.append({"entry_type": link.entry_type,
                        "record": domain._plain(dict(row._mapping)) if row else None})
    work = tempfile.mkdtemp(prefix="dossier-bag-")
    try:
        bag_dir = os.path.join(work, f"dossier-{dossier.id}")
        os.makedirs(os.path.join(bag_dir, "files"))
        for entry in records:
            record = entry["record"]
            if record and record.get("file_digest"):
                target = os.path.join(bag_dir, "files", record["file_digest"])
                if not os.path.exists(target):
                    with open(target, "wb") as out:
                        for chunk in store.chunks(record["file_digest"]):
                            out.write(chunk)
        _write_json(bag_dir, "dossier.json", domain._plain(summary(session, dossier)))
        _write_json(bag_dir, "records.json", records)
        _write_json(bag_dir, "chain.json", [
            {"seq": li.seq, "entry_type": li.entry_type, "entry_id": li.entry_id,
             "entry_digest": li.entry_digest, "prev_hash": li.prev_hash, "hash": li.hash,
             "algorithm": li.algorithm} for li in links])
        bagit.make_bag(bag_dir, {
            "Source-Organization": "anchang archive",
            "External-Identifier": _number_of(session, dossier.id) or f"dossier-{dossier.id}",
            "External-Description": "一户一档 dossier: files/, records.json (every record as "
                                    "stored), chain.json (the hash chain over them)",
            "Bagging-Date": datetime.now(timezone.utc).date().isoformat(),
            "Chain-Algorithm": DIGEST,
            "Chain-Head": links[-1].hash if links else ""},
            checksums=["sha256", "sha512"])
        archive = os.path.join(work, "bag.zip")
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
            for root, _, names in os.walk(bag_dir):
                for name in names:
                    path = os.path.join(root, name)
                    zf.write(path, os.path.relpath(path, work))
        name, size, sha256 = store.put_export(archive, f"dossier-{dossier.id}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return {"dossier_id": dossier.id, "name": name, "size": size, "sha256": sha256}


def _write_json(bag_dir, name, payload) -> None:
    with open(os.path.join(bag_dir, name), "w", encoding="utf-8") as out:
        json.dump(payload, out, ensure_ascii=False, indent=1, sort_keys=True)
