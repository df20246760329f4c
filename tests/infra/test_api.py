"""The REST API: every route behind the Cognito authorizer, validated, throttled and logged."""

from __future__ import annotations

from typing import Any

from infra.api import OPERATORS_GROUP
from infra.environments import ENVIRONMENTS
from infra.stack import API_HANDLER, REPORT_HANDLER, api_routes, report_routes
from jobstate.handlers.api import MAX_BODY_BYTES
from tests.infra.conftest import Synthesized


def _paths(synthesized: Synthesized, env: str) -> dict[str, str]:
    """Logical id of each API Gateway resource -> its full path."""
    resources = synthesized.resources(env, "AWS::ApiGateway::Resource")
    paths: dict[str, str] = {}

    def path_of(logical_id: str) -> str:
        if logical_id not in paths:
            properties = resources[logical_id]["Properties"]
            parent = properties["ParentId"]
            prefix = path_of(parent["Ref"]) if "Ref" in parent else ""
            paths[logical_id] = f"{prefix}/{properties['PathPart']}"
        return paths[logical_id]

    for logical_id in resources:
        path_of(logical_id)
    return paths


def _methods(synthesized: Synthesized, env: str = "dev") -> dict[tuple[str, str], dict[str, Any]]:
    paths = _paths(synthesized, env)
    methods = {}
    for method in synthesized.resources(env, "AWS::ApiGateway::Method").values():
        properties = method["Properties"]
        resource = properties["ResourceId"]
        path = paths[resource["Ref"]] if "Ref" in resource else "/"
        methods[(properties["HttpMethod"], path)] = properties
    return methods


def test_the_gateway_serves_exactly_the_routes_of_the_handlers(synthesized: Synthesized) -> None:
    expected = {(route.method, route.path) for route in (*api_routes(), *report_routes())}

    assert set(_methods(synthesized)) == expected
    assert ("POST", "/jobs") in expected
    assert ("GET", "/reports/jobs") in expected


def test_every_route_has_the_cognito_authorizer(synthesized: Synthesized) -> None:
    authorizers = synthesized.resources("dev", "AWS::ApiGateway::Authorizer")
    assert len(authorizers) == 1
    (authorizer_id, authorizer), *_ = authorizers.items()
    assert authorizer["Properties"]["Type"] == "COGNITO_USER_POOLS"
    pool_ids = synthesized.resources("dev", "AWS::Cognito::UserPool")
    assert authorizer["Properties"]["ProviderARNs"] == [{"Fn::GetAtt": [*pool_ids, "Arn"]}]

    methods = _methods(synthesized)
    assert methods
    for route, properties in methods.items():
        assert properties["AuthorizationType"] == "COGNITO_USER_POOLS", route
        assert properties["AuthorizerId"] == {"Ref": authorizer_id}, route


def test_requests_are_validated_before_a_function_runs(synthesized: Synthesized) -> None:
    methods = _methods(synthesized)
    validators = synthesized.resources("dev", "AWS::ApiGateway::RequestValidator")
    (validator_id, validator), *_ = validators.items()
    assert validator["Properties"]["ValidateRequestBody"] is True
    assert validator["Properties"]["ValidateRequestParameters"] is True

    for route, properties in methods.items():
        assert properties["RequestValidatorId"] == {"Ref": validator_id}, route
        if "{jobId}" in route[1]:
            assert properties["RequestParameters"]["method.request.path.jobId"] is True
    assert "RequestModels" in methods[("POST", "/jobs")]
    assert "RequestModels" not in methods[("POST", "/jobs/{jobId}/pause")]
    report = methods[("GET", "/reports/jobs")]["RequestParameters"]
    assert report["method.request.querystring.startDate"] is True


def test_stage_is_throttled_traced_and_logged(synthesized: Synthesized) -> None:
    for env in ("dev", "prod"):
        config = ENVIRONMENTS[env]
        (stage,) = synthesized.resources(env, "AWS::ApiGateway::Stage").values()
        properties = stage["Properties"]
        assert properties["StageName"] == env
        assert properties["TracingEnabled"] is True
        assert "DestinationArn" in properties["AccessLogSetting"]
        (settings,) = properties["MethodSettings"]
        assert settings["LoggingLevel"] == "INFO"
        assert settings["DataTraceEnabled"] is False
        assert settings["ThrottlingRateLimit"] == config.api_throttle_rate_per_second
        assert settings["ThrottlingBurstLimit"] == config.api_throttle_burst


def test_operators_group_and_waf(synthesized: Synthesized) -> None:
    template = synthesized.templates["dev"]
    template.has_resource_properties("AWS::Cognito::UserPoolGroup", {"GroupName": OPERATORS_GROUP})
    template.has_resource_properties(
        "AWS::Cognito::UserPool",
        {"MfaConfiguration": "ON", "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": True}},
    )
    template.resource_count_is("AWS::WAFv2::WebACLAssociation", 1)
    (acl,) = synthesized.resources("dev", "AWS::WAFv2::WebACL").values()
    common = acl["Properties"]["Rules"][0]["Statement"]["ManagedRuleGroupStatement"]
    # The API's own body limit (16 KB) is above the managed rule's 8 KB.
    assert MAX_BODY_BYTES > 8 * 1024
    assert common["RuleActionOverrides"] == [
        {"Name": "SizeRestrictions_BODY", "ActionToUse": {"Count": {}}}
    ]
    (prod_pool,) = synthesized.resources("prod", "AWS::Cognito::UserPool").values()
    assert prod_pool["Properties"]["UserPoolTier"] == "PLUS"


def test_reports_run_in_the_read_only_report_function(synthesized: Synthesized) -> None:
    functions = synthesized.resources("dev", "AWS::Lambda::Function")
    reported = {(route.method, route.path) for route in report_routes()}

    for route, properties in _methods(synthesized).items():
        uri = properties["Integration"]["Uri"]["Fn::Join"][1]
        (target,) = [
            part["Fn::GetAtt"][0] for part in uri if isinstance(part, dict) and "Fn::GetAtt" in part
        ]
        handler = functions[target]["Properties"]["Handler"]
        expected = REPORT_HANDLER if route in reported else API_HANDLER
        assert handler == expected, route
    permissions = synthesized.resources("dev", "AWS::Lambda::Permission").values()
    invoked_by_api = {
        p["Properties"]["FunctionName"]["Fn::GetAtt"][0]
        for p in permissions
        if p["Properties"]["Principal"] == "apigateway.amazonaws.com"
    }
    assert {functions[f]["Properties"]["Handler"] for f in invoked_by_api} == {
        API_HANDLER,
        REPORT_HANDLER,
    }
