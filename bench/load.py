"""Load generators in plain threads — a closed loop at a fixed concurrency, a paced open loop
at a fixed rate — and a patient wait for what the load set in motion."""
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from bench.stats import due_offsets, latency_summary, per_second


@dataclass
class LoadResult:
    seconds: float
    latencies: list = field(default_factory=list)  # seconds, successful calls only
    errors: int = 0
    calls: int = 0  # every call made, the warm-up's included (what a CPU meter around it saw)

    @property
    def per_second(self):
        return per_second(len(self.latencies), self.seconds)

    def summary(self) -> dict:
        return {"per_second": self.per_second, "errors": self.errors,
                "seconds": self.seconds, **latency_summary(self.latencies)}


def closed_loop(make_call, concurrency: int, seconds: float, warmup: float = 1.0) -> LoadResult:
    """`concurrency` threads each call `make_call()`'s callable back to back. Calls that start
    during the warm-up are not counted; the window is the `seconds` after it. A call returns
    True on success."""
    start = time.perf_counter()
    window_start, window_end = start + warmup, start + warmup + seconds

    def worker():
        call = make_call()
        latencies, errors, calls = [], 0, 0
        while True:
            began = time.perf_counter()
            if began >= window_end:
                return latencies, errors, calls
            try:
                ok = call()
            except Exception:  # a refused connection or a timeout counts as a failed call
                ok = False
            calls += 1
            ended = time.perf_counter()
            if began >= window_start and ended <= window_end:
                if ok:
                    latencies.append(ended - began)
                else:
                    errors += 1

    result = LoadResult(seconds)
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        for latencies, errors, calls in pool.map(lambda _: worker(), range(concurrency)):
            result.latencies.extend(latencies)
            result.errors += errors
            result.calls += calls
    return result


@dataclass
class PacedCall:
    index: int
    due_epoch: float      # when the call was due (wall clock), the start of its latency
    latency: float        # seconds from due time to the answer (waiting for a thread included)
    result: object


def paced(send, rate: float, seconds: float, threads: int = 64) -> list[PacedCall]:
    """Call `send(index)` `rate` times a second for `seconds`, each when it is due, whatever
    the answers take (an open loop). Latency counts from the due time, so a backlog shows up as
    latency rather than as fewer requests (no coordinated omission)."""
    offsets = due_offsets(rate, seconds)
    start, start_epoch = time.perf_counter() + 0.05, time.time() + 0.05
    lock, calls = threading.Lock(), []

    def run(index, offset):
        try:
            result = send(index)
        except Exception as exc:  # kept as the call's result: the caller counts it as an error
            result = exc
        call = PacedCall(index, start_epoch + offset, time.perf_counter() - (start + offset),
                         result)
        with lock:
            calls.append(call)

    with ThreadPoolExecutor(max_workers=threads) as pool:
        for index, offset in enumerate(offsets):
            delay = start + offset - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            pool.submit(run, index, offset)
    return sorted(calls, key=lambda call: call.index)


def wait_while_progressing(measure, target, stall_seconds, interval=0.2):
    """Poll `measure()` until it reaches `target`, for as long as it keeps growing (an
    overloaded suite is slow, not broken); give up after `stall_seconds` without growth.
    Returns the last measure."""
    best, last_growth = None, time.monotonic()
    while True:
        value = measure()
        if value >= target:
            return value
        if best is None or value > best:
            best, last_growth = value, time.monotonic()
        elif time.monotonic() - last_growth > stall_seconds:
            return value
        time.sleep(interval)
