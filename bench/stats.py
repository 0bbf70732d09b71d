"""Pure helpers of the benchmarks: percentiles, ratios, goals, pacing and formatting."""
import math
from dataclasses import dataclass


def percentile(values, q: float) -> float | None:
    """The q-th percentile (0..100) with linear interpolation between closest ranks (numpy's
    default); None for no values."""
    if not 0 <= q <= 100:
        raise ValueError(f"percentile {q} is not within 0..100")
    ordered = sorted(values)
    if not ordered:
        return None
    position = (len(ordered) - 1) * q / 100
    lower = math.floor(position)
    upper = min(lower + 1, len(ordered) - 1)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)


def latency_summary(seconds) -> dict:
    """Count, p50, p99 and max of latencies given in seconds, reported in milliseconds."""
    values = list(seconds)
    as_ms = (lambda value: None if value is None else value * 1000)
    return {"count": len(values), "p50_ms": as_ms(percentile(values, 50)),
            "p99_ms": as_ms(percentile(values, 99)), "max_ms": as_ms(max(values, default=None))}


def per_second(count: int, seconds: float) -> float | None:
    return count / seconds if seconds > 0 else None


def ratio(value, ceiling, higher_is_better=True) -> float | None:
    """The fraction of the ceiling's performance: value ÷ ceiling for throughputs, ceiling ÷
    value for latencies; 1.0 is as fast as the bare stack. None when either is missing."""
    if not value or not ceiling:
        return None
    return value / ceiling if higher_is_better else ceiling / value


@dataclass(frozen=True)
class Goal:
    """A goal on a row's value or on its ratio to the ceiling, e.g. Goal("ratio", ">=", 0.7)."""
    on: str          # "value" or "ratio"
    comparison: str  # ">=" or "<="
    threshold: float
    unit: str = ""

    def met(self, value, ratio_value) -> bool | None:
        measured = ratio_value if self.on == "ratio" else value
        if measured is None:
            return None
        return measured >= self.threshold if self.comparison == ">=" else measured <= self.threshold

    def __str__(self):
        subject = "ratio" if self.on == "ratio" else ""
        unit = f" {self.unit}" if self.unit else ""
        return f"{subject} {self.comparison} {self.threshold:g}{unit}".strip()


def due_offsets(rate: float, seconds: float) -> list[float]:
    """When each request of a paced run is due, in seconds after the start: `rate` per second,
    evenly spaced, for `seconds`."""
    if rate <= 0 or seconds <= 0:
        return []
    return [index / rate for index in range(int(round(rate * seconds)))]


def format_number(value, unit: str = "") -> str:
    if value is None:
        return "—"
    if isinstance(value, float) and math.isinf(value):
        text = "∞"
    elif abs(value) >= 100:
        text = f"{value:,.0f}"
    elif abs(value) >= 10:
        text = f"{value:.1f}"
    else:
        text = f"{value:.2f}"
    return f"{text} {unit}".strip()


def format_ratio(value) -> str:
    return "—" if value is None else f"{value:.2f}"


def format_met(met) -> str:
    return {True: "yes", False: "**no**", None: ""}[met]
