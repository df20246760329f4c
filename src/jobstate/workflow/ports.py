"""The ports each stage calls: validation, chunking, translation, assembly and the final check.

The components behind them belong elsewhere; jobstate fixes their shape and ships a local,
deterministic implementation of each (see `local_ports`), chosen by JOBSTATE_TRANSLATOR.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Protocol

from pydantic import Field

from jobstate.models import ChunkSpec, TranslationJobRecord
from jobstate.models.base import ApiModel
from jobstate.workflow.settings import WorkflowSettings


class ValidationResult(ApiModel):
    valid: bool
    reason: str = ""


class TranslationRequest(ApiModel):
    job_id: str
    chunk_index: int = Field(ge=0)
    attempt: int = Field(ge=1)
    text: str
    token_count: int = Field(ge=1)
    target_language: str
    quality_level: str
    glossary: str | None = None


class TranslationResult(ApiModel):
    text: str
    input_tokens: int = Field(ge=0)
    output_tokens: int = Field(ge=0)
    cost: float = Field(ge=0)
    provider_request_id: str = Field(max_length=256)


class TranslationError(Exception):
    """A failed translation attempt, named by one of the codes `classify_error` knows."""

    def __init__(self, code: str, message: str = "") -> None:
        super().__init__(f"{code}: {message}" if message else code)
        self.code = code
        self.message = message


class AssemblyResult(ApiModel):
    location: str
    sections: int = Field(ge=0)
    missing_sections: list[int] = Field(default_factory=list)


class QualityResult(ApiModel):
    passed: bool
    reason: str = ""


class DocumentValidator(Protocol):
    def validate(self, job: TranslationJobRecord) -> ValidationResult: ...


class DocumentChunker(Protocol):
    def plan(self, job: TranslationJobRecord) -> list[ChunkSpec]: ...

    def text(self, job: TranslationJobRecord, index: int) -> str: ...


class Translator(Protocol):
    def translate(self, request: TranslationRequest) -> TranslationResult: ...


class DocumentAssembler(Protocol):
    def store_section(self, job_id: str, index: int, text: str) -> None: ...

    def assemble(self, job: TranslationJobRecord, missing: list[int]) -> AssemblyResult: ...


class QualityChecker(Protocol):
    def check(self, job: TranslationJobRecord, missing: list[int]) -> QualityResult: ...


@dataclass(frozen=True)
class Ports:
    validator: DocumentValidator
    chunker: DocumentChunker
    translator: Translator
    assembler: DocumentAssembler
    quality: QualityChecker


def load_ports(settings: WorkflowSettings) -> Ports:
    """The ports named by JOBSTATE_TRANSLATOR: `local`, or `package.module:factory`.

    A factory takes the settings and returns a `Ports`; that is how a deployment plugs in the
    real components without this package knowing them.
    """
    if settings.translator == "local":
        from jobstate.workflow.local_ports import local_ports

        return local_ports(settings)
    module_name, sep, attribute = settings.translator.partition(":")
    if not sep:
        raise ValueError(
            f"JOBSTATE_TRANSLATOR={settings.translator!r}: use 'local' or 'package.module:factory'"
        )
    factory = getattr(importlib.import_module(module_name), attribute)
    ports = factory(settings)
    if not isinstance(ports, Ports):
        raise TypeError(f"{settings.translator} did not return Ports")
    return ports
