"""``kokemus systems``: the platform team registers another system; the register keeps only a digest of its
secret, readable by its owner only, and the identity service accepts that secret and no other."""

from __future__ import annotations

import json
import stat

import pytest
from typer.testing import CliRunner

from kokemus.main import app
from services.identity.systems import Systems

runner = CliRunner()


def test_adding_a_system_prints_its_secret_once_and_keeps_only_a_digest(tmp_path):
    register = tmp_path / "systems.json"
    added = runner.invoke(app, ["systems", "add", "payroll", "--file", str(register)])
    assert added.exit_code == 0, added.output
    secret = added.output.splitlines()[1].strip()
    assert len(secret) >= 40
    assert secret not in register.read_text()
    assert stat.S_IMODE(register.stat().st_mode) == 0o600
    systems = Systems.of(str(register))
    assert systems.verify("payroll", secret)
    assert not systems.verify("payroll", secret[:-1] + ("A" if secret[-1] != "A" else "B"))
    assert not systems.verify("reporting", secret)

    again = runner.invoke(app, ["systems", "add", "payroll", "--file", str(register)])  # a new secret
    assert not Systems.of(str(register)).verify("payroll", secret)
    assert Systems.of(str(register)).verify("payroll", again.output.splitlines()[1].strip())
    assert runner.invoke(app, ["systems", "list", "--file", str(register)]).output.split() == ["payroll"]

    assert runner.invoke(app, ["systems", "remove", "payroll", "--file", str(register)]).exit_code == 0
    assert json.loads(register.read_text()) == {}
    missing = runner.invoke(app, ["systems", "remove", "payroll", "--file", str(register)])
    assert missing.exit_code == 1 and "not registered" in missing.output


def test_a_malformed_name_or_register_is_refused_with_what_is_allowed(tmp_path):
    register = tmp_path / "systems.json"
    bad = runner.invoke(app, ["systems", "add", "Payroll System", "--file", str(register)])
    assert bad.exit_code == 2 and "lower-case letters" in bad.output and not register.exists()
    register.write_text(json.dumps({"payroll": "plain-text-secret"}))
    with pytest.raises(ValueError, match="'payroll' needs a lower-case name and a digest made by `kokemus systems"):
        Systems.of(str(register))
    for command in (["list"], ["add", "reporting"], ["remove", "payroll"]):
        broken = runner.invoke(app, ["systems", *command, "--file", str(register)])
        assert broken.exit_code == 1 and isinstance(broken.exception, SystemExit)  # a clean exit, no traceback
        assert f"{register} is not a register of systems" in " ".join(broken.output.split())
    assert json.loads(register.read_text()) == {"payroll": "plain-text-secret"}  # left as it was
