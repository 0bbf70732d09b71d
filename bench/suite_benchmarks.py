"""The suite's own paths, through the running services, each set against its ceiling."""
import itertools
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import func, insert, select

from bench.ceilings import http_rows, poster
from bench.cpu import cpu_meter, cpu_row, infrastructure_pids
from bench.data import (call_list_csv, complaint_filed_event, generated_leads, lead_body,
                        rooms_workbook)
from bench.environment import BENCH_RPC_TIMEOUT_SECONDS, DEFAULT_RPC_TIMEOUT_SECONDS
from bench.load import closed_loop, paced, wait_while_progressing
from bench.report import IncompleteRun, Row, require_no_errors
from bench.seed import available_units, seed_project
from bench.stats import Goal, due_offsets, format_number, latency_summary, per_second
from contracts.leads import MAX_IMPORT_ROWS
from infra.database import utcnow
from services.archive.models import Document
from services.complaints.models import metadata as complaints_metadata
from services.leads.domain import normalize_mobile

LEADS = "1 lead registration"
BULK_IMPORT = "2 bulk lead import"
SAGA = "3 deposit saga"
BOARD = "4 sales-control board"
FANOUT = "5 event fan-out"
UNIT_IMPORT = "6 unit import"
FILING = "7 complaint filing"
# each attempt of benchmark 2 imports numbers no earlier attempt left in the call pool
CALL_LIST_PREFIXES = iter(("136", "137", "135", "134"))


def _finished_job(session, accepted, timeout=BENCH_RPC_TIMEOUT_SECONDS) -> dict:
    """Follow an accepted import (202, Location) until its job is done."""
    if accepted.status_code != 202:
        raise RuntimeError(f"{accepted.request.method} {accepted.url}: "
                           f"{accepted.status_code} {accepted.text[:300]}")
    location = accepted.url.split("/api/v1/")[0] + accepted.headers["Location"]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = session.get(location, timeout=30).json()
        if job["status"] == "done":
            return job
        if job["status"] == "failed":
            raise IncompleteRun(f"import {job['id']} failed: {job['error']}")
        time.sleep(0.1)
    raise IncompleteRun(f"import at {location} not done within {timeout} s")


def _created(response) -> dict:
    if response.status_code != 201:
        raise RuntimeError(f"{response.request.method} {response.url}: "
                           f"{response.status_code} {response.text[:300]}")
    return response.json()


# --- 1 ---------------------------------------------------------------------------------

def lead_registration(env, mode) -> list[Row]:
    """New walk-ins registered through POST /api/v1/visits: auth, dedupe, rotation, customer
    code, two events in the outbox, published after commit."""
    office_id = _office_with_consultants(env)
    url = f"{env.base_url}/api/v1/visits"
    rows, failures = [], {}
    for concurrency in (1, 16):
        with cpu_meter({**env.service_pids(), **infrastructure_pids()}) as spent:
            result = closed_loop(poster(url, lambda: lead_body(office_id), env.token),
                                 concurrency, mode.http_seconds, mode.warmup_seconds)
            env.wait_until_quiet()  # the consumers' share of each registration counts too
        rows += http_rows(LEADS, f"c={concurrency}", result, ceiling_key=f"A.c{concurrency}",
                          goal=Goal("ratio", ">=", 0.7))
        rows.append(cpu_row(LEADS, f"c={concurrency}", spent, result.calls,
                            key=f"1.c{concurrency}.cpu_ms",
                            ceiling_key=f"A.c{concurrency}.cpu_ms"))
        failures[f"c={concurrency}"] = result.errors
    return require_no_errors(rows, failures)


# --- 7 ---------------------------------------------------------------------------------

