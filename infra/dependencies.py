"""nameko DependencyProviders: the only place where nameko meets the database and outbox."""
import logging

import eventlet
from kombu import Connection
from nameko.extensions import DependencyProvider
from sqlalchemy import text
from sqlalchemy.orm import sessionmaker

from contracts.subscriptions import SUBSCRIPTIONS, queue_name
from infra import config, dead_letters, read_log
from infra.database import UnitOfWork, handle_batch, handle_once, make_engine
from infra.outbox import BackgroundRelay, OutboxRelay

log = logging.getLogger(__name__)


class UnitOfWorkFactory:
    """What a worker gets: `uow()` opens a unit of work; `handle_once(event, fn)` applies an
    event exactly once, `handle_batch(events, fn)` a batch of them in one transaction; the
    operations side: health and the dead letters."""

    def __init__(self, engine, metadata, source, relay, amqp_uri):
        self.engine = engine
        self.session_factory = sessionmaker(engine, expire_on_commit=False)
        self.metadata = metadata
        self.source = source
        self.relay = relay
        self.amqp_uri = amqp_uri
        self.dead_letters_table = metadata.tables.get("dead_letters")  # none in the gateway

    def __call__(self, correlation_id=None) -> UnitOfWork:
        return UnitOfWork(self.session_factory, self.metadata, self.source, self.relay,
                          correlation_id)

    def handle_once(self, event, handler):
        return handle_once(self, event, handler)

    def handle_batch(self, events, handler, order=None):
        return handle_batch(self, events, handler, order)

    def health(self) -> dict:
        try:
            with self.session_factory() as session:
                session.execute(text("SELECT 1"))
            database = "ok"
        except Exception as exc:
            database = f"unreachable: {exc.__class__.__name__}"
        report = {"service": self.source, "database": database,
                  **broker_status(self.amqp_uri, self.source)}
        if database == "ok":
            report["outbox_backlog"] = self.relay.backlog() if self.relay else 0
            report["dead_letters"] = dead_letters.count_dead(self.engine, self.dead_letters_table)
        return report

    def list_dead_letters(self, status=dead_letters.DEAD, limit=100) -> list[dict]:
        return dead_letters.list_letters(self.engine, self.dead_letters_table, status, limit)

    def list_personal_data_reads(self, kind=None, subject_id=None, limit=100) -> list[dict]:
        return read_log.list_reads(self.engine, self.metadata.tables.get("personal_data_reads"),
                                   kind, subject_id, limit)

    def replay_dead_letters(self, ids=None) -> list[int]:
        """Replay the given dead letters, or all of them when `ids` is None."""
        if self.source not in SUBSCRIPTIONS:
            return []
        return dead_letters.replay(self.engine, self.dead_letters_table,
                                   dead_letters.replay_publisher(self.amqp_uri), self.source, ids)


def broker_status(amqp_uri: str, service: str) -> dict:
    """Whether the broker answers and, for a consuming service, its events queue right now."""
    try:
        with Connection(amqp_uri, connect_timeout=2) as connection:
            connection.ensure_connection(max_retries=1)
            if service not in SUBSCRIPTIONS:
                return {"broker": "ok"}
            _, waiting, consumers = connection.default_channel.queue_declare(
                queue_name(service), passive=True)
            return {"broker": "ok", "events_waiting": waiting, "event_consumers": consumers}
    except Exception as exc:
        return {"broker": f"unreachable: {exc.__class__.__name__}"}


class Database(DependencyProvider):
    """The service's own database, with its outbox relay and the relay's periodic sweep, and
    for a service that consumes events, the store of its dead letters."""

    def __init__(self, metadata, publishes_events=True):
        self.metadata = metadata
        self.publishes_events = publishes_events

    def setup(self):
        service = self.container.service_name
        url = config.database_url(service)
        if url.startswith("postgresql"):
            from psycogreen.eventlet import patch_psycopg
            patch_psycopg()  # psycopg2 waits cooperatively under eventlet
        pool_size, max_overflow = config.database_pool(service)
        self.engine = make_engine(url, pool_size=pool_size, max_overflow=max_overflow,
                                  role=config.database_role(service))
        amqp_uri = self.container.config["AMQP_URI"]
        self.relay = (BackgroundRelay(OutboxRelay(self.engine, self.metadata, amqp_uri))
                      if self.publishes_events else None)
        self.factory = UnitOfWorkFactory(self.engine, self.metadata, service, self.relay,
                                          amqp_uri)
        self.dead_letter_store = (
            dead_letters.DeadLetterStore(amqp_uri, service, self.engine,
                                         self.metadata.tables["dead_letters"],
                                         heartbeat=self.container.config.get("HEARTBEAT", 60))
            if service in SUBSCRIPTIONS else None)

    def start(self):
        self._sweeping = self.publishes_events
        if self._sweeping:
            self._sweeper = self.container.spawn_managed_thread(self._sweep, identifier="outbox_sweep")
            self._publisher = self.container.spawn_managed_thread(
                self.relay.run, identifier="outbox_publisher")
        if self.dead_letter_store:
            self.container.spawn_managed_thread(self.dead_letter_store.run,
                                                identifier="dead_letter_store")

    def _sweep(self):
        interval = config.outbox_sweep_seconds()
        while self._sweeping:
            eventlet.sleep(interval)
            try:
                while self.relay.publish_pending() == self.relay.batch_size:
                    pass
            except Exception as exc:
                log.warning("outbox sweep failed: %s", exc)

    def stop(self):
        if self._sweeping:
            self._sweeping = False
            self._sweeper.kill()
            self._publisher.kill()
            self.relay.close()
        if self.dead_letter_store:
            self.dead_letter_store.stop()
        self.engine.dispose()

    def kill(self):
        self._sweeping = False
        if self.dead_letter_store:
            self.dead_letter_store.stop()
        self.engine.dispose()

    def get_dependency(self, worker_ctx):
        return self.factory
