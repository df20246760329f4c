"""Runs the pipeline in-process: the same definition, task handlers, retry and catch policy.

`jobstate serve` plugs a `LocalRunner` in as a background service and submits every new job to
it. Executions interpret `PIPELINE` as Step Functions would: a task's `next` picks the next
step, waits sleep (already scaled by JOBSTATE_TIME_SCALE where the task computed them), and the
translation fan-out runs ranges on at most JOBSTATE_MAX_CONCURRENCY threads. A periodic stall
sweep restarts jobs whose execution died.
"""

from __future__ import annotations

import importlib
import itertools
import random
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from jobstate.handlers import workflow as workflow_handlers
from jobstate.observability import logger
from jobstate.workflow.pipeline import (
    FANOUT_STATE,
    PIPELINE,
    TASK_HANDLERS,
    TERMINAL_OUTCOMES,
    TERMINAL_STATES,
    WAIT_STATE,
    Outcome,
    RetryRule,
    Step,
    TaskSpec,
)
from jobstate.workflow.settings import WorkflowSettings
from jobstate.workflow.sweeper import StallSweeper
from jobstate.workflow.tasks import WorkflowTasks

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]
MIN_SWEEP_INTERVAL_SECONDS = 0.05


class LocalContext:
    """The part of Lambda's context object the handlers use."""

    def __init__(self, function_name: str, timeout_seconds: float) -> None:
        self.function_name = function_name
        self.aws_request_id = f"local-{random.getrandbits(48):012x}"
        self._deadline = time.monotonic() + timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


@dataclass
class LocalExecution:
    execution_id: str
    job_id: str
    path: list[str] = field(default_factory=list)
    # Every task result in the order Step Functions would receive them (a replayable record).
    results: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    outcome: str | None = None
    error: str | None = None
    done: threading.Event = field(default_factory=threading.Event)

    @property
    def ended(self) -> bool:
        return self.done.is_set()


class TaskFailedError(Exception):
    """A task failed past its retries and had no catch (the execution fails)."""


def _resolve(path: str) -> Handler:
    module_name, _, attribute = path.rpartition(".")
    handler: Handler = getattr(importlib.import_module(module_name), attribute)
    return handler


def _retry_delay(rule: RetryRule, attempt: int, rng: random.Random) -> float:
    ceiling = min(rule.max_delay_seconds, rule.interval_seconds * rule.backoff_rate**attempt)
    return rng.uniform(0.0, ceiling)


