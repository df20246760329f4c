"""Deterministic local implementations of every port, so the whole lifecycle runs anywhere.

The local translator's outcome for a chunk attempt is a pure function of (job, chunk, attempt):
the same job fails the same way on every run, which keeps tests and demos reproducible.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import Counter
from collections.abc import Callable

from jobstate.lifecycle.estimates import PRICE_PER_1K_TOKENS, TOKENS_PER_WORD, WORDS_PER_CHUNK
from jobstate.lifecycle.states import QualityLevel
from jobstate.models import ChunkSpec, TranslationJobRecord
from jobstate.workflow.ports import (
    AssemblyResult,
    Ports,
    QualityResult,
    TranslationError,
    TranslationRequest,
    TranslationResult,
    ValidationResult,
)
from jobstate.workflow.settings import WorkflowSettings

# A test may script failures exactly: (job id, chunk index, attempt) -> error code or None.
FailureScript = Callable[[str, int, int], str | None]


def _draw(*parts: object) -> float:
    """A number in [0, 1) fixed by `parts`."""
    digest = hashlib.sha256("|".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2.0**64


class LocalValidator:
    """Accepts every document with a content hash; the legal attestation is taken as given."""

    def validate(self, job: TranslationJobRecord) -> ValidationResult:
        if not job.content_hash:
            return ValidationResult(valid=False, reason="document has no content hash")
        return ValidationResult(valid=True)


class LocalChunker:
    """Splits by word count at the estimate's chunk size; the text is synthetic."""

    def plan(self, job: TranslationJobRecord) -> list[ChunkSpec]:
        full_chunks, rest = divmod(job.word_count, WORDS_PER_CHUNK)
        words = [WORDS_PER_CHUNK] * full_chunks + ([rest] if rest else [])
        return [
            ChunkSpec(index=i, token_count=max(1, round(n * TOKENS_PER_WORD)))
            for i, n in enumerate(words or [1])
        ]

    def text(self, job: TranslationJobRecord, index: int) -> str:
        return f"Section {index + 1} of {job.filename}."


class LocalTranslator:
    """Translates after JOBSTATE_LOCAL_LATENCY_MS, failing with the JOBSTATE_LOCAL_FAILURES mix."""

    def __init__(
        self,
        *,
        latency_ms: int = 0,
        failures: dict[str, float] | None = None,
        script: FailureScript | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.latency_ms = latency_ms
        self.failures = dict(sorted((failures or {}).items()))
        self.script = script
        self._sleep = sleep
        self._lock = threading.Lock()
        self.calls: Counter[tuple[str, int]] = Counter()
        self.successes: Counter[tuple[str, int]] = Counter()

    def _failure(self, request: TranslationRequest) -> str | None:
        if self.script is not None:
            return self.script(request.job_id, request.chunk_index, request.attempt)
        draw = _draw(request.job_id, request.chunk_index, request.attempt)
        edge = 0.0
        for code, chance in self.failures.items():
            edge += chance
            if draw < edge:
                return code
        return None

    def translate(self, request: TranslationRequest) -> TranslationResult:
        key = (request.job_id, request.chunk_index)
        with self._lock:
            self.calls[key] += 1
        if self.latency_ms:
            self._sleep(self.latency_ms / 1000.0)
        code = self._failure(request)
        if code is not None:
            raise TranslationError(code, "local translator failure")
        with self._lock:
            self.successes[key] += 1
        price_in, price_out = PRICE_PER_1K_TOKENS[QualityLevel(request.quality_level)]
        tokens = request.token_count
        digest = hashlib.sha256(f"{request.job_id}|{request.chunk_index}".encode()).hexdigest()
        return TranslationResult(
            text=f"[{request.target_language}] {request.text}",
            input_tokens=tokens,
            output_tokens=tokens,
            cost=round(tokens / 1000.0 * (price_in + price_out), 8),
            provider_request_id=f"local-{digest[:16]}-{request.attempt}",
        )


class LocalAssembler:
    """Keeps translated sections in memory and joins them in chunk order."""

    # Limitation: sections live in this process only, so the local ports suit the local runner
    # and tests; a deployment plugs in an assembler with shared storage via JOBSTATE_TRANSLATOR.

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sections: dict[str, dict[int, str]] = {}

    def store_section(self, job_id: str, index: int, text: str) -> None:
        with self._lock:
            self._sections.setdefault(job_id, {})[index] = text

    def assemble(self, job: TranslationJobRecord, missing: list[int]) -> AssemblyResult:
        with self._lock:
            sections = dict(self._sections.get(job.job_id, {}))
        return AssemblyResult(
            location=f"local://documents/{job.job_id}/{job.target_language}",
            sections=len(sections),
            missing_sections=sorted(missing),
        )


class LocalQualityChecker:
    """Passes a document unless it misses more sections than the job's failure threshold allows."""

    def check(self, job: TranslationJobRecord, missing: list[int]) -> QualityResult:
        if job.failure_budget < 0:
            return QualityResult(passed=False, reason=f"{len(missing)} sections missing")
        return QualityResult(passed=True)


def local_ports(settings: WorkflowSettings, *, script: FailureScript | None = None) -> Ports:
    return Ports(
        validator=LocalValidator(),
        chunker=LocalChunker(),
        translator=LocalTranslator(
            latency_ms=settings.local_latency_ms, failures=settings.local_failures, script=script
        ),
        assembler=LocalAssembler(),
        quality=LocalQualityChecker(),
    )
