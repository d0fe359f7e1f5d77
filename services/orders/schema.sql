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
-- The days of the week each expert takes assignments on (the registry's AvailabilityChanged; their dates away
-- travel sealed, so an offer on such a date is not refused here).
CREATE TABLE IF NOT EXISTS {schema}.availability (
    expert_id  text PRIMARY KEY,
    weekdays   int[] NOT NULL
);
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
    delivered_on       date,
    agreement_lapsed   boolean NOT NULL DEFAULT false
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
    orderer_id       text NOT NULL,
    placed_at        timestamptz NOT NULL,
    route            text NOT NULL DEFAULT 'bank',
    organization_id  text,
    awaiting         text,
    cancelled        boolean NOT NULL DEFAULT false,
    county_service   boolean NOT NULL DEFAULT false
);
CREATE INDEX IF NOT EXISTS orders_by_orderer ON {schema}.orders (orderer_id, placed_at);
CREATE INDEX IF NOT EXISTS offers_by_expert ON {schema}.offers (expert_id);
-- How each order reaches its experts, and who must act on it next (the organization's incoming orders, the
-- coordinator's queue of orders to route). Orders placed before routes were recorded came from the bank.
ALTER TABLE {schema}.orders ADD COLUMN IF NOT EXISTS route text NOT NULL DEFAULT 'bank';
ALTER TABLE {schema}.orders ADD COLUMN IF NOT EXISTS organization_id text;
ALTER TABLE {schema}.orders ADD COLUMN IF NOT EXISTS awaiting text;
ALTER TABLE {schema}.orders ADD COLUMN IF NOT EXISTS cancelled boolean NOT NULL DEFAULT false;
CREATE INDEX IF NOT EXISTS orders_by_organization ON {schema}.orders (organization_id) WHERE organization_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS orders_awaiting ON {schema}.orders (awaiting) WHERE awaiting IS NOT NULL;
-- From the registry's events: every expert as an organization's member, listed or not (an order directly to an
-- expert, or through an organization, may go to any trained, active member). Only ids, flags and dates.
CREATE TABLE IF NOT EXISTS {schema}.members (
    expert_id         text PRIMARY KEY,
    organization_ids  text[] NOT NULL DEFAULT '{}',
    trained           boolean NOT NULL DEFAULT false,
    county_trained    boolean NOT NULL DEFAULT false,
    active            boolean NOT NULL DEFAULT true
);
-- Tasks in the county's services, and engagements whose expert's NGO agreement no longer covers the task's date
-- (the coordinator's engagements needing attention). Orders kept before this read as not in the county's services
-- until the views are rebuilt from the events.
ALTER TABLE {schema}.orders ADD COLUMN IF NOT EXISTS county_service boolean NOT NULL DEFAULT false;
ALTER TABLE {schema}.engagements ADD COLUMN IF NOT EXISTS agreement_lapsed boolean NOT NULL DEFAULT false;
