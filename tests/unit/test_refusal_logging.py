"""A refusal (a 4xx at the gateway) is logged at INFO in one line; real errors keep their
traceback. The records are made the way nameko's container logs a worker's exception."""
import logging
import sys

import pytest
from nameko.containers import WorkerContext

from contracts.errors import Conflict, Forbidden, InvalidInput, NotFound
from infra.rpc import AtMostOnceRpc, log_refusals_at_info

WORKER_LOG = logging.getLogger("nameko.containers")


class LeadsService:
    name = "leads"


def worker(entrypoint=None):
    entrypoint = entrypoint or AtMostOnceRpc()
    entrypoint.method_name = "get_customer"
    container = type("Container", (), {"service_name": "leads", "config": {}})()
    return WorkerContext(container, LeadsService(), entrypoint)


def log_as_nameko(exc, entrypoint=None):
    """nameko.containers.ServiceContainer._run_worker's two log calls."""
    ctx = worker(entrypoint)
    try:
        raise exc
    except Exception as raised:
        if isinstance(raised, ctx.entrypoint.expected_exceptions):
            WORKER_LOG.warning('(expected) error handling worker %s: %s', ctx, raised,
                               exc_info=True)
        else:
            WORKER_LOG.exception('error handling worker %s: %s', ctx, raised)
        return sys.exc_info()


@pytest.fixture
def worker_log(caplog):
    log_refusals_at_info()
    caplog.set_level(logging.INFO)
    return caplog


@pytest.mark.parametrize("refusal", [
    InvalidInput("mobile is not a mainland number", {"mobile": ["11 digits"]}),
    Forbidden("not your office"), NotFound("customer 9 not found"),
    Conflict("the unit is reserved")])
def test_a_refusal_is_one_info_line_without_traceback(worker_log, refusal):
    log_as_nameko(refusal)
    [record] = worker_log.records
    assert record.levelno == logging.INFO
    assert record.exc_info is None and record.exc_text is None
    assert record.getMessage() == f"refused leads.get_customer ({refusal.code}): {refusal.message}"
    assert "Traceback" not in worker_log.text


def test_a_real_error_keeps_its_level_and_traceback(worker_log):
    log_as_nameko(ZeroDivisionError("division by zero"))
    [record] = worker_log.records
    assert record.levelno == logging.ERROR
    assert record.exc_info[0] is ZeroDivisionError
    assert "Traceback" in worker_log.text


def test_an_event_handler_that_fails_with_a_refusal_stays_an_error(worker_log):
    from infra.consumer import EventHandler
    log_as_nameko(NotFound("deposit 9 does not exist"), EventHandler("transactions.x"))
    [record] = worker_log.records
    assert record.levelno == logging.ERROR and record.exc_info[0] is NotFound


def test_every_rpc_entrypoint_expects_the_refusals():
    assert issubclass(AtMostOnceRpc().expected_exceptions[0], InvalidInput)
    assert set(AtMostOnceRpc(idempotent=True).expected_exceptions) == {
        InvalidInput, Forbidden, NotFound, Conflict}
