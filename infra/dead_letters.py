"""Dead letters: what a service could not apply, kept in its own database until replayed.

Two roads lead to `anchang.<service>.dead-letters`: the consumer gives up on a message
(undecodable, invalid, or a handler that kept failing) and republishes it there with the
reason in its headers; or the broker dead-letters it by itself (the delivery limit after a
crash loop, or a reject when that republish failed). The service stores every one in its
`dead_letters` table, acks it after the commit, and an operator lists and replays them.
A replay puts the original body back on the service's own events queue; the consumers' inbox
makes replaying something already applied a no-op.
"""
import hashlib
import json
import logging

import eventlet
from kombu import Connection
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from contracts.subscriptions import queue_name
from infra.consumer_loop import ConsumerLoop
from infra.database import utcnow
from infra.publisher import FailFastPublisher
from infra.topology import dead_letters_exchange, dead_letters_queue

log = logging.getLogger(__name__)

DEAD, REPLAYED = "dead", "replayed"
ERROR_HEADER = "x-anchang-error"
ROUTING_KEY_HEADER = "x-anchang-routing-key"
REPLAYS_HEADER = "x-anchang-replays"
BODY_PREVIEW_CHARS = 4000


def describe(body: bytes, headers: dict | None, message_id: str | None,
             routing_key: str | None) -> dict:
    """What is worth keeping of a dead-lettered message, from its body and headers alone."""
    headers = headers or {}
    deaths = headers.get("x-death") or [{}]
    original_keys = deaths[0].get("routing-keys") or [routing_key]
    reason = headers.get(ERROR_HEADER) or _broker_reason(headers, deaths[0])
    return {"fingerprint": hashlib.sha256(body).hexdigest(),
            "event_id": message_id or _event_id_in(body),
            "routing_key": headers.get(ROUTING_KEY_HEADER) or original_keys[0],
            "body": body, "reason": str(reason)[:2000]}


def raw_body(message) -> bytes:
    """The body as bytes: py-amqp hands over text already decoded when it has an encoding."""
    body = message.body
    return body if isinstance(body, bytes) else body.encode(message.content_encoding or "utf-8")


def _broker_reason(headers, death) -> str:
    why = headers.get("x-first-death-reason") or death.get("reason") or "unknown"
    queue = headers.get("x-first-death-queue") or death.get("queue") or "?"
    return f"dead-lettered by the broker from {queue}: {why}"


def _event_id_in(body: bytes) -> str | None:
    try:
        event_id = json.loads(body).get("event_id")
    except (ValueError, UnicodeDecodeError, AttributeError):
        return None
    return event_id if isinstance(event_id, str) and len(event_id) <= 36 else None


def store(engine, table, letter: dict, content_type=None, content_encoding=None) -> int:
    """Insert the dead letter, or count one more death of the same body; returns its id."""
    now = utcnow()
    for _ in range(2):  # a concurrent insert of the same body loses the race once at most
        with engine.begin() as connection:
            row = connection.execute(select(table.c.id).where(
                table.c.fingerprint == letter["fingerprint"]).with_for_update()).first()
            if row is not None:
                connection.execute(update(table).where(table.c.id == row.id).values(
                    status=DEAD, reason=letter["reason"], deaths=table.c.deaths + 1,
                    last_dead_at=now))
                return row.id
            try:
                with connection.begin_nested():
                    return connection.execute(table.insert().values(
                        **letter, content_type=content_type, content_encoding=content_encoding,
                        status=DEAD, deaths=1, first_dead_at=now, last_dead_at=now, replays=0,
                    ).returning(table.c.id)).scalar_one()
            except IntegrityError:
                continue
    raise RuntimeError(f"could not store dead letter {letter['fingerprint']}")


def list_letters(engine, table, status: str | None = DEAD, limit: int = 100) -> list[dict]:
    query = select(table).order_by(table.c.id).limit(limit)
    if status is not None:
        query = query.where(table.c.status == status)
    with engine.connect() as connection:
        return [_view(row) for row in connection.execute(query)]


