-- The audit's tables beside its event store (whose trail-<engagement_id> streams are the trails themselves).

-- Every event the sources published, as received: personal fields stay sealed ciphertext, and the envelope
-- keeps the source's hashes, so the source's chains can be re-checked from these copies alone.
CREATE TABLE IF NOT EXISTS {schema}.source_events (
    service        text        NOT NULL,
    event_id       uuid        NOT NULL UNIQUE,
    stream_id      text        NOT NULL,
    version        integer     NOT NULL,
    event_type     text        NOT NULL,
    recorded_at    timestamptz NOT NULL,
    engagement_id  uuid,
    order_id       text,
    expert_id      text,
    causation_id   uuid,
    actor          jsonb       NOT NULL,
    trace_id       text,
    prev_hash      bytea       NOT NULL,
    hash           bytea       NOT NULL,
    envelope       jsonb       NOT NULL,
    received_at    timestamptz NOT NULL DEFAULT now()
);
-- Not unique: a source that published two events at one version must show up in verify, not be refused.
CREATE INDEX IF NOT EXISTS source_events_chain ON {schema}.source_events (service, stream_id, version);
CREATE INDEX IF NOT EXISTS source_events_engagement ON {schema}.source_events (engagement_id) WHERE engagement_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS source_events_order ON {schema}.source_events (order_id) WHERE order_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS source_events_expert ON {schema}.source_events (expert_id) WHERE expert_id IS NOT NULL;

-- Each engagement once its EngagementOpened arrived: the order and the expert its trail gathers.
CREATE TABLE IF NOT EXISTS {schema}.engagements (
    engagement_id     uuid PRIMARY KEY,
    order_id          text,
    expert_id         text,
    opened_event_id   uuid NOT NULL
);
CREATE INDEX IF NOT EXISTS engagements_order ON {schema}.engagements (order_id);
CREATE INDEX IF NOT EXISTS engagements_expert ON {schema}.engagements (expert_id);

-- Which source event is in which trail: the key makes a second link (a redelivery, another replica) a no-op.
CREATE TABLE IF NOT EXISTS {schema}.trail_links (
    engagement_id    uuid NOT NULL,
    source_event_id  uuid NOT NULL,
    linked_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (engagement_id, source_event_id)
);

-- The heads each signed checkpoint covers (services/audit/checkpoints.py): the signature covers their digest,
-- so a changed row here shows as a checkpoint that no longer verifies.
CREATE TABLE IF NOT EXISTS {schema}.checkpoint_heads (
    checkpoint_id  uuid    NOT NULL,
    service        text    NOT NULL,
    stream_id      text    NOT NULL,
    version        integer NOT NULL,
    hash           text    NOT NULL,
    PRIMARY KEY (checkpoint_id, service, stream_id)
);

-- The copies and the links are evidence: append-only for the owning role too.
CREATE OR REPLACE FUNCTION {schema}.refuse_audit_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit''s % table is append-only: % is refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE OR REPLACE TRIGGER source_events_append_only BEFORE UPDATE OR DELETE ON {schema}.source_events
    FOR EACH ROW EXECUTE FUNCTION {schema}.refuse_audit_change();
CREATE OR REPLACE TRIGGER source_events_no_truncate BEFORE TRUNCATE ON {schema}.source_events
    FOR EACH STATEMENT EXECUTE FUNCTION {schema}.refuse_audit_change();
CREATE OR REPLACE TRIGGER trail_links_append_only BEFORE UPDATE OR DELETE ON {schema}.trail_links
    FOR EACH ROW EXECUTE FUNCTION {schema}.refuse_audit_change();
CREATE OR REPLACE TRIGGER trail_links_no_truncate BEFORE TRUNCATE ON {schema}.trail_links
    FOR EACH STATEMENT EXECUTE FUNCTION {schema}.refuse_audit_change();
REVOKE UPDATE, DELETE, TRUNCATE ON {schema}.source_events, {schema}.trail_links FROM PUBLIC;
REVOKE UPDATE, DELETE, TRUNCATE ON {schema}.source_events, {schema}.trail_links FROM CURRENT_USER;
