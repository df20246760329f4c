"""Turns a benchmark run into results.json, the ratio table (RESULTS.md) and the cost plot."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from bench import costs
from bench.prices import PRICES_AS_OF, dynamodb_cost

RESULTS_JSON = "results.json"
RESULTS_MD = "RESULTS.md"
PLOT_PNG = "cost_per_job.png"
ABSOLUTE_ONLY = frozenset({"polls timed"})


def _ratio(ours: float, theirs: float) -> str:
    if theirs == 0:
        return "n/a"
    value = ours / theirs
    return f"{value:.3g}" if value >= 0.001 else f"{value:.2e}"


def _cost(block: dict[str, Any]) -> float:
    return dynamodb_cost(block["read_units"], block["write_units"])


def _num(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def rows(size: dict[str, Any]) -> list[tuple[str, float, float]]:
    js, bl = size["jobstate"], size["baseline"]
    out: list[tuple[str, float, float]] = []
    for scope, key in (("poll", "per_poll"), ("chunk update", "per_update"), ("job", "per_job")):
        out.append((f"requests per {scope}", js[key]["requests"], bl[key]["requests"]))
        out.append((f"bytes per {scope}", js[key]["bytes"], bl[key]["bytes"]))
        out.append((f"read units per {scope}", js[key]["read_units"], bl[key]["read_units"]))
        out.append((f"write units per {scope}", js[key]["write_units"], bl[key]["write_units"]))
    out.append(("DynamoDB $ per job (no polls)", _cost(js["per_job"]), _cost(bl["per_job"])))
    out.append(
        ("wall s, all updates, 8 workers", js["update_wall_seconds"], bl["update_wall_seconds"])
    )
    out.append(
        ("poll latency median ms", js["poll_latency_ms"]["median"], bl["poll_latency_ms"]["median"])
    )
    out.append(("poll latency p99 ms", js["poll_latency_ms"]["p99"], bl["poll_latency_ms"]["p99"]))
    out.append(("polls timed", js["poll_latency_ms"]["count"], bl["poll_latency_ms"]["count"]))
    return out


def ceiling(results: dict[str, Any]) -> str:
    """The per-job write ceiling from the job item's measured size."""
    sizes = [s["jobstate"]["final"].get("job_item_bytes", 0) for s in results["sizes"]]
    if not sizes or not max(sizes):
        return ""
    largest = max(sizes)
    units = 2 * math.ceil(largest / 1024)  # written inside a transaction: twice
    reports = 1000 // units
    return (
        f"- Write ceiling: the job item ended at {largest:,} bytes, so each chunk report (a "
        f"transaction) takes {units} of the 1,000 write units per second one item accepts: at "
        f"most {reports:,} reports, about {reports // 2:,} chunk completions, per second per job."
    )


