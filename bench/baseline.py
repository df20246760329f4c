"""The reference design's job store, as its section 4 and 7 code writes it, to measure against.

Two tables (jobs, chunks). A chunk update writes the chunk, recounts every chunk with a Query,
overwrites the job's counters with the count, rereads the job and decides on a transition. A
progress poll is the section 7 handler: getJobProgress (job read + chunk Query) followed by
getJobDetails (job read + the aggregator's chunk Query + getJobChunks' chunk Query).
It exists only to be measured: it keeps the design's lost-update race on purpose.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from jobstate.models import ChunkStatusUpdate

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()

STAGE_PROGRESS = {"QUEUED": 5, "CHUNKED": 15, "ASSEMBLING": 85, "COMPLETED": 100}


def _wire(item: dict[str, Any]) -> dict[str, Any]:
    return {k: _serializer.serialize(v) for k, v in item.items() if v is not None}


def _plain(item: dict[str, Any]) -> dict[str, Any]:
    return {k: _deserializer.deserialize(v) for k, v in item.items()}


def _now() -> str:
    return datetime.now(UTC).isoformat()


def create_tables(client: Any, prefix: str) -> tuple[str, str]:
    names = (f"{prefix}-jobs", f"{prefix}-chunks")
    for name in names:
        client.create_table(
            TableName=name,
            KeySchema=[
                {"AttributeName": "PK", "KeyType": "HASH"},
                {"AttributeName": "SK", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": "PK", "AttributeType": "S"},
                {"AttributeName": "SK", "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
    return names


class StaleTransitionError(Exception):
    """The design's "Job X is not in expected state" error."""


