-- The identity service's view, kept by projections.py: each open session by its reference (a digest of its
-- secret) and its person, for signing out everywhere. The secrets themselves are kept nowhere.
CREATE TABLE IF NOT EXISTS {schema}.sessions (
    session_ref  text PRIMARY KEY,
    person       text NOT NULL,
    begun_at     timestamptz NOT NULL,
    ends_at      timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_by_person ON {schema}.sessions (person);
