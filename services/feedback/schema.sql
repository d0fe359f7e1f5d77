-- The feedback service's read tables, kept by projections.py. Answers' free text stays sealed in the event
-- store, and a person appears only by id. The ratings are the service's own decrypted projection, for the
-- follow-up report: the expert's own-wellbeing rating (sealed on the bus) is dropped when the expert is erased.

-- Who the parties of each engagement are, from the orders service's EngagementOpened.
CREATE TABLE IF NOT EXISTS {schema}.engagements (
    engagement_id  uuid PRIMARY KEY,
    expert_id      text NOT NULL,
    orderer_id     text NOT NULL,
    cancelled      boolean NOT NULL DEFAULT false,
    task_type      text,
    hours          numeric,  -- the hours worked, from the delivery
    order_id       uuid      -- the order, whose kind of orderer the report breaks down by
);
CREATE INDEX IF NOT EXISTS engagements_expert ON {schema}.engagements (expert_id);

-- Each requested form, for the reminders and the follow-up report.
CREATE TABLE IF NOT EXISTS {schema}.forms (
    engagement_id     uuid        NOT NULL,
    form              text        NOT NULL,
    requested_at      timestamptz NOT NULL,
    last_prompted_at  timestamptz NOT NULL,
    reminders_sent    integer     NOT NULL DEFAULT 0,
    status            text        NOT NULL DEFAULT 'open',
    ratings           jsonb,
    questionnaire_version integer,
    text_redacted_at  timestamptz,  -- when the free-text retention rule erased the form's text
    PRIMARY KEY (engagement_id, form)
);
CREATE INDEX IF NOT EXISTS forms_open ON {schema}.forms (last_prompted_at) WHERE status = 'open';
CREATE INDEX IF NOT EXISTS forms_requested ON {schema}.forms (requested_at);

-- Tables made before versioned questionnaires get the version each form answered (null: version 1) and the
-- engagement's task kind (for the report's breakdown) here.
ALTER TABLE {schema}.forms ADD COLUMN IF NOT EXISTS questionnaire_version integer;
-- When the free-text retention rule erased the form's free text (services/feedback/retention.py).
ALTER TABLE {schema}.forms ADD COLUMN IF NOT EXISTS text_redacted_at timestamptz;
ALTER TABLE {schema}.engagements ADD COLUMN IF NOT EXISTS task_type text;
ALTER TABLE {schema}.engagements ADD COLUMN IF NOT EXISTS hours numeric;
ALTER TABLE {schema}.engagements ADD COLUMN IF NOT EXISTS order_id uuid;

-- Each order's kind of orderer, from the orders service's OrderPlaced: the county's own services or another.
CREATE TABLE IF NOT EXISTS {schema}.orders (
    order_id        uuid PRIMARY KEY,
    county_service  boolean NOT NULL
);

-- The organizations each expert belongs to now, from the registry's events: the report's breakdown by
-- organization, and whose contact person a wellbeing follow-up is for.
CREATE TABLE IF NOT EXISTS {schema}.expert_organizations (
    expert_id        text NOT NULL,
    organization_id  text NOT NULL,
    PRIMARY KEY (expert_id, organization_id)
);

-- Wellbeing follow-ups for each organization's contact person. A row tells that the expert answered their own
-- wellbeing low (special-category data): it is deleted when the expert is erased.
CREATE TABLE IF NOT EXISTS {schema}.wellbeing_follow_ups (
    follow_up_id     uuid PRIMARY KEY,
    organization_id  text        NOT NULL,
    expert_id        text        NOT NULL,
    engagement_id    uuid        NOT NULL,
    raised_at        timestamptz NOT NULL,
    handled_at       timestamptz  -- kept, handled, until the expert's erasure shreds the follow-up's key
);
ALTER TABLE {schema}.wellbeing_follow_ups ADD COLUMN IF NOT EXISTS handled_at timestamptz;
CREATE INDEX IF NOT EXISTS wellbeing_follow_ups_organization ON {schema}.wellbeing_follow_ups (organization_id);
