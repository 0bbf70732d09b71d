"""HTTP plumbing of the gateway: JSON in and out, the error format, RPC calls with timeouts.

Errors are mapped here once: {"error": {"code", "message", "fields"}} with the right status;
never a stack trace, never a 500 for bad input.
"""
import json
import logging
import re
from decimal import Decimal
from functools import wraps

import amqp.exceptions
import eventlet
import kombu.exceptions
import sqlalchemy.exc
from nameko.exceptions import RemoteError, UnknownService
from marshmallow import fields
from nameko.web.handlers import HttpRequestHandler
from nameko.web.server import WebServer, WsgiApp
from werkzeug.exceptions import HTTPException, MethodNotAllowed, RequestEntityTooLarge
from werkzeug.wrappers import Request, Response

from contracts.base import MAX_ID, nesting_depth
from contracts.errors import (Conflict, Forbidden, IdempotencyKeyReused,
                              InvalidInput, NotFound, PayloadTooLarge, RequestInterrupted)
from gateway.auth import TooManyAttempts, Unauthenticated
from infra import config
from infra.database import too_many_connections

log = logging.getLogger(__name__)

class BodyTooLarge(PayloadTooLarge):
    code = "body_too_large"

    def __init__(self, limit: int):
        super().__init__(f"the body is larger than the limit of {_size(limit)} ({limit} bytes)",
                         {"_body": [f"at most {limit} bytes"]})


STATUS_BY_ERROR = ((InvalidInput, 400), (Unauthenticated, 401), (Forbidden, 403),
                   (NotFound, 404), (Conflict, 409), (IdempotencyKeyReused, 422),
                   (PayloadTooLarge, 413),
                   (RequestInterrupted, 503))
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


def _size(limit: int) -> str:
    return f"{limit / 1024 / 1024:g} MB" if limit >= 1024 * 1024 else f"{limit / 1024:g} KB"


def body_bytes(request, limit: int) -> bytes:
    """The request body, refused with 413 when it is larger than `limit`: a declared
    Content-Length is checked before anything is read, and the stream is cut at the limit.
    Routes that take files pass their own limit (`config.upload_limit_bytes()`)."""
    if request.content_length is not None and request.content_length > limit:
        raise BodyTooLarge(limit)
    request.max_content_length = limit
    try:
        return request.get_data()
    except RequestEntityTooLarge:
        raise BodyTooLarge(limit) from None


def json_body(request, limit: int | None = None) -> dict:
    """The JSON object of the body ({} when there is none), at most `limit` bytes
    (JSON_BODY_LIMIT_BYTES) and nested at most JSON_DEPTH_LIMIT levels deep."""
    raw = body_bytes(request, config.json_body_limit_bytes() if limit is None else limit)
    if not raw:
        return {}
    depth_limit = config.json_depth_limit()
    try:
        body = json.loads(raw.decode("utf-8"))
        too_deep = nesting_depth(body) > depth_limit
    except RecursionError:  # nested far deeper than the limit
        too_deep = True
    except ValueError as exc:
        raise InvalidInput("the body is not valid JSON", {"_body": [str(exc)]}) from None
    if too_deep:
        raise InvalidInput(f"the body nests more than {depth_limit} levels deep",
                           {"_body": [f"at most {depth_limit} levels of objects and arrays"]})
    if not isinstance(body, dict):
        raise InvalidInput("the body must be a JSON object", {"_body": ["not an object"]})
    return body


def query_values(schema, args) -> dict:
    """The query string as the schema takes it: a whole number where the schema wants an
    integer (ids are strict integers), text otherwise."""
    integers = {field.data_key or name for name, field in schema.load_fields.items()
                if isinstance(field, fields.Integer)}
    return {key: int(value) if key in integers and re.fullmatch(r"-?[0-9]{1,19}", value)
            else value for key, value in args.items()}


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


def _check_path_numbers(values: dict) -> None:
    """Path parameters (<int:…>) within the database's integer range, like every id."""
    errors = {name: [f"must be at most {MAX_ID}"] for name, value in values.items()
              if isinstance(value, int) and value > MAX_ID}
    if errors:
        raise InvalidInput("the path has invalid numbers", errors)


def api(handler):
    """Wrap an @http method: map every failure to the error format."""
    @wraps(handler)
    def wrapper(self, request, *args, **kwargs):
        def run():
            _check_path_numbers(kwargs)
            return handler(self, request, *args, **kwargs)
        return answered(run)
    return wrapper


def answered(run) -> Response:
    """`run()`'s answer, or its failure in the error format."""
    try:
        return run()
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


def _too_many_connections(whose):
    return error_response(503, "too_many_connections",
                          f"{whose} has no connection to spare (too many connections); try again "
                          "shortly, and size the pools or the server (README: PostgreSQL "
                          "connections)")


def _message(exc):
    return getattr(exc, "message", None) or str(exc)


def http_error_response(exc: HTTPException, request) -> Response:
    """A routing or protocol error of Werkzeug (404, 405 with Allow…) in the error format."""
    status = exc.code or 500
    if isinstance(exc, MethodNotAllowed):
        allowed = sorted(exc.valid_methods or ())
        response = error_response(405, "method_not_allowed",
                                  f"{request.method} is not allowed on {request.path}",
                                  {"_method": [f"one of {', '.join(allowed)}"]})
        response.headers["Allow"] = ", ".join(allowed)
        return response
    if status == 404:
        return error_response(404, "not_found", f"no route for {request.path}")
    return error_response(status, exc.name.lower().replace(" ", "_"), exc.description or exc.name)


class ApiWsgiApp(WsgiApp):
    """nameko's WSGI app, but no answer is Werkzeug's HTML page: an unknown route is a JSON
    404, a known route with another method a JSON 405 with `Allow`, and a body whose declared
    length passes the largest limit a 413 before any of it is read."""

    def __call__(self, environ, start_response):
        request = Request(environ, shallow=True)
        adapter = self.url_map.bind_to_environ(environ)
        largest = max(config.json_body_limit_bytes(), config.upload_limit_bytes(),
                      config.archive_max_upload_bytes())
        try:
            if request.content_length is not None and request.content_length > largest:
                exc = BodyTooLarge(largest)
                rv = error_response(413, exc.code, exc.message, exc.details)
            else:
                provider, values = adapter.match()
                request.path_values = values
                rv = provider.handle_request(request)
        except HTTPException as exc:
            rv = http_error_response(exc, request)
        return rv(environ, start_response)


class ApiWebServer(WebServer):
    def get_wsgi_app(self):
        return ApiWsgiApp(self)


class ApiHttpRequestHandler(HttpRequestHandler):
    server = ApiWebServer()


http = ApiHttpRequestHandler.decorator  # the gateway's @http: every answer in the error format
