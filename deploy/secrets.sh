#!/usr/bin/env bash
# Creates the Secrets kokemus runs with, each with a freshly generated password or key, leaving existing ones
# alone; or renews one (--rotate). Nothing is written to disk (but the NATS certificate's files, in a folder only
# this user may read, removed on exit), and nothing is printed but with --print.
#
#   kokemus-nats-<user>           one per NATS user in deploy/nats/values-auth.yaml (the services, the web, the
#                                 CLI users, ops, admin); read by the NATS servers and by that user's workload
#   kokemus-pg-<service>[-owner]  one per PostgreSQL role in deploy/kustomize/postgres/cluster.yaml (the
#                                 service's runtime role kokemus_<service> and its owner kokemus_<service>_owner);
#                                 labelled cnpg.io/reload=true so CloudNativePG applies a changed password at once
#     (all these: kubernetes.io/basic-auth, keys `username` and `password`)
#   kokemus-identity-signing-key  the identity service's token signing key (an Ed25519 private JWK, key
#                                 `signing-key.jwk`), with its public half, the ConfigMap kokemus-identity-jwks
#                                 (key `jwks.json`) that every service checks tokens with
#   kokemus-audit-signing-key     the audit's checkpoint signing key (the same way), with its public half, the
#                                 ConfigMap kokemus-audit-checkpoint-keys, for `kokemus audit verify`
#   kokemus-identity-systems      the register of other systems that sign in on their own (key `systems.json`):
#                                 made empty here, filled with `kokemus systems add` (deploy/README.md); never
#                                 rotated by this script, which would forget every system registered
#   kokemus-web-cookie-key        the Fernet key that seals the web's session cookie (key `cookie-key`)
#   kokemus-<service>-key-ring    the service's key-encryption keys (key `keys`: `id:key` pairs), which wrap every
#                                 data subject's key in its database; never rotated by this script, which would
#                                 make every subject's data unreadable: to rotate, put a new pair first and keep
#                                 the old one until the service has re-wrapped the keys (deploy/README.md)
#   nats-server-tls               the NATS servers' TLS certificate and key for nats.kokemus.svc and each server's
#                                 headless name, signed by a CA made for it alone (keys `tls.crt`, `tls.key`,
#                                 `ca.crt`); the CA's own key is thrown away, so renewing means --rotate (every
#                                 pod then trusts the new CA on its restart). Where cert-manager issues it, make
#                                 it there first and this script keeps it.
#   kokemus-oidc-web              the web's client secrets at the county's OpenID providers (production): not
#                                 generated but given, as KOKEMUS_WEB_STAFF_CLIENT_SECRET and
#                                 KOKEMUS_WEB_PEOPLE_CLIENT_SECRET in this script's environment; skipped without
#                                 them (keys `staff-client-secret`, `people-client-secret`)
#
# Usage: deploy/secrets.sh [--namespace NS] [--rotate NAME] [--dry-run | --print]
#   --dry-run  list what would be written, touching nothing
#   --print    write every object as YAML to stdout instead of applying it, reading nothing from a cluster
#              (to seal them with Sealed Secrets or SOPS; keep the output out of logs and version control)
# Needs kubectl and openssl.
set -euo pipefail

cd "$(dirname "$0")/.."
namespace=kokemus
rotate=""
mode=apply
usage="usage: $0 [--namespace NS] [--rotate SECRET_NAME] [--dry-run | --print]"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --namespace) namespace=$2; shift 2 ;;
    --rotate) rotate=$2; shift 2 ;;
    --dry-run) mode=dry-run; shift ;;
    --print) mode=print; shift ;;
    *) echo "$usage" >&2; exit 2 ;;
  esac
done

# Letters and digits only, starting with a letter: NATS reads the password from an environment variable
# in its config, where a value that looks like a number, a size or a boolean would not stay a string.
new_password() {
  local rest
  rest=$(LC_ALL=C tr -dc 'A-Za-z0-9' </dev/urandom | head -c 39 || true)
  printf 'k%s' "$rest"
}

base64url() { base64 -w0 | tr '+/' '-_' | tr -d '='; }

