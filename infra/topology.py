"""Exchanges and queues, declared the same way by services at start and by `anchang declare`.

Events live in quorum queues: replicated on every node of a RabbitMQ cluster, they survive the
loss of a minority of nodes, and a consumer's unacked messages go back to the queue when the
node it was connected through dies.

RPC request queues (nameko's `rpc-<service>`) are quorum queues too: a durable classic queue
lives on one node and, while that node is down, can neither be consumed nor declared again
anywhere else ("home node is down"), so a cluster that lost one node would stop answering
calls. Each caller's reply queue (`rpc.reply-...`) is transient instead: it belongs to one
process, is dropped with its node and declared again by the reconnecting caller on a surviving
node. A call whose reply was lost times out (504) and is pressed again with the same
Idempotency-Key; a redelivered command is refused, never run twice.
"""
import amqp.exceptions
from kombu import Connection, Exchange, Queue, binding

from contracts.operations import SERVICES
from contracts.subscriptions import SUBSCRIPTIONS, queue_name
from infra.outbox import events_exchange

DELIVERY_LIMIT = 20  # a message redelivered this often (crash loops included) is dead-lettered
dead_letters_exchange = Exchange("anchang.dead-letters", type="direct", durable=True)


def events_queue(service: str) -> Queue:
    """The service's one durable queue, shared by all its workers, bound to what it consumes."""
    return Queue(
        queue_name(service),
        bindings=[binding(events_exchange, routing_key=key) for key in SUBSCRIPTIONS[service]],
        durable=True, auto_delete=False,
        queue_arguments={
            "x-queue-type": "quorum",
            "x-delivery-limit": DELIVERY_LIMIT,
            "x-dead-letter-exchange": dead_letters_exchange.name,
            "x-dead-letter-routing-key": service,
            "x-dead-letter-strategy": "at-least-once",
            "x-overflow": "reject-publish",
        })


def dead_letters_queue(service: str) -> Queue:
    return Queue(f"anchang.{service}.dead-letters", exchange=dead_letters_exchange,
                 routing_key=service, durable=True, auto_delete=False,
                 queue_arguments={"x-queue-type": "quorum"})


def rpc_queue(service: str, exchange: Exchange) -> Queue:
    """nameko's request queue of `service` (same name and binding), made a quorum queue."""
    return Queue(f"rpc-{service}", exchange=exchange, routing_key=f"{service}.*",
                 durable=True, auto_delete=False, queue_arguments={"x-queue-type": "quorum"})


def reply_queue(name: str, exchange: Exchange, routing_key: str, expires_ms: int) -> Queue:
    """A caller's reply queue, as nameko names and binds it, made transient."""
    return Queue(name, exchange=exchange, routing_key=routing_key, durable=False,
                 auto_delete=False, queue_arguments={"x-expires": expires_ms})


def replace_classic_rpc_queue(connection, queue: Queue) -> None:
    """Declare the quorum RPC queue where an earlier version left a classic one of the same
    name (RabbitMQ refuses to redeclare it otherwise): the old one goes when no consumer
    holds it; requests in it expired with their callers' timeouts."""
    try:
        queue.bind(connection.channel()).declare()
    except amqp.exceptions.PreconditionFailed:
        connection.channel().queue_delete(queue.name, if_unused=True)
        queue.bind(connection.channel()).declare()


def declare_service(channel, service: str) -> None:
    for entity in (events_exchange, dead_letters_exchange):
        entity.bind(channel).declare()
    dead_letters_queue(service).bind(channel).declare()
    events_queue(service).bind(channel).declare()


def declare_all(amqp_uri: str) -> list[str]:
    """Declare every consumer's queue and bindings (run at deploy, before producers start)."""
    from nameko.rpc import get_rpc_exchange  # nameko's exchange of RPC requests and replies
    rpc_exchange = get_rpc_exchange({})
    with Connection(amqp_uri) as connection:
        channel = connection.channel()
        for service in SUBSCRIPTIONS:
            declare_service(channel, service)
        rpc_exchange.bind(channel).declare()
        for service in SERVICES:
            replace_classic_rpc_queue(connection, rpc_queue(service, rpc_exchange))
    return ([queue_name(service) for service in SUBSCRIPTIONS]
            + [f"rpc-{service}" for service in SERVICES])
