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
    PRIMARY KEY (engagement_id, form)
);
CREATE INDEX IF NOT EXISTS forms_open ON {schema}.forms (last_prompted_at) WHERE status = 'open';
CREATE INDEX IF NOT EXISTS forms_requested ON {schema}.forms (requested_at);

-- Tables made before versioned questionnaires get the version each form answered (null: version 1) and the
-- engagement's task kind (for the report's breakdown) here.
ALTER TABLE {schema}.forms ADD COLUMN IF NOT EXISTS questionnaire_version integer;
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

-- The regions each expert is listed in, in the bank, from the registry's ExpertListed: the report's breakdown
-- by region.
CREATE TABLE IF NOT EXISTS {schema}.expert_regions (
    expert_id  text NOT NULL,
    region     text NOT NULL,
    PRIMARY KEY (expert_id, region)
);

-- The fee approved for each engagement, and each payment for it, from the contracts service's FeeApproved and
-- FeePaid (amounts in clear, as on the bus): the fees and expenses paid that the report shows. A payment that
-- includes the fee pays the approved fee (or, after a cancellation, the fee owed: all of it) and expenses.
CREATE TABLE IF NOT EXISTS {schema}.approved_fees (
    engagement_id  uuid PRIMARY KEY,
    fee            numeric NOT NULL
);
CREATE TABLE IF NOT EXISTS {schema}.payments (
    payment_id     uuid PRIMARY KEY,  -- the FeePaid event's id
    engagement_id  uuid    NOT NULL,
    total          numeric NOT NULL,
    includes_fee   boolean NOT NULL
);
CREATE INDEX IF NOT EXISTS payments_engagement ON {schema}.payments (engagement_id);

-- The follow-up report's figures summed for each Finnish month (grain 'm', day its first), from each month's
-- first day up to each day (grain 'c', running totals) and, but for the joint places, for each quarter (grain
-- 'q'), for each place: the joint one (dimension 'joint': a task kind and a kind of orderer), an organization or a
-- region (grp). Kept by services/feedback/rollup.py with the rows above, in the same transactions.
CREATE TABLE IF NOT EXISTS {schema}.rollup (
    grain         "char"  NOT NULL,
    day           date    NOT NULL,
    dimension     text COLLATE "C" NOT NULL,
    grp           text COLLATE "C" NOT NULL,
    task_type     text COLLATE "C" NOT NULL,
    orderer_kind  text COLLATE "C" NOT NULL,
    kind          text COLLATE "C" NOT NULL,  -- 'engagements', 'forms' or 'ratings'
    form          text COLLATE "C" NOT NULL,
    status        text COLLATE "C" NOT NULL,
    version       integer NOT NULL,
    question      text COLLATE "C" NOT NULL,
    n             bigint  NOT NULL,  -- engagements, forms or answers
    total         bigint  NOT NULL,  -- engagements with both forms in, or the ratings' sum
    hours         numeric NOT NULL,
    fees          numeric NOT NULL,
    expenses      numeric NOT NULL,
    PRIMARY KEY (grain, day, dimension, grp, task_type, orderer_kind, kind, form, status, version, question)
);
CREATE INDEX IF NOT EXISTS rollup_empty ON {schema}.rollup (grain, day) WHERE n = 0;
