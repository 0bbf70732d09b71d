"""Exchanges and queues, declared the same way by services at start and by `anchang declare`."""
from kombu import Connection, Exchange, Queue, binding

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


def declare_service(channel, service: str) -> None:
    for entity in (events_exchange, dead_letters_exchange):
        entity.bind(channel).declare()
    dead_letters_queue(service).bind(channel).declare()
    events_queue(service).bind(channel).declare()


def declare_all(amqp_uri: str) -> list[str]:
    """Declare every consumer's queue and bindings (run at deploy, before producers start)."""
    with Connection(amqp_uri) as connection:
        channel = connection.channel()
        for service in SUBSCRIPTIONS:
            declare_service(channel, service)
    return [queue_name(service) for service in SUBSCRIPTIONS]