def complaint_filing(env, mode) -> list[Row]:
    """Complaints filed through POST /api/v1/complaints, each naming a unit (the gateway asks
    inventory for its project; the complaints service writes the record card, its status
    history and clocks, and one event the archive files into the unit's dossier). CPU per
    filing is set against CPU per registration (benchmark 1) of the same run: the goal is a
    ratio ≥ 1, a filing costing no more than a registration."""
    project_id = seed_project(env.engine("inventory"), f"bm-cs-{uuid.uuid4().hex[:6]}", 40)
    units = itertools.cycle(available_units(env.engine("inventory"), project_id))
    url = f"{env.base_url}/api/v1/complaints"

    def body():
        return {"complainant_name": "基准客户", "contact": "13800138000", "channel": "phone",
                "content": "卫生间渗水", "request": "other", "unit_id": next(units),
                "project_id": project_id}
    rows, failures = [], {}
    for concurrency in (1, 16):
        with cpu_meter({**env.service_pids(), **infrastructure_pids()}) as spent:
            result = closed_loop(poster(url, body, env.token), concurrency, mode.http_seconds,
                                 mode.warmup_seconds)
            env.wait_until_quiet()  # the archive's filing of each event counts too
        rows += http_rows(FILING, f"c={concurrency}", result, ceiling_key=f"A.c{concurrency}")
        rows.append(cpu_row(FILING, f"c={concurrency}", spent, result.calls,
                            ceiling_key=f"1.c{concurrency}.cpu_ms"))
        rows[-1].goal = Goal("ratio", ">=", 1.0)
        rows[-1].note += " · ceiling: CPU per lead registration (1) of this run"
        failures[f"c={concurrency}"] = result.errors
    return require_no_errors(rows, failures)


def _office_with_consultants(env) -> int:
    session = env.http()
    office = _created(session.post(f"{env.base_url}/api/v1/offices", json={
        "code": f"bm-{uuid.uuid4().hex[:8]}", "name": "基准案场", "region_code": "bm"}))
    for name in ("王五", "赵六", "孙七", "周八"):
        _created(session.post(f"{env.base_url}/api/v1/consultants",
                              json={"office_id": office["id"], "name": name}))
    return office["id"]


# --- 2 ---------------------------------------------------------------------------------

def bulk_lead_import(env, mode) -> list[Row]:
    """`mode.import_leads` generated leads (5 % repeated mobiles, written differently)
    uploaded as CSV call lists to POST /api/v1/call-lists, one list of at most
    MAX_IMPORT_ROWS after the other, as a manager would, each followed as a job until done.
    Checks that every distinct number was added once and every repeat counted."""
    leads = iter(generated_leads(mode.import_leads, prefix=next(CALL_LIST_PREFIXES)))
    lists, distinct = [], set()
    while chunk := list(itertools.islice(leads, MAX_IMPORT_ROWS)):
        distinct.update(normalize_mobile(lead["mobile"]) for lead in chunk)
        lists.append(call_list_csv(chunk))
    session, url = env.http(), f"{env.base_url}/api/v1/call-lists"
    session.headers["Content-Type"] = "text/csv"
    added = duplicates = 0
    upload_seconds = []
    began = time.perf_counter()
    for number, body in enumerate(lists, 1):
        started = time.perf_counter()
        result = _finished_job(session, session.post(
            url, data=body, timeout=BENCH_RPC_TIMEOUT_SECONDS,
            params={"source": "purchased", "file_name": f"bench-{number}.csv"}))["result"]
        upload_seconds.append(time.perf_counter() - started)
        added, duplicates = added + result["added"], duplicates + result["duplicates"]
    seconds = time.perf_counter() - began
    if (added, duplicates) != (len(distinct), mode.import_leads - len(distinct)):
        raise IncompleteRun(f"bulk import: {added} added and {duplicates} duplicates, expected "
                            f"{len(distinct)} and {mode.import_leads - len(distinct)}")
    note = (f"{len(lists)} upload(s) of ≤ {MAX_IMPORT_ROWS:,} CSV rows in {seconds:.0f} s "
            f"(slowest {max(upload_seconds):.1f} s); {added:,} added, {duplicates:,} repeats")
    return [Row(BULK_IMPORT, f"{mode.import_leads:,} generated leads with dedupe",
                per_second(mode.import_leads, seconds), "leads/s", ceiling_key="C.bulk",
                goal=Goal("value", ">=", 5000, "leads/s"), note=note)]


# --- 3 ---------------------------------------------------------------------------------

@dataclass
class SagaStep:
    rate: float
    seconds: float
    http: dict        # POST /deposits: latency summary
    saga: dict        # from when the deposit was due to its deposit_confirmed in the dossier
    refused: Counter  # why the gateway did not take a deposit ("HTTP 503", "ReadTimeout")
    missing: int      # deposits whose dossier entry never came

    @property
    def sustained(self) -> bool:
        p99 = self.saga["p99_ms"]
        return not self.refused and not self.missing and p99 is not None and p99 <= 1000

    def outcome(self) -> str:
        refused = ", ".join(f"{count} × {reason}" for reason, count in self.refused.items())
        return (f"{self.saga['count']} deposits filed, {self.missing} never filed, "
                f"refused: {refused or 'none'}")

    def describe(self) -> str:
        text = f"{self.rate:g}/s: p99 {format_number(self.saga['p99_ms'], 'ms')}"
        return text + (f" ({self.outcome()})" if self.refused or self.missing else "")


