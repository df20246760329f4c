"""`make bench`: both implementations against one fresh moto server, then the report files.

python -m bench.run [--sizes 100 1000 5000] [--sample-budget 50000] [--out bench]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

DEFAULT_SIZES = (100, 1000, 5000)
# Past this many chunks the baseline's O(n^2) reads would take tens of minutes on moto (a
# Query of 1,000 chunk items costs moto about 0.25 s): only its last chunks run the full
# algorithm, and the totals are extrapolated from them.
FULL_BASELINE_LIMIT = 100
SAMPLE_BUDGET = 50_000  # chunk items the sampled updates may query, in all


def sample_size(chunks: int, budget: int = SAMPLE_BUDGET) -> int:
    """Chunks whose updates run the baseline's full algorithm: at least three per worker."""
    return min(chunks, max(24, budget // chunks))


def _environment(endpoint: str) -> None:
    _quiet()
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    os.environ.setdefault("AWS_REGION", "us-east-1")
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    os.environ["AWS_ENDPOINT_URL"] = endpoint


def _quiet() -> None:
    # Before jobstate's logger exists: a state-change log line per transition is noise here.
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")


def run_sizes(
    sizes: list[int],
    *,
    budget: int = SAMPLE_BUDGET,
    full_limit: int = FULL_BASELINE_LIMIT,
    log: Any = print,
) -> list[dict[str, Any]]:
    """Every size through both implementations; needs AWS_ENDPOINT_URL to point at moto."""
    from bench.emulator import install_fast_reads
    from bench.meter import Meter, moto_item_lookup
    from bench.workload import run_baseline, run_jobstate
    from jobstate.config import Settings
    from jobstate.store.client import make_client

    # The server shares this process's GIL with nine client threads; a short switch interval
    # keeps it from waiting 5 ms for the GIL at every socket read.
    sys.setswitchinterval(0.0005)
    install_fast_reads()
    client = make_client(Settings.from_env())
    meter = Meter(moto_item_lookup())
    meter.attach(client)
    results = []
    for chunks in sizes:
        tag = uuid.uuid4().hex[:6]
        started = time.perf_counter()
        jobstate = run_jobstate(client, meter, f"bench-js-{chunks}-{tag}", chunks)
        log(f"jobstate  {chunks:>6} chunks: {time.perf_counter() - started:7.1f} s")
        started = time.perf_counter()
        sample_chunks = sample_size(chunks, budget) if chunks > full_limit else None
        baseline = run_baseline(
            client, meter, f"bench-bl-{chunks}-{tag}", chunks, sample_chunks=sample_chunks
        )
        log(f"baseline  {chunks:>6} chunks: {time.perf_counter() - started:7.1f} s")
        results.append({"chunks": chunks, "jobstate": jobstate, "baseline": baseline})
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=list(DEFAULT_SIZES))
    parser.add_argument("--sample-budget", type=int, default=SAMPLE_BUDGET)
    parser.add_argument("--full-limit", type=int, default=FULL_BASELINE_LIMIT)
    parser.add_argument("--cold-runs", type=int, default=9)
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent)
    args = parser.parse_args(argv)
    _quiet()

    from bench import coldstart, report
    from jobstate.local.moto_server import MotoServer

    server = MotoServer().start()
    _environment(server.url)
    began = time.perf_counter()
    try:
        sizes = run_sizes(args.sizes, budget=args.sample_budget, full_limit=args.full_limit)
    finally:
        server.stop()
    print("cold start ...")
    cold = coldstart.measure(args.cold_runs)
    results = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "python": sys.version.split()[0],
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
        },
        "method": {
            "server": "moto server, single-threaded, in process (jobstate.local.moto_server)",
            "workers": 8,
            "updates_per_chunk": 2,
            "baseline_sampled_above_chunks": args.full_limit,
            "baseline_sample_budget": args.sample_budget,
            "counting": "botocore before-send (requests, request bytes) and after-call "
            "(response bytes, capacity units from item sizes by DynamoDB's sizing rules)",
        },
        "sizes": sizes,
        "cold_start": cold,
        "run_seconds": round(time.perf_counter() - began, 1),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    report.write_all(results, args.out)
    print(f"wrote {args.out}/results.json, RESULTS.md, cost_per_job.png")
    print(report.markdown(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
