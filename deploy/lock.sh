#!/usr/bin/env bash
# Regenerates the image's lock files from pyproject.toml, with pip-compile (pip-tools) in a throwaway venv:
#   deploy/requirements.lock        [project].dependencies, every transitive pin with its sha256 hashes
#   deploy/build-requirements.lock  [build-system].requires, to build the kokemus wheel without the network
# Run it after changing dependencies in pyproject.toml (deploy/checks.py lock fails until you do), and now
# and then to take security fixes. Needs Python 3.11, the image's Python, and access to the package index.
set -euo pipefail

cd "$(dirname "$0")/.."
python=${PYTHON:-python3.11}
"$python" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' \
  || { echo "lock.sh: $python is not Python 3.11, the image's Python" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$python" -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet "pip-tools==7.6.2"

export CUSTOM_COMPILE_COMMAND="deploy/lock.sh"
compile() {
  "$work/venv/bin/pip-compile" --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links \
    "$@"
}

compile --output-file deploy/requirements.lock pyproject.toml
"$python" -c 'import tomllib; print("\n".join(tomllib.load(open("pyproject.toml", "rb"))["build-system"]["requires"]))' \
  > "$work/build-requirements.in"
(cd "$work" && compile --output-file build-requirements.lock build-requirements.in)
cp "$work/build-requirements.lock" deploy/build-requirements.lock
echo "lock.sh: wrote deploy/requirements.lock and deploy/build-requirements.lock"
