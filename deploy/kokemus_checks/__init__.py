"""The deployment checks only kokemus can make: deploy/ against the code. `python deploy/checks.py` runs
them (cli.py); tests/deploy import the modules to run them on the real files and on broken ones.

    common.py        where deploy/'s files are, reading YAML, the services in services/
    nats_users.py    the permission matrix (deploy/nats/permissions.yaml) expanded into NATS users and
                     the values-auth.yaml generated from them; the matrix's own soundness
    nats_servers.py  the NATS Helm values per environment and what they must say
    nats_drift.py    the matrix against the subjects each service's AsyncAPI document uses
    nats_check.py    the `nats` check: all of the above together
    manifests.py     the `manifests` check: rendered targets against the service settings and the NATS
                     servers (workloads.py), PostgreSQL's roles and connection limits (database.py), the
                     web's settings, Ingress and sign-in (web.py); reading the objects (objects.py)
    lock.py          the `lock` check: deploy/*requirements.lock against pyproject.toml
    cli.py           the command line

Every check returns a list of problems, one string each (empty: passed).
"""
