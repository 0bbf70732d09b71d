"""Every event type: a version, a schema, a sample that both sides accept, and a consumer."""
from decimal import Decimal

import pytest

from contracts.base import load
from contracts.envelope import REGISTRY, InvalidEvent, build_event, parse_event
from contracts.errors import InvalidInput
from contracts.subscriptions import SUBSCRIPTIONS
from contracts.transactions import TakeDepositSchema


@pytest.mark.parametrize("key", sorted(REGISTRY))
def test_sample_round_trips_through_the_envelope(key):
    event_type = REGISTRY[key]
    loaded = event_type.schema().load(event_type.sample)
    event = build_event(event_type.source, event_type.name, loaded, unit_id=1, customer_id=2)
    assert event["version"] == event_type.version
    parsed = parse_event(event)
    assert parsed["data"] == loaded
    assert parsed["occurred_at"].tzinfo is not None


@pytest.mark.parametrize("key", sorted(REGISTRY))
def test_every_event_reaches_at_least_one_consumer(key):
    assert any(key in keys for keys in SUBSCRIPTIONS.values())


def test_every_subscription_names_a_registered_event():
    for keys in SUBSCRIPTIONS.values():
        assert set(keys) <= set(REGISTRY)


@pytest.mark.parametrize("mutate, reason", [
    (lambda e: e.pop("event_id"), "event_id"),
    (lambda e: e.update(version=99), "version"),
    (lambda e: e.update(type="no_such_event"), "unknown"),
    (lambda e: e.update(occurred_at="2026-11-22T10:00:00"), "occurred_at"),
    (lambda e: e["data"].pop("deposit_id"), "deposit_id"),
])
def test_malformed_events_are_refused(mutate, reason):
    event = build_event("inventory", "unit_reserved", {"deposit_id": 1, "hold_id": None})
    mutate(event)
    with pytest.raises(InvalidEvent) as refused:
        parse_event(event)
    assert reason in str(refused.value) + str(refused.value.details)


def test_money_is_a_string_to_the_fen():
    base = {"unit_id": 1, "customer_id": 1, "consultant_id": 1, "project_id": 1}
    assert load(TakeDepositSchema(), {**base, "amount": "20000.5"})["amount"] == Decimal("20000.5")
    for bad in (12.5, "0", "-1.00", "1.001", "NaN", "abc", "1e20"):
        with pytest.raises(InvalidInput) as refused:
            load(TakeDepositSchema(), {**base, "amount": bad})
        assert "amount" in refused.value.details
