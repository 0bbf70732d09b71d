"""Polling for a condition that other processes bring about."""
import time


def wait_until(predicate, timeout, interval=0.25, what="condition"):
    """Poll `predicate` until truthy; returns (value, seconds waited)."""
    started = time.monotonic()
    while True:
        try:
            value = predicate()
        except Exception:  # the database or broker may still be coming back
            value = None
        if value:
            return value, time.monotonic() - started
        if time.monotonic() - started > timeout:
            raise AssertionError(f"{what} not reached within {timeout}s")
        time.sleep(interval)
