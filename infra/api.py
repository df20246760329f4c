"""The REST API: Cognito users and their `operators` group, one authorizer on every route, WAF."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from aws_cdk import Duration
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from infra.environments import EnvironmentConfig
from infra.nag import acknowledge
from jobstate.handlers.access import OPERATOR_GROUP

# The group whose members the API treats as operators (it reads `cognito:groups`).
OPERATORS_GROUP = OPERATOR_GROUP
PATH_PARAMETER = re.compile(r"^\{(\w+)\}$")


@dataclass(frozen=True)
class Route:
    """One operation as API Gateway needs it: what the gateway can check before the function."""

    method: str
    path: str
    requires_body: bool = False
    # (location, name, required) with API Gateway's locations: path, querystring, header.
    parameters: tuple[tuple[str, str, bool], ...] = ()

    @property
    def request_parameters(self) -> dict[str, bool]:
        declared = {f"method.request.{w}.{n}": required for w, n, required in self.parameters}
        # Every path template variable is required, declared or not.
        for part in self.path.split("/"):
            if match := PATH_PARAMETER.match(part):
                declared[f"method.request.path.{match.group(1)}"] = True
        return declared


class JobsApi(Construct):
    """API Gateway in front of one function; identity comes only from the Cognito authorizer."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: EnvironmentConfig,
        routes: Iterable[tuple[Route, lambda_.IFunction]],
    ) -> None:
        super().__init__(scope, construct_id)
        self.user_pool = self._user_pool(config)
        self.client = self.user_pool.add_client(
            "WebClient",
            auth_flows=cognito.AuthFlow(user_srp=True),
            generate_secret=False,
            prevent_user_existence_errors=True,
            id_token_validity=Duration.hours(1),
            access_token_validity=Duration.hours(1),
        )
        cognito.CfnUserPoolGroup(
            self,
            "OperatorsGroup",
            user_pool_id=self.user_pool.user_pool_id,
            group_name=OPERATORS_GROUP,
            description="May drive any job along the lifecycle graph and read reports",
        )
        authorizer = apigw.CognitoUserPoolsAuthorizer(
            self, "Authorizer", cognito_user_pools=[self.user_pool]
        )

        self.access_logs = logs.LogGroup(
            self,
            "AccessLogs",
            retention=config.log_retention,
            removal_policy=config.removal_policy,
        )
        self.api = apigw.RestApi(
            self,
            "Api",
            rest_api_name=f"jobstate-{config.name}",
            description="jobstate: translation job state",
            endpoint_types=[apigw.EndpointType.REGIONAL],
            cloud_watch_role=True,
            cloud_watch_role_removal_policy=config.removal_policy,
            deploy_options=apigw.StageOptions(
                stage_name=config.name,
                throttling_rate_limit=config.api_throttle_rate_per_second,
                throttling_burst_limit=config.api_throttle_burst,
                logging_level=apigw.MethodLoggingLevel.INFO,
                # Request and response bodies would put tokens and document metadata in logs.
                data_trace_enabled=False,
                metrics_enabled=True,
                tracing_enabled=True,
                access_log_destination=apigw.LogGroupLogDestination(self.access_logs),
                access_log_format=apigw.AccessLogFormat.json_with_standard_fields(
                    caller=True,
                    http_method=True,
                    ip=True,
                    protocol=True,
                    request_time=True,
                    resource_path=True,
                    response_length=True,
                    status=True,
                    user=True,
                ),
            ),
            default_method_options=apigw.MethodOptions(
                authorizer=authorizer,
                authorization_type=apigw.AuthorizationType.COGNITO,
            ),
        )
        acknowledge(
            self.api,
            id="AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
            "AmazonAPIGatewayPushToCloudWatchLogs]",
            reason=(
                "The account-wide role through which API Gateway writes execution logs; this "
                "AWS-managed policy is the one API Gateway documents for it and only "
                "apigateway.amazonaws.com can assume the role."
            ),
        )
        validator = self.api.add_request_validator(
            "Validator", validate_request_body=True, validate_request_parameters=True
        )
        # The function validates each body against its pydantic model; the gateway turns away
        # what is not even a JSON object before a function is invoked.
        json_object = self.api.add_model(
            "JsonObject",
            content_type="application/json",
            schema=apigw.JsonSchema(
                schema=apigw.JsonSchemaVersion.DRAFT4, type=apigw.JsonSchemaType.OBJECT
            ),
        )
        integrations: dict[str, apigw.LambdaIntegration] = {}
        for route, function in routes:
            integration = integrations.setdefault(
                function.node.path,
                # One permission for the whole API rather than one per method and stage.
                apigw.LambdaIntegration(function, scope_permission_to_method=False),
            )
            self._add_route(route, integration, validator, json_object)
        self._web_acl(config)

    def _add_route(
        self,
        route: Route,
        integration: apigw.LambdaIntegration,
        validator: apigw.RequestValidator,
        json_object: apigw.Model,
    ) -> None:
        resource = self.api.root.resource_for_path(route.path)
        resource.add_method(
            route.method,
            integration,
            request_validator=validator,
            request_parameters=route.request_parameters,
            request_models={"application/json": json_object} if route.requires_body else None,
        )

    def _user_pool(self, config: EnvironmentConfig) -> cognito.UserPool:
        plus = config.cognito_plus_tier
        pool = cognito.UserPool(
            self,
            "Users",
            user_pool_name=f"jobstate-{config.name}",
            # Accounts are created by an administrator (see the README's Deploy section).
            self_sign_up_enabled=False,
            sign_in_aliases=cognito.SignInAliases(email=True),
            auto_verify=cognito.AutoVerifiedAttrs(email=True),
            password_policy=cognito.PasswordPolicy(
                min_length=12,
                require_lowercase=True,
                require_uppercase=True,
                require_digits=True,
                require_symbols=True,
                temp_password_validity=Duration.days(3),
            ),
            mfa=cognito.Mfa.REQUIRED,
            mfa_second_factor=cognito.MfaSecondFactor(otp=True, sms=False),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            feature_plan=cognito.FeaturePlan.PLUS if plus else cognito.FeaturePlan.ESSENTIALS,
            standard_threat_protection_mode=(
                cognito.StandardThreatProtectionMode.FULL_FUNCTION if plus else None
            ),
            deletion_protection=config.protect_data,
            removal_policy=config.removal_policy,
        )
        if not plus:
            acknowledge(
                pool,
                id="AwsSolutions-COG8",
                reason=(
                    f"The {config.name} pool holds only test accounts; the Plus tier's threat "
                    "protection is billed per active user and is enabled in staging and prod."
                ),
            )
        return pool

    def _web_acl(self, config: EnvironmentConfig) -> None:
        def visibility(name: str) -> wafv2.CfnWebACL.VisibilityConfigProperty:
            return wafv2.CfnWebACL.VisibilityConfigProperty(
                cloud_watch_metrics_enabled=True,
                metric_name=f"jobstate-{config.name}-{name}",
                sampled_requests_enabled=True,
            )

        def managed(
            priority: int, name: str, *, counted: tuple[str, ...] = ()
        ) -> wafv2.CfnWebACL.RuleProperty:
            overrides = [
                wafv2.CfnWebACL.RuleActionOverrideProperty(
                    name=rule, action_to_use=wafv2.CfnWebACL.RuleActionProperty(count={})
                )
                for rule in counted
            ]
            return wafv2.CfnWebACL.RuleProperty(
                name=name,
                priority=priority,
                override_action=wafv2.CfnWebACL.OverrideActionProperty(none={}),
                statement=wafv2.CfnWebACL.StatementProperty(
                    managed_rule_group_statement=wafv2.CfnWebACL.ManagedRuleGroupStatementProperty(
                        vendor_name="AWS", name=name, rule_action_overrides=overrides or None
                    )
                ),
                visibility_config=visibility(name),
            )

        acl = wafv2.CfnWebACL(
            self,
            "WebAcl",
            scope="REGIONAL",
            default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
            visibility_config=visibility("api"),
            rules=[
                # The common set blocks bodies over 8 KB; the API enforces its own, larger limit
                # and answers 413, so that rule only counts.
                managed(0, "AWSManagedRulesCommonRuleSet", counted=("SizeRestrictions_BODY",)),
                managed(1, "AWSManagedRulesKnownBadInputsRuleSet"),
            ],
        )
        wafv2.CfnWebACLAssociation(
            self,
            "WebAclAssociation",
            resource_arn=self.api.deployment_stage.stage_arn,
            web_acl_arn=acl.attr_arn,
        )