def deposit_saga(env, mode) -> list[Row]:
    """POST /deposits at a steady rate on available units; each deposit is timed until its
    saga is done: the archive has filed its `deposit_confirmed` in the unit's dossier
    (deposit_received → inventory reserves → unit_reserved → transactions confirms →
    deposit_confirmed → archive). CPU per deposit counts every process until every consumer
    is done with the deposit's events (the archive's five documents, finance, leads)."""
    engine = env.engine("inventory")
    project_id = seed_project(engine, f"bm-saga-{uuid.uuid4().hex[:6]}", mode.saga_units)
    units = iter(available_units(engine, project_id))
    with cpu_meter({**env.service_pids(), **infrastructure_pids()}) as spent:
        step = run_saga_step(env, project_id, units, mode.saga_rate, mode.saga_seconds,
                             mode.stall_seconds)
        env.wait_until_quiet()
    label = f"{mode.saga_rate:g}/s for {mode.saga_seconds:g} s"
    note = step.outcome()
    cpu = cpu_row(SAGA, f"{label}:", spent, step.saga["count"], ceiling_key="A.c16.cpu_ms")
    cpu.measure, cpu.goal = f"{label}: CPU per deposit", Goal("value", "<=", 25, "ms")
    cpu.note += " · ceiling: ceiling A's CPU per request at c=16"
    rows = [
        Row(SAGA, f"{label}: deposit → confirmed and filed p50", step.saga["p50_ms"], "ms"),
        Row(SAGA, f"{label}: deposit → confirmed and filed p99", step.saga["p99_ms"], "ms",
            goal=Goal("value", "<=", 1000, "ms"), note=note),
        Row(SAGA, f"{label}: POST /deposits p50", step.http["p50_ms"], "ms"),
        Row(SAGA, f"{label}: POST /deposits p99", step.http["p99_ms"], "ms"),
        cpu,
    ]
    if step.missing or step.refused:  # an error path, not a slow one: make the run fail
        raise IncompleteRun(f"deposit saga incomplete: {note}", rows)
    return rows + [max_sustained_rate(env, project_id, units, mode)]


def max_sustained_rate(env, project_id, units, mode) -> Row:
    """Climb the ladder of rates until the saga's p99 passes 1 s; the last rate below is the
    maximum sustained rate."""
    best, steps = None, []
    for rate in mode.saga_ladder:
        env.wait_until_quiet()
        step = run_saga_step(env, project_id, units, rate, mode.ladder_seconds,
                             mode.stall_seconds)
        steps.append(step)
        if not step.sustained:
            break
        best = rate
    ladder = "; ".join(step.describe() for step in steps)
    if best is None:
        note = f"below the lowest step: {ladder}"
    elif steps[-1].sustained:
        note = f"every step held, the maximum is higher: {ladder}"
    else:
        note = f"{mode.ladder_seconds:g} s per step: {ladder}"
    return Row(SAGA, "max sustained rate with p99 ≤ 1 s", best, "deposits/s",
               goal=Goal("value", ">=", 50, "deposits/s"), note=note)


def run_saga_step(env, project_id, units, rate, seconds, stall_seconds) -> SagaStep:
    unit_ids = [next(units) for _ in due_offsets(rate, seconds)]
    url = f"{env.base_url}/api/v1/deposits"
    local = threading.local()

    def send(index):
        if not hasattr(local, "session"):
            local.session = env.http()
        unit_id = unit_ids[index]
        response = local.session.post(url, timeout=60, json={
            "unit_id": unit_id, "project_id": project_id, "customer_id": 100_000 + unit_id,
            "consultant_id": 1, "amount": "20000.00", "kind": "small"})
        if response.status_code != 201:
            return f"HTTP {response.status_code}"
        return response.json()["id"]

    began = datetime.now(timezone.utc)
    calls = paced(send, rate, seconds)
    taken = {call.result: call for call in calls if isinstance(call.result, int)}
    refused = Counter(call.result if isinstance(call.result, str) else type(call.result).__name__
                      for call in calls if not isinstance(call.result, int))
    filed = _wait_for_dossier_entries(env, set(taken), began, stall_seconds)
    saga_latencies = [filed[deposit].timestamp() - taken[deposit].due_epoch for deposit in filed]
    return SagaStep(rate, seconds, latency_summary(call.latency for call in taken.values()),
                    latency_summary(saga_latencies), refused, missing=len(taken) - len(filed))


