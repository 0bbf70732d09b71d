"""What a dead letter keeps of a message, and the operator's requests about them."""
import hashlib
import json

import pytest

from contracts.base import load
from contracts.errors import InvalidInput
from contracts.operations import ReplayDeadLettersSchema
from gateway.routes import DeadLettersQuery
from infra.dead_letters import describe

EVENT_ID = "0b6b9b8e-2f33-4a53-9d7e-3b8f2b1f6e10"


def test_a_message_the_consumer_gave_up_on_keeps_its_reason_and_routing_key():
    body = json.dumps({"event_id": EVENT_ID}).encode()
    letter = describe(body, {"x-anchang-error": "failed 4 time(s): NotFound('deposit 9')",
                             "x-anchang-routing-key": "inventory.unit_reserved"},
                      message_id=EVENT_ID, routing_key="transactions")
    assert letter["reason"] == "failed 4 time(s): NotFound('deposit 9')"
    assert letter["routing_key"] == "inventory.unit_reserved"
    assert letter["event_id"] == EVENT_ID
    assert letter["fingerprint"] == hashlib.sha256(body).hexdigest()


def test_a_message_the_broker_dead_lettered_is_explained_from_x_death():
    body = json.dumps({"event_id": EVENT_ID, "source": "transactions"}).encode()
    headers = {"x-first-death-reason": "delivery_limit",
               "x-first-death-queue": "anchang.inventory.events",
               "x-death": [{"reason": "delivery_limit", "queue": "anchang.inventory.events",
                            "routing-keys": ["transactions.deposit_received"], "count": 1}]}
    letter = describe(body, headers, message_id=None, routing_key="inventory")
    assert letter["reason"] == ("dead-lettered by the broker from anchang.inventory.events: "
                                "delivery_limit")
    assert letter["routing_key"] == "transactions.deposit_received"
    assert letter["event_id"] == EVENT_ID  # read from the body when no message_id was set


@pytest.mark.parametrize("body", [b"{not json", b"\xff\xfe", b"[1, 2]",
                                  json.dumps({"event_id": "x" * 80}).encode()])
def test_an_undecodable_body_is_kept_whole_without_an_event_id(body):
    letter = describe(body, None, message_id=None, routing_key="archive")
    assert letter["event_id"] is None
    assert letter["body"] == body
    assert "unknown" in letter["reason"]


@pytest.mark.parametrize("payload", [{}, {"all": False}, {"ids": [1], "all": True},
                                     {"ids": []}, {"ids": [0]}, {"ids": ["1"]}])
def test_a_replay_names_either_ids_or_all(payload):
    with pytest.raises(InvalidInput) as error:
        load(ReplayDeadLettersSchema(), payload)
    assert "ids" in error.value.details


def test_a_replay_of_some_or_all():
    assert load(ReplayDeadLettersSchema(), {"ids": [3, 5]}) == {"ids": [3, 5], "all": False}
    assert load(ReplayDeadLettersSchema(), {"all": True}) == {"all": True}


def test_the_admin_query_string_is_parsed_and_checked():
    assert load(DeadLettersQuery(), {"service": "archive", "limit": "20"}) == {
        "service": "archive", "limit": 20, "status": "dead"}
    with pytest.raises(InvalidInput) as error:
        load(DeadLettersQuery(), {"service": "gateway", "limit": "0", "status": "gone"})
    assert set(error.value.details) == {"service", "limit", "status"}
