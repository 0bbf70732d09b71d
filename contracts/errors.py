"""Typed errors that cross the RPC boundary intact and map once to an HTTP status.

`deserialize_to_instance` makes nameko rebuild the same exception class on the caller's side,
with the same arguments, so the gateway can map it without parsing strings.
"""
from nameko.exceptions import deserialize_to_instance


class DomainError(Exception):
    code = "error"

    def __init__(self, message, details=None):
        super().__init__(message, details or {})
        self.message = message
        self.details = details or {}


@deserialize_to_instance
class InvalidInput(DomainError):
    """The request is malformed; `details` maps each offending field to its reasons."""
    code = "invalid_input"


@deserialize_to_instance
class NotFound(DomainError):
    code = "not_found"


@deserialize_to_instance
class Conflict(DomainError):
    """The request is valid but the current state forbids it (e.g. the unit is reserved)."""
    code = "conflict"


@deserialize_to_instance
class Forbidden(DomainError):
    code = "forbidden"


@deserialize_to_instance
class RequestInterrupted(DomainError):
    """The request reached the service a second time after a restart; it is not run twice."""
    code = "request_interrupted"


@deserialize_to_instance
class IdempotencyKeyReused(DomainError):
    """An `Idempotency-Key` sent again with a different request (422)."""
    code = "idempotency_key_reused"


@deserialize_to_instance
class PayloadTooLarge(DomainError):
    """The request's body is larger than the route takes (HTTP 413)."""
    code = "payload_too_large"
