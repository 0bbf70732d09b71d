"""The benchmarks' pure helpers: percentiles, ratios and goals, pacing, formatting, and how
repeated ceiling runs are combined. No timing is asserted anywhere."""
import math
import os
import time

import pytest

from bench.cpu import cpu_meter, cpu_row
from bench.data import generated_leads
from bench.load import wait_while_progressing
from bench.report import Row, settle_ceilings
from bench.stats import (Goal, due_offsets, format_met, format_number, format_ratio,
                         latency_summary, per_second, percentile, ratio)
from services.leads.domain import normalize_mobile


def test_percentile_interpolates_between_closest_ranks():
    values = [15, 20, 35, 40, 50]
    assert percentile(values, 0) == 15
    assert percentile(values, 50) == 35
    assert percentile(values, 100) == 50
    assert percentile(values, 40) == pytest.approx(29.0)  # numpy.percentile(values, 40)
    assert percentile(values, 99) == pytest.approx(49.6)


def test_percentile_of_one_none_or_unsorted_values():
    assert percentile([7], 99) == 7
    assert percentile([], 50) is None
    assert percentile([3, 1, 2], 50) == 2
    with pytest.raises(ValueError):
        percentile([1], 101)


def test_p99_of_a_hundred_values_sits_just_below_the_worst():
    latencies = [0.001 * n for n in range(1, 101)]
    summary = latency_summary(latencies)
    assert summary["count"] == 100
    assert summary["p50_ms"] == pytest.approx(50.5)
    assert summary["p99_ms"] == pytest.approx(99.01)
    assert summary["max_ms"] == pytest.approx(100)
    assert latency_summary([]) == {"count": 0, "p50_ms": None, "p99_ms": None, "max_ms": None}


def test_ratio_is_the_fraction_of_the_ceiling_for_throughput_and_latency():
    assert ratio(70, 100) == pytest.approx(0.7)
    assert ratio(20, 10, higher_is_better=False) == pytest.approx(0.5)  # twice as slow
    assert ratio(None, 100) is None
    assert ratio(50, None) is None
    assert ratio(50, 0) is None
    assert per_second(30, 2) == 15
    assert per_second(30, 0) is None


def test_goals_on_the_ratio_or_on_the_value():
    on_ratio = Goal("ratio", ">=", 0.7)
    assert on_ratio.met(value=10, ratio_value=0.71) is True
    assert on_ratio.met(value=10, ratio_value=0.69) is False
    assert on_ratio.met(value=10, ratio_value=None) is None
    latency = Goal("value", "<=", 100, "ms")
    assert latency.met(value=100, ratio_value=None) is True
    assert latency.met(value=101, ratio_value=None) is False
    assert str(on_ratio) == "ratio >= 0.7"
    assert str(latency) == "<= 100 ms"


def test_paced_calls_are_evenly_spaced():
    offsets = due_offsets(rate=50, seconds=2)
    assert len(offsets) == 100
    assert offsets[0] == 0
    assert offsets[1] == pytest.approx(0.02)
    assert offsets[-1] == pytest.approx(1.98)
    assert due_offsets(rate=0, seconds=10) == []
    assert len(due_offsets(rate=2.5, seconds=3)) == 8  # 7.5 rounds to 8


def test_formatting():
    assert format_number(1234.5, "rows/s") == "1,234 rows/s"  # round half to even
    assert format_number(12.345, "ms") == "12.3 ms"
    assert format_number(0.123) == "0.12"
    assert format_number(None, "ms") == "—"
    assert format_number(math.inf, "ms") == "∞ ms"
    assert format_ratio(0.6789) == "0.68"
    assert format_ratio(None) == "—"
    assert (format_met(True), format_met(False), format_met(None)) == ("yes", "**no**", "")


def test_a_ceiling_measured_twice_is_one_row_with_the_mean_and_suite_rows_get_it():
    rows = [Row("A", "c=1 requests/s", 100.0, "req/s", key="A.c1.per_second"),
            Row("1", "c=1 requests/s", 72.0, "req/s", ceiling_key="A.c1.per_second",
                goal=Goal("ratio", ">=", 0.7)),
            Row("A", "c=1 requests/s", 80.0, "req/s", key="A.c1.per_second"),
            Row("2", "import", None, "leads/s", ceiling_key="C.bulk")]
    settled = settle_ceilings(rows)
    assert [row.benchmark for row in settled] == ["A", "1", "2"]
    assert settled[0].value == 90
    assert settled[0].note == "mean of 100 req/s; 80.0 req/s"
    assert settled[1].ceiling == 90
    assert settled[1].ratio == pytest.approx(0.8)
    assert settled[1].met is True
    assert settled[2].ceiling is None and settled[2].met is None


def test_generated_leads_repeat_some_mobiles_written_differently_and_are_reproducible():
    leads = list(generated_leads(2000, duplicate_share=0.1))
    assert leads == list(generated_leads(2000, duplicate_share=0.1))
    mobiles = [normalize_mobile(lead["mobile"]) for lead in leads]
    assert None not in mobiles
    repeated = len(mobiles) - len(set(mobiles))
    assert 100 < repeated < 300
    assert any(lead["mobile"].startswith("+86 ") for lead in leads)


def test_waiting_for_events_goes_on_while_they_come_and_stops_when_they_stall():
    arriving = iter([1, 2, 3, 4, 5])
    assert wait_while_progressing(lambda: next(arriving), 4, stall_seconds=1, interval=0) == 4
    stalled = iter([1, 2] + [2] * 1000)
    assert wait_while_progressing(lambda: next(stalled), 4, stall_seconds=0.02,
                                  interval=0.001) == 2


def test_cpu_row_sums_the_groups_per_request_and_names_the_largest_first():
    row = cpu_row("1 lead registration", "c=16", {"gateway": 0.4, "leads": 2.0, "idle": 0.0},
                  100, ceiling_key="A.c16.cpu_ms")
    assert row.value == pytest.approx(24.0) and row.unit == "ms"
    assert row.note == "ms: leads 20.0 · gateway 4.0"
    assert not row.higher_is_better and row.ceiling_key == "A.c16.cpu_ms"
    assert cpu_row("x", "c=1", {"gateway": 1.0}, 0).value is None


def test_cpu_meter_counts_the_time_a_process_spent_inside_the_block():
    with cpu_meter({"load generator": [os.getpid()], "gone": [2 ** 22 + 1]}) as spent:
        deadline = time.process_time() + 0.3
        while time.process_time() < deadline:
            pass
    assert spent["load generator"] >= 0.2
    assert spent["gone"] == 0.0
