#!/usr/bin/env bash
# Creates the Secrets kokemus runs with, each with a fresh random password, leaving existing ones alone;
# or gives one Secret a new password (--rotate). Nothing is printed or written to disk.
#
#   kokemus-nats-<user>     one per NATS user in deploy/nats/values-auth.yaml (the services, the CLI users,
#                           ops, admin); read by the NATS servers and by that user's workload
#   kokemus-pg-<service>    one per PostgreSQL role in deploy/kustomize/postgres/cluster.yaml; labelled
#                           cnpg.io/reload=true so CloudNativePG applies a changed password at once
# All are kubernetes.io/basic-auth Secrets with the keys `username` and `password`.
#
# Usage: deploy/secrets.sh [--namespace NS] [--rotate SECRET_NAME] [--dry-run]
set -euo pipefail

cd "$(dirname "$0")/.."
namespace=kokemus
rotate=""
dry_run=false
while [[ $# -gt 0 ]]; do
  case "$1" in
    --namespace) namespace=$2; shift 2 ;;
    --rotate) rotate=$2; shift 2 ;;
    --dry-run) dry_run=true; shift ;;
    *) echo "usage: $0 [--namespace NS] [--rotate SECRET_NAME] [--dry-run]" >&2; exit 2 ;;
  esac
done

# Letters and digits only, starting with a letter: NATS reads the password from an environment variable
# in its config, where a value that looks like a number, a size or a boolean would not stay a string.
new_password() {
  local rest
  rest=$(LC_ALL=C tr -dc 'A-Za-z0-9' </dev/urandom | head -c 39 || true)
  printf 'k%s' "$rest"
}

nats_secrets=$(grep -o 'name: kokemus-nats-[a-z0-9-]*' deploy/nats/values-auth.yaml | sed 's/name: //' | sort -u)
pg_secrets=$(grep -A1 'passwordSecret:' deploy/kustomize/postgres/cluster.yaml \
  | grep -o 'name: kokemus-pg-[a-z0-9-]*' | sed 's/name: //' | sort -u)

if [[ -n "$rotate" ]] && ! grep -qx "$rotate" <<<"$nats_secrets"$'\n'"$pg_secrets"; then
  echo "$0: no secret named $rotate (expected kokemus-nats-<user> or kokemus-pg-<service>)" >&2
  exit 1
fi

apply_secret() {  # name username [label]
  local name=$1 username=$2 label=${3:-}
  local args=(create secret generic "$name" --namespace "$namespace" --type kubernetes.io/basic-auth
              --from-literal "username=$username" --from-literal "password=$(new_password)"
              --dry-run=client -o yaml)
  if $dry_run; then
    echo "would write secret $name (username $username${label:+, label $label})"
    return
  fi
  if [[ -n "$label" ]]; then
    kubectl "${args[@]}" | kubectl label --local -f - "$label" -o yaml | kubectl apply -f - >/dev/null
  else
    kubectl "${args[@]}" | kubectl apply -f - >/dev/null
  fi
  echo "wrote secret $namespace/$name"
}

ensure() {  # name username [label]
  if [[ -n "$rotate" && "$rotate" != "$1" ]]; then
    return
  fi
  if [[ -z "$rotate" ]] && ! $dry_run && kubectl get secret "$1" --namespace "$namespace" >/dev/null 2>&1; then
    echo "kept secret $namespace/$1"
    return
  fi
  apply_secret "$@"
}

for secret in $nats_secrets; do
  ensure "$secret" "${secret#kokemus-nats-}"
done
for secret in $pg_secrets; do
  ensure "$secret" "${secret#kokemus-pg-}" cnpg.io/reload=true
done

