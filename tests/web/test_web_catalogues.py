"""Every text of the web is in the catalogues, translated into Finnish and Swedish; and `kokemus serve web`
starts the web as `kokemus up` would (web_process_args), answering with its security headers."""

from __future__ import annotations

import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po

from kokemus.stack.servers import free_port
from services.web.i18n import LOCALE_DIR
from services.web.serve import web_process_args

ROOT = Path(__file__).resolve().parents[2]


def test_every_text_is_translated_into_finnish_and_swedish(tmp_path):
    template = tmp_path / "messages.pot"
    CommandLineInterface().run(["pybabel", "-q", "extract", "-F", str(ROOT / "services/web/babel.cfg"), "-k", "N_",
                                "-o", str(template), str(ROOT)])
    wanted = {message.id for message in read_po(template.open("rb")) if message.id}
    assert len(wanted) > 300
    for language in ("fi", "sv"):
        with (LOCALE_DIR / language / "LC_MESSAGES" / "messages.po").open("rb") as file:
            catalogue = read_po(file)
        translated = {m.id for m in catalogue if m.id and m.string and (not isinstance(m.string, tuple)
                                                                        or all(m.string))}
        missing = sorted(map(str, wanted - translated))
        assert not missing, f"untranslated into {language} (pybabel extract + update, see babel.cfg): {missing}"


@pytest.mark.integration
def test_kokemus_serve_web_starts_as_kokemus_up_would_start_it(servers):
    command, environment, address = web_process_args(servers.nats_url, free_port())
    process = subprocess.Popen(command, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(address + "/healthz", timeout=1) as alive:
                    assert alive.status == 200
                    break
            except OSError:
                assert process.poll() is None, process.stdout.read().decode() if process.stdout else ""
                assert time.monotonic() < deadline, "the web did not start in 30 s"
                time.sleep(0.2)
        with urllib.request.urlopen(address + "/readyz", timeout=5) as ready:
            assert ready.status == 200  # connected to NATS
        with urllib.request.urlopen(address + "/sign-in", timeout=5) as page:
            assert "default-src 'none'" in page.headers["Content-Security-Policy"]
            assert '<html lang="fi">' in page.read().decode()
    finally:
        process.terminate()
        assert process.wait(20) == 0