# An Ed25519 key pair as JWKs, as shared/identity.py makes and reads them: sets $private_jwk (with `d`) and
# $public_jwks (a key set of its public half); the key id is the RFC 7638 thumbprint. Kept in variables only.
new_signing_key() {
  local der x d kid
  der=$(openssl genpkey -algorithm ed25519 -outform DER | base64 -w0)
  d=$(base64 -d <<<"$der" | tail -c 32 | base64url)
  x=$(base64 -d <<<"$der" | openssl pkey -inform DER -pubout -outform DER | tail -c 32 | base64url)
  kid=$(printf '{"crv":"Ed25519","kty":"OKP","x":"%s"}' "$x" | openssl dgst -sha256 -binary | base64url)
  private_jwk=$(printf '{"crv":"Ed25519","kty":"OKP","x":"%s","d":"%s","kid":"%s"}' "$x" "$d" "$kid")
  public_jwks=$(printf '{"keys":[{"crv":"Ed25519","kty":"OKP","x":"%s","kid":"%s"}]}' "$x" "$kid")
}

# A Fernet key: 32 random bytes, url-safe base64 with its padding.
new_fernet_key() { head -c 32 /dev/urandom | base64 -w0 | tr '+/' '-_'; }

nats_secrets=$(grep -o 'name: kokemus-nats-[a-z0-9-]*' deploy/nats/values-auth.yaml | sed 's/name: //' | sort -u)
# "secret role" pairs: each managed role's passwordSecret, whose username must be the role's name
pg_secrets=$(awk '/^      - name: /{role=$3} /^          name: kokemus-pg-/{print $2, role}' \
  deploy/kustomize/postgres/cluster.yaml)
keys="kokemus-identity-signing-key kokemus-audit-signing-key kokemus-web-cookie-key kokemus-oidc-web nats-server-tls"

rotatable="$nats_secrets"$'\n'"$(cut -d' ' -f1 <<<"$pg_secrets")"$'\n'"${keys// /$'\n'}"
if [[ -n "$rotate" ]] && ! grep -qx "$rotate" <<<"$rotatable"; then
  echo "$0: no secret named $rotate (expected kokemus-nats-<user>, kokemus-pg-<service>[-owner] or one of: $keys)" >&2
  exit 1
fi

# write DESCRIPTION [LABEL] < object: applies the object's YAML (or prints it with --print)
write() {
  local what=$1 label=${2:-} object
  object=$(cat)
  if [[ -n "$label" ]]; then
    object=$(kubectl label --local -f - "$label" -o yaml <<<"$object")
  fi
  if [[ $mode == print ]]; then
    printf -- '---\n%s\n' "$object"
  else
    kubectl apply -f - >/dev/null <<<"$object"
    echo "wrote $what" >&2
  fi
}

# wanted NAME DESCRIPTION: whether to write NAME now (missing, or the one being rotated); says so otherwise
wanted() {
  local name=$1 what=$2
  if [[ -n "$rotate" && "$rotate" != "$name" ]]; then
    return 1
  fi
  if [[ $mode == dry-run ]]; then
    echo "would write $what"
    return 1
  fi
  if [[ -z "$rotate" && $mode == apply ]] && kubectl get secret "$name" --namespace "$namespace" >/dev/null 2>&1; then
    echo "kept secret $namespace/$name" >&2
    return 1
  fi
}

create() {  # kubectl create ... for this namespace, as YAML, without a cluster
  kubectl create "$@" --namespace "$namespace" --dry-run=client -o yaml
}

basic_auth() {  # name username [label]
  local name=$1 username=$2 label=${3:-}
  wanted "$name" "secret $name (username $username${label:+, label $label})" || return 0
  create secret generic "$name" --type kubernetes.io/basic-auth \
    --from-literal "username=$username" --from-literal "password=$(new_password)" \
    | write "secret $namespace/$name" "$label"
}

key_pair() {  # secret config_map: a private JWK in the Secret, its public key set in the ConfigMap
  local secret=$1 config_map=$2 private_jwk public_jwks
  if ! wanted "$secret" "secret $secret and its public keys, configmap $config_map"; then
    if [[ -z "$rotate" && $mode == apply ]] \
        && ! kubectl get configmap "$config_map" --namespace "$namespace" >/dev/null 2>&1; then
      echo "$0: configmap $namespace/$config_map (the public half of $secret) is missing: make both anew with" \
           "--rotate $secret" >&2
    fi
    return 0
  fi
  new_signing_key
  create secret generic "$secret" --from-literal "signing-key.jwk=$private_jwk" | write "secret $namespace/$secret"
  create configmap "$config_map" --from-literal "jwks.json=$public_jwks" | write "configmap $namespace/$config_map"
}

