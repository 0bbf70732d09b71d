"""The published language between services: event envelope, event and RPC schemas, errors."""
