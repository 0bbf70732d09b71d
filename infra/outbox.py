"""The outbox relay: publishes committed events with confirms and `mandatory=True`, a batch
of rows at a time with one wait for the broker's confirms.

Called right after each commit for the rows that commit wrote, and by a periodic sweep for
whatever is left (a crash after commit, a broker outage, a message nobody could route yet).
Rows are claimed with `FOR UPDATE SKIP LOCKED`, so several workers of one service never
publish the same row twice on PostgreSQL. SQLite has no row locks: there, a relay publishes
only while it holds an exclusive lock file beside the database, and a relay that finds it
taken leaves the rows to the worker holding it.
"""
import fcntl
import logging
from contextlib import contextmanager

from eventlet.queue import LightQueue
from kombu import Exchange
from sqlalchemy import func, select, update

from contracts.envelope import EVENTS_EXCHANGE
from infra.database import utcnow
from infra.publisher import BatchPublisher

log = logging.getLogger(__name__)

events_exchange = Exchange(EVENTS_EXCHANGE, type="topic", durable=True)


class OutboxRelay:
    def __init__(self, engine, metadata, amqp_uri: str, batch_size: int = 500):
        self.engine = engine
        self.outbox = metadata.tables["outbox"]
        self.batch_size = batch_size
        self.publisher = BatchPublisher(amqp_uri, events_exchange)

    def publish_after_commit(self, event_ids) -> None:
        try:
            self.publish_pending(event_ids)
        except Exception:  # the sweep will publish them; the commit already stands
            log.warning("publishing %d event(s) after commit failed; left for the sweep",
                        len(event_ids), exc_info=True)

    def publish_pending(self, event_ids=None) -> int:
        """Publish unpublished rows (all, or only `event_ids`) in id order; returns how many."""
        with self._sole_publisher() as alone:
            return self._publish_pending(event_ids) if alone else 0

    @contextmanager
    def _sole_publisher(self):
        database = self.engine.url.database if self.engine.dialect.name == "sqlite" else None
        if not database or database == ":memory:":
            yield True  # PostgreSQL: rows are claimed with SKIP LOCKED
            return
        with open(f"{database}.relay-lock", "a") as lock_file:
            try:
                fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(lock_file, fcntl.LOCK_UN)

    def _publish_pending(self, event_ids) -> int:
        outbox = self.outbox
        query = (select(outbox.c.id, outbox.c.event_id, outbox.c.routing_key, outbox.c.payload)
                 .where(outbox.c.published_at.is_(None))
                 .order_by(outbox.c.id).limit(self.batch_size)
                 .with_for_update(skip_locked=True))
        if event_ids is not None:
            query = query.where(outbox.c.event_id.in_(list(event_ids)))
        with self.engine.begin() as connection:
            rows = connection.execute(query).all()
            if not rows:
                return 0
            ids = {row.event_id: row.id for row in rows}
            answers = self.publisher.publish(
                [(row.event_id, row.routing_key, row.payload) for row in rows])
            if answers.error is not None:  # broker away: the unconfirmed rows wait for the sweep
                log.warning("broker unavailable while publishing the outbox: %s", answers.error)
            if answers.nacked:
                log.warning("the broker refused %d event(s); they wait for the sweep",
                            len(answers.nacked))
            if answers.unroutable:
                log.warning("%d event(s) unroutable, no queue bound yet: %s",
                            len(answers.unroutable), ", ".join(answers.unroutable))
                connection.execute(update(outbox).where(
                    outbox.c.id.in_([ids[event_id] for event_id in answers.unroutable])).values(
                    attempts=outbox.c.attempts + 1, last_error="unroutable"))
            if answers.routed:
                connection.execute(update(outbox).where(
                    outbox.c.id.in_([ids[event_id] for event_id in answers.routed])).values(
                    published_at=utcnow(), attempts=outbox.c.attempts + 1))
        return len(answers.routed)

    def close(self) -> None:
        self.publisher.close()

    def backlog(self) -> int:
        with self.engine.connect() as connection:
            return connection.execute(select(func.count()).select_from(self.outbox)
                                      .where(self.outbox.c.published_at.is_(None))).scalar_one()


class BackgroundRelay:
    """Publishes after commit from a green thread of its own, so a request or an event
    handler answers as soon as its transaction commits instead of waiting for the broker's
    confirms. Ids that arrive while a batch is being published go out together in the next.
    Ids still queued when the process dies belong to committed rows: the sweep publishes them.
    """

    def __init__(self, relay: OutboxRelay):
        self.relay = relay
        self.batch_size = relay.batch_size
        self._queue = LightQueue()

    def publish_after_commit(self, event_ids) -> None:
        self._queue.put(list(event_ids))

    def run(self) -> None:
        while True:
            event_ids = self._queue.get()
            while not self._queue.empty() and len(event_ids) < self.batch_size:
                event_ids += self._queue.get_nowait()
            self.relay.publish_after_commit(event_ids)

    def publish_pending(self, event_ids=None) -> int:
        return self.relay.publish_pending(event_ids)

    def backlog(self) -> int:
        return self.relay.backlog()

    def close(self) -> None:
        self.relay.close()
