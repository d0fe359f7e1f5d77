"""The deployment checks only kokemus can make: deploy/ against the code. deploy/ci-checks.sh runs them after
the generic ones (schemas, Pod Security, linting), which established tools make.

    python deploy/checks.py nats                 permissions.yaml, values-auth.yaml, the NATS values and each
                                                 service's AsyncAPI document agree
    python deploy/checks.py nats-auth [--write]  print (or write) deploy/nats/values-auth.yaml from the matrix
    python deploy/checks.py lock                 deploy/requirements.lock pins what pyproject.toml asks for
    python deploy/checks.py manifests FILE...    rendered targets (`kubectl kustomize` output) against the
                                                 service settings, the NATS servers and PostgreSQL's limits
    python deploy/checks.py all FILE...          all three checks

Every check returns a list of problems, one string each (empty: passed). They are the modules of
deploy/kokemus_checks; tests/deploy import them to run the checks on the real files and on broken ones.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from .common import NATS_AUTH_VALUES, PERMISSIONS, REPO, load_objects, load_yaml
from .lock import check_lock_files
from .manifests import check_manifests
from .nats_check import check_nats
from .nats_users import render_nats_auth_values


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["nats", "nats-auth", "lock", "manifests", "all"])
    parser.add_argument("rendered", nargs="*", type=Path, help="manifests, all: the rendered targets, one file each")
    parser.add_argument("--write", action="store_true", help="nats-auth: write deploy/nats/values-auth.yaml")
    args = parser.parse_args(argv)
    if args.command == "nats-auth":
        text = render_nats_auth_values(load_yaml(PERMISSIONS))
        if args.write:
            NATS_AUTH_VALUES.write_text(text)
            text = f"wrote {NATS_AUTH_VALUES.relative_to(REPO)}\n"
        print(text, end="")
        return 0
    if args.command in ("manifests", "all") and not args.rendered:
        parser.error(f"{args.command} needs the rendered targets (deploy/ci-checks.sh renders them)")
    steps: dict[str, Callable[[], list[str]]] = {
        "nats": check_nats,
        "lock": check_lock_files,
        "manifests": lambda: check_manifests({path.stem: load_objects(path.read_text()) for path in args.rendered}),
    }
    failed = False
    for name in steps if args.command == "all" else [args.command]:
        problems = steps[name]()
        print(f"== checks.py {name}: {f'{len(problems)} problem(s)' if problems else 'ok'}")
        print("".join(f"   {problem}\n" for problem in problems), end="")
        failed |= bool(problems)
    return 1 if failed else 0
