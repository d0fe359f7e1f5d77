-- The contracts service's read table, kept by projections.py in the same transaction as the events.
-- One row per engagement's contract, for follow-up lists; the contract itself is read from its stream.
CREATE TABLE IF NOT EXISTS {schema}.contracts (
    engagement_id   uuid PRIMARY KEY,
    contract_id     uuid NOT NULL,
    expert_id       text NOT NULL,
    orderer_id      text NOT NULL,
    fee_basis       text NOT NULL,
    status          text NOT NULL,
    expert_signed   boolean NOT NULL DEFAULT false,
    orderer_signed  boolean NOT NULL DEFAULT false,
    total           numeric(12, 2),
    fee_owed        numeric(12, 2),
    paid_on         date,
    drafted_at      timestamptz NOT NULL,
    expenses_due    numeric(12, 2) NOT NULL DEFAULT 0
);
-- Added with expense claims: the approved expense lines not yet paid.
ALTER TABLE {schema}.contracts ADD COLUMN IF NOT EXISTS expenses_due numeric(12, 2) NOT NULL DEFAULT 0;
CREATE INDEX IF NOT EXISTS contracts_expert ON {schema}.contracts (expert_id);
CREATE INDEX IF NOT EXISTS contracts_orderer ON {schema}.contracts (orderer_id);
