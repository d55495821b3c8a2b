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

REVOKE DELETE, TRUNCATE ON ordering.show_cancellations, ordering.cancelled_orders FROM lml_app;
REVOKE UPDATE ON ordering.cancelled_orders FROM lml_app;

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['show_cancellations', 'cancelled_orders'] LOOP
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

-- The show's limit of places per buyer when an order was placed: a late payment that takes the
-- order's places back keeps to it (NULL for orders placed before it was kept).
ALTER TABLE ordering.orders ADD COLUMN buyer_limit integer CHECK (buyer_limit > 0);