@dataclass
class DesignBaseline:
    client: Any
    jobs_table: str
    chunks_table: str
    events_published: int = 0

    # ---------------------------------------------------------------------- job lifecycle

    def create_job(self, user_id: str, word_count: int, chunks: int) -> str:
        job_id = uuid.uuid4().hex
        now = _now()
        record = {
            "PK": f"JOB#{job_id}",
            "SK": "METADATA",
            "jobId": job_id,
            "userId": user_id,
            "documentId": "doc-1",
            "filename": "novel.docx",
            "targetLanguage": "es",
            "status": "CREATED",
            "overallProgress": 0,
            "currentStage": "CREATED",
            "stageProgress": 0,
            "totalChunks": chunks,
            "chunksCompleted": 0,
            "chunksTranslating": 0,
            "chunksFailed": 0,
            "createdAt": now,
            "updatedAt": now,
            "lastActivityAt": now,
            "estimatedCompletion": now,
            "estimatedCost": 1,
            "estimatedDuration": 60,
            "priority": "NORMAL",
            "retryCount": 0,
            "maxRetries": 3,
            "wordCount": word_count,
            "fileSize": 64000,
            "contentHash": "sha256:abc123",
            "preserveFormatting": True,
            "qualityLevel": "STANDARD",
        }
        self.client.put_item(
            TableName=self.jobs_table,
            Item=_wire(record),
            ConditionExpression="attribute_not_exists(PK)",
        )
        self._update_gsi_records(job_id, record)
        self.transition_job_state(job_id, "CREATED", "VALIDATING", "Initial job creation")
        self._publish_event()
        return job_id

    def transition_job_state(self, job_id: str, source: str, target: str, reason: str) -> None:
        now = _now()
        expression = (
            "SET #status = :toState, #currentStage = :toState, #updatedAt = :timestamp, "
            "#lastActivityAt = :timestamp"
        )
        names = {
            "#status": "status",
            "#currentStage": "currentStage",
            "#updatedAt": "updatedAt",
            "#lastActivityAt": "lastActivityAt",
        }
        if target == "TRANSLATING":
            expression += ", #startedAt = :timestamp"
            names["#startedAt"] = "startedAt"
        if target in ("COMPLETED", "FAILED"):
            expression += ", #completedAt = :timestamp"
            names["#completedAt"] = "completedAt"
        try:
            result = self.client.update_item(
                TableName=self.jobs_table,
                Key=_wire({"PK": f"JOB#{job_id}", "SK": "METADATA"}),
                UpdateExpression=expression,
                ConditionExpression="#status = :fromState",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=_wire(
                    {":fromState": source, ":toState": target, ":timestamp": now}
                ),
                ReturnValues="ALL_NEW",
            )
        except self.client.exceptions.ConditionalCheckFailedException as error:
            raise StaleTransitionError(f"Job {job_id} is not in expected state {source}") from error
        if target in STAGE_PROGRESS:  # the UPDATE_PROGRESS action of the transition table
            self.update_job_progress(job_id, target, STAGE_PROGRESS[target])
        self._update_gsi_records(job_id, _plain(result["Attributes"]))
        self._publish_event()
        self._log_state_transition(job_id, source, target, reason, now)

    def update_job_progress(self, job_id: str, stage: str, progress: int) -> None:
        now = _now()
        self.client.update_item(
            TableName=self.jobs_table,
            Key=_wire({"PK": f"JOB#{job_id}", "SK": "METADATA"}),
            UpdateExpression=(
                "SET #overallProgress = :overallProgress, #stageProgress = :stageProgress, "
                "#updatedAt = :timestamp, #lastActivityAt = :timestamp"
            ),
            ExpressionAttributeNames={
                "#overallProgress": "overallProgress",
                "#stageProgress": "stageProgress",
                "#updatedAt": "updatedAt",
                "#lastActivityAt": "lastActivityAt",
            },
            ExpressionAttributeValues=_wire(
                {":overallProgress": progress, ":stageProgress": 0, ":timestamp": now}
            ),
        )
        self._publish_event()

    def _update_gsi_records(self, job_id: str, record: dict[str, Any]) -> None:
        # The design keeps its GSI keys up to date in a write of their own after the change.
        status, created = record["status"], record["createdAt"]
        self.client.update_item(
            TableName=self.jobs_table,
            Key=_wire({"PK": f"JOB#{job_id}", "SK": "METADATA"}),
            UpdateExpression="SET GSI1PK = :u, GSI1SK = :us, GSI2PK = :s, GSI2SK = :ss",
            ExpressionAttributeValues=_wire(
                {
                    ":u": f"USER#{record['userId']}",
                    ":us": f"STATUS#{status}#CREATED#{created}",
                    ":s": f"STATUS#{status}",
                    ":ss": f"PRIORITY#{record['priority']}#CREATED#{created}",
                }
            ),
        )

    def _log_state_transition(
        self, job_id: str, source: str, target: str, reason: str, at: str
    ) -> None:
        self.client.put_item(
            TableName=self.jobs_table,
            Item=_wire(
                {
                    "PK": f"JOB#{job_id}",
                    "SK": f"AUDIT#{at}#{target}",
                    "fromState": source,
                    "toState": target,
                    "reason": reason,
                    "triggeredBy": "SYSTEM",
                    "timestamp": at,
                }
            ),
        )

    def _publish_event(self) -> None:
        # EventBridge, not DynamoDB: counted for the cost model, not sent.
        self.events_published += 1

    # ---------------------------------------------------------------------------- chunks

    def register_chunks(self, job_id: str, token_counts: list[int]) -> None:
        self.put_chunks(job_id, token_counts)
        self.client.update_item(
            TableName=self.jobs_table,
            Key=_wire({"PK": f"JOB#{job_id}", "SK": "METADATA"}),
            UpdateExpression="SET totalChunks = :n",
            ExpressionAttributeValues=_wire({":n": len(token_counts)}),
        )

    def put_chunks(self, job_id: str, token_counts: list[int], *, completed: int = 0) -> None:
        """Chunk items as chunking writes them; the first `completed` already translated."""
        now = _now()
        batch: list[dict[str, Any]] = []
        for index, tokens in enumerate(token_counts):
            chunk: dict[str, Any] = {
                "PK": f"JOB#{job_id}",
                "SK": f"CHUNK#{index:03d}",
                "jobId": job_id,
                "chunkId": f"{job_id}-{index}",
                "chunkIndex": index,
                "status": "PENDING",
                "progress": 0,
                "tokenCount": tokens,
                "retryCount": 0,
                "updatedAt": now,
            }
            if index < completed:
                chunk.update(
                    status="COMPLETED",
                    progress=100,
                    translationCompleted=now,
                    processingTime=1200 + index % 500,
                )
            batch.append({"PutRequest": {"Item": _wire(chunk)}})
            if len(batch) == 25:
                self._write_batch(batch)
                batch = []
        if batch:
            self._write_batch(batch)

    def _write_batch(self, batch: list[dict[str, Any]]) -> None:
        pending: dict[str, Any] = {self.chunks_table: batch}
        while pending:
            response = self.client.batch_write_item(RequestItems=pending)
            pending = response.get("UnprocessedItems") or {}

    def write_chunk(self, job_id: str, index: int, update: ChunkStatusUpdate) -> None:
        """The first step of updateChunkStatus: the chunk item alone."""
        now = _now()
        expression = "SET #status = :status, #progress = :progress, #updatedAt = :timestamp"
        names = {"#status": "status", "#progress": "progress", "#updatedAt": "updatedAt"}
        values: dict[str, Any] = {
            ":status": update.status.value,
            ":progress": int(update.progress or (100 if update.status == "COMPLETED" else 0)),
            ":timestamp": now,
        }
        if update.status == "COMPLETED":
            expression += ", #translationCompleted = :timestamp"
            names["#translationCompleted"] = "translationCompleted"
            if update.processing_time:
                expression += ", #processingTime = :processingTime"
                names["#processingTime"] = "processingTime"
                values[":processingTime"] = update.processing_time
        if update.status == "FAILED" and update.error:
            expression += ", #lastError = :error"
            names["#lastError"] = "lastError"
            values[":error"] = update.error.to_json_dict()
        self.client.update_item(
            TableName=self.chunks_table,
            Key=_wire({"PK": f"JOB#{job_id}", "SK": f"CHUNK#{index:03d}"}),
            UpdateExpression=expression,
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=_wire(values),
        )

    def update_chunk_status(self, job_id: str, index: int, update: ChunkStatusUpdate) -> None:
        self.write_chunk(job_id, index, update)
        self._update_job_chunk_counters(job_id)
        self._check_job_state_transitions(job_id)

    def _update_job_chunk_counters(self, job_id: str) -> None:
        counts = {"COMPLETED": 0, "TRANSLATING": 0, "FAILED": 0}
        for chunk in self.get_job_chunks(job_id):
            if chunk["status"] in counts:
                counts[chunk["status"]] += 1
        self.client.update_item(
            TableName=self.jobs_table,
            Key=_wire({"PK": f"JOB#{job_id}", "SK": "METADATA"}),
            UpdateExpression=(
                "SET #chunksCompleted = :completed, #chunksTranslating = :translating, "
                "#chunksFailed = :failed, #lastActivityAt = :timestamp"
            ),
            ExpressionAttributeNames={
                "#chunksCompleted": "chunksCompleted",
                "#chunksTranslating": "chunksTranslating",
                "#chunksFailed": "chunksFailed",
                "#lastActivityAt": "lastActivityAt",
            },
            ExpressionAttributeValues=_wire(
                {
                    ":completed": counts["COMPLETED"],
                    ":translating": counts["TRANSLATING"],
                    ":failed": counts["FAILED"],
                    ":timestamp": _now(),
                }
            ),
        )

    def _check_job_state_transitions(self, job_id: str) -> None:
        job = self.get_job(job_id)
        if job is None:
            return
        if job["status"] == "TRANSLATING" and job["chunksCompleted"] == job["totalChunks"]:
            self.transition_job_state(job_id, "TRANSLATING", "ASSEMBLING", "All chunks completed")
        if job["chunksFailed"] > int(job["totalChunks"]) * 0.1:
            self.transition_job_state(job_id, job["status"], "FAILED", "Too many chunk failures")

    # --------------------------------------------------------------------------- reading

    def get_job(self, job_id: str) -> dict[str, Any] | None:
        # DocumentClient.get without ConsistentRead: an eventually consistent read.
        response = self.client.get_item(
            TableName=self.jobs_table, Key=_wire({"PK": f"JOB#{job_id}", "SK": "METADATA"})
        )
        item = response.get("Item")
        return _plain(item) if item else None

    def get_job_chunks(self, job_id: str) -> list[dict[str, Any]]:
        # The design reads one page only, which would drop chunks past 1 MB; the baseline pages
        # on so its counts are right, and pays for the pages it needs.
        request: dict[str, Any] = {
            "TableName": self.chunks_table,
            "KeyConditionExpression": "PK = :jobPK",
            "ExpressionAttributeValues": _wire({":jobPK": f"JOB#{job_id}"}),
        }
        chunks: list[dict[str, Any]] = []
        while True:
            response = self.client.query(**request)
            chunks.extend(_plain(item) for item in response.get("Items", []))
            last = response.get("LastEvaluatedKey")
            if not last:
                return chunks
            request["ExclusiveStartKey"] = last

    def aggregate_job_progress(self, job_id: str) -> dict[str, Any]:
        chunks = self.get_job_chunks(job_id)
        if not chunks:
            return {"overallProgress": 0, "chunksCompleted": 0, "totalChunks": 0}
        completed = [c for c in chunks if c["status"] == "COMPLETED"]
        translating = [c for c in chunks if c["status"] == "TRANSLATING"]
        times = [float(c["processingTime"]) for c in completed if c.get("processingTime")]
        average = sum(times) / len(times) if times else 0.0
        total = len(completed) * 100 + sum(float(c["progress"]) for c in translating)
        return {
            "overallProgress": round(total / len(chunks)),
            "chunksCompleted": len(completed),
            "chunksTranslating": len(translating),
            "totalChunks": len(chunks),
            "estimatedTimeRemaining": (len(chunks) - len(completed)) * average,
        }

    def get_job_progress(self, job_id: str) -> dict[str, Any]:
        job = self.get_job(job_id)
        if job is None:
            raise KeyError(job_id)
        progress = self.aggregate_job_progress(job_id)
        return {"jobId": job_id, "status": job["status"], **progress}

    def get_job_details(self, job_id: str) -> dict[str, Any]:
        job = self.get_job(job_id)
        if job is None:
            raise KeyError(job_id)
        progress = self.aggregate_job_progress(job_id)
        chunks = self.get_job_chunks(job_id)
        return {"userId": job["userId"], "progress": progress, "chunks": len(chunks)}

    def progress_handler(self, job_id: str, user_id: str) -> dict[str, Any]:
        """The section 7 Lambda handler: progress first, then the details for the access check."""
        progress = self.get_job_progress(job_id)
        details = self.get_job_details(job_id)
        if details["userId"] != user_id:
            raise PermissionError("Access denied")
        return progress
