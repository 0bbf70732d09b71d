"""Rows of results, their markdown table, and where they are recorded: bench/RESULTS.md
(appended), bench/results/<timestamp>-<mode>.json, and the latest table in bench/README.md."""
import json
import re
from dataclasses import asdict, dataclass
from pathlib import Path

from bench.stats import Goal, format_met, format_number, format_ratio, ratio

BENCH_DIR = Path(__file__).resolve().parent
RESULTS_MD = BENCH_DIR / "RESULTS.md"
RESULTS_DIR = BENCH_DIR / "results"
README = BENCH_DIR / "README.md"
MEMORY = "6 memory (RSS)"


@dataclass
class Row:
    benchmark: str
    measure: str
    value: float | None
    unit: str = ""
    ceiling_key: str = ""           # the key of the ceiling row this row is measured against
    higher_is_better: bool = True   # False for latencies
    goal: Goal | None = None
    note: str = ""
    key: str = ""                   # set on ceiling rows, so suite rows can find them
    ceiling: float | None = None    # the ceiling's value, filled in by `settle_ceilings`

    @property
    def ratio(self):
        return ratio(self.value, self.ceiling, self.higher_is_better)

    @property
    def met(self):
        return self.goal.met(self.value, self.ratio) if self.goal else None

    def as_dict(self) -> dict:
        return {**asdict(self), "goal": str(self.goal) if self.goal else None,
                "ratio": self.ratio, "met": self.met}

    def value_text(self) -> str:
        if self.value is None:
            return self.note or "—"
        return format_number(self.value, self.unit)


class IncompleteRun(RuntimeError):
    """A benchmark whose path failed (errors, events that never arrived): its rows so far are
    kept, and the run counts as one that could not run."""

    def __init__(self, message, rows=()):
        super().__init__(message)
        self.rows = list(rows)


def require_no_errors(rows: list[Row], failures: dict) -> list[Row]:
    """`failures`: label → how many calls failed. Any failure makes the run incomplete."""
    failed = {label: count for label, count in failures.items() if count}
    if failed:
        raise IncompleteRun("failed calls: " + ", ".join(
            f"{label}: {count}" for label, count in failed.items()), rows)
    return rows


def settle_ceilings(rows: list[Row]) -> list[Row]:
    """A ceiling measured more than once (before and after its suite benchmark, to bracket
    the machine's drift) becomes one row with the mean; then every suite row gets its
    ceiling's value."""
    merged, runs = [], {}
    for row in rows:
        if row.key in runs:
            runs[row.key].append(row)
            continue
        if row.key:
            runs[row.key] = [row]
        merged.append(row)
    means = {key: _mean([run.value for run in repeats]) for key, repeats in runs.items()}
    for row in merged:
        repeats = runs.get(row.key, [])
        if len(repeats) > 1:
            row.note = "mean of " + "; ".join(
                format_number(run.value, run.unit) + (f" ({run.note})" if run.note else "")
                for run in repeats)
            row.value = means[row.key]
        if row.ceiling_key:
            row.ceiling = means.get(row.ceiling_key)
    return merged


def _mean(values):
    known = [value for value in values if value is not None]
    return sum(known) / len(known) if known else None


def markdown_table(rows: list[Row]) -> str:
    lines = ["| benchmark | measure | value | ceiling | ratio | goal | met | note |",
             "|---|---|---:|---:|---:|---|---|---|"]
    for row in rows:
        if row.benchmark == MEMORY:
            continue
        ceiling = format_number(row.ceiling, row.unit) if row.ceiling is not None else ""
        note = row.note if row.value is not None else ""
        lines.append(f"| {row.benchmark} | {row.measure} | {row.value_text()} | {ceiling} | "
                     f"{format_ratio(row.ratio) if row.ceiling else ''} | "
                     f"{row.goal or ''} | {format_met(row.met)} | {note} |")
    return "\n".join(lines)


def memory_table(rows: list[Row]) -> str:
    """Resident set per process, one column per moment it was taken."""
    memory = [row for row in rows if row.benchmark == MEMORY]
    if not memory:
        return ""
    moments = list(dict.fromkeys(row.measure.split(", ", 1)[1] for row in memory))
    processes = list(dict.fromkeys(row.measure.split(", ", 1)[0] for row in memory))
    values = {(row.measure.split(", ", 1)[0], row.measure.split(", ", 1)[1]): row
              for row in memory}
    lines = [f"| RSS (MiB) | {' | '.join(moments)} |", "|---|" + "---:|" * len(moments)]
    for process in processes:
        cells = [format_number(values[(process, moment)].value)
                 if (process, moment) in values else "—" for moment in moments]
        lines.append(f"| {process} | {' | '.join(cells)} |")
    return "\n".join(lines)


def memory_rows(snapshots: dict[str, dict[str, float]]) -> list[Row]:
    """`{"idle": {"gateway": 80.1, ...}, "after 3": {...}}` as rows."""
    return [Row(MEMORY, f"{process}, {moment}", megabytes, "MiB")
            for moment, by_process in snapshots.items()
            for process, megabytes in by_process.items()]


def section(meta: dict, rows: list[Row]) -> str:
    header = (f"## {meta['date']} — {meta['mode']} mode\n\n"
              f"host `{meta['host']}`, {meta['cpus']} CPUs, commit `{meta['commit']}`, "
              f"{meta['seconds']:.0f} s"
              + (f"; only {', '.join(meta['only'])}" if meta.get("only") else ""))
    parts = [header, markdown_table(rows), memory_table(rows)]
    if meta.get("errors"):
        parts.append("Errors:\n" + "\n".join(f"- {error}" for error in meta["errors"]))
    return "\n\n".join(part for part in parts if part) + "\n"


def record(meta: dict, rows: list[Row]) -> Path:
    """Append to RESULTS.md, write the JSON file, and show the table in README.md."""
    text = section(meta, rows)
    if not RESULTS_MD.exists():
        RESULTS_MD.write_text("# Benchmark results\n\nOne section per run, newest last "
                              "(`python -m bench` appends).\n")
    with RESULTS_MD.open("a") as results:
        results.write("\n" + text)
    RESULTS_DIR.mkdir(exist_ok=True)
    json_path = RESULTS_DIR / f"{meta['stamp']}-{meta['mode']}.json"
    json_path.write_text(json.dumps({**meta, "rows": [row.as_dict() for row in rows]},
                                    indent=2, ensure_ascii=False, default=str) + "\n")
    _show_in_readme(meta["mode"], text)
    return json_path


def _show_in_readme(mode: str, text: str) -> None:
    """Replace what stands between `<!-- latest MODE -->` and `<!-- /latest MODE -->`."""
    if not README.exists():
        return
    start, end = f"<!-- latest {mode} -->", f"<!-- /latest {mode} -->"
    pattern = re.compile(re.escape(start) + ".*?" + re.escape(end), re.S)
    block = f"{start}\n{text.replace('## ', '### ', 1)}{end}"
    readme = README.read_text()
    if pattern.search(readme):
        README.write_text(pattern.sub(lambda _: block, readme))
