"""Overall progress by stage bands, human-readable stages, and wall-clock estimates.

Overall progress has one meaning everywhere: each work stage owns a band of the 0-100 scale and
the job's position inside the band comes from that stage's own progress (for translation, the
chunks). A stored floor, raised at every transition, keeps a poll from ever seeing it go down.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from jobstate.lifecycle.states import JobStatus

S = JobStatus

# (start, end) of each work stage's band; 100 is reserved for COMPLETED.
STAGE_BANDS: dict[JobStatus, tuple[float, float]] = {
    S.CREATED: (0.0, 0.0),
    S.VALIDATING: (0.0, 4.0),
    S.VALIDATED: (4.0, 4.0),
    S.QUEUED: (5.0, 5.0),
    S.CHUNKING: (5.0, 15.0),
    S.CHUNKED: (15.0, 15.0),
    S.TRANSLATING: (15.0, 85.0),
    S.ASSEMBLING: (85.0, 95.0),
    S.FINALIZING: (95.0, 99.0),
    S.COMPLETED: (100.0, 100.0),
}

HUMAN_STAGES: dict[JobStatus, str] = {
    S.CREATED: "Initializing job",
    S.VALIDATING: "Validating legal requirements",
    S.VALIDATED: "Validation complete",
    S.QUEUED: "Waiting in queue",
    S.CHUNKING: "Preparing document sections",
    S.CHUNKED: "Document prepared for translation",
    S.TRANSLATING: "Translating content",
    S.ASSEMBLING: "Combining translated sections",
    S.FINALIZING: "Final quality checks",
    S.COMPLETED: "Translation complete",
    S.FAILED: "Translation failed",
    S.CANCELLED: "Translation cancelled",
    S.PAUSED: "Translation paused",
    S.RESUMING: "Resuming translation",
    S.RETRYING: "Retrying after an error",
    S.RATE_LIMITED: "Waiting for translation capacity",
    S.RECOVERING: "Recovering a stalled job",
}

# Below this many completed chunks the observed rate is too noisy to trust on its own.
MIN_CHUNKS_FOR_RATE = 5


def human_stage(status: JobStatus) -> str:
    return HUMAN_STAGES[status]


def band_progress(
    work_stage: JobStatus, stage_progress: float, chunk_units: float, total_chunks: int
) -> float:
    """Position on the 0-100 scale of a job whose last work stage is `work_stage`.

    `chunk_units` is the sum of every chunk's progress (a completed chunk counts 100), so
    in-chunk progress moves the bar during translation.
    """
    start, end = STAGE_BANDS.get(work_stage, (0.0, 0.0))
    if work_stage == S.TRANSLATING:
        fraction = chunk_units / (100.0 * total_chunks) if total_chunks > 0 else 0.0
    else:
        fraction = stage_progress / 100.0
    fraction = min(max(fraction, 0.0), 1.0)
    return start + (end - start) * fraction


def overall_progress(
    status: JobStatus,
    work_stage: JobStatus,
    stage_progress: float,
    chunk_units: float,
    total_chunks: int,
    floor: float,
) -> float:
    """The figure a poll shows: the band position, never below the floor, 100 only when done."""
    if status == S.COMPLETED:
        return 100.0
    value = max(floor, band_progress(work_stage, stage_progress, chunk_units, total_chunks))
    return round(min(value, 99.9), 1)


class EstimateConfidence(StrEnum):
    """How far a time estimate can be trusted."""

    NONE = "NONE"  # nothing to go on
    LOW = "LOW"  # the creation estimate, before enough chunks have finished
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"


@dataclass(frozen=True)
class TranslationEstimate:
    remaining_seconds: float | None
    words_per_minute: float | None
    confidence: EstimateConfidence


def estimate_translation(
    *,
    chunks_completed: int,
    total_chunks: int,
    elapsed_seconds: float,
    word_count: int,
    fallback_remaining_seconds: float | None,
) -> TranslationEstimate:
    """Remaining time and speed from completions per elapsed wall-clock time.

    Chunks run in parallel, so summing chunk times would be off by the concurrency factor; the
    rate of completions over the stage's elapsed time already includes it.
    """
    if chunks_completed < MIN_CHUNKS_FOR_RATE or elapsed_seconds <= 0 or total_chunks <= 0:
        confidence = (
            EstimateConfidence.LOW if fallback_remaining_seconds else EstimateConfidence.NONE
        )
        return TranslationEstimate(fallback_remaining_seconds, None, confidence)
    rate = chunks_completed / elapsed_seconds
    remaining = max(total_chunks - chunks_completed, 0) / rate
    words_done = word_count * chunks_completed / total_chunks
    wpm = words_done / (elapsed_seconds / 60.0)
    share = chunks_completed / total_chunks
    confidence = EstimateConfidence.HIGH if share >= 0.25 else EstimateConfidence.MEDIUM
    return TranslationEstimate(round(remaining, 1), round(wpm, 1), confidence)
