-- The kernel's tables in one service's schema. Safe to run again: every statement is idempotent.
-- {schema} is replaced by the service's schema name (a checked SQL identifier). The event table itself is
-- made from the envelope's fields (shared/eventstore/rows.py) just before this file runs.

CREATE INDEX IF NOT EXISTS events_log_order ON {schema}.events (transaction_id, position);
CREATE INDEX IF NOT EXISTS events_engagement ON {schema}.events (engagement_id) WHERE engagement_id IS NOT NULL;
-- A person's own events, for their right of access (PostgresEventReader.read_subject).
CREATE INDEX IF NOT EXISTS events_subject ON {schema}.events (subject_id) WHERE subject_id IS NOT NULL;

-- Append-only by the database itself, for the owning role too: no UPDATE, DELETE or TRUNCATE.
CREATE OR REPLACE FUNCTION {schema}.refuse_event_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the event table is append-only: % is refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE OR REPLACE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON {schema}.events
    FOR EACH ROW EXECUTE FUNCTION {schema}.refuse_event_change();
CREATE OR REPLACE TRIGGER events_no_truncate BEFORE TRUNCATE ON {schema}.events
    FOR EACH STATEMENT EXECUTE FUNCTION {schema}.refuse_event_change();
REVOKE UPDATE, DELETE, TRUNCATE ON {schema}.events FROM PUBLIC;
REVOKE UPDATE, DELETE, TRUNCATE ON {schema}.events FROM CURRENT_USER;

-- The relay is woken by a NOTIFY sent after the append, outside the appending transaction (see
-- PostgresEventStore.wake_relay); an earlier release notified from a trigger, which serialized commits.
DROP TRIGGER IF EXISTS events_notify ON {schema}.events;
DROP FUNCTION IF EXISTS {schema}.notify_events();

-- One key per data subject; shredding sets it to NULL and keeps the row, so no new personal data is
-- accepted for an erased subject.
CREATE TABLE IF NOT EXISTS {schema}.subject_keys (
    subject_id   text PRIMARY KEY,
    key          bytea,
    created_at   timestamptz NOT NULL DEFAULT now(),
    shredded_at  timestamptz,
    -- the key-encryption key the subject's key is wrapped with (shared/eventstore/keyring.py); NULL: kept as it is
    kek_id       text
);
ALTER TABLE {schema}.subject_keys ADD COLUMN IF NOT EXISTS kek_id text;  -- a schema from before key rings

CREATE TABLE IF NOT EXISTS {schema}.relay_checkpoint (
    relay           text PRIMARY KEY,
    transaction_id  xid8   NOT NULL,
    position        bigint NOT NULL,
    published       bigint NOT NULL DEFAULT 0,
    updated_at      timestamptz NOT NULL DEFAULT now()
);

-- A consumer's record that it handled a message, written in the same transaction as the handler's effects.
CREATE TABLE IF NOT EXISTS {schema}.processed_messages (
    consumer      text NOT NULL,
    event_id      uuid NOT NULL,
    processed_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, event_id)
);

CREATE TABLE IF NOT EXISTS {schema}.dead_letters (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    consumer     text NOT NULL,
    subject      text NOT NULL,
    event_id     uuid,
    headers      jsonb NOT NULL,
    body         text NOT NULL,
    error        text NOT NULL,
    attempts     integer NOT NULL,
    failed_at    timestamptz NOT NULL DEFAULT now(),
    replayed_at  timestamptz
);

-- The reply to each command that named a command_id, recorded in the command's own transaction: the same
-- command sent again (after a lost reply) gets this reply and records nothing new.
CREATE TABLE IF NOT EXISTS {schema}.command_replies (
    command_id   uuid PRIMARY KEY,
    subject      text NOT NULL,
    reply        jsonb NOT NULL,
    recorded_at  timestamptz NOT NULL DEFAULT now()
);

-- Events the relay set aside because the bus kept refusing them (shared/messaging/parked.py); each stays in
-- the event table and is published again by hand once the cause is mended.
CREATE TABLE IF NOT EXISTS {schema}.relay_parked (
    event_id        uuid PRIMARY KEY,
    stream_id       text NOT NULL,
    version         integer NOT NULL,
    event_type      text NOT NULL,
    error           text NOT NULL,
    parked_at       timestamptz NOT NULL DEFAULT now(),
    republished_at  timestamptz
);
