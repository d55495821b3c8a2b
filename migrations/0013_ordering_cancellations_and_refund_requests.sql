-- A cancelled show's orders are cancelled (unpaid) or refunded in full (paid) by the worker, a
-- bounded batch per transaction. `show_cancellations` says which shows are cancelled (ordering
-- learns it from catalog's ShowCancelled); `cancelled_orders` records each order handled, in the
-- transaction that handled it, so that a worker that dies half-way leaves exactly the rest to do.
CREATE TABLE ordering.show_cancellations (
    show_id uuid PRIMARY KEY,
    organization_id uuid NOT NULL,
    cancelled_at timestamptz NOT NULL,
    started_at timestamptz NOT NULL,
    -- Every order of the show was handled (refunds may still be settling at Stripe).
    finished_at timestamptz
);
CREATE INDEX show_cancellations_running ON ordering.show_cancellations (show_id) WHERE finished_at IS NULL;

CREATE TABLE ordering.cancelled_orders (
    order_id uuid PRIMARY KEY REFERENCES ordering.orders ON DELETE RESTRICT,
    show_id uuid NOT NULL REFERENCES ordering.show_cancellations ON DELETE RESTRICT,
    organization_id uuid NOT NULL,
    -- cancelled: it was awaiting payment; refund_requested: all that was left is being refunded;
    -- refund_in_flight: nothing was left to ask for (a refund was on its way already).
    action text NOT NULL CHECK (action IN ('cancelled', 'refund_requested', 'refund_in_flight')),
    refund_id text,
    amount bigint NOT NULL DEFAULT 0 CHECK (amount >= 0),
    handled_at timestamptz NOT NULL
);
CREATE INDEX cancelled_orders_of_show ON ordering.cancelled_orders (show_id);

-- Why Stripe failed or refused a refund, for the operator who must settle it by hand.
ALTER TABLE ordering.refunds ADD COLUMN failure_reason text;

-- The show's limit of places per buyer when an order was placed: a late payment that takes the
-- order's places back keeps to it (NULL for orders placed before it was kept).
ALTER TABLE ordering.orders ADD COLUMN buyer_limit integer CHECK (buyer_limit > 0);

-- Refunds on request: buyers ask, each show's refund policy says how much, operators decide.
--
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

-- Nothing here is ever deleted; a handled order and a decided request stay as they were.
REVOKE DELETE, TRUNCATE ON ordering.show_cancellations, ordering.cancelled_orders, ordering.refund_policies,
    ordering.refund_requests FROM lml_app;
REVOKE UPDATE ON ordering.cancelled_orders, ordering.refund_requests FROM lml_app;
GRANT UPDATE (status, decided_at, decided_by, decision_note, refund_id, amount) ON ordering.refund_requests TO lml_app;

-- The same row-level security as ordering's other tables (0007).
DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['show_cancellations', 'cancelled_orders', 'refund_policies', 'refund_requests'] LOOP
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
