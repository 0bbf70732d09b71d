"""Engines and the unit of work: state changes and outbox rows commit in one transaction."""
import logging
import time
from datetime import datetime, timezone
from functools import cache, partial

from sqlalchemy import create_engine, event, insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DisconnectionError, IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from contracts.envelope import build_event

log = logging.getLogger(__name__)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


# what PostgreSQL (53300) and PgBouncer say when they refuse one more connection, and what
# SQLAlchemy says when the process's own pool stayed full past its timeout
TOO_MANY_CONNECTIONS = ("too many clients", "too many connections",
                        "remaining connection slots are reserved", "no more connections allowed",
                        "queuepool limit of size")


def too_many_connections(error) -> bool:
    """Whether a database error (or its text, as it crossed RPC) is the server refusing one
    more connection, rather than the server being away."""
    text = str(error).lower()
    return any(phrase in text for phrase in TOO_MANY_CONNECTIONS)


PING_AFTER_IDLE_SECONDS = 5.0


def make_engine(url: str, pool_size: int = 4, max_overflow: int = 2, role: str | None = None):
    """An engine for a service's database; on PostgreSQL with `role`, every connection acts as
    that role (`SET ROLE`, kept for the connection's life), whatever user it logged in as.

    A pooled connection is pinged before use only when it sat idle in the pool for more than
    PING_AFTER_IDLE_SECONDS (the database may have restarted meanwhile), not at every
    checkout (`pool_pre_ping`: a round trip more for every transaction under load). One that
    breaks while in use raises a disconnect error, which SQLAlchemy answers by discarding
    every connection the pool held then; callers retry (event handlers) or answer 503."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    engine = create_engine(url, pool_size=pool_size, max_overflow=max_overflow,
                           pool_recycle=1800)
    event.listen(engine, "checkin", _note_checkin)
    event.listen(engine, "checkout", _ping_if_idle)
    if role:
        event.listen(engine, "connect", partial(_set_role, role))
    return engine


def _note_checkin(dbapi_connection, record):
    record.info["idle_since"] = time.monotonic()


def _ping_if_idle(dbapi_connection, record, _proxy):
    idle_since = record.info.get("idle_since")
    if idle_since is None or time.monotonic() - idle_since <= PING_AFTER_IDLE_SECONDS:
        return
    try:
        cursor = dbapi_connection.cursor()
        cursor.execute("SELECT 1")
        cursor.close()
        dbapi_connection.rollback()
    except Exception as exc:  # the pool discards it and checks out another (or a new) one
        raise DisconnectionError(f"a pooled connection is gone: {exc}") from exc


def _set_role(role, dbapi_connection, _record):
    cursor = dbapi_connection.cursor()
    cursor.execute('SET ROLE "%s"' % role.replace('"', '""'))
    cursor.close()
    dbapi_connection.commit()  # a SET inside the driver's open transaction would roll back


def _sqlite_pragmas(dbapi_connection, _record):
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


@cache
def insert_into(table):
    """One INSERT statement per table, executed with the row as parameters: SQLAlchemy reuses
    its compiled form without building and hashing a new statement for every row."""
    return insert(table)


class UnitOfWork:
    """One database transaction. `emit` queues an event in the outbox table of the same
    transaction; after `commit` the relay publishes those rows straight away."""

    def __init__(self, session_factory: sessionmaker, metadata, source: str, relay=None,
                 correlation_id: str | None = None):
        self.session_factory = session_factory
        self.outbox = metadata.tables.get("outbox")
        self.inbox = metadata.tables.get("processed_events")
        self.reads = metadata.tables.get("personal_data_reads")  # infra.read_log
        self.source = source
        self.relay = relay
        self.correlation_id = correlation_id
        self.session: Session | None = None
        self._emitted: list[str] = []

    def __enter__(self):
        self.session = self.session_factory()
        self._emitted = []
        return self

    def __exit__(self, *exc):
        self.session.rollback()
        self.session.close()

    def emit(self, name, data, **envelope) -> dict:
        event = build_event(self.source, name, data, correlation_id=self.correlation_id, **envelope)
        self.session.execute(insert_into(self.outbox), {
            "event_id": event["event_id"], "routing_key": f"{self.source}.{name}",
            "payload": event, "created_at": utcnow()})
        self._emitted.append(event["event_id"])
        return event

    def emit_many(self, events) -> list[dict]:
        """`emit` for many events at once, `(name, data, envelope)` each: one statement."""
        built = [build_event(self.source, name, data, correlation_id=self.correlation_id,
                             **envelope) for name, data, envelope in events]
        if built:
            now = utcnow()
            self.session.execute(insert_into(self.outbox), [{
                "event_id": event["event_id"], "routing_key": f"{self.source}.{event['type']}",
                "payload": event, "created_at": now} for event in built])
            self._emitted += [event["event_id"] for event in built]
        return built

    def commit(self):
        self.session.commit()
        emitted, self._emitted = self._emitted, []
        if emitted and self.relay is not None:
            self.relay.publish_after_commit(emitted)

    def rollback(self):
        self.session.rollback()
        self._emitted = []

    def mark_all_processed(self, events) -> set[str]:
        """Record the events in the inbox with one statement; answers the ids that were not
        processed before (the others are duplicates, also when another transaction holding
        them commits first: the statement waits for it)."""
        dialect = postgresql if self.session.get_bind().dialect.name == "postgresql" else sqlite
        now = utcnow()
        rows = {str(event["event_id"]): {
            "event_id": str(event["event_id"]),
            "routing_key": f"{event['source']}.{event['type']}", "processed_at": now}
            for event in events}
        statement = (dialect.insert(self.inbox).values(list(rows.values()))
                     .on_conflict_do_nothing(index_elements=["event_id"])
                     .returning(self.inbox.c.event_id))
        return set(self.session.execute(statement).scalars())

    def mark_processed(self, event) -> bool:
        """Record the event in the inbox; False when it was processed already (a duplicate)."""
        try:
            self.session.execute(insert_into(self.inbox), {
                "event_id": str(event["event_id"]),
                "routing_key": f"{event['source']}.{event['type']}",
                "processed_at": utcnow()})
        except IntegrityError:
            return False
        return True


def handle_once(uow_factory, event, handler):
    """Apply `handler(uow, event)` unless this event_id was applied before; the inbox row and
    the handler's effect commit together, before the message is acknowledged."""
    with uow_factory(correlation_id=event["correlation_id"]) as uow:
        if not uow.mark_processed(event):
            log.info("duplicate event %s ignored", event["event_id"])
            return None
        result = handler(uow, event)
        uow.commit()
        return result


def handle_batch(uow_factory, events, handler, order=None):
    """`handle_once` for a batch of events in one transaction: the inbox rows in one
    statement, then `handler(uow, event)` for each event not applied before (in the order of
    `order(event)` when given, e.g. the order of the locks they take, else as delivered), one
    commit. When a handler raises, nothing of the batch is applied and the error goes up: the
    caller then applies the events one by one, so a failing one fails alone."""
    if len(events) == 1:
        return handle_once(uow_factory, events[0], handler)
    with uow_factory(correlation_id=events[0]["correlation_id"]) as uow:
        fresh = uow.mark_all_processed(events)
        if len(fresh) < len(events):
            log.info("%d duplicate event(s) ignored", len(events) - len(fresh))
        for event in sorted(events, key=order) if order else events:
            event_id = str(event["event_id"])
            if event_id in fresh:
                fresh.discard(event_id)  # the same event twice in one batch is applied once
                uow.correlation_id = event["correlation_id"]
                handler(uow, event)
        uow.commit()
