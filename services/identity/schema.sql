-- The identity service's view, kept by projections.py: each open session by its reference (a digest of its
-- secret) and its person, for signing out everywhere. The secrets themselves are kept nowhere.
CREATE TABLE IF NOT EXISTS {schema}.sessions (
    session_ref  text PRIMARY KEY,
    person       text NOT NULL,
    begun_at     timestamptz NOT NULL,
    ends_at      timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_by_person ON {schema}.sessions (person);

-- Every sign-in by the registry's records its person held then (expert, orderer, contact person): which sessions
-- an erasure of that record reaches, and what the person's own data shows of their sign-ins. Rows of an erased
-- person are deleted (SignInsErased).
CREATE TABLE IF NOT EXISTS {schema}.sign_ins (
    record_id    text NOT NULL,
    session_ref  text NOT NULL,
    person       text NOT NULL,
    provider     text NOT NULL,
    begun_at     timestamptz NOT NULL,
    ends_at      timestamptz NOT NULL,
    ended_at     timestamptz,
    PRIMARY KEY (record_id, session_ref)
);
CREATE INDEX IF NOT EXISTS sign_ins_by_person ON {schema}.sign_ins (person);
