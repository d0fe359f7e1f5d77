"""Giving each service its own database role and schema on one PostgreSQL server (embedded stack, tests).

In production each service gets its own database and role from the operator instead (see deploy/).
"""

from __future__ import annotations

import secrets
from urllib.parse import quote, urlsplit

import asyncpg

from shared.database import migrate


def role_name(service: str) -> str:
    """The role the service logs in as while it runs: it reads and writes its tables but owns none."""
    return f"kokemus_{service}"


def owner_name(service: str) -> str:
    """The role that owns the service's schema and runs its migrations; nobody logs in as it."""
    return f"kokemus_{service}_owner"


def _dsn_for(admin_dsn: str, database: str, user: str, password: str) -> str:
    parts = urlsplit(admin_dsn)
    host = parts.hostname or "127.0.0.1"
    port = parts.port or 5432
    return f"postgresql://{quote(user)}:{quote(password)}@{host}:{port}/{database}"


async def provision(admin_dsn: str, database: str, services: dict[str, tuple[str, ...]]) -> dict[str, str]:
    """Create ``database`` (if missing) and, per service, a schema owned by its migration role and a login role
    to run as; run each service's migrations as the owner. ``services`` maps a service name to its own SQL.
    Returns each service's DSN (the runtime role's, with a new password each time)."""
    admin = await asyncpg.connect(admin_dsn)
    try:
        if not await admin.fetchval("SELECT true FROM pg_database WHERE datname = $1", database):
            await admin.execute(f'CREATE DATABASE "{database}"')
        passwords = {}
        for service in services:
            await _ensure_role(admin, owner_name(service), "NOLOGIN")
            passwords[service] = secrets.token_urlsafe(24)
            await _ensure_role(admin, role_name(service), f"LOGIN PASSWORD '{passwords[service]}'")
    finally:
        await admin.close()

    db = await asyncpg.connect(_dsn_with_database(admin_dsn, database))
    try:
        await db.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
        for service, sql in services.items():
            owner, runtime = owner_name(service), role_name(service)
            await db.execute(f"CREATE SCHEMA IF NOT EXISTS {service} AUTHORIZATION {owner}")
            # Earlier releases ran as the owner; what that role made passes to the migration role.
            await db.execute(f"ALTER SCHEMA {service} OWNER TO {owner}; REASSIGN OWNED BY {runtime} TO {owner}")
            await db.execute(f"REVOKE ALL ON SCHEMA {service} FROM PUBLIC")
            await db.execute(f"SET ROLE {owner}")
            try:
                await migrate(db, service, sql, runtime_role=runtime)
            finally:
                await db.execute("RESET ROLE")
    finally:
        await db.close()
    return {service: _dsn_for(admin_dsn, database, role_name(service), passwords[service]) for service in services}


async def _ensure_role(admin: asyncpg.Connection, role: str, options: str) -> None:
    exists = await admin.fetchval("SELECT true FROM pg_roles WHERE rolname = $1", role)
    await admin.execute(f"{'ALTER' if exists else 'CREATE'} ROLE {role} {options}")


def _dsn_with_database(dsn: str, database: str) -> str:
    parts = urlsplit(dsn)
    return parts._replace(path=f"/{database}").geturl()


async def drop_database(admin_dsn: str, database: str) -> None:
    admin = await asyncpg.connect(admin_dsn)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    finally:
        await admin.close()
