"""Commands run at most once; a reply the broker cannot take never stops the service."""
from unittest.mock import MagicMock, patch

import kombu.exceptions
import pytest
from nameko.rpc import RpcConsumer

from contracts.errors import RequestInterrupted
from infra.rpc import AtMostOnceRpc, ResilientRpcConsumer


def entrypoint(idempotent=False):
    rpc = AtMostOnceRpc(idempotent=idempotent)
    rpc.method_name = "take_deposit"
    rpc.container = MagicMock()
    rpc.container.service_name = "transactions"
    rpc.check_signature = MagicMock()
    return rpc


def message(redelivered):
    delivered = MagicMock()
    delivered.delivery_info = {"redelivered": redelivered, "routing_key": "transactions.x"}
    delivered.headers = {}
    return delivered


def test_a_redelivered_command_is_refused_not_run_again():
    rpc = entrypoint()
    with pytest.raises(RequestInterrupted):
        rpc.handle_message({"args": [], "kwargs": {}}, message(redelivered=True))
    rpc.container.spawn_worker.assert_not_called()


def test_a_first_delivery_runs_and_a_redelivered_read_runs_again():
    first = entrypoint()
    first.handle_message({"args": [], "kwargs": {}}, message(redelivered=False))
    read = entrypoint(idempotent=True)
    read.handle_message({"args": [], "kwargs": {}}, message(redelivered=True))
    assert first.container.spawn_worker.call_count == 1
    assert read.container.spawn_worker.call_count == 1


def test_a_reply_the_broker_cannot_take_is_logged_not_raised():
    consumer = ResilientRpcConsumer()
    outage = kombu.exceptions.OperationalError("[Errno 111] ECONNREFUSED")
    with patch.object(RpcConsumer, "handle_result", side_effect=outage):
        assert consumer.handle_result(message(False), {"id": 1}, None) == ({"id": 1}, None)
    with patch.object(RpcConsumer, "handle_result", side_effect=KeyError("bug")):
        with pytest.raises(KeyError):  # anything else is still a bug, loudly
            consumer.handle_result(message(False), None, None)


def test_an_ack_on_a_dropped_connection_is_logged_not_raised():
    from infra.rpc import ResilientQueueConsumer
    consumer = ResilientQueueConsumer()
    dropped = message(False)
    dropped.ack.side_effect = ConnectionResetError(104, "Connection reset by peer")
    dropped.requeue.side_effect = BrokenPipeError(32, "Broken pipe")
    consumer.ack_message(dropped)
    consumer.requeue_message(dropped)
    assert dropped.ack.call_count == 1 and dropped.requeue.call_count == 1
