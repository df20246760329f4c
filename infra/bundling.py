"""Builds the Lambda code asset without Docker: wheels for the Lambda platform plus `jobstate`.

The runtime dependencies are installed once per dependency list with pip's cross-platform options
and cached under `build/lambda/`; only the `jobstate` package is refreshed on each synth.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement

REPO_ROOT = Path(__file__).resolve().parent.parent
PACKAGE_SOURCE = REPO_ROOT / "src" / "jobstate"
BUILD_ROOT = REPO_ROOT / "build" / "lambda"

# The Lambda runtime ships boto3; bundling our own would add ~25 MB to every function for no
# behaviour the runtime's copy lacks.
PROVIDED_BY_RUNTIME = frozenset({"boto3", "botocore"})
BUNDLER_VERSION = "1"


@dataclass(frozen=True)
class LambdaPlatform:
    python_version: str
    pip_platform: str

    @property
    def abi_tag(self) -> str:
        return "cp" + self.python_version.replace(".", "")


def runtime_requirements(pyproject: Path = REPO_ROOT / "pyproject.toml") -> list[str]:
    """The project's runtime dependencies, pinned to the versions the tests ran against."""
    declared = tomllib.loads(pyproject.read_text())["project"]["dependencies"]
    pinned: list[str] = []
    for spec in declared:
        requirement = Requirement(spec)
        if requirement.name.lower() in PROVIDED_BY_RUNTIME:
            continue
        extras = f"[{','.join(sorted(requirement.extras))}]" if requirement.extras else ""
        try:
            pinned.append(f"{requirement.name}{extras}=={metadata.version(requirement.name)}")
        except metadata.PackageNotFoundError:
            pinned.append(str(requirement))
    return sorted(pinned)


def dependency_key(requirements: list[str], platform: LambdaPlatform) -> str:
    material = json.dumps(
        [BUNDLER_VERSION, platform.python_version, platform.pip_platform, requirements]
    )
    return hashlib.sha256(material.encode()).hexdigest()[:16]


def _install_dependencies(requirements: list[str], platform: LambdaPlatform, target: Path) -> None:
    command = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--no-compile",
        "--disable-pip-version-check",
        "--platform",
        platform.pip_platform,
        "--only-binary=:all:",
        "--python-version",
        platform.python_version,
        "--implementation",
        "cp",
        "--target",
        str(target),
        *requirements,
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"pip could not install the Lambda dependencies:\n{result.stderr}")
    # Console scripts are of no use inside a function.
    shutil.rmtree(target / "bin", ignore_errors=True)


def _copy_package(asset: Path, dependencies_key: str) -> str:
    """Refresh `jobstate` in the asset; returns the asset's content hash."""
    destination = asset / "jobstate"
    shutil.rmtree(destination, ignore_errors=True)
    shutil.copytree(
        PACKAGE_SOURCE, destination, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
    )
    digest = hashlib.sha256(dependencies_key.encode())
    for path in sorted(p for p in destination.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(asset)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


@dataclass(frozen=True)
class LambdaAsset:
    path: Path
    # Hashing the few package files ourselves spares CDK fingerprinting the whole tree of wheels,
    # which the dependency key already identifies.
    content_hash: str


def build_lambda_asset(platform: LambdaPlatform, build_root: Path = BUILD_ROOT) -> LambdaAsset:
    """What to hand to `Code.from_asset`: dependencies for `platform` plus `jobstate`."""
    requirements = runtime_requirements()
    key = dependency_key(requirements, platform)
    asset = build_root / f"{platform.abi_tag}-{key}"
    build_root.mkdir(parents=True, exist_ok=True)

    # Synths may run side by side (make synth and the infra tests); one builds, others wait.
    with (build_root / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        marker = asset / ".dependencies.json"
        if not marker.exists():
            staging = build_root / f".staging-{key}"
            shutil.rmtree(staging, ignore_errors=True)
            _install_dependencies(requirements, platform, staging)
            (staging / ".dependencies.json").write_text(json.dumps(requirements, indent=1))
            shutil.rmtree(asset, ignore_errors=True)
            staging.rename(asset)
        content_hash = _copy_package(asset, key)
    return LambdaAsset(asset, content_hash)
