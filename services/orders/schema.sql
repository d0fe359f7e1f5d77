-- The orders service's read tables, kept by projections.py.
-- From the registry's events (in the consuming transaction): who is listed, whose credentials hold, which
-- organizations are NGOs and which organization agreements they have. Only ids and dates: no personal data
-- (the topics an expert speaks on are the registry's to keep: they travel sealed and orders never held them).
CREATE TABLE IF NOT EXISTS {schema}.listed_experts (
    expert_id         text PRIMARY KEY,
    organization_ids  text[] NOT NULL,
    county_trained    boolean NOT NULL
);
ALTER TABLE {schema}.listed_experts DROP COLUMN IF EXISTS topics;  -- kept in clear before ExpertListed v2
CREATE TABLE IF NOT EXISTS {schema}.orderer_credentials (
    orderer_id       text PRIMARY KEY,
    organization_id  text,
    valid_until      date,
    revoked          boolean NOT NULL DEFAULT false
);
CREATE TABLE IF NOT EXISTS {schema}.organizations (
    organization_id  text PRIMARY KEY,
    kind             text NOT NULL
);
CREATE TABLE IF NOT EXISTS {schema}.organization_agreements (
    organization_id  text NOT NULL,
    agreement_id     text NOT NULL,
    valid_from       date NOT NULL,
    valid_until      date,
    ended_on         date,
    PRIMARY KEY (organization_id, agreement_id)
);
-- From its own events (in the recording transaction): offers, for the expiry job, and engagements, to list.
CREATE TABLE IF NOT EXISTS {schema}.offers (
    offer_id    uuid PRIMARY KEY,
    order_id    uuid NOT NULL,
    expert_id   text NOT NULL,
    expires_at  timestamptz NOT NULL,
    status      text NOT NULL
);
CREATE INDEX IF NOT EXISTS offers_open_by_expiry ON {schema}.offers (expires_at) WHERE status = 'open';
CREATE TABLE IF NOT EXISTS {schema}.engagements (
    engagement_id      uuid PRIMARY KEY,
    order_id           uuid NOT NULL,
    offer_id           uuid NOT NULL,
    expert_id          text NOT NULL,
    orderer_id         text NOT NULL,
    task_type          text NOT NULL,
    date               date NOT NULL,
    confirmed          boolean NOT NULL DEFAULT false,
    delivered          boolean NOT NULL DEFAULT false,
    fee_approved       boolean NOT NULL DEFAULT false,
    feedback_complete  boolean NOT NULL DEFAULT false,
    closed             boolean NOT NULL DEFAULT false,
    cancelled          boolean NOT NULL DEFAULT false,
    status             text NOT NULL,
    opened_at          timestamptz NOT NULL,
    start_time         time,
    duration_hours     numeric,
    delivered_on       date
);
-- When the task is (for refusing a double booking): engagements opened before these were kept know only the day.
ALTER TABLE {schema}.engagements ADD COLUMN IF NOT EXISTS start_time time;
ALTER TABLE {schema}.engagements ADD COLUMN IF NOT EXISTS duration_hours numeric;
-- When the delivery was confirmed (for closing an engagement whose feedback forms' answer period has ended).
ALTER TABLE {schema}.engagements ADD COLUMN IF NOT EXISTS delivered_on date;
CREATE INDEX IF NOT EXISTS engagements_by_orderer ON {schema}.engagements (orderer_id);
CREATE INDEX IF NOT EXISTS engagements_by_expert ON {schema}.engagements (expert_id);
-- Who placed which order, to list an orderer's orders (the order itself is read from its stream).
CREATE TABLE IF NOT EXISTS {schema}.orders (
    order_id    uuid PRIMARY KEY,
    orderer_id  text NOT NULL,
    placed_at   timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS orders_by_orderer ON {schema}.orders (orderer_id, placed_at);
CREATE INDEX IF NOT EXISTS offers_by_expert ON {schema}.offers (expert_id);
