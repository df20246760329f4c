"""Cold start as import time: each Lambda handler module imported in fresh interpreters."""

from __future__ import annotations

import os
import pkgutil
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

REFERENCE = "bench.reference_handler"
RUNS = 9
ROOT = Path(__file__).resolve().parent.parent

# The clock starts after the interpreter is up and stops when the module has loaded: what a
# Lambda init phase spends on this module beyond the runtime itself.
_SNIPPET = (
    "import importlib, sys, time\n"
    "started = time.perf_counter()\n"
    "module = importlib.import_module(sys.argv[1])\n"
    "elapsed = time.perf_counter() - started\n"
    "print(callable(getattr(module, 'handler', None)))\n"
    "print(elapsed)\n"
)


def handler_modules() -> list[str]:
    """The modules under jobstate.handlers present now (others may still be writing theirs)."""
    import jobstate.handlers

    return sorted(
        f"jobstate.handlers.{info.name}"
        for info in pkgutil.iter_modules(jobstate.handlers.__path__)
        if not info.name.startswith("_")
    )


def _environment() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "AWS_REGION": env.get("AWS_REGION", "us-east-1"),
            "AWS_DEFAULT_REGION": env.get("AWS_DEFAULT_REGION", "us-east-1"),
            "POWERTOOLS_SERVICE_NAME": "jobstate",
            "POWERTOOLS_TRACE_DISABLED": "true",
            "POWERTOOLS_METRICS_NAMESPACE": "TranslationService/Jobs",
            "JOBS_TABLE": "jobstate-bench",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
    )
    return env


def _import_once(module: str, env: dict[str, str]) -> tuple[float, bool] | str:
    done = subprocess.run(
        [sys.executable, "-c", _SNIPPET, module],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        check=False,
        timeout=120,
    )
    if done.returncode != 0:
        return (done.stderr.strip().splitlines() or ["import failed"])[-1][:300]
    lines = done.stdout.strip().splitlines()
    return float(lines[-1]), lines[-2] == "True"


def _summary(module: str, times: list[float], entry_point: bool) -> dict[str, Any]:
    return {
        "module": module,
        "entry_point": entry_point,
        "runs": len(times),
        "median_ms": statistics.median(times) * 1000,
        "min_ms": min(times) * 1000,
        "max_ms": max(times) * 1000,
    }


def import_seconds(module: str, runs: int = RUNS) -> dict[str, Any]:
    return measure_modules([module], runs)[0]


def measure_modules(modules: list[str], runs: int = RUNS) -> list[dict[str, Any]]:
    """Round-robin: each round imports every module once, so load that drifts during the
    measurement falls on all of them alike rather than on whichever came last."""
    env = _environment()
    times: dict[str, list[float]] = {m: [] for m in modules}
    entry: dict[str, bool] = {}
    errors: dict[str, str] = {}
    for _ in range(runs):
        for module in modules:
            if module in errors:
                continue
            outcome = _import_once(module, env)
            if isinstance(outcome, str):
                errors[module] = outcome
                continue
            times[module].append(outcome[0])
            entry[module] = outcome[1]
    return [
        {"module": m, "error": errors[m]} if m in errors else _summary(m, times[m], entry[m])
        for m in modules
    ]


def measure(runs: int = RUNS, modules: list[str] | None = None) -> dict[str, Any]:
    reference, *handlers = measure_modules([REFERENCE, *(modules or handler_modules())], runs)
    for result in handlers:
        if "median_ms" in result and "median_ms" in reference:
            result["ratio_to_reference"] = result["median_ms"] / reference["median_ms"]
    return {"reference": reference, "handlers": handlers}
