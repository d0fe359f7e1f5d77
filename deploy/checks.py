"""The command line of kokemus's own deployment checks: `python deploy/checks.py --help`. The checks are the
package deploy/kokemus_checks (its __init__.py lists the modules); this file only runs kokemus_checks/cli.py."""

import sys
from pathlib import Path

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository: deploy.kokemus_checks
    from deploy.kokemus_checks.cli import main

    sys.exit(main())
