"""HTTP plumbing of the gateway: JSON in and out, the error format, RPC calls with timeouts.

Errors are mapped here once: {"error": {"code", "message", "fields"}} with the right status;
never a stack trace, never a 500 for bad input.
"""
import json
import logging
from decimal import Decimal
from functools import wraps

import amqp.exceptions
import eventlet
import kombu.exceptions
import sqlalchemy.exc
from nameko.exceptions import RemoteError, UnknownService
from werkzeug.wrappers import Response

from contracts.errors import Conflict, Forbidden, InvalidInput, NotFound, RequestInterrupted
from gateway.auth import TooManyAttempts, Unauthenticated
from infra.database import too_many_connections

log = logging.getLogger(__name__)

STATUS_BY_ERROR = ((InvalidInput, 400), (Unauthenticated, 401), (Forbidden, 403),
                   (NotFound, 404), (Conflict, 409), (RequestInterrupted, 503))
DATABASE_DOWN = (sqlalchemy.exc.OperationalError, sqlalchemy.exc.InterfaceError,
                 sqlalchemy.exc.DisconnectionError)
SERVICE_DATABASE_DOWN = {"OperationalError", "InterfaceError", "DisconnectionError"}
POOL_FULL = {"TimeoutError"}  # sqlalchemy.exc.TimeoutError: the service's pool stayed full
BROKER_DOWN = (kombu.exceptions.OperationalError, amqp.exceptions.ConnectionError,
               ConnectionError)


class ServiceTimeout(Exception):
    pass


class ServiceUnavailable(Exception):
    pass


def json_response(payload, status=200) -> Response:
    return Response(json.dumps(payload, ensure_ascii=False, default=_json_default), status=status,
                    mimetype="application/json")


def _json_default(value):
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def error_response(status, code, message, fields=None, headers=None) -> Response:
    response = json_response({"error": {"code": code, "message": message,
                                        "fields": fields or {}}}, status)
    response.headers.extend(headers or {})
    return response


def json_body(request) -> dict:
    if not request.data:
        return {}
    try:
        body = json.loads(request.get_data(as_text=True))
    except ValueError as exc:
        raise InvalidInput("the body is not valid JSON", {"_body": [str(exc)]}) from None
    if not isinstance(body, dict):
        raise InvalidInput("the body must be a JSON object", {"_body": ["not an object"]})
    return body


def call(proxy, method, payload=None, timeout=10.0):
    """An RPC with a deadline. The request also carries that deadline as its message TTL, so a
    call that timed out while the service was down is dropped, not run later."""
    try:
        with eventlet.Timeout(timeout, ServiceTimeout(f"{proxy.service_name}.{method}")):
            method_proxy = getattr(proxy, method)
            reply = method_proxy.call_async(payload) if payload is not None else method_proxy.call_async()
            return reply.result()
    except UnknownService as exc:
        raise ServiceUnavailable(str(exc)) from None


def api(handler):
    """Wrap an @http method: map every failure to the error format."""
    @wraps(handler)
    def wrapper(self, request, *args, **kwargs):
        try:
            return handler(self, request, *args, **kwargs)
        except TooManyAttempts as exc:
            return error_response(429, exc.code, exc.message, exc.details,
                                  {"Retry-After": str(exc.retry_after)})
        except ServiceTimeout as exc:
            return error_response(504, "service_timeout", f"{exc} did not answer in time")
        except ServiceUnavailable as exc:
            return error_response(503, "service_unavailable", f"service {exc} is not running")
        except DATABASE_DOWN + (sqlalchemy.exc.TimeoutError,) as exc:
            if too_many_connections(exc):
                log.warning("the gateway's database refuses more connections: %s", exc)
                return _too_many_connections("the gateway's database")
            log.warning("gateway database unavailable: %s", exc.__class__.__name__)
            return error_response(503, "database_unavailable",
                                  "the gateway's database is not reachable; try again shortly")
        except BROKER_DOWN as exc:
            log.warning("broker unavailable: %s", exc)
            return error_response(503, "broker_unavailable",
                                  "the message broker is not reachable; try again shortly")
        except RemoteError as exc:
            if exc.exc_type in SERVICE_DATABASE_DOWN | POOL_FULL and too_many_connections(
                    exc.value):
                return _too_many_connections("a service's database")
            if exc.exc_type in SERVICE_DATABASE_DOWN:
                return error_response(503, "service_unavailable",
                                      "a service's database is not reachable; try again shortly")
            log.error("unexpected error from a service: %s %s", exc.exc_type, exc.value)
            return error_response(500, "internal_error", "the request failed; it has been logged")
        except Exception as exc:
            for error_type, status in STATUS_BY_ERROR:
                if isinstance(exc, error_type):
                    return error_response(status, getattr(exc, "code", "unauthenticated"),
                                          _message(exc), getattr(exc, "details", {}))
            log.exception("unexpected gateway error")
            return error_response(500, "internal_error", "the request failed; it has been logged")
    return wrapper


def _too_many_connections(whose):
    return error_response(503, "too_many_connections",
                          f"{whose} has no connection to spare (too many connections); try again "
                          "shortly, and size the pools or the server (README: PostgreSQL "
                          "connections)")


def _message(exc):
    return getattr(exc, "message", None) or str(exc)