def markdown(results: dict[str, Any]) -> str:
    lines = [
        "# Benchmark: jobstate / reference design",
        "",
        f"One run of `make bench` ({results['generated_at']}, Python "
        f"{results['machine']['python']}, {results['machine']['cpus']} CPUs), both "
        "implementations against the same single-threaded moto server. A ratio below 1 means "
        "jobstate spends less. Absolute numbers are moto's on this machine and drift between "
        "runs; the ratios are the result. Raw numbers: [results.json](results.json); plot: "
        f"[{PLOT_PNG}]({PLOT_PNG}); method and caveats: [docs/scaling.md](../docs/scaling.md).",
        "",
    ]
    sizes = results["sizes"]
    header = "| measure | " + " | ".join(f"{s['chunks']:,} chunks" for s in sizes) + " |"
    lines += [header, "|---|" + "---|" * len(sizes)]
    table = [rows(s) for s in sizes]
    for position, (name, _, _) in enumerate(table[0]):
        if name in ABSOLUTE_ONLY:
            continue
        cells = [_ratio(t[position][1], t[position][2]) for t in table]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines += ["", "Absolute values (jobstate / baseline):", ""]
    lines += [header, "|---|" + "---|" * len(sizes)]
    for position, (name, _, _) in enumerate(table[0]):
        cells = [f"{_num(t[position][1])} / {_num(t[position][2])}" for t in table]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    sampled = [s for s in sizes if s["baseline"]["sampled"]]
    lines.append("")
    for size in sampled:
        bl = size["baseline"]
        lines.append(
            f"- {size['chunks']:,} chunks: the baseline's full algorithm ran on the last "
            f"{bl['measured_updates']:,} of its {bl['updates']:,} chunk updates (the chunks "
            "before them were written as already translated); its per-job totals and update "
            "wall time are extrapolated linearly from that sample. Each of its updates queries "
            "all chunks whatever state they are in, so the per-update cost does not depend on "
            "which updates are sampled."
        )
    for size in sizes:
        final = size["baseline"]["final"]
        if final["chunks_completed"] != final["chunks_completed_truth"]:
            lines.append(
                f"- {size['chunks']:,} chunks: the baseline's recounted counters ended at "
                f"{final['chunks_completed']} of {final['chunks_completed_truth']} completed "
                "chunks (a lost update between racing recounts)."
            )
    if line := ceiling(results):
        lines.append(line)
    lines += [
        f"- Each chunk gets two updates (translating, completed). Capacity units follow "
        "DynamoDB's item-size rules (reads per 4 KB, halved when eventually consistent; writes "
        "per 1 KB, doubled in a transaction); dollars use on-demand prices as of "
        f"{PRICES_AS_OF}.",
        "",
    ]
    bill = costs.markdown(results)
    if bill:
        lines += [bill]
    lines += [
        "## Cold start (import time of each handler module, median of "
        f"{results['cold_start']['reference'].get('runs', '?')} fresh interpreters)",
        "",
        "| module | median ms | ratio to reference |",
        "|---|---|---|",
    ]
    reference = results["cold_start"]["reference"]
    lines.append(
        f"| {reference['module']} (plain Powertools REST handler: Logger, Tracer, validation) "
        f"| {reference.get('median_ms', 0):.0f} | 1 |"
    )
    for entry in results["cold_start"]["handlers"]:
        if "error" in entry:
            lines.append(f"| {entry['module']} | import failed: {entry['error']} | |")
            continue
        kind = "" if entry.get("entry_point") else " (no `handler` attribute)"
        lines.append(
            f"| {entry['module']}{kind} | {entry['median_ms']:.0f} | "
            f"{entry.get('ratio_to_reference', 0):.2f} |"
        )
    return "\n".join(lines) + "\n"


def plot(results: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = results["sizes"]
    chunks = [s["chunks"] for s in sizes]
    figure, (cost_axis, poll_axis) = plt.subplots(1, 2, figsize=(11, 4.5))
    for name, marker in (("jobstate", "o"), ("baseline", "s")):
        costs = [_cost(s[name]["per_job"]) for s in sizes]
        polls = [_cost(s[name]["per_poll"]) * 1_000_000 for s in sizes]
        label = name if name == "jobstate" else "reference design"
        cost_axis.plot(chunks, costs, marker=marker, label=label)
        poll_axis.plot(chunks, polls, marker=marker, label=label)
    cost_axis.set(
        xscale="log",
        yscale="log",
        xlabel="chunks per job",
        ylabel="USD per job",
        title="DynamoDB cost per job (no polls)",
    )
    poll_axis.set(
        xscale="log",
        yscale="log",
        xlabel="chunks per job",
        ylabel="USD per million polls",
        title="DynamoDB cost of progress polls",
    )
    for axis in (cost_axis, poll_axis):
        axis.grid(True, which="both", alpha=0.3)
        axis.legend()
    figure.suptitle(f"On-demand prices as of {PRICES_AS_OF}; counts measured on moto")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def write_all(results: dict[str, Any], out: Path) -> None:
    (out / RESULTS_JSON).write_text(json.dumps(results, indent=2, sort_keys=False) + "\n")
    (out / RESULTS_MD).write_text(markdown(results))
    plot(results, out / PLOT_PNG)
