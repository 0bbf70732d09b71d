from sqlalchemy.exc import OperationalError

from infra.consumer import RetryPolicy


def test_transient_errors_retry_with_backoff_until_the_window_closes():
    policy = RetryPolicy(transient_window=60, base_delay=0.2, max_delay=5)
    outage = OperationalError("SELECT 1", {}, Exception("connection refused"))
    assert policy.next_delay(1, outage, failing_for=0) == 0.2
    assert policy.next_delay(3, outage, failing_for=10) == 0.8
    assert policy.next_delay(30, outage, failing_for=59) == 5
    assert policy.next_delay(31, outage, failing_for=61) is None


def test_other_errors_are_dead_lettered_after_a_few_attempts():
    policy = RetryPolicy(max_attempts=3)
    bug = KeyError("deposit_id")
    assert policy.next_delay(1, bug, 0) is not None
    assert policy.next_delay(2, bug, 0) is not None
    assert policy.next_delay(3, bug, 0) is None
