"""The code asset carries the runtime dependencies built for arm64 Lambda, without Docker."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

from infra.bundling import LambdaPlatform, dependency_key, runtime_requirements
from infra.functions import LAMBDA_PIP_PLATFORM, runtime_python_version
from tests.infra.conftest import Synthesized


def _staged_asset(synthesized: Synthesized) -> Path:
    functions = synthesized.resources("dev", "AWS::Lambda::Function").values()
    keys = {f["Properties"]["Code"]["S3Key"] for f in functions}
    assert len(keys) == 1, "every function shares one asset"
    (key,) = keys
    asset = synthesized.assets("dev")[key.removesuffix(".zip")]
    assert asset["source"]["packaging"] == "zip"
    return synthesized.outdir / asset["source"]["path"]


def test_asset_holds_arm64_builds_of_the_runtime_dependencies(synthesized: Synthesized) -> None:
    asset = _staged_asset(synthesized)
    version = runtime_python_version().replace(".", "")

    binaries = list((asset / "pydantic_core").glob("_pydantic_core.*.so"))
    assert [b.name for b in binaries] == [f"_pydantic_core.cpython-{version}-aarch64-linux-gnu.so"]
    assert (asset / "aws_lambda_powertools" / "__init__.py").is_file()
    assert (asset / "pydantic" / "__init__.py").is_file()
    # The runtime's own boto3 is used rather than 25 MB more per function.
    assert not (asset / "boto3").exists()


def test_asset_holds_the_current_jobstate_package(synthesized: Synthesized) -> None:
    asset = _staged_asset(synthesized)
    source = Path(__file__).resolve().parents[2] / "src" / "jobstate"

    for module in ("handlers/api.py", "store/schema.py", "workflow/pipeline.py"):
        assert (asset / "jobstate" / module).read_bytes() == (source / module).read_bytes()
    assert not list((asset / "jobstate").rglob("__pycache__"))


def test_requirements_are_pinned_and_keyed_by_platform() -> None:
    requirements = runtime_requirements()
    platform = LambdaPlatform(runtime_python_version(), LAMBDA_PIP_PLATFORM)
    other = LambdaPlatform("3.12", LAMBDA_PIP_PLATFORM)

    assert requirements
    assert all("==" in spec for spec in requirements)
    assert not [spec for spec in requirements if spec.startswith(("boto3", "botocore"))]
    assert dependency_key(requirements, platform) != dependency_key(requirements, other)
    assert dependency_key(requirements, platform) != dependency_key(requirements[1:], platform)


def _module_level_imports(path: Path) -> set[str]:
    """Modules imported when `path` is imported (not those behind TYPE_CHECKING or in bodies)."""
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def test_asset_holds_everything_the_handlers_import(synthesized: Synthesized) -> None:
    asset = _staged_asset(synthesized)
    bundled = {p.name.removesuffix(".py") for p in asset.iterdir()}
    provided = bundled | {"boto3", "botocore"} | set(sys.stdlib_module_names)
    functions = synthesized.resources("dev", "AWS::Lambda::Function").values()
    pending = [f["Properties"]["Handler"].rpartition(".")[0] for f in functions]
    seen: set[str] = set()
    outside: set[str] = set()

    while pending:
        module = pending.pop()
        if module in seen:
            continue
        seen.add(module)
        if module.split(".")[0] != "jobstate":
            outside.add(module.split(".")[0])
            continue
        relative = Path(*module.split("."))
        for candidate in (asset / relative.with_suffix(".py"), asset / relative / "__init__.py"):
            if candidate.is_file():
                pending += sorted(_module_level_imports(candidate))

    assert "jobstate.handlers.api" in seen
    assert outside - provided == set()
