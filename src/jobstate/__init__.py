"""jobstate: where every translation job and chunk stands, and the rules for moving them.

The public API that workflow tasks, the HTTP layer and integrators call.
"""

from jobstate.errors import (
    ChunkNotFoundError,
    IllegalTransitionError,
    InvalidRequestError,
    JobNotFoundError,
    JobStateError,
    QuotaExceededError,
    StaleStateError,
)
from jobstate.lifecycle.states import ActorRole, ChunkStatus, JobStatus, Priority, QualityLevel
from jobstate.models import (
    ChunkSpec,
    ChunkStatusRecord,
    ChunkStatusUpdate,
    CreateJobRequest,
    CreateJobResponse,
    DocumentMetadata,
    ErrorInfo,
    JobDetailsResponse,
    JobHistoryItem,
    JobProgressResponse,
    JobProgressUpdate,
    StateTransitionContext,
    TranslationJobRecord,
    TranslationOptions,
    UpdateJobStatusRequest,
    UserJobsRequest,
    UserJobsResponse,
)
from jobstate.service.aggregator import ChunkProgressAggregator
from jobstate.service.jobs import TranslationJobService
from jobstate.service.recovery import JobErrorRecovery, RecoveryAction
from jobstate.store.manager import ChunkUpdateResult, JobStateManager, TransitionResult

__all__ = [
    "ActorRole",
    "ChunkNotFoundError",
    "ChunkProgressAggregator",
    "ChunkSpec",
    "ChunkStatus",
    "ChunkStatusRecord",
    "ChunkStatusUpdate",
    "ChunkUpdateResult",
    "CreateJobRequest",
    "CreateJobResponse",
    "DocumentMetadata",
    "ErrorInfo",
    "IllegalTransitionError",
    "InvalidRequestError",
    "JobDetailsResponse",
    "JobErrorRecovery",
    "JobHistoryItem",
    "JobNotFoundError",
    "JobProgressResponse",
    "JobProgressUpdate",
    "JobStateError",
    "JobStateManager",
    "JobStatus",
    "Priority",
    "QualityLevel",
    "QuotaExceededError",
    "RecoveryAction",
    "StaleStateError",
    "StateTransitionContext",
    "TransitionResult",
    "TranslationJobRecord",
    "TranslationJobService",
    "TranslationOptions",
    "UpdateJobStatusRequest",
    "UserJobsRequest",
    "UserJobsResponse",
]
