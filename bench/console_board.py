"""`python -m bench.console_board [--samples 15]`: the console's sales-control board page
(销控表), server side, for a project of 2,000 units and one of 20,000.

A fresh suite (bench.environment: private databases and vhost, every Procfile process, the
console included) gets the two projects written straight into inventory's database
(bench.seed: 120 rooms to a building, a tenth held, a fifth reserved). Logged in to the console
as an admin, requests one after another (a warm-up first, not counted) time:

- the board page (`/projects/{id}/board`, its first building, as a tab opens it);
- the page of a building further down the tabs (`?building=`);
- the live refresh of one building (`/board/grid?building=`, what every open board asks for
  on each change);
- the console's own share: the page's wall time less the API answers it waited for, measured
  in-process (board_view.grid and the template) on the same JSON;
- and the CPU time the console process spent per page (/proc).

Goal: the 2,000-unit board page ≤ 300 ms; the 20,000-unit one usable (a building at a time).
Prints and records (bench/results/<date>-<time>-console-board.json, and a section in
RESULTS.md); asserts no timing.
"""
import argparse
import json
import re
import time
import uuid
from datetime import datetime, timezone

import requests

from bench.cpu import cpu_seconds
from bench.environment import BenchEnvironment, git_commit
from bench.seed import UNITS_PER_BUILDING, seed_project
from bench.stats import latency_summary

RESULTS = __import__("pathlib").Path(__file__).resolve().parent / "results"
SIZES = (2_000, 20_000)
GOAL_MS = 300


def console_session(env) -> requests.Session:
    session = requests.Session()
    answer = session.post(f"{env.suite.console_url}/login", allow_redirects=False, data={
        "username": "bench-admin", "password": "bench-admin-secret", "next": "/"})
    if answer.status_code != 303:
        raise RuntimeError(f"console login: {answer.status_code} {answer.text[:200]}")
    return session


def timed(session, url, samples, console_pid, expect) -> dict:
    latencies, cpu, size = [], [], 0
    for index in range(samples + 1):
        before = cpu_seconds(console_pid)
        began = time.perf_counter()
        answer = session.get(url, timeout=120)
        elapsed = time.perf_counter() - began
        spent = cpu_seconds(console_pid) - before
        if answer.status_code != 200 or not re.search(expect, answer.text):
            raise RuntimeError(f"{url}: {answer.status_code} {answer.text[:300]}")
        size = len(answer.content)
        if index:  # the first is a warm-up
            latencies.append(elapsed)
            cpu.append(spent)
    summary = latency_summary(latencies)
    return {**{k: round(v, 1) if isinstance(v, float) else v for k, v in summary.items()},
            "console_cpu_ms": round(sum(cpu) / len(cpu) * 1000, 1), "html_kb": round(size / 1e3)}


def in_process(env, project_id, building, samples) -> dict:
    """What the console itself spends on a page once the API answered: the grid and the
    template, on the JSON the API gives (fetched once, outside the timing)."""
    from console import board_view
    from console.app import templates
    api = env.http()
    board = api.get(f"{env.base_url}/api/v1/projects/{project_id}/board",
                    params={"building": building}, timeout=120)
    whole = api.get(f"{env.base_url}/api/v1/projects/{project_id}/board", timeout=120)
    answers = {"building": board.json(), "whole": whole.json()}
    result = {}
    for label, data in answers.items():
        times = []
        for _ in range(samples):
            began = time.perf_counter()
            grid = board_view.grid(data, building, board_view.Filters())
            templates.get_template("_board_grid.html").render(
                grid=grid, project=data["project"], filters=board_view.Filters(),
                text_mode=False)
            times.append(time.perf_counter() - began)
        result[f"grid+template on {label} JSON p50_ms"] = round(
            latency_summary(times)["p50_ms"], 1)
    result["API JSON kB (building, whole)"] = (round(len(board.content) / 1e3),
                                                round(len(whole.content) / 1e3))
    return result


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=15)
    args = parser.parse_args()
    rows = {}
    with BenchEnvironment() as env:
        console_pid = env.suite.processes["console"].pid
        session = console_session(env)
        for units in SIZES:
            project_id = seed_project(env.engine("inventory"), f"bm-cb-{uuid.uuid4().hex[:6]}",
                                      units, held_every=10, reserved_every=5)
            buildings = -(-units // UNITS_PER_BUILDING)
            later = str(buildings // 2 + 1)
            page = f"{env.suite.console_url}/projects/{project_id}/board"
            rows[f"{units:,} units: board page (building 1)"] = timed(
                session, page, args.samples, console_pid, r'data-unit-id="\d+"')
            rows[f"{units:,} units: board page (building {later} of {buildings})"] = timed(
                session, f"{page}?building={later}", args.samples, console_pid,
                r'data-unit-id="\d+"')
            rows[f"{units:,} units: live refresh of one building"] = timed(
                session, f"{page}/grid?building={later}", args.samples, console_pid,
                r'data-unit-id="\d+"')
            rows[f"{units:,} units: console share in-process"] = in_process(
                env, project_id, later, args.samples)
    meta = {"date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "commit": git_commit(), "samples": args.samples, "goal_ms": GOAL_MS}
    print(json.dumps({**meta, "rows": rows}, ensure_ascii=False, indent=1))
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    (RESULTS / f"{stamp}-console-board.json").write_text(
        json.dumps({**meta, "rows": rows}, ensure_ascii=False, indent=1))
    with open(RESULTS.parent / "RESULTS.md", "a") as out:
        out.write(f"\n## console board — {meta['date']} — {meta['commit']} — "
                  f"{args.samples} requests each after a warm-up (shared machine)\n\n"
                  "| what | result |\n|---|---|\n")
        for label, row in rows.items():
            out.write(f"| {label} | {', '.join(f'{k} {v}' for k, v in row.items())} |\n")


if __name__ == "__main__":
    main()
