"""Alarms on the metrics jobstate emits and on the AWS services under it, and one dashboard."""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Duration
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from infra.environments import EnvironmentConfig
from infra.functions import SERVICE_NAME
from jobstate import metric_names

FIVE_MINUTES = Duration.minutes(5)
FIFTEEN_MINUTES = Duration.minutes(15)


def job_metric(
    name: str, *, statistic: str = "Sum", period: Duration = FIVE_MINUTES
) -> cloudwatch.Metric:
    """A metric jobstate emits through Powertools, which adds the `service` dimension."""
    return cloudwatch.Metric(
        namespace=metric_names.NAMESPACE,
        metric_name=name,
        dimensions_map={"service": SERVICE_NAME},
        statistic=statistic,
        period=period,
    )


class JobMonitoring(Construct):
    """Every alarm notifies one encrypted topic; the dashboard shows the jobs and the API."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: EnvironmentConfig,
        api: apigw.RestApi,
        functions: Mapping[str, lambda_.IFunction],
        state_machine: sfn.IStateMachine | None,
        relay_failures: sqs.IQueue,
    ) -> None:
        super().__init__(scope, construct_id)
        self._config = config
        key = kms.Key(
            self,
            "AlarmTopicKey",
            description=f"Encrypts jobstate-{config.name} alarm notifications",
            enable_key_rotation=True,
            removal_policy=config.removal_policy,
        )
        # CloudWatch must be able to encrypt what it publishes to the topic.
        key.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["kms:Decrypt", "kms:GenerateDataKey"],
                resources=["*"],
            )
        )
        self.topic = sns.Topic(
            self,
            "AlarmTopic",
            topic_name=f"jobstate-{config.name}-alarms",
            master_key=key,
            enforce_ssl=True,
        )
        self._action = actions.SnsAction(self.topic)
        self.alarms: list[cloudwatch.Alarm] = []

        self._job_alarms()
        self._alarm(
            "RelayDeadLetterQueue",
            relay_failures.metric_approximate_number_of_messages_visible(period=FIVE_MINUTES),
            threshold=1,
            description="Stream batches the relay gave up on are waiting in its failure queue",
        )
        self._alarm(
            "Api5xx",
            api.metric_server_error(period=FIVE_MINUTES, statistic="Sum"),
            threshold=config.api_5xx_per_5_minutes,
            description="The API answers with server errors",
        )
        for name, function in functions.items():
            self._alarm(
                f"{name}Errors",
                function.metric_errors(period=FIVE_MINUTES, statistic="Sum"),
                threshold=1,
                description=f"The {name} function raised errors",
            )
            self._alarm(
                f"{name}Throttles",
                function.metric_throttles(period=FIVE_MINUTES, statistic="Sum"),
                threshold=1,
                description=f"The {name} function was throttled",
            )
        if state_machine is not None:
            self._alarm(
                "WorkflowFailed",
                state_machine.metric_failed(period=FIVE_MINUTES, statistic="Sum"),
                threshold=1,
                description="Job workflow executions failed",
            )
            self._alarm(
                "WorkflowTimedOut",
                state_machine.metric_timed_out(period=FIVE_MINUTES, statistic="Sum"),
                threshold=1,
                description="Job workflow executions timed out",
            )
        self._dashboard(api)

    def _job_alarms(self) -> None:
        failed = job_metric(metric_names.JOBS_FAILED, period=FIFTEEN_MINUTES)
        completed = job_metric(metric_names.JOBS_COMPLETED, period=FIFTEEN_MINUTES)
        failure_rate = cloudwatch.MathExpression(
            expression=(
                "IF((FILL(failed, 0) + FILL(completed, 0)) > 0, "
                "100 * FILL(failed, 0) / (FILL(failed, 0) + FILL(completed, 0)), 0)"
            ),
            using_metrics={"failed": failed, "completed": completed},
            label="Job failure rate (%)",
            period=FIFTEEN_MINUTES,
        )
        self._alarm(
            "JobFailureRate",
            failure_rate,
            threshold=self._config.job_failure_rate_percent,
            description="Share of settled jobs that failed, in percent",
        )
        self._alarm(
            "StalledJobs",
            job_metric(metric_names.STALLED_JOBS),
            threshold=1,
            evaluation_periods=3,
            description="The sweeper keeps finding stalled jobs",
        )
        self._alarm(
            "RelayFailures",
            job_metric(metric_names.RELAY_FAILURES),
            threshold=1,
            description="The stream relay could not publish state-change events",
        )
        self._alarm(
            "RelayDeadLetters",
            job_metric(metric_names.RELAY_DEAD_LETTERS),
            threshold=1,
            description="The stream relay dead-lettered state-change events",
        )

    def _alarm(
        self,
        construct_id: str,
        metric: cloudwatch.IMetric,
        *,
        threshold: float,
        description: str,
        evaluation_periods: int = 1,
    ) -> cloudwatch.Alarm:
        alarm = cloudwatch.Alarm(
            self,
            construct_id,
            alarm_name=f"jobstate-{self._config.name}-{construct_id}",
            alarm_description=description,
            metric=metric,
            threshold=threshold,
            evaluation_periods=evaluation_periods,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        alarm.add_alarm_action(self._action)
        alarm.add_ok_action(self._action)
        self.alarms.append(alarm)
        return alarm

    def _dashboard(self, api: apigw.RestApi) -> None:
        def graph(title: str, *metrics: cloudwatch.IMetric) -> cloudwatch.GraphWidget:
            return cloudwatch.GraphWidget(title=title, left=list(metrics), width=12)

        dashboard = cloudwatch.Dashboard(
            self, "Dashboard", dashboard_name=f"jobstate-{self._config.name}"
        )
        dashboard.add_widgets(
            graph(
                "Jobs",
                job_metric(metric_names.JOBS_CREATED),
                job_metric(metric_names.JOBS_COMPLETED),
                job_metric(metric_names.JOBS_FAILED),
                job_metric(metric_names.JOBS_CANCELLED),
            ),
            graph(
                "Throughput (words per minute)",
                job_metric(metric_names.THROUGHPUT_WORDS_PER_MINUTE, statistic="Average"),
            ),
        )
        dashboard.add_widgets(
            graph(
                "Durations",
                job_metric(metric_names.JOB_DURATION, statistic="p50"),
                job_metric(metric_names.JOB_DURATION, statistic="p90"),
                job_metric(metric_names.CHUNK_PROCESSING_TIME, statistic="p90"),
            ),
            graph(
                "Failures and retries",
                job_metric(metric_names.CHUNK_FAILURE_RATE, statistic="Average"),
                job_metric(metric_names.RETRIES),
                job_metric(metric_names.STALLED_JOBS),
            ),
        )
        dashboard.add_widgets(
            graph(
                "API latency",
                api.metric_latency(statistic="p50", period=FIVE_MINUTES),
                api.metric_latency(statistic="p99", period=FIVE_MINUTES),
            ),
            graph(
                "API errors",
                api.metric_client_error(statistic="Sum", period=FIVE_MINUTES),
                api.metric_server_error(statistic="Sum", period=FIVE_MINUTES),
            ),
        )
