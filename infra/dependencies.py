"""nameko DependencyProviders: the only place where nameko meets the database and outbox."""
import logging

import eventlet
from nameko.extensions import DependencyProvider
from sqlalchemy import text
from sqlalchemy.orm import sessionmaker

from infra import config
from infra.database import UnitOfWork, handle_once, make_engine
from infra.outbox import OutboxRelay

log = logging.getLogger(__name__)


class UnitOfWorkFactory:
    """What a worker gets: `uow()` opens a unit of work; `handle_once(event, fn)` applies an
    event exactly once."""

    def __init__(self, session_factory, metadata, source, relay):
        self.session_factory = session_factory
        self.metadata = metadata
        self.source = source
        self.relay = relay

    def __call__(self, correlation_id=None) -> UnitOfWork:
        return UnitOfWork(self.session_factory, self.metadata, self.source, self.relay,
                          correlation_id)

    def handle_once(self, event, handler):
        return handle_once(self, event, handler)

    def health(self) -> dict:
        try:
            with self.session_factory() as session:
                session.execute(text("SELECT 1"))
            database = "ok"
        except Exception as exc:
            database = f"unreachable: {exc.__class__.__name__}"
        backlog = self.relay.backlog() if database == "ok" and self.relay else None
        return {"service": self.source, "database": database, "outbox_backlog": backlog}


class Database(DependencyProvider):
    """The service's own database, with its outbox relay and the relay's periodic sweep."""

    def __init__(self, metadata, publishes_events=True):
        self.metadata = metadata
        self.publishes_events = publishes_events

    def setup(self):
        service = self.container.service_name
        url = config.database_url(service)
        if url.startswith("postgresql"):
            from psycogreen.eventlet import patch_psycopg
            patch_psycopg()  # psycopg2 waits cooperatively under eventlet
        workers = int(self.container.config.get("max_workers", 10))
        self.engine = make_engine(url, pool_size=workers + 2)
        self.session_factory = sessionmaker(self.engine, expire_on_commit=False)
        self.relay = (OutboxRelay(self.engine, self.metadata, self.container.config["AMQP_URI"])
                      if self.publishes_events else None)
        self.factory = UnitOfWorkFactory(self.session_factory, self.metadata, service, self.relay)

    def start(self):
        self._sweeping = self.publishes_events
        if self._sweeping:
            self._sweeper = self.container.spawn_managed_thread(self._sweep, identifier="outbox_sweep")

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
        self.engine.dispose()

    def kill(self):
        self._sweeping = False
        self.engine.dispose()

    def get_dependency(self, worker_ctx):
        return self.factory
