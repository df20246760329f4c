"""Names of the CloudWatch metrics jobstate emits (namespace `TranslationService/Jobs`).

The code that emits metrics and the CDK alarms both import these, so an alarm cannot watch a
metric that nothing emits.
"""

from __future__ import annotations

NAMESPACE = "TranslationService/Jobs"

JOBS_CREATED = "JobsCreated"
JOBS_COMPLETED = "JobsCompleted"
JOBS_FAILED = "JobsFailed"
JOBS_CANCELLED = "JobsCancelled"
JOB_DURATION = "JobDuration"
CHUNK_PROCESSING_TIME = "ChunkProcessingTime"
THROUGHPUT_WORDS_PER_MINUTE = "ThroughputWordsPerMinute"
CHUNK_FAILURE_RATE = "ChunkFailureRate"
RETRIES = "Retries"
STALLED_JOBS = "StalledJobsFound"
RELAY_FAILURES = "RelayFailures"
RELAY_DEAD_LETTERS = "RelayDeadLetters"
