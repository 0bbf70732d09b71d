"""Dead letters through the running suite: poison is kept with its reason, counted in health,
listed and replayed by an operator over HTTP and from the command line."""
import json
import subprocess
import sys

import pytest

from tests.e2e.conftest import wait_for
from tests.messaging import send_to_queue, valid_event

pytestmark = pytest.mark.e2e

AUDIT = {"purpose": "dead-letter replay check"}  # a dossier is read for a purpose only


def dead_letters(admin, service):
    response = admin.get("/api/v1/admin/dead-letters", params={"service": service})
    assert response.status_code == 200, response.text
    return response.json()["dead_letters"]


def anchang(suite, *args) -> str:
    result = subprocess.run([sys.executable, "-m", "infra.cli", *args], env=suite.env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_poison_is_kept_with_its_reason_and_counted_in_health(suite, admin):
    amqp_uri = suite.env["AMQP_URI"]
    send_to_queue(amqp_uri, "archive", [b'{"event_id": "unclosed', {"source": "leads"}])
    ghost = valid_event("inventory.unit_reserved", {"deposit_id": 987654, "hold_id": None},
                        unit_id=987654)
    send_to_queue(amqp_uri, "transactions", [ghost])  # a deposit that does not exist: raises

    def reasons():
        letters = [letter for letter in dead_letters(admin, "archive")
                   if letter["reason"].startswith(("not JSON", "invalid event"))]
        return sorted(letter["reason"] for letter in letters) if len(letters) >= 2 else None
    first, second = wait_for(reasons)
    assert first.startswith('invalid event: invalid envelope {"event_id": ["Missing')
    assert second.startswith("not JSON: Unterminated string")

    def ghost_letter():
        return [letter for letter in dead_letters(admin, "transactions")
                if letter["event_id"] == ghost["event_id"]]
    failed = wait_for(ghost_letter)
    assert failed[0]["routing_key"] == "anchang.transactions.events"
    assert "failed 4 time(s)" in failed[0]["reason"] and "987654" in failed[0]["reason"]

    health = admin.get("/api/v1/health").json()["services"]
    assert health["archive"]["dead_letters"] >= 2 and health["transactions"]["dead_letters"] >= 1
    assert health["archive"]["broker"] == "ok" and health["archive"]["event_consumers"] >= 1
    assert health["leads"]["dead_letters"] == 0

    listed = [json.loads(line) for line in
              anchang(suite, "dead-letters", "list", "--service", "transactions").splitlines()]
    assert ghost["event_id"] in [letter["event_id"] for letter in listed]
    assert {letter["service"] for letter in listed} == {"transactions"}

    # replaying what still fails brings it back to the dead letters, one death more
    out = anchang(suite, "dead-letters", "replay", "transactions", "--id", str(failed[0]["id"]))
    assert out.startswith("replayed 1 dead letter(s) of transactions")
    again = wait_for(lambda: [letter for letter in ghost_letter() if letter["deaths"] == 2])
    assert again[0]["id"] == failed[0]["id"] and again[0]["replays"] == 1


def test_a_replayed_dead_letter_is_applied_once(suite, admin):
    """An event dead-lettered earlier (say, by a bug since fixed) reaches its handler when
    replayed; replaying it again changes nothing."""
    archivist = suite.add_user("archivist-replay", "archivist")
    held = valid_event("inventory.unit_held", unit_id=424242, project_id=1)
    from kombu import Connection, Producer

    from infra.topology import dead_letters_exchange
    with Connection(suite.env["AMQP_URI"]) as connection:
        Producer(connection.channel()).publish(
            held, exchange=dead_letters_exchange, routing_key="archive", serializer="json",
            headers={"x-anchang-error": "failed 4 time(s): a bug since fixed"})
    letter = wait_for(lambda: [letter for letter in dead_letters(admin, "archive")
                               if letter["event_id"] == held["event_id"]])[0]
    assert admin.get("/api/v1/units/424242/dossier", params=AUDIT).status_code == 404

    replayed = admin.post("/api/v1/admin/dead-letters/replay",
                          {"service": "archive", "ids": [letter["id"]]})
    assert replayed.status_code == 200, replayed.text
    assert replayed.json() == {"service": "archive", "replayed": [letter["id"]]}

    def opened_dossier():  # the archive files its own dossier_opened a moment later
        response = archivist.get("/api/v1/units/424242/dossier", params=AUDIT)
        if response.status_code != 200:
            return None
        types = [entry["type"] for entry in response.json()["entries"]]
        return response.json() if "dossier_opened" in types else None
    dossier = wait_for(opened_dossier)
    filed = [entry["event_id"] for entry in dossier["entries"]]
    assert filed.count(held["event_id"]) == 1

    marker = valid_event("inventory.hold_expired", unit_id=424242, project_id=1)
    send_to_queue(suite.env["AMQP_URI"], "archive", [held, marker])  # a duplicate, then news
    dossier = wait_for(lambda: (lambda d: d if marker["event_id"] in
                                [e["event_id"] for e in d["entries"]] else None)(
        archivist.get("/api/v1/units/424242/dossier", params=AUDIT).json()))
    assert [entry["event_id"] for entry in dossier["entries"]] == filed + [marker["event_id"]]
    assert [letter for letter in dead_letters(admin, "archive")
            if letter["event_id"] == held["event_id"]] == []  # a no-op, not an error
    assert admin.post("/api/v1/admin/dead-letters/replay",
                      {"service": "archive", "ids": [letter["id"]]}).json()["replayed"] == []


def test_dead_letter_endpoints_are_for_operators_and_check_their_input(suite, admin):
    manager = suite.add_user("manager-dead-letters", "sales_manager")
    assert manager.get("/api/v1/admin/dead-letters").status_code == 403
    bad = admin.get("/api/v1/admin/dead-letters", params={"service": "gateway", "limit": "x"})
    assert bad.status_code == 400
    assert set(bad.json()["error"]["fields"]) == {"service", "limit"}
    bad = admin.post("/api/v1/admin/dead-letters/replay", {"service": "archive"})
    assert bad.status_code == 400 and "ids" in bad.json()["error"]["fields"]
    listing = admin.get("/api/v1/admin/dead-letters", params={"status": "replayed"})
    assert listing.status_code == 200
    assert all(letter["status"] == "replayed" for letter in listing.json()["dead_letters"])
