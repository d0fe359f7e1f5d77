"""A rendered document's PDF kept as test output for a person to look at: its text checked where poppler's
pdftotext is installed (the title and the document's SHA-256 printed on it), its pages as PNG where pdftoppm is."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path


def keep(path: Path, data: bytes, title: str, sha256: str) -> None:
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF") and len(data) > 5000
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                              check=True).stdout
        assert title in text and sha256 in text.replace("\n", "").replace(" ", "")
    if shutil.which("pdftoppm"):
        subprocess.run(["pdftoppm", "-png", "-r", "60", str(path), str(path.parent / path.stem)], check=True)