def _wait_for_dossier_entries(env, deposit_ids, since, stall_seconds) -> dict:
    """deposit id → when the archive filed its deposit_confirmed (`filed_at`, stamped by the
    archive's handler inside the transaction that stores it)."""
    query = (select(Document.data["deposit_id"].as_integer(), Document.filed_at)
             .where(Document.type == "deposit_confirmed", Document.filed_at >= since))
    filed = {}
    with env.engine("archive").connect() as connection:
        def count_filed():
            filed.update((deposit, at) for deposit, at in connection.execute(query)
                         if deposit in deposit_ids)
            connection.rollback()  # a fresh snapshot each poll
            return len(filed)
        wait_while_progressing(count_filed, len(deposit_ids), stall_seconds)
    return filed


# --- 4 ---------------------------------------------------------------------------------

def board(env, mode) -> list[Row]:
    """GET /projects/{id}/board of projects with a mix of available, held and reserved units
    (requests one after another; the first, a warm-up, is not counted when there are 5+)."""
    rows = []
    session = env.http()
    for unit_count, samples in mode.boards:
        project_id = seed_project(env.engine("inventory"),
                                  f"bm-board-{uuid.uuid4().hex[:6]}", unit_count,
                                  held_every=10, reserved_every=5)
        url = f"{env.base_url}/api/v1/projects/{project_id}/board"
        warmup = 1 if samples >= 5 else 0
        latencies, size = [], 0
        for index in range(warmup + samples):
            began = time.perf_counter()
            response = session.get(url, timeout=BENCH_RPC_TIMEOUT_SECONDS + 30)
            elapsed = time.perf_counter() - began
            if response.status_code != 200 or len(response.json()["units"]) != unit_count:
                raise RuntimeError(f"board of {unit_count} units: {response.status_code} "
                                   f"{response.text[:200]}")
            size = len(response.content)
            if index >= warmup:
                latencies.append(elapsed)
        summary = latency_summary(latencies)
        note = f"{samples} requests, {size / 1e6:.1f} MB of JSON"
        if summary["max_ms"] > DEFAULT_RPC_TIMEOUT_SECONDS * 1000:
            note += f"; past the default {DEFAULT_RPC_TIMEOUT_SECONDS} s RPC timeout (a 504)"
        goal = Goal("value", "<=", 150, "ms") if unit_count == 20_000 else None
        rows += [Row(BOARD, f"{unit_count:,} units p50", summary["p50_ms"], "ms"),
                 Row(BOARD, f"{unit_count:,} units p99", summary["p99_ms"], "ms", goal=goal,
                     note=note)]
    for unit_count in mode.boards_skipped:
        rows.append(Row(BOARD, f"{unit_count:,} units p99", None, "ms",
                        note="full mode only"))
    return rows


# --- 5 ---------------------------------------------------------------------------------

def event_fanout(env, mode) -> list[Row]:
    """`fanout_events` events committed to the complaints outbox in one transaction; the
    complaints service's relay publishes them, the archive consumes and files every one.
    Timed from the commit to the last document filed."""
    count = mode.fanout_events
    archive = env.engine("archive")
    filed_query = select(func.count(), func.max(Document.filed_at)).where(
        Document.type == "complaint_filed")
    with archive.connect() as connection:
        before = connection.execute(filed_query).one()[0]
    outbox = complaints_metadata.tables["outbox"]
    rows = [{"event_id": event["event_id"], "routing_key": "complaints.complaint_filed",
             "payload": event, "created_at": utcnow()}
            for event in (complaint_filed_event(number) for number in range(count))]
    with env.engine("complaints").begin() as connection:
        connection.execute(insert(outbox), rows)
    committed = time.time()
    with archive.connect() as connection:
        def count_filed():
            filed = connection.execute(filed_query).one()[0]
            connection.rollback()
            return filed - before
        filed = wait_while_progressing(count_filed, count, mode.stall_seconds)
        last = connection.execute(filed_query).one()[1]
    if filed < count:
        raise IncompleteRun(f"event fan-out: {filed} of {count} events filed")
    seconds = last.timestamp() - committed
    note = "outbox sweep → broker → archive, commit to last filing"
    return [Row(FANOUT, f"{count:,} events: time", seconds, "s", note=note),
            Row(FANOUT, f"{count:,} events: events/s", per_second(count, seconds), "events/s",
                ceiling_key="B.end_to_end")]


