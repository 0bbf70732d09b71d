"""Engines and the unit of work: state changes and outbox rows commit in one transaction."""
import logging
from datetime import datetime, timezone
from functools import cache, partial

from sqlalchemy import create_engine, event, insert
from sqlalchemy.exc import IntegrityError
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


def make_engine(url: str, pool_size: int = 4, max_overflow: int = 2, role: str | None = None):
    """An engine for a service's database; on PostgreSQL with `role`, every connection acts as
    that role (`SET ROLE`, kept for the connection's life), whatever user it logged in as."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    engine = create_engine(url, pool_size=pool_size, max_overflow=max_overflow,
                           pool_pre_ping=True, pool_recycle=1800)
    if role:
        event.listen(engine, "connect", partial(_set_role, role))
    return engine


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
