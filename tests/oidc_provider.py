"""A real OpenID Connect provider for the sign-in tests: panva's ``oidc-provider`` from the npm registry, run
with ``node`` (tests/oidc/provider.mjs is its configuration: clients, users from a file, device flow on).

The first test that needs it installs it with ``npm ci`` (package-lock.json pins every package). Its dev
interactions stand in for the login and consent pages; :func:`follow_login` and :func:`approve_device` play the
person's browser over plain HTTP.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import threading
from pathlib import Path
from urllib.parse import urljoin

import httpx

HERE = Path(__file__).parent / "oidc"
_INSTALL = threading.Lock()


def install() -> None:
    with _INSTALL:
        if (HERE / "node_modules" / "oidc-provider").exists():
            return
        npm = shutil.which("npm")
        if npm is None:
            raise RuntimeError("the sign-in tests run a real OpenID provider with Node.js: install node and npm")
        subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--silent"], cwd=HERE, check=True, timeout=300)


class Provider:
    """One provider process on a free loopback port; ``users`` are its accounts by login name."""

    def __init__(self, workdir: Path, clients: list[dict], users: dict[str, dict]) -> None:
        install()
        self.users_file = workdir / "users.json"
        self.set_users(users)
        config = workdir / "provider.json"
        config.write_text(json.dumps({"port": 0, "users_file": str(self.users_file), "clients": clients}))
        self.log = (workdir / "provider.log").open("w")
        self.process = subprocess.Popen(["node", str(HERE / "provider.mjs"), str(config)], cwd=HERE,
                                        stdout=subprocess.PIPE, stderr=self.log, text=True)
        assert self.process.stdout is not None
        line = self.process.stdout.readline()  # "READY {...}", or nothing if it died
        if not line.startswith("READY "):
            self.stop()
            raise RuntimeError(f"the OpenID provider did not start ({line!r}); see {self.log.name}")
        self.issuer: str = json.loads(line[len("READY "):])["issuer"]

    def set_users(self, users: dict[str, dict]) -> None:
        self.users_file.write_text(json.dumps(users))  # read again at every login

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


_PROMPT = re.compile(r'name="prompt" value="(\w+)"')
_XSRF = re.compile(r'name="xsrf" value="([^"]+)"')


async def follow_login(browser: httpx.AsyncClient, url: str, account: str, stop_prefix: str = "\0") -> str:
    """Follow redirects from ``url`` as the person's browser, logging in as ``account`` and consenting; return
    the first address starting with ``stop_prefix`` (a client's redirect URI), or the last page's text."""
    for _ in range(20):
        if url.startswith(stop_prefix):
            return url
        response = await browser.get(url)
        if response.is_redirect:
            url = urljoin(str(response.url), response.headers["location"])
            continue
        prompt = _PROMPT.search(response.text)
        if response.status_code == 200 and prompt:
            answer = {"prompt": "login", "login": account, "password": "x"} if prompt[1] == "login" else \
                {"prompt": "consent"}
            response = await browser.post(str(response.url), data=answer)
            url = urljoin(str(response.url), response.headers["location"])
            continue
        return response.text
    raise RuntimeError("the login went round in circles")


async def approve_device(issuer: str, user_code: str, account: str) -> str:
    """Enter the user code on the provider's device page and sign in as ``account`` (RFC 8628, 3.3)."""
    async with httpx.AsyncClient(timeout=10) as browser:
        page = await browser.get(f"{issuer}/device")
        xsrf = _XSRF.search(page.text)[1]  # type: ignore[index]
        page = await browser.post(f"{issuer}/device", data={"xsrf": xsrf, "user_code": user_code})
        xsrf = _XSRF.search(page.text)[1]  # type: ignore[index]
        response = await browser.post(f"{issuer}/device", data={"xsrf": xsrf, "user_code": user_code, "confirm": "yes"})
        return await follow_login(browser, urljoin(str(response.url), response.headers["location"]), account)
