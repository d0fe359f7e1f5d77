"""Giving each service its own database role and schema on one PostgreSQL server (embedded stack, tests).

In production each service gets its own database and role from the operator instead (see deploy/).
"""

from __future__ import annotations

import secrets
from urllib.parse import quote, urlsplit

import asyncpg

from shared.database import migrate


def role_name(service: str) -> str:
    return f"kokemus_{service}"


def _dsn_for(admin_dsn: str, database: str, user: str, password: str) -> str:
    parts = urlsplit(admin_dsn)
    host = parts.hostname or "127.0.0.1"
    port = parts.port or 5432
    return f"postgresql://{quote(user)}:{quote(password)}@{host}:{port}/{database}"


async def provision(admin_dsn: str, database: str, services: dict[str, tuple[str, ...]]) -> dict[str, str]:
    """Create ``database`` (if missing), a login role and a schema per service, and run each service's
    migrations as its own role. ``services`` maps a service name to its own SQL. Returns each service's DSN."""
    admin = await asyncpg.connect(admin_dsn)
    try:
        if not await admin.fetchval("SELECT true FROM pg_database WHERE datname = $1", database):
            await admin.execute(f'CREATE DATABASE "{database}"')
        passwords = {}
        for service in services:
            role, password = role_name(service), secrets.token_urlsafe(16)
            exists = await admin.fetchval("SELECT true FROM pg_roles WHERE rolname = $1", role)
            verb = "ALTER" if exists else "CREATE"
            await admin.execute(f"{verb} ROLE {role} LOGIN PASSWORD '{password}'")
            passwords[service] = password
    finally:
        await admin.close()

    admin_db = _dsn_with_database(admin_dsn, database)
    db = await asyncpg.connect(admin_db)
    try:
        for service in services:
            await db.execute(f"CREATE SCHEMA IF NOT EXISTS {service} AUTHORIZATION {role_name(service)}")
            await db.execute(f"REVOKE ALL ON SCHEMA {service} FROM PUBLIC")
        await db.execute('REVOKE CREATE ON SCHEMA public FROM PUBLIC')
    finally:
        await db.close()

    dsns = {}
    for service, sql in services.items():
        dsn = _dsn_for(admin_dsn, database, role_name(service), passwords[service])
        conn = await asyncpg.connect(dsn)
        try:
            await migrate(conn, service, sql)
        finally:
            await conn.close()
        dsns[service] = dsn
    return dsns


def _dsn_with_database(dsn: str, database: str) -> str:
    parts = urlsplit(dsn)
    return parts._replace(path=f"/{database}").geturl()


async def drop_database(admin_dsn: str, database: str) -> None:
    admin = await asyncpg.connect(admin_dsn)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    finally:
        await admin.close()