# --- 6 ---------------------------------------------------------------------------------

def unit_import(env, mode) -> list[Row]:
    """A table of `mode.import_rooms` rooms with prices, as an office's XLSX, uploaded to
    POST /projects/{id}/units/import and followed as a job until done (every room created and
    priced). Meanwhile another client reads the project's price lists in a loop: those reads
    are answered by inventory, the service running the import, so their latency shows how
    much the import holds the service up; the same reads before the import are the yardstick."""
    project_id = seed_project(env.engine("inventory"), f"bm-import-{uuid.uuid4().hex[:6]}", 0)
    body = rooms_workbook(mode.import_rooms)
    reads_url = f"{env.base_url}/api/v1/projects/{project_id}/price-lists"
    reader = env.http()

    def read_for(seconds=None, until=None):
        latencies, errors = [], 0
        end = time.monotonic() + seconds if seconds else None
        while not (until.is_set() if until else time.monotonic() > end):
            started = time.perf_counter()
            response = reader.get(reads_url, timeout=BENCH_RPC_TIMEOUT_SECONDS)
            latencies.append(time.perf_counter() - started)
            errors += response.status_code != 200
            time.sleep(0.05)
        return latencies, errors

    idle, idle_errors = read_for(seconds=3)
    finished, meanwhile = threading.Event(), {}
    thread = threading.Thread(target=lambda: meanwhile.update(zip(
        ("latencies", "errors"), read_for(until=finished))))
    session = env.http()
    session.headers["Content-Type"] = ("application/vnd.openxmlformats-officedocument."
                                       "spreadsheetml.sheet")
    thread.start()
    try:
        began = time.perf_counter()
        accepted = session.post(f"{env.base_url}/api/v1/projects/{project_id}/units/import",
                                data=body, params={"file_name": "价格表.xlsx"},
                                timeout=BENCH_RPC_TIMEOUT_SECONDS)
        answered = time.perf_counter() - began
        job = _finished_job(session, accepted)
        seconds = time.perf_counter() - began
    finally:
        finished.set()
        thread.join()
    result = job["result"]
    if (result["created"], result["priced"], result["errors"]) != (
            mode.import_rooms, mode.import_rooms, []):
        raise IncompleteRun(f"unit import: {result}")
    if idle_errors or meanwhile["errors"]:
        raise IncompleteRun(f"reads failed: {idle_errors} before, {meanwhile['errors']} during")
    idle_summary, during = latency_summary(idle), latency_summary(meanwhile["latencies"])
    rooms = f"{mode.import_rooms:,} rooms"
    return [
        Row(UNIT_IMPORT, f"{rooms}: upload answered (202)", answered * 1000, "ms",
            higher_is_better=False, note=f"{len(body) / 1024:,.0f} KB XLSX, sent in chunks"),
        Row(UNIT_IMPORT, f"{rooms}: upload → job done", seconds, "s", higher_is_better=False,
            note=f"{per_second(mode.import_rooms, seconds):,.0f} rooms/s; read "
                 f"{_seconds_between(job['started_at'], job['created_at']):.1f} s after the "
                 f"upload; created and priced every room, one price-list version"),
        Row(UNIT_IMPORT, "reads of inventory meanwhile p50", during["p50_ms"], "ms",
            higher_is_better=False, note=f"before the import: {format_number(idle_summary['p50_ms'], 'ms')}"),
        Row(UNIT_IMPORT, "reads of inventory meanwhile p99", during["p99_ms"], "ms",
            higher_is_better=False,
            note=f"{during['count']} reads, slowest {format_number(during['max_ms'], 'ms')}; "
                 f"before the import: p99 {format_number(idle_summary['p99_ms'], 'ms')}"),
    ]


def _seconds_between(later: str, earlier: str) -> float:
    return (datetime.fromisoformat(later) - datetime.fromisoformat(earlier)).total_seconds()
