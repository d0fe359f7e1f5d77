"""The `lock` check: the image's lock files (deploy/requirements.lock, deploy/build-requirements.lock,
written by deploy/lock.sh) pin, with hashes, versions that satisfy pyproject.toml."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping

from .common import BUILD_LOCK, REPO, REQUIREMENTS_LOCK


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def parse_lock(text: str) -> dict[str, tuple[str, int]]:
    """name -> (pinned version, number of hashes) from a pip-compile --generate-hashes file."""
    pins: dict[str, tuple[str, int]] = {}
    current = None
    for line in (raw.strip() for raw in text.splitlines() if not raw.lstrip().startswith("#")):
        if match := re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?==([^\s\\;]+)", line):
            current = _normalized(match.group(1))
            pins[current] = (match.group(3), 0)
        if current and "--hash=sha256:" in line:
            pins[current] = (pins[current][0], pins[current][1] + line.count("--hash=sha256:"))
    return pins


def check_lock(pyproject: Mapping, lock_text: str, build_lock_text: str | None = None) -> list[str]:
    """Every runtime (and build) requirement of pyproject.toml is pinned, with hashes, to a version it allows."""
    from packaging.requirements import Requirement  # imported only here: the other checks run without it
    from packaging.version import Version

    problems = []
    for label, requirements, text in (
        ("requirements.lock", (pyproject.get("project") or {}).get("dependencies") or [], lock_text),
        ("build-requirements.lock", (pyproject.get("build-system") or {}).get("requires") or [], build_lock_text),
    ):
        if text is None:
            continue
        pins = parse_lock(text)
        problems += [f"{label}: {name}=={version} has no --hash (pip --require-hashes would refuse it)"
                     for name, (version, hashes) in pins.items() if hashes == 0]
        for wanted in requirements:
            requirement = Requirement(wanted)
            name = _normalized(requirement.name)
            if requirement.marker is not None and not requirement.marker.evaluate({"python_version": "3.11"}):
                continue
            if name not in pins:
                problems.append(f"{label}: {wanted!r} from pyproject.toml is not pinned: run deploy/lock.sh")
            elif not requirement.specifier.contains(Version(pins[name][0]), prereleases=True):
                problems.append(f"{label}: {name}=={pins[name][0]} does not satisfy {wanted!r}: run deploy/lock.sh")
    return problems


def check_lock_files() -> list[str]:
    """check_lock on the repository's pyproject.toml and lock files (build-requirements.lock where it exists)."""
    return check_lock(tomllib.loads((REPO / "pyproject.toml").read_text()), REQUIREMENTS_LOCK.read_text(),
                      BUILD_LOCK.read_text() if BUILD_LOCK.exists() else None)