for secret in $nats_secrets; do
  basic_auth "$secret" "${secret#kokemus-nats-}"
done
while read -r secret role; do
  basic_auth "$secret" "$role" cnpg.io/reload=true
done <<<"$pg_secrets"

key_pair kokemus-identity-signing-key kokemus-identity-jwks
key_pair kokemus-audit-signing-key kokemus-audit-checkpoint-keys

# not in $keys: --rotate would replace the register with an empty one
if [[ -z "$rotate" ]] && wanted kokemus-identity-systems "secret kokemus-identity-systems (no system registered)"; then
  create secret generic kokemus-identity-systems --from-literal "systems.json={}" \
    | write "secret $namespace/kokemus-identity-systems"
fi

# One per service (its runtime role in cluster.yaml); not in $keys: --rotate would lose the keys in use.
new_key_pair() { printf '%s:%s' "$(date +%Y-%m)" "$(head -c 32 /dev/urandom | base64 -w0 | tr '+/' '-_')"; }
while read -r _ role; do
  [[ $role == *_owner ]] && continue
  service=${role#kokemus_}
  if [[ -z "$rotate" ]] && wanted "kokemus-$service-key-ring" "secret kokemus-$service-key-ring"; then
    create secret generic "kokemus-$service-key-ring" --from-literal "keys=$(new_key_pair)" \
      | write "secret $namespace/kokemus-$service-key-ring"
  fi
done <<<"$pg_secrets"

if wanted kokemus-web-cookie-key "secret kokemus-web-cookie-key"; then
  create secret generic kokemus-web-cookie-key --from-literal "cookie-key=$(new_fernet_key)" \
    | write "secret $namespace/kokemus-web-cookie-key"
fi

# The NATS servers' certificate (deploy/nats/values.yaml, config.nats.tls), for the names the services and the
# cluster routes use, from a CA of its own whose certificate every kokemus pod checks the servers with.
if wanted nats-server-tls "secret nats-server-tls (the NATS servers' certificate and its CA)"; then
  tls=$(mktemp -d)
  trap 'rm -rf "$tls"' EXIT
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 -subj "/CN=kokemus NATS CA"     -keyout "$tls/ca.key" -out "$tls/ca.crt" 2>/dev/null
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=nats.$namespace.svc"     -keyout "$tls/tls.key" -out "$tls/tls.csr" 2>/dev/null
  printf 'subjectAltName=DNS:nats,DNS:nats.%s.svc,DNS:nats.%s.svc.cluster.local,DNS:*.nats-headless.%s.svc.cluster.local
extendedKeyUsage=serverAuth,clientAuth
' \
    "$namespace" "$namespace" "$namespace" >"$tls/extensions"
  openssl x509 -req -in "$tls/tls.csr" -CA "$tls/ca.crt" -CAkey "$tls/ca.key" -CAcreateserial -days 825 \
    -extfile "$tls/extensions" -out "$tls/tls.crt" 2>/dev/null
  create secret generic nats-server-tls --from-file "tls.crt=$tls/tls.crt" --from-file "tls.key=$tls/tls.key" \
    --from-file "ca.crt=$tls/ca.crt" | write "secret $namespace/nats-server-tls"
fi

if [[ -z "${KOKEMUS_WEB_STAFF_CLIENT_SECRET:-}" || -z "${KOKEMUS_WEB_PEOPLE_CLIENT_SECRET:-}" ]]; then
  if [[ -z "$rotate" || "$rotate" == kokemus-oidc-web ]]; then
    echo "skipped secret kokemus-oidc-web: set KOKEMUS_WEB_STAFF_CLIENT_SECRET and KOKEMUS_WEB_PEOPLE_CLIENT_SECRET" \
         "to the web's client secrets at the two providers (production needs it; dev signs in without)" >&2
  fi
elif wanted kokemus-oidc-web "secret kokemus-oidc-web (the web's client secrets, given)"; then
  create secret generic kokemus-oidc-web \
    --from-literal "staff-client-secret=$KOKEMUS_WEB_STAFF_CLIENT_SECRET" \
    --from-literal "people-client-secret=$KOKEMUS_WEB_PEOPLE_CLIENT_SECRET" \
    | write "secret $namespace/kokemus-oidc-web"
fi
