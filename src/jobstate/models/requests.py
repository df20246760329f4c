"""Request models of the design's section 2, with the bounds every field is held to."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, StringConstraints, model_validator

from jobstate.lifecycle.states import ChunkStatus, JobStatus, Priority, QualityLevel
from jobstate.models.base import ApiModel, Timestamp

MAX_WORD_COUNT = 5_000_000
MAX_FILE_SIZE_BYTES = 512 * 1024 * 1024
MAX_REASON_LENGTH = 500
MAX_METADATA_KEYS = 20

# Identifiers: letters, digits and a few separators, so they are safe in keys and URLs.
Identifier = Annotated[
    str, StringConstraints(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._:@-]+$")
]
# BCP 47 language tags as used by translation providers: "es", "pt-BR", "zh-Hant".
LanguageCode = Annotated[
    str,
    StringConstraints(min_length=2, max_length=16, pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8}){0,2}$"),
]
Filename = Annotated[
    str, StringConstraints(min_length=1, max_length=255, pattern=r"^[^\x00-\x1f/\\]+$")
]
ContentHash = Annotated[
    str, StringConstraints(min_length=8, max_length=128, pattern=r"^[A-Za-z0-9:+/=_-]+$")
]
Reason = Annotated[str, StringConstraints(min_length=1, max_length=MAX_REASON_LENGTH)]


class DocumentMetadata(ApiModel):
    word_count: int = Field(ge=1, le=MAX_WORD_COUNT)
    file_size: int = Field(ge=1, le=MAX_FILE_SIZE_BYTES)
    content_hash: ContentHash


class TranslationOptions(ApiModel):
    preserve_formatting: bool = True
    custom_glossary: Identifier | None = None
    quality_level: QualityLevel = QualityLevel.STANDARD


class CreateJobRequest(ApiModel):
    """`userId` may be left out where the caller is known (the API fills it from the token)."""

    user_id: Identifier | None = None
    document_id: Identifier
    filename: Filename
    target_language: LanguageCode
    document_metadata: DocumentMetadata
    translation_options: TranslationOptions | None = None
    priority: Priority = Priority.NORMAL

    @property
    def options(self) -> TranslationOptions:
        return self.translation_options or TranslationOptions()


class UpdateJobStatusRequest(ApiModel):
    status: JobStatus
    reason: Reason
    metadata: dict[str, Any] | None = Field(default=None, max_length=MAX_METADATA_KEYS)


class UserJobsRequest(ApiModel):
    user_id: Identifier
    status: list[JobStatus] | None = Field(default=None, max_length=len(JobStatus))
    start_date: Timestamp | None = None
    end_date: Timestamp | None = None
    limit: int = Field(default=20, ge=1, le=100)
    cursor: str | None = Field(default=None, max_length=2048)

    @model_validator(mode="after")
    def _dates_in_order(self) -> UserJobsRequest:
        if self.start_date and self.end_date and self.start_date > self.end_date:
            raise ValueError("startDate must not be after endDate")
        return self


class ChunkListRequest(ApiModel):
    status: ChunkStatus | None = None
    limit: int = Field(default=100, ge=1, le=1000)
    cursor: str | None = Field(default=None, max_length=2048)
