-- The notifications service's read tables, kept by projections.py. No address and no message text here: the
-- addresses stay sealed in the event store (contact-<person_id> streams), the texts are made at sending.

-- Who the parties of each engagement are, from orders' EngagementOpened and contracts' ContractDrafted.
CREATE TABLE IF NOT EXISTS {schema}.engagements (
    engagement_id  uuid PRIMARY KEY,
    expert_id      text NOT NULL,
    orderer_id     text NOT NULL,
    order_id       uuid,
    cancelled      boolean NOT NULL DEFAULT false
);
CREATE INDEX IF NOT EXISTS engagements_order ON {schema}.engagements (order_id);

-- Who placed each order, from orders' OrderPlaced: whom to tell when its candidates run out.
CREATE TABLE IF NOT EXISTS {schema}.orders (
    order_id    uuid PRIMARY KEY,
    orderer_id  text NOT NULL
);

-- Offers, from orders' events: a day before one still open expires its expert is reminded, once. An answered
-- offer stays as a closed row, so that an answer handled before its offer (one batch) still closes it.
CREATE TABLE IF NOT EXISTS {schema}.open_offers (
    offer_id       uuid        PRIMARY KEY,
    expert_id      text        NOT NULL,
    order_id       uuid        NOT NULL,
    expires_at     timestamptz,
    made_event_id  uuid,
    open           boolean     NOT NULL DEFAULT true,
    reminded       boolean     NOT NULL DEFAULT false
);
CREATE INDEX IF NOT EXISTS open_offers_expiring ON {schema}.open_offers (expires_at) WHERE open AND NOT reminded;
CREATE INDEX IF NOT EXISTS open_offers_order ON {schema}.open_offers (order_id) WHERE open;

-- Orderers' credentials, from the registry's events: two weeks before they end the orderer is reminded, once per
-- end date. ``version`` is that of the orderer's stream the row follows: an older event changes nothing.
CREATE TABLE IF NOT EXISTS {schema}.credentials (
    orderer_id        text    PRIMARY KEY,
    valid_until       date,
    granted_event_id  uuid,
    active            boolean NOT NULL,
    version           integer NOT NULL,
    reminded          boolean NOT NULL DEFAULT false
);

-- Each message, for the sending job (the queued ones, by when they are due) and the undelivered list.
CREATE TABLE IF NOT EXISTS {schema}.notifications (
    notification_id  uuid        PRIMARY KEY,
    person_id        text        NOT NULL,
    kind             text        NOT NULL,
    status           text        NOT NULL DEFAULT 'queued',
    due_at           timestamptz NOT NULL,
    attempts         integer     NOT NULL DEFAULT 0,
    reason           text,
    updated_at       timestamptz
);
CREATE INDEX IF NOT EXISTS notifications_due ON {schema}.notifications (due_at) WHERE status = 'queued';
CREATE INDEX IF NOT EXISTS notifications_bounced ON {schema}.notifications (person_id, updated_at)
    WHERE status = 'bounced';
