"""Chromium for the web tests: Debian's package, installed by the tests themselves where they run as root with
apt-get (a fresh CI machine), driven by Playwright (never `playwright install`), with axe-core on every page."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

CHROMIUM = Path(os.environ.get("KOKEMUS_TEST_CHROMIUM", "/usr/lib/chromium/chromium"))
PACKAGES = ["chromium", "fonts-liberation", "fonts-dejavu-core"]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"


def ensure_chromium() -> Path:
    """Chromium's path; installs Debian's package first if it is missing and this may (root, apt-get)."""
    if CHROMIUM.exists():
        return CHROMIUM
    apt = shutil.which("apt-get")
    if apt is None or os.geteuid() != 0:
        raise RuntimeError(
            f"the web tests need Chromium at {CHROMIUM}: install Debian's package as root "
            f"(apt-get install -y --no-install-recommends {' '.join(PACKAGES)}), or set KOKEMUS_TEST_CHROMIUM")
    environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run([apt, "update", "-q"], check=True, env=environment, timeout=600)
    subprocess.run([apt, "install", "-y", "-q", "--no-install-recommends", *PACKAGES], check=True, env=environment,
                   timeout=900)
    if not CHROMIUM.exists():
        raise RuntimeError(f"apt-get installed chromium, but there is no {CHROMIUM}")
    return CHROMIUM


def serious_violations(results: dict) -> list[str]:
    """axe-core's serious and critical violations, each with the elements it found."""
    found = []
    for violation in results["violations"]:
        if violation["impact"] in ("serious", "critical"):
            targets = [" ".join(map(str, node["target"])) for node in violation["nodes"]][:5]
            found.append(f"{violation['id']} ({violation['impact']}): {violation['help']} at {targets}")
    return found
