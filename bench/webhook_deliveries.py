"""Webhook deliveries per second to a local receiver, with a second receiver that hangs for
30 s on every request: the hanging one must not slow the fast one. Finance's own dispatcher
(`services.finance.dispatcher.Deliveries`) under eventlet, as in the service, on a throwaway
PostgreSQL database. Prints; asserts no timing.

    .venv/bin/python -m bench.webhook_deliveries [--events 2000]
"""
import eventlet

eventlet.monkey_patch()

import argparse  # noqa: E402
import os  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402

from psycogreen.eventlet import patch_psycopg  # noqa: E402
from sqlalchemy import create_engine, func, insert, select, text  # noqa: E402

from infra.database import make_engine, utcnow  # noqa: E402
from infra.migrations import upgrade  # noqa: E402
from services.finance.dispatcher import Deliveries  # noqa: E402
from services.finance.models import (FeedEvent, WebhookDelivery,  # noqa: E402
                                     WebhookSubscription)

PG_SERVER = os.environ.get("ANCHANG_BENCH_PG", "postgresql+psycopg2://postgres@127.0.0.1:5432")


RECEIVER = """
import sys, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
hang = float(sys.argv[1])
class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        self.rfile.read(int(self.headers["content-length"]))
        if hang:
            time.sleep(hang)
        self.send_response(204)
        self.send_header("content-length", "0")
        self.end_headers()
    def log_message(self, *args):
        pass
http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(http.server_port, flush=True)
http.serve_forever()
"""


def server(hang: float):
    """A receiver in a process of its own, as a finance system is."""
    process = subprocess.Popen([sys.executable, "-c", RECEIVER, str(hang)],
                               stdout=subprocess.PIPE, text=True)
    RECEIVERS.append(process)
    return f"http://127.0.0.1:{process.stdout.readline().strip()}/hook"


RECEIVERS = []


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--in-flight", type=int, default=16)
    args = parser.parse_args(argv)
    os.environ.setdefault("WEBHOOK_TIMEOUT_SECONDS", "60")
    patch_psycopg()
    name = f"anchang_bench_webhooks_{uuid.uuid4().hex[:8]}"
    admin = create_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        url = f"{PG_SERVER}/{name}"
        upgrade("finance", url)
        engine = make_engine(url, pool_size=8)
        now = utcnow()
        with engine.begin() as connection:
            fast, slow = (connection.execute(insert(WebhookSubscription).returning(
                WebhookSubscription.id), {
                "url": server(hang), "event_types": ["transactions.payment_received"],
                "project_ids": None, "secret": "whsec_" + "QUFB" * 8,
                "max_in_flight": args.in_flight, "active": 1, "created_at": now}).scalar_one()
                for hang in (0, 30))
            for n in range(args.events):
                event_id = str(uuid.uuid4())
                feed_id = connection.execute(insert(FeedEvent).returning(FeedEvent.id), {
                    "event_id": event_id, "routing_key": "transactions.payment_received",
                    "project_id": 1, "occurred_at": now, "filed_at": now,
                    "payload": {"event_id": event_id, "occurred_at": now.isoformat(),
                                "data": {"amount": "1.00"}}}).scalar_one()
                for subscription in (fast, slow):
                    connection.execute(insert(WebhookDelivery), {
                        "subscription_id": subscription, "event_id": event_id,
                        "message_id": f"msg_{event_id}_{subscription}", "feed_id": feed_id,
                        "status": "pending", "attempts": 0, "next_attempt_at": now,
                        "created_at": now})
        deliveries = Deliveries(engine)
        runner = eventlet.spawn(deliveries.run)
        start, cpu = time.perf_counter(), time.process_time()

        def delivered():
            with engine.connect() as connection:
                return connection.execute(select(func.count()).where(
                    WebhookDelivery.subscription_id == fast,
                    WebhookDelivery.status == "delivered")).scalar_one()
        while delivered() < args.events:
            eventlet.sleep(0.2)
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        rounds = deliveries.rounds
        deliveries.running = False
        runner.kill()
        for process in RECEIVERS:  # the hanging receiver's sends end, and are logged
            process.kill()
            process.wait()
        deliveries.settle()
        with engine.connect() as connection:
            latency = connection.execute(text(
                "SELECT avg(latency_ms), max(latency_ms) FROM webhook_attempts a "
                "JOIN webhook_deliveries d ON d.id = a.delivery_id "
                f"WHERE d.subscription_id = {fast}")).one()
        print(f"| deliveries to the fast receiver | {args.events} | {seconds:.1f} s | "
              f"{args.events / seconds:.0f}/s | the other receiver hangs 30 s a request, "
              f"{args.in_flight} in flight each; receiver latency avg {latency[0]:.0f} ms, "
              f"max {latency[1]} ms; dispatcher CPU {cpu * 1000 / args.events:.2f} ms a "
              f"delivery, {rounds} database rounds; load average {os.getloadavg()[0]:.1f} |")
        engine.dispose()
    finally:
        for process in RECEIVERS:
            process.kill()
            process.wait()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
