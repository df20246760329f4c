"""The creation estimate: chunk count, cost and completion time from a document's word count.

The formula, which the README documents:
- chunks = ceil(words / WORDS_PER_CHUNK)
- tokens = words * TOKENS_PER_WORD, charged once as input and once as output
- cost = tokens / 1000 * (input + output price per 1,000 tokens of the quality level)
- translation time = ceil(chunks / CHUNK_CONCURRENCY) * SECONDS_PER_CHUNK[quality]
- duration = FIXED_STAGE_SECONDS + translation time + queue_ahead * AVERAGE_JOB_SECONDS
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from jobstate.lifecycle.states import QualityLevel

WORDS_PER_CHUNK = 1_500
TOKENS_PER_WORD = 1.3
CHUNK_CONCURRENCY = 10
FIXED_STAGE_SECONDS = 60.0  # validation, chunking, assembly and final checks together
AVERAGE_JOB_SECONDS = 600.0  # what one job ahead in the queue is assumed to take
PRICE_PER_1K_TOKENS: dict[QualityLevel, tuple[float, float]] = {
    QualityLevel.STANDARD: (0.000125, 0.000375),
    QualityLevel.PREMIUM: (0.00125, 0.005),
}
SECONDS_PER_CHUNK: dict[QualityLevel, float] = {
    QualityLevel.STANDARD: 20.0,
    QualityLevel.PREMIUM: 45.0,
}


@dataclass(frozen=True)
class JobEstimate:
    chunks: int
    cost: float
    duration_seconds: float
    completion: datetime


def estimate_job(
    word_count: int, quality: QualityLevel, queue_ahead: int, now: datetime
) -> JobEstimate:
    chunks = max(1, math.ceil(word_count / WORDS_PER_CHUNK))
    tokens = word_count * TOKENS_PER_WORD
    price_in, price_out = PRICE_PER_1K_TOKENS[quality]
    cost = round(tokens / 1000.0 * (price_in + price_out), 6)
    waves = math.ceil(chunks / CHUNK_CONCURRENCY)
    duration = (
        FIXED_STAGE_SECONDS
        + waves * SECONDS_PER_CHUNK[quality]
        + max(queue_ahead, 0) * AVERAGE_JOB_SECONDS
    )
    return JobEstimate(chunks, cost, duration, now + timedelta(seconds=duration))