def _view(row) -> dict:
    letter = {column: getattr(row, column) for column in (
        "id", "event_id", "routing_key", "reason", "status", "deaths", "first_dead_at",
        "last_dead_at", "replays", "replayed_at")}
    letter["body"] = bytes(row.body).decode("utf-8", errors="replace")[:BODY_PREVIEW_CHARS]
    return letter


def count_dead(engine, table) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(table)
                                  .where(table.c.status == DEAD)).scalar_one()


def replay(engine, table, publisher: FailFastPublisher, service: str, ids=None) -> list[int]:
    """Publish the chosen dead letters (all when `ids` is None) back onto the service's events
    queue, with confirms. Each letter is marked replayed and published in one transaction: the
    row stays locked until the broker has taken the message and the mark is committed. So
    - a replayed message that fails again is stored dead again: its new death waits for that
      lock in `store` and lands after the mark, never under it;
    - a publish that fails (or a crash mid-way) rolls the mark back: the letter stays dead;
    - two replays at once publish a letter once (the second finds it no longer dead)."""
    query = select(table.c.id).where(table.c.status == DEAD).order_by(table.c.id)
    if ids is not None:
        query = query.where(table.c.id.in_(list(ids)))
    with engine.connect() as connection:
        candidates = connection.execute(query).scalars().all()
    replayed = []
    for letter_id in candidates:
        with engine.begin() as connection:
            row = connection.execute(
                update(table).where(table.c.id == letter_id, table.c.status == DEAD)
                .values(status=REPLAYED, replays=table.c.replays + 1, replayed_at=utcnow())
                .returning(table.c.body, table.c.content_type, table.c.content_encoding,
                           table.c.event_id, table.c.replays)).first()
            if row is None:
                continue  # replayed by someone else meanwhile
            publisher.publish(
                bytes(row.body), exchange="", routing_key=queue_name(service),
                content_type=row.content_type or "application/json",
                content_encoding=row.content_encoding or "utf-8",
                message_id=row.event_id, headers={REPLAYS_HEADER: row.replays})
        replayed.append(letter_id)
    return replayed


def replay_publisher(amqp_uri: str) -> FailFastPublisher:
    return FailFastPublisher(amqp_uri, use_confirms=True, mandatory=True, retry=True)


def dead_letter_publisher(amqp_uri: str) -> FailFastPublisher:
    """Used by the consumer to hand a message it gives up on to the dead-letter exchange."""
    return FailFastPublisher(amqp_uri, exchange=dead_letters_exchange, use_confirms=True,
                             mandatory=True, retry=True)


class DeadLetterStore:
    """Consumes the service's dead-letter queue into its `dead_letters` table. While the
    database is away it waits and tries again; nothing is acked before it is stored."""

    def __init__(self, amqp_uri: str, service: str, engine, table, heartbeat=60):
        self.service = service
        self.engine = engine
        self.table = table
        self._loop = ConsumerLoop(Connection(amqp_uri, heartbeat=heartbeat),
                                  dead_letters_queue(service), self._on_message, prefetch_count=1)

    def run(self):
        self._loop.run()

    def stop(self):
        self._loop.should_stop = True

    def _on_message(self, message):
        letter = describe(raw_body(message), message.headers, message.properties.get("message_id"),
                          message.delivery_info.get("routing_key"))
        delay = 0.5
        while not self._loop.should_stop:
            try:
                letter_id = store(self.engine, self.table, letter, message.content_type,
                                  message.content_encoding)
            except Exception as exc:
                log.warning("cannot store a dead letter yet (%s); retrying in %.1fs", exc, delay)
                eventlet.sleep(delay)
                delay = min(delay * 2, 10)
                continue
            log.error("dead letter %s stored for %s: %s", letter_id, self.service,
                      letter["reason"])
            message.ack()
            return
