"""Test helpers that talk to RabbitMQ directly: put raw messages on a service's queue."""
import json

from kombu import Connection, Producer

from contracts.envelope import REGISTRY, build_event
from contracts.subscriptions import queue_name


def valid_event(routing_key: str, data=None, **envelope) -> dict:
    """An envelope of a registered type, its data the type's sample unless given."""
    event_type = REGISTRY[routing_key]
    data = data if data is not None else event_type.schema().load(event_type.sample)
    return build_event(event_type.source, event_type.name, data, **envelope)


def send_to_queue(amqp_uri: str, service: str, bodies) -> None:
    """Publish each body (a dict as JSON, or raw bytes as they are) straight onto the
    service's events queue, persistent, with publisher confirms."""
    with Connection(amqp_uri, transport_options={"confirm_publish": True}) as connection:
        producer = Producer(connection.channel())
        for body in bodies:
            if isinstance(body, dict):
                body = json.dumps(body).encode()
            producer.publish(body, exchange="", routing_key=queue_name(service),
                             content_type="application/json", content_encoding="utf-8",
                             delivery_mode=2)
