"""`@rpc` as every service uses it: nameko's, made safe for broker restarts.

- A reply that cannot be published, or a message that cannot be acked, because the broker
  went away mid-request is logged, not allowed to kill the service (or the gateway): nameko
  would let that error end the container.
- `RpcProxy` calls publish with the fail-fast publisher, so callers hear within a second
  that the broker is away instead of waiting out nameko's connection retries.
- Commands run at most once. A request the broker delivers a second time (the connection
  dropped before the ack, the service was killed mid-request) may have run already, so it is
  refused with `RequestInterrupted` instead of being run again. Reads say `idempotent=True`
  and simply run again.
- Request queues are quorum queues and reply queues transient (infra/topology.py says why): a
  broker cluster that loses a node keeps answering calls.
- A refusal (`InvalidInput`, `Forbidden`, `NotFound`, `Conflict`: a 4xx at the gateway) is an
  answer, not a failure: it is logged at INFO in one line. nameko logs every exception of a
  worker as an error with its traceback; real errors keep that.
"""
import logging

import amqp.exceptions
import kombu.exceptions
from nameko import rpc as nameko_rpc
from nameko.messaging import QueueConsumer

from contracts.errors import Conflict, Forbidden, InvalidInput, NotFound, RequestInterrupted
from infra.publisher import FailFastPublisher
from infra.topology import reply_queue, rpc_queue

log = logging.getLogger(__name__)

BROKER_ERRORS = (kombu.exceptions.OperationalError, amqp.exceptions.ConnectionError,
                 ConnectionError, OSError)


# what a caller is refused with; each maps to a 4xx at the gateway
REFUSALS = (InvalidInput, Forbidden, NotFound, Conflict)


class RefusalsAtInfo(logging.Filter):
    """On nameko's worker logger: an RPC worker that ended with a refusal is logged at INFO
    without a traceback (`refused leads.get_customer (not_found): customer 9 not found`);
    anything else (real errors, and event handlers, whose failures are retried and
    dead-lettered) passes unchanged, traceback and all."""

    def filter(self, record):
        exc = record.exc_info[1] if record.exc_info else None
        worker = record.args[0] if isinstance(record.args, tuple) and record.args else None
        entrypoint = getattr(worker, "entrypoint", None)
        # only an RPC's caller is answered with the refusal; an event that fails stays an error
        if isinstance(exc, REFUSALS) and isinstance(entrypoint, nameko_rpc.Rpc):
            name = f"{worker.service_name}.{entrypoint.method_name}"
            record.levelno, record.levelname = logging.INFO, "INFO"
            record.msg, record.args = "refused %s (%s): %s", (name, exc.code, exc.message)
            record.exc_info = record.exc_text = None
        return True


REFUSALS_AT_INFO = RefusalsAtInfo()


def log_refusals_at_info() -> None:
    """Install the filter on nameko's worker logger (once; adding it again changes nothing)."""
    logging.getLogger("nameko.containers").addFilter(REFUSALS_AT_INFO)


class ResilientQueueConsumer(QueueConsumer):
    """nameko's queue consumer, but an ack or requeue on a connection that has just dropped
    is ignored whatever the error (nameko ignores only amqp's own, and a reset socket would
    end the container): the broker has taken the message back already."""

    def ack_message(self, message):
        try:
            super().ack_message(message)
        except BROKER_ERRORS as exc:
            log.warning("could not ack (%s); the broker redelivers the message", exc)

    def requeue_message(self, message):
        try:
            super().requeue_message(message)
        except BROKER_ERRORS as exc:
            log.warning("could not requeue (%s); the broker redelivers the message", exc)


class ResilientReplyListener(nameko_rpc.ReplyListener):
    queue_consumer = ResilientQueueConsumer()

    def setup(self):
        super().setup()  # names the queue and registers with the queue consumer
        self.queue = reply_queue(self.queue.name, self.queue.exchange, self.routing_key,
                                 nameko_rpc.RPC_REPLY_QUEUE_TTL)


class ResilientRpcConsumer(nameko_rpc.RpcConsumer):
    queue_consumer = ResilientQueueConsumer()

    def setup(self):
        if self.queue is None:  # as nameko's, with the quorum queue
            self.queue = rpc_queue(self.container.service_name,
                                   nameko_rpc.get_rpc_exchange(self.container.config))
            self.queue_consumer.register_provider(self)
            self._registered = True

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
        kwargs.setdefault("expected_exceptions", REFUSALS)
        super().__init__(**kwargs)

    def setup(self):
        log_refusals_at_info()
        super().setup()

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
    rpc_reply_listener = ResilientReplyListener()

    def get_dependency(self, worker_ctx):
        return _ServiceProxy(worker_ctx, self.target_service, self.rpc_reply_listener,
                             **self.options)
