"""The published language between services: event envelope, event and RPC schemas, errors.

Importing the package registers every event type, so any service can parse any event.
"""
from contracts import archive, complaints, inventory, leads, opening, transactions  # noqa: F401
