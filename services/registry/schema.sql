-- The registry's read tables, kept by projections.py in the same transaction as the events.
-- No personal data here: names and contact details stay sealed in the event store.
CREATE TABLE IF NOT EXISTS {schema}.organizations (
    organization_id    text PRIMARY KEY,
    name               text NOT NULL,
    kind               text NOT NULL,
    contact_person_id  text
);
CREATE TABLE IF NOT EXISTS {schema}.bank (
    expert_id         text PRIMARY KEY,
    organization_ids  text[] NOT NULL,
    county_trained    boolean NOT NULL,
    topics            text[] NOT NULL,
    languages         text[] NOT NULL,
    regions           text[] NOT NULL,
    listed_at         timestamptz NOT NULL
);
CREATE TABLE IF NOT EXISTS {schema}.orderers (
    orderer_id       text PRIMARY KEY,
    orderer_name     text NOT NULL,
    organization_id  text,
    valid_until      date,
    revoked          boolean NOT NULL DEFAULT false
);
-- Who signs in with which address, by the address's digest: the roles the identity service puts in a token.
CREATE TABLE IF NOT EXISTS {schema}.logins (
    email_digest     text NOT NULL,
    role             text NOT NULL,
    id               text NOT NULL,
    organization_id  text NOT NULL DEFAULT '',
    PRIMARY KEY (email_digest, role, id, organization_id)
);
CREATE INDEX IF NOT EXISTS logins_by_record ON {schema}.logins (role, id);
-- Which experts are members of which organization: ids only, for the organization's register.
CREATE TABLE IF NOT EXISTS {schema}.members (
    organization_id  text NOT NULL,
    expert_id        text NOT NULL,
    PRIMARY KEY (organization_id, expert_id)
);
