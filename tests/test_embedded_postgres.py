"""The embedded PostgreSQL takes no connection without its password (SCRAM), the password is generated once and
kept in the data folder readable by its owner only, and a data folder from before passwords gets one."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from kokemus.stack.servers import EmbeddedPostgres, free_port


async def refused(dsn: str) -> str:
    with pytest.raises((asyncpg.InvalidPasswordError, asyncpg.InvalidAuthorizationSpecificationError)) as error:
        await asyncpg.connect(dsn, timeout=10)
    return str(error.value)


async def answers(dsn: str) -> bool:
    conn = await asyncpg.connect(dsn, timeout=10)
    try:
        return bool(await conn.fetchval("SELECT true"))
    finally:
        await conn.close()


def test_only_the_generated_password_opens_it_and_a_folder_from_before_passwords_gets_one(tmp_path):
    server = EmbeddedPostgres(tmp_path / "postgres", port=free_port())
    server.start()
    try:
        port = server.port
        assert server.password_file.stat().st_mode & 0o777 == 0o600
        assert asyncio.run(answers(server.dsn()))
        assert "password" in asyncio.run(refused(f"postgresql://postgres@127.0.0.1:{port}/postgres"))
        assert "password" in asyncio.run(refused(f"postgresql://postgres:guess@127.0.0.1:{port}/postgres"))
    finally:
        server.stop()

    # As an earlier release left it: every local connection trusted, no password anywhere.
    hba = tmp_path / "postgres" / "pgdata" / "pg_hba.conf"
    hba.write_text("local all all trust\nhost all all 127.0.0.1/32 trust\n")
    server.password_file.unlink()
    again = EmbeddedPostgres(tmp_path / "postgres", port=free_port())
    again.start()
    try:
        assert asyncio.run(answers(again.dsn()))
        asyncio.run(refused(f"postgresql://postgres@127.0.0.1:{again.port}/postgres"))
    finally:
        again.stop()
