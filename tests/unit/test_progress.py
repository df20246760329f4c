"""Overall progress: stage bands, the floor, and human-readable stages."""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import given
from hypothesis import strategies as st

from jobstate.lifecycle.graph import WORK_STAGES, allowed_targets
from jobstate.lifecycle.progress import (
    HUMAN_STAGES,
    STAGE_BANDS,
    EstimateConfidence,
    estimate_translation,
    overall_progress,
)
from jobstate.lifecycle.states import JobStatus

S = JobStatus
TOTAL = 20


@dataclass
class SimulatedJob:
    """The progress fields of a job item, changed by the same rules the store applies."""

    status: JobStatus = S.CREATED
    work_stage: JobStatus = S.CREATED
    stage_progress: float = 0.0
    chunk_units: float = 0.0
    floor: float = 0.0

    def shown(self) -> float:
        return overall_progress(
            self.status, self.work_stage, self.stage_progress, self.chunk_units, TOTAL, self.floor
        )

    def transition(self, target: JobStatus) -> None:
        self.floor = self.shown()
        self.status = target
        if target in WORK_STAGES:
            self.work_stage, self.stage_progress = target, 0.0


steps = st.lists(
    st.tuples(st.sampled_from(["move", "stage", "chunk"]), st.integers(0, 100)), max_size=60
)


@given(steps)
def test_progress_never_goes_down_along_any_path(sequence: list[tuple[str, int]]) -> None:
    job = SimulatedJob()
    last = job.shown()
    for kind, number in sequence:
        if kind == "move":
            targets = allowed_targets(job.status)
            if not targets:
                break
            job.transition(targets[number % len(targets)])
        elif kind == "stage":
            job.stage_progress = max(job.stage_progress, float(number))
        else:
            job.chunk_units = min(job.chunk_units + number, 100.0 * TOTAL)
        now = job.shown()
        assert now >= last
        assert now < 100.0 or job.status == S.COMPLETED
        last = now


def test_bands_follow_the_pipeline() -> None:
    assert STAGE_BANDS[S.QUEUED] == (5.0, 5.0)
    assert STAGE_BANDS[S.CHUNKING] == (5.0, 15.0)
    assert STAGE_BANDS[S.TRANSLATING] == (15.0, 85.0)
    assert STAGE_BANDS[S.ASSEMBLING] == (85.0, 95.0)
    starts = [STAGE_BANDS[s][0] for s in WORK_STAGES]
    assert starts == sorted(starts)


def test_translation_counts_partial_chunk_progress() -> None:
    half = overall_progress(S.TRANSLATING, S.TRANSLATING, 0, 50.0 * TOTAL, TOTAL, 0)
    assert half == 50.0
    assert overall_progress(S.PAUSED, S.TRANSLATING, 0, 25.0 * TOTAL, TOTAL, 0) == 32.5
    assert overall_progress(S.FINALIZING, S.FINALIZING, 100, 0, TOTAL, 0) < 100
    assert overall_progress(S.COMPLETED, S.FINALIZING, 0, 0, TOTAL, 0) == 100


def test_every_state_has_a_human_stage() -> None:
    assert set(HUMAN_STAGES) == set(JobStatus)
    assert HUMAN_STAGES[S.RATE_LIMITED] and HUMAN_STAGES[S.RECOVERING]


def test_estimates_use_wall_clock_rate_and_say_how_sure_they_are() -> None:
    early = estimate_translation(
        chunks_completed=2,
        total_chunks=100,
        elapsed_seconds=10,
        word_count=100_000,
        fallback_remaining_seconds=500,
    )
    assert early.remaining_seconds == 500 and early.confidence == EstimateConfidence.LOW
    # 40 of 100 chunks in 100 s with any concurrency: 60 left at 0.4/s is 150 s.
    later = estimate_translation(
        chunks_completed=40,
        total_chunks=100,
        elapsed_seconds=100,
        word_count=100_000,
        fallback_remaining_seconds=500,
    )
    assert later.remaining_seconds == 150.0
    assert later.words_per_minute == 24_000.0
    assert later.confidence == EstimateConfidence.HIGH
