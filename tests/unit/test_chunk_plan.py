"""How one chunk report changes a chunk and the job's counters."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from jobstate.lifecycle.chunks import ChunkReport, ChunkState, plan_chunk_change
from jobstate.lifecycle.states import ChunkStatus

C = ChunkStatus


def test_start_then_complete_moves_the_counters() -> None:
    start = plan_chunk_change(ChunkState(), ChunkReport(C.TRANSLATING))
    assert start is not None
    assert start.after == ChunkState(C.TRANSLATING, 0.0, 1)
    assert start.counter_deltas == {"chunksPending": -1, "chunksTranslating": 1}
    done = plan_chunk_change(start.after, ChunkReport(C.COMPLETED))
    assert done is not None and done.completes
    assert done.counter_deltas == {
        "chunksTranslating": -1,
        "chunksCompleted": 1,
        "chunkUnits": 100.0,
        "chunksOutstanding": -1,
    }


def test_a_replayed_report_plans_nothing() -> None:
    done = ChunkState(C.COMPLETED, 100.0, 1)
    for status in C:
        assert plan_chunk_change(done, ChunkReport(status, 50.0)) is None
    failed = ChunkState(C.FAILED, 10.0, 3)
    assert plan_chunk_change(failed, ChunkReport(C.FAILED)) is None


def test_progress_never_goes_back() -> None:
    state = ChunkState(C.TRANSLATING, 60.0, 1)
    assert plan_chunk_change(state, ChunkReport(C.TRANSLATING, 40.0)) is None
    forward = plan_chunk_change(state, ChunkReport(C.TRANSLATING, 80.0))
    assert forward is not None
    assert forward.counter_deltas == {"chunkUnits": 20.0}


def test_a_report_from_an_older_attempt_is_ignored() -> None:
    second = ChunkState(C.TRANSLATING, 10.0, 2)
    assert plan_chunk_change(second, ChunkReport(C.FAILED, attempt=1)) is None
    assert plan_chunk_change(second, ChunkReport(C.TRANSLATING, attempt=2)) is None
    late_success = plan_chunk_change(second, ChunkReport(C.COMPLETED, attempt=1))
    assert late_success is not None and late_success.completes


def test_failure_and_reset_move_the_failure_budget() -> None:
    fail = plan_chunk_change(ChunkState(C.TRANSLATING, 30.0, 3), ChunkReport(C.FAILED))
    assert fail is not None and fail.fails
    assert fail.counter_deltas["failureBudget"] == -1
    reset = plan_chunk_change(fail.after, ChunkReport(C.PENDING))
    assert reset is not None
    assert reset.counter_deltas["failureBudget"] == 1
    assert reset.after.progress == 30.0  # the high-water mark stays


def test_a_second_attempt_counts_a_chunk_retry() -> None:
    retry = plan_chunk_change(ChunkState(C.RETRYING, 0.0, 1), ChunkReport(C.TRANSLATING))
    assert retry is not None
    assert retry.counter_deltas["chunkRetries"] == 1


reports = st.builds(
    ChunkReport,
    status=st.sampled_from(list(C)),
    progress=st.none() | st.floats(min_value=0, max_value=100),
    attempt=st.none() | st.integers(min_value=1, max_value=5),
)


@given(st.lists(reports, max_size=40))
def test_counters_always_describe_the_chunk(sequence: list[ChunkReport]) -> None:
    """Summing the deltas of any report sequence gives the counters of the final state."""
    state = ChunkState()
    totals: dict[str, float] = {"chunksPending": 1, "chunksOutstanding": 1}
    for report in sequence:
        change = plan_chunk_change(state, report)
        if change is None:
            continue
        assert change.after.progress >= state.progress
        for name, delta in change.counter_deltas.items():
            totals[name] = totals.get(name, 0) + delta
        state = change.after
    status_counters = {k: v for k, v in totals.items() if k.startswith("chunks") and v}
    status_counters.pop("chunksOutstanding", None)
    assert sum(status_counters.values()) == 1
    expected_units = 100.0 if state.status == C.COMPLETED else state.progress
    assert round(totals.get("chunkUnits", 0), 6) == expected_units
    assert totals["chunksOutstanding"] == (0 if state.status == C.COMPLETED else 1)
    assert totals.get("failureBudget", 0) == (-1 if state.status == C.FAILED else 0)
