-- Buyers ask for refunds, each show's refund policy says how much, operators decide.

-- The tickets a refund gives back: when it succeeds they are void and their places go back on sale
-- (before the show). Empty for a refund of money alone (an operator's goodwill).
ALTER TABLE ordering.refunds ADD COLUMN ticket_ids uuid[] NOT NULL DEFAULT '{}';

-- A show's refund policy, set by its operator; a show without one has the default
-- (lml.ordering.domain.refund_policy.DEFAULT_POLICY).
CREATE TABLE ordering.refund_policies (
    show_id uuid PRIMARY KEY,
    organization_id uuid NOT NULL,
    -- [{"hours_before": 168, "percent": 100}, ...] in decreasing hours_before
    tiers jsonb NOT NULL CHECK (jsonb_typeof(tiers) = 'array'),
    fees_refundable boolean NOT NULL,
    updated_at timestamptz NOT NULL,
    updated_by text NOT NULL
);

CREATE TABLE ordering.refund_requests (
    request_id uuid PRIMARY KEY,
    order_id uuid NOT NULL REFERENCES ordering.orders ON DELETE RESTRICT,
    organization_id uuid NOT NULL,
    show_id uuid NOT NULL,
    status text NOT NULL CHECK (status IN ('pending', 'approved', 'declined')),
    ticket_ids uuid[] NOT NULL,
    percent integer NOT NULL CHECK (percent BETWEEN 0 AND 100),
    amount bigint NOT NULL CHECK (amount > 0),
    currency char(3) NOT NULL,
    reason text,
    created_at timestamptz NOT NULL,
    decided_at timestamptz,
    decided_by text,
    decision_note text,
    refund_id text,
    CHECK ((status = 'pending') = (decided_at IS NULL))
);
-- One request waits at a time per order.
CREATE UNIQUE INDEX refund_requests_one_pending ON ordering.refund_requests (order_id) WHERE status = 'pending';
-- The operators' queue, oldest first.
CREATE INDEX refund_requests_queue ON ordering.refund_requests (organization_id, status, created_at, request_id);

REVOKE DELETE, TRUNCATE ON ordering.refund_policies, ordering.refund_requests FROM lml_app;
REVOKE UPDATE ON ordering.refund_requests FROM lml_app;
GRANT UPDATE (status, decided_at, decided_by, decision_note, refund_id, amount) ON ordering.refund_requests TO lml_app;

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['refund_policies', 'refund_requests'] LOOP
        EXECUTE format('ALTER TABLE ordering.%I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE ordering.%I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format(
            'CREATE POLICY %I ON ordering.%I
                 USING (platform.current_org() IS NULL OR organization_id = platform.current_org())
                 WITH CHECK (platform.current_org() IS NULL OR organization_id = platform.current_org())',
            t || '_tenant', t);
    END LOOP;
END
$$;
