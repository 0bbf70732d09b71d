"""`@rpc` as every service uses it: nameko's, made safe for broker restarts.

- A reply that cannot be published (the broker went away mid-request) is logged, not allowed
  to kill the service: nameko would let that error end the container.
- `RpcProxy` calls publish with the fail-fast publisher, so callers hear within a second
  that the broker is away instead of waiting out nameko's connection retries.
- Commands run at most once. A request the broker delivers a second time (the connection
  dropped before the ack, the service was killed mid-request) may have run already, so it is
  refused with `RequestInterrupted` instead of being run again. Reads say `idempotent=True`
  and simply run again.
"""
import logging

import amqp.exceptions
import kombu.exceptions
from nameko import rpc as nameko_rpc

from contracts.errors import RequestInterrupted
from infra.publisher import FailFastPublisher

log = logging.getLogger(__name__)

BROKER_ERRORS = (kombu.exceptions.OperationalError, amqp.exceptions.ConnectionError,
                 ConnectionError, OSError)


class ResilientRpcConsumer(nameko_rpc.RpcConsumer):
    def handle_result(self, message, result, exc_info):
        try:
            return super().handle_result(message, result, exc_info)
        except BROKER_ERRORS as exc:
            log.warning("could not reply to %s (%s); the caller sees a timeout",
                        message.delivery_info.get("routing_key"), exc)
            return result, exc_info


class AtMostOnceRpc(nameko_rpc.Rpc):
    rpc_consumer = ResilientRpcConsumer()

    def __init__(self, idempotent=False, **kwargs):
        self.idempotent = idempotent
        super().__init__(**kwargs)

    def handle_message(self, body, message):
        if message.delivery_info.get("redelivered") and not self.idempotent:
            log.warning("refusing a redelivered %s request: it is not run twice",
                        self.method_name)
            raise RequestInterrupted(
                f"{self.method_name} was interrupted by a restart and is not run twice; "
                "check whether it took effect before retrying")
        super().handle_message(body, message)


rpc = AtMostOnceRpc.decorator


class _MethodProxy(nameko_rpc.MethodProxy):
    publisher_cls = FailFastPublisher


class _ServiceProxy(nameko_rpc.ServiceProxy):
    def __getattr__(self, name):
        return _MethodProxy(self.worker_ctx, self.service_name, name, self.reply_listener,
                            **self.options)


class RpcProxy(nameko_rpc.RpcProxy):
    def get_dependency(self, worker_ctx):
        return _ServiceProxy(worker_ctx, self.target_service, self.rpc_reply_listener,
                             **self.options)