class LocalRunner:
    def __init__(
        self,
        *,
        tasks: WorkflowTasks | None = None,
        settings: WorkflowSettings | None = None,
        sweep: bool = True,
        rng: random.Random | None = None,
    ) -> None:
        self.settings = settings or (tasks.settings if tasks else WorkflowSettings.from_env())
        self.tasks = tasks or WorkflowTasks(settings=self.settings)
        self._sweep_enabled = sweep
        self._rng = rng or random.Random()
        self._handlers = {step: _resolve(path) for step, path in TASK_HANDLERS.items()}
        self._executions: dict[str, list[LocalExecution]] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._counter = itertools.count(1)
        # One pool for every job's fan-out: the local service shares one emulator with the API,
        # so chunk work is bounded service-wide rather than per job.
        self._pool: ThreadPoolExecutor | None = None
        self.sweeper = StallSweeper(
            manager=self.tasks.manager, starter=self, settings=self.settings
        )

    # ----------------------------------------------------------------- service

    def start(self) -> LocalRunner:
        workflow_handlers.install(self.tasks)
        self._stop.clear()
        self._pool = ThreadPoolExecutor(
            max_workers=self.settings.max_concurrency, thread_name_prefix="translate"
        )
        if self._sweep_enabled:
            thread = threading.Thread(target=self._sweep_loop, name="stall-sweeper", daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        for thread in list(self._threads):
            thread.join(timeout)
        self._threads.clear()
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        workflow_handlers.install(None)

    def submit(self, job_id: str) -> str:
        """Run the job through the pipeline unless an execution of it is already running."""
        with self._lock:
            for execution in self._executions.get(job_id, []):
                if not execution.ended:
                    return execution.execution_id
        return self.start_execution(job_id, "submitted")

    def on_job_created(self, job_id: str) -> None:
        """The local service's callback for every new job."""
        self.submit(job_id)

    def start_execution(self, job_id: str, reason: str) -> str:
        """Start a new execution; an older one of the same job is superseded at its next task."""
        if self._stop.is_set():
            raise RuntimeError("the local runner is stopped")
        execution = LocalExecution(f"local:{job_id}:{next(self._counter)}:{reason}", job_id)
        with self._lock:
            self._executions.setdefault(job_id, []).append(execution)
        thread = threading.Thread(
            target=self._run, args=(execution,), name=f"execution-{job_id}", daemon=True
        )
        with self._lock:
            self._threads = [t for t in self._threads if t.is_alive()]
            self._threads.append(thread)
        thread.start()
        return execution.execution_id

    def executions(self, job_id: str) -> list[LocalExecution]:
        with self._lock:
            return list(self._executions.get(job_id, []))

    def wait(self, job_id: str, timeout: float = 30.0) -> LocalExecution:
        """The execution that finished the job (following restarts), once it has ended."""
        limit = time.monotonic() + timeout
        while time.monotonic() < limit:
            runs = self.executions(job_id)
            if runs and runs[-1].ended and runs[-1].outcome != Outcome.SUPERSEDED:
                return runs[-1]
            time.sleep(0.01)
        raise TimeoutError(f"job {job_id} did not finish within {timeout}s")

    # ------------------------------------------------------------ executions

    def _run(self, execution: LocalExecution) -> None:
        payload = {"jobId": execution.job_id, "executionId": execution.execution_id}
        state: str | None = PIPELINE.start
        try:
            while state is not None and not self._stop.is_set():
                result = self._invoke(PIPELINE.task(Step(state)), payload, execution)
                state = self._next_state(result, payload, execution)
        except Exception as error:
            execution.error = f"{type(error).__name__}: {error}"
            logger.error(
                "local execution failed",
                extra={"job_id": execution.job_id, "error": type(error).__name__},
            )
        finally:
            execution.done.set()

    def _next_state(
        self, result: dict[str, Any], payload: dict[str, Any], execution: LocalExecution
    ) -> str | None:
        """What the Dispatch choice does with a task's result; None ends the execution."""
        while True:
            outcome = str(result["next"])
            if outcome in TERMINAL_OUTCOMES:
                execution.path.append(TERMINAL_STATES[outcome])
                execution.outcome = outcome
                return None
            if outcome == Outcome.WAIT:
                execution.path.append(WAIT_STATE)
                self._stop.wait(float(result.get("waitSeconds", 0.0)))
                return str(result["then"])
            if outcome != Outcome.TRANSLATE:
                return outcome
            execution.path.append(FANOUT_STATE)
            caught = self._fan_out(result, payload, execution)
            if caught is None:
                return Step.PLAN
            result = caught  # the wave failed: its catch target's result decides

    def _call(self, spec: TaskSpec, payload: dict[str, Any]) -> dict[str, Any]:
        """One task with its retry policy; raises what retries did not fix."""
        tries: dict[RetryRule, int] = {}
        while True:
            try:
                context = LocalContext(spec.step.value, spec.timeout_seconds)
                return self._handlers[spec.step](dict(payload), context)
            except Exception as error:
                name = type(error).__name__
                rule = next((r for r in spec.retry if r.matches(name)), None)
                if rule is None or tries.get(rule, 0) >= rule.max_attempts:
                    raise
                delay = _retry_delay(rule, tries.get(rule, 0), self._rng)
                tries[rule] = tries.get(rule, 0) + 1
                logger.warning("local task retried", extra={"task": spec.step, "error": name})
                if self._stop.wait(self.settings.scaled(delay)):
                    raise

    def _invoke(
        self, spec: TaskSpec, payload: dict[str, Any], execution: LocalExecution
    ) -> dict[str, Any]:
        execution.path.append(spec.step)
        try:
            result = self._call(spec, payload)
        except Exception as error:
            if spec.catch_to is None:
                raise
            return self._catch(spec.catch_to, error, payload, execution)
        execution.results.append((spec.step, result))
        return result

    def _catch(
        self, target: Step, error: BaseException, payload: dict[str, Any], execution: LocalExecution
    ) -> dict[str, Any]:
        failure = {"Error": type(error).__name__, "Cause": str(error)[:1000]}
        logger.warning(
            "local task failed past its retries",
            extra={"job_id": execution.job_id, "error": failure["Error"]},
        )
        return self._invoke(PIPELINE.task(target), {**payload, "error": failure}, execution)

    def _fan_out(
        self, plan: dict[str, Any], payload: dict[str, Any], execution: LocalExecution
    ) -> dict[str, Any] | None:
        """Run every range of the wave; like the Map state, an unfixed error fails the wave."""
        spec = PIPELINE.task(Step.TRANSLATE)
        batches = plan.get("batches", [])
        if not batches:
            return None
        pool = self._pool
        if pool is None:
            raise RuntimeError("the local runner is not started")
        items = [{**payload, "start": b["start"], "end": b["end"]} for b in batches]
        errors: list[BaseException] = []
        for future in [pool.submit(self._call, spec, item) for item in items]:
            error = future.exception()
            if error is not None:
                errors.append(error)
            else:
                execution.results.append((spec.step, future.result()))
        if not errors or spec.catch_to is None:
            return None
        return self._catch(spec.catch_to, errors[0], payload, execution)

    # --------------------------------------------------------------- sweeper

    def _sweep_loop(self) -> None:
        interval = max(
            self.settings.scaled(self.settings.sweep_interval_seconds), MIN_SWEEP_INTERVAL_SECONDS
        )
        while not self._stop.wait(interval):
            try:
                self.sweeper.sweep()
            except Exception as error:
                logger.warning("stall sweep failed", extra={"error": type(error).__name__})
