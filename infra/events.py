"""jobstate's event bus with its archive, the stream relay's wiring, and the sweeper's schedule."""

from __future__ import annotations

from aws_cdk import Duration, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.environments import EnvironmentConfig
from infra.nag import acknowledge

RELAY_BATCH_SIZE = 100
RELAY_MAX_RECORD_AGE = Duration.hours(6)
RELAY_RETRY_ATTEMPTS = 10


class JobEvents(Construct):
    """The bus the stream relay publishes state changes to, and where failed batches land."""

    def __init__(self, scope: Construct, construct_id: str, *, config: EnvironmentConfig) -> None:
        super().__init__(scope, construct_id)
        self.bus = events.EventBus(self, "Bus", event_bus_name=f"jobstate-{config.name}")
        self.bus.archive(
            "Archive",
            archive_name=f"jobstate-{config.name}-events",
            description="Every jobstate event, for replay after a consumer outage",
            event_pattern=events.EventPattern(account=[Stack.of(self).account]),
            retention=Duration.days(config.event_archive_days),
        )
        self.relay_failures = self._operator_queue(
            "RelayFailures",
            "This queue is itself the relay's on-failure destination: it holds the stream "
            "positions of batches that could not be published, for an operator to replay. "
            "A dead-letter queue behind it would have no consumer either.",
            config,
        )
        self.relay_dead_letters = self._operator_queue(
            "RelayDeadLetters",
            "This queue is itself a dead-letter queue: events the relay or the workflow "
            "start rule could not deliver wait here for an operator to redrive.",
            config,
        )

    def _operator_queue(self, name: str, why_no_dlq: str, config: EnvironmentConfig) -> sqs.Queue:
        """An encrypted queue an operator drains by hand, so it has no dead-letter queue."""
        queue = sqs.Queue(
            self,
            name,
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=Duration.days(14),
            removal_policy=config.removal_policy,
        )
        acknowledge(queue, id="AwsSolutions-SQS3", reason=why_no_dlq)
        return queue

    def attach_relay(self, relay: lambda_.Function, table: dynamodb.ITable) -> None:
        """Feed the table's stream to the relay, in order per shard, never silently dropping."""
        relay.add_event_source(
            sources.DynamoEventSource(
                table,
                starting_position=lambda_.StartingPosition.TRIM_HORIZON,
                batch_size=RELAY_BATCH_SIZE,
                bisect_batch_on_error=True,
                report_batch_item_failures=True,
                max_record_age=RELAY_MAX_RECORD_AGE,
                retry_attempts=RELAY_RETRY_ATTEMPTS,
                parallelization_factor=1,
                on_failure=sources.SqsDlq(self.relay_failures),
            )
        )
        self.bus.grant_put_events_to(relay)

    def schedule_sweeper(self, sweeper: lambda_.IFunction, every: Duration) -> events.Rule:
        return events.Rule(
            self,
            "SweepSchedule",
            description="Finds stalled jobs and starts their recovery",
            schedule=events.Schedule.rate(every),
            # A missed sweep is covered by the next one; retrying would only overlap them.
            targets=[targets.LambdaFunction(sweeper, retry_attempts=0)],
        )
