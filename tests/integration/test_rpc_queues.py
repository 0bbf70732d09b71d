"""RPC request queues are quorum queues (so a broker cluster that loses a node keeps them), and
`anchang declare` replaces the classic ones an earlier version left."""
import uuid

import amqp.exceptions
import pytest
from kombu import Connection, Queue
from nameko.rpc import get_rpc_exchange

from contracts.operations import SERVICES
from infra.topology import declare_all, rpc_queue
from tests.conftest import create_vhost, delete_vhost


@pytest.fixture
def vhost_uri():
    name = f"anchang-test-rpcq-{uuid.uuid4().hex[:8]}"
    yield create_vhost(name)
    delete_vhost(name)


def redeclare(uri, queue):
    with Connection(uri) as connection:
        queue.bind(connection.channel()).declare()


def test_declare_replaces_a_durable_rpc_queue_left_by_an_earlier_version(vhost_uri):
    exchange = get_rpc_exchange({})
    old = Queue("rpc-leads", exchange=exchange, routing_key="leads.*", durable=True)
    redeclare(vhost_uri, old)  # as nameko declared it before

    declared = declare_all(vhost_uri)

    assert {f"rpc-{service}" for service in SERVICES} <= set(declared)
    for service in SERVICES:
        redeclare(vhost_uri, rpc_queue(service, exchange))  # quorum: accepted as it is
    with pytest.raises(amqp.exceptions.PreconditionFailed):
        redeclare(vhost_uri, old)  # the classic one is gone
    declare_all(vhost_uri)  # and declaring again changes nothing
