"""The CloudWatch metrics jobstate derives from committed changes, in embedded metric format.

Each metric goes out under two dimension sets: `service` alone (what alarms watch) and a few
low-cardinality dimensions (stage, priority, target language, quality level, scope, error code).
A job id is never a dimension; per-job detail belongs in logs and on the job item.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit

from jobstate import metric_names as names
from jobstate.lifecycle.states import ChunkStatus, JobStatus
from jobstate.models import ChunkStatusRecord, JobHistoryItem, TranslationJobRecord

SERVICE_NAME = "jobstate"
SECONDS_PER_MINUTE = 60.0


@dataclass(frozen=True)
class MetricPoint:
    name: str
    unit: MetricUnit
    value: float
    dimensions: tuple[tuple[str, str], ...] = ()


def point(name: str, unit: MetricUnit, value: float, **dimensions: str) -> MetricPoint:
    return MetricPoint(name, unit, value, tuple(sorted(dimensions.items())))


def count(name: str, **dimensions: str) -> MetricPoint:
    return point(name, MetricUnit.Count, 1, **dimensions)


def transition_metrics(
    history: JobHistoryItem, job: TranslationJobRecord, exact: bool
) -> list[MetricPoint]:
    """Metrics of one committed transition. Figures need the job exactly as of the transition."""
    target, source = history.to_state, history.from_state
    stage = (source or target).value
    quality = job.quality_level.value
    points: list[MetricPoint] = []
    if source is None:
        points.append(count(names.JOBS_CREATED, Priority=job.priority.value, QualityLevel=quality))
    elif target == JobStatus.COMPLETED:
        points.append(
            count(names.JOBS_COMPLETED, TargetLanguage=job.target_language, QualityLevel=quality)
        )
    elif target == JobStatus.FAILED:
        work_stage = job.work_stage.value if exact else stage
        points.append(count(names.JOBS_FAILED, Stage=work_stage, Priority=job.priority.value))
    elif target == JobStatus.CANCELLED:
        points.append(count(names.JOBS_CANCELLED, Stage=stage))
    elif target == JobStatus.RETRYING:
        points.append(count(names.RETRIES, Scope="JOB", Stage=stage))
    elif target == JobStatus.RECOVERING:
        points.append(count(names.STALLED_JOBS, Stage=stage))
    if exact and target in (JobStatus.COMPLETED, JobStatus.FAILED):
        points += _settled_figures(job, target)
    return points


def _settled_figures(job: TranslationJobRecord, target: JobStatus) -> list[MetricPoint]:
    quality = job.quality_level.value
    points: list[MetricPoint] = []
    if job.total_chunks > 0:
        rate = 100.0 * job.chunks_failed / job.total_chunks
        points.append(
            point(names.CHUNK_FAILURE_RATE, MetricUnit.Percent, rate, QualityLevel=quality)
        )
    duration = job.actual_duration
    if target == JobStatus.COMPLETED and duration is not None and duration > 0:
        points.append(
            point(
                names.JOB_DURATION,
                MetricUnit.Seconds,
                duration,
                Priority=job.priority.value,
                QualityLevel=quality,
            )
        )
        # CloudWatch has no per-minute unit; the name carries it, so the unit is left as None
        # rather than mislabelled as Count/Second.
        words_per_minute = job.word_count / (duration / SECONDS_PER_MINUTE)
        points.append(
            point(
                names.THROUGHPUT_WORDS_PER_MINUTE,
                MetricUnit.NoUnit,
                round(words_per_minute, 3),
                TargetLanguage=job.target_language,
                QualityLevel=quality,
            )
        )
    return points


def chunk_metrics(old: ChunkStatusRecord, new: ChunkStatusRecord) -> list[MetricPoint]:
    """Metrics of one chunk report: its processing time when it completes, and its retries."""
    points: list[MetricPoint] = []
    completed = old.status != ChunkStatus.COMPLETED and new.status == ChunkStatus.COMPLETED
    if completed and new.processing_time is not None:
        points.append(
            point(names.CHUNK_PROCESSING_TIME, MetricUnit.Milliseconds, new.processing_time)
        )
    if new.attempts > old.attempts and new.attempts > 1:
        points.append(count(names.RETRIES, Scope="CHUNK", Stage=JobStatus.TRANSLATING.value))
    return points


def emit(points: Iterable[MetricPoint], *, service: str | None = None) -> int:
    """Print the points as EMF JSON lines (one per dimension set); returns how many went out."""
    groups: dict[tuple[tuple[str, str], ...], list[MetricPoint]] = defaultdict(list)
    for item in points:
        groups[item.dimensions].append(item)
    service_name = service or os.environ.get("POWERTOOLS_SERVICE_NAME") or SERVICE_NAME
    emitted = 0
    for dimensions, group in groups.items():
        metrics = EphemeralMetrics(namespace=names.NAMESPACE, service=service_name)
        if dimensions:
            metrics.add_dimensions(**dict(dimensions))
        for item in group:
            metrics.add_metric(name=item.name, unit=item.unit, value=item.value)
        metrics.flush_metrics()
        emitted += len(group)
    return emitted
