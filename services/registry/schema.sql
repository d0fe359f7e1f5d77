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
-- What the bank's search and the situational picture know of each expert: the published profile's searchable
-- parts (the themes as ids: this is the registry's own view, never published), availability, activity.
CREATE TABLE IF NOT EXISTS {schema}.profiles (
    expert_id          text PRIMARY KEY,
    organization_ids   text[] NOT NULL DEFAULT '{}',
    county_trained     boolean NOT NULL DEFAULT false,
    listed             boolean NOT NULL DEFAULT false,
    active             boolean NOT NULL DEFAULT true,
    basic_trained      boolean NOT NULL DEFAULT false,
    further_trainings  text[] NOT NULL DEFAULT '{}',
    themes_own         text[] NOT NULL DEFAULT '{}',
    themes_relative    text[] NOT NULL DEFAULT '{}',
    themes             text[] NOT NULL DEFAULT '{}',  -- own and relative together
    municipality       text,
    regions            text[] NOT NULL DEFAULT '{}',
    languages          text[] NOT NULL DEFAULT '{fi}',
    task_kinds         text[] NOT NULL DEFAULT '{}',
    weekdays           int[] NOT NULL DEFAULT '{1,2,3,4,5,6,7}',
    blackout_starts    date[] NOT NULL DEFAULT '{}',
    blackout_ends      date[] NOT NULL DEFAULT '{}',
    last_active        timestamptz,
    assignments        timestamptz[] NOT NULL DEFAULT '{}',
    deactivated_at     timestamptz  -- when the expert was deactivated: the retention rule counts from it
);
ALTER TABLE {schema}.profiles ADD COLUMN IF NOT EXISTS deactivated_at timestamptz;
CREATE INDEX IF NOT EXISTS profiles_listed_themes ON {schema}.profiles USING gin (themes) WHERE listed;
CREATE INDEX IF NOT EXISTS profiles_listed_regions ON {schema}.profiles USING gin (regions) WHERE listed;
CREATE INDEX IF NOT EXISTS profiles_listed_languages ON {schema}.profiles USING gin (languages) WHERE listed;
CREATE TABLE IF NOT EXISTS {schema}.reviews (
    expert_id     text PRIMARY KEY,
    listing       boolean NOT NULL,
    submitted_at  timestamptz NOT NULL
);
CREATE TABLE IF NOT EXISTS {schema}.consents (
    expert_id     text NOT NULL,
    scope         text NOT NULL,
    valid_until   date,
    reminded_for  date,
    PRIMARY KEY (expert_id, scope)
);
CREATE INDEX IF NOT EXISTS consents_by_end ON {schema}.consents (valid_until) WHERE valid_until IS NOT NULL;
CREATE TABLE IF NOT EXISTS {schema}.programmes (
    programme_id     text PRIMARY KEY,
    name             text NOT NULL,
    kind             text NOT NULL,
    organization_id  text NOT NULL,
    modules          jsonb NOT NULL
);
CREATE TABLE IF NOT EXISTS {schema}.cohorts (
    cohort_id        text PRIMARY KEY,
    programme_id     text NOT NULL,
    organization_id  text NOT NULL,
    starts_on        date NOT NULL,
    ends_on          date NOT NULL,
    participants     int NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS {schema}.completions (
    trained_by  text NOT NULL,
    expert_id   text NOT NULL,
    event_id    uuid PRIMARY KEY
);
-- Who looked at whom: one row for each expert each time a search showed them or their profile was read.
CREATE TABLE IF NOT EXISTS {schema}.access_log (
    n                       bigserial PRIMARY KEY,
    at                      timestamptz NOT NULL,
    kind                    text NOT NULL,
    viewer_id               text NOT NULL,
    viewer_role             text NOT NULL,
    viewer_organization_id  text,
    purpose                 text NOT NULL,
    expert_id               text NOT NULL
);
CREATE INDEX IF NOT EXISTS access_log_by_expert ON {schema}.access_log (expert_id, at DESC);
CREATE INDEX IF NOT EXISTS access_log_by_viewer ON {schema}.access_log (viewer_id, at DESC);
