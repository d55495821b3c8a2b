-- Ordering: orders and their lines, refunds, tickets, and the append-only audit log of every change.
--
-- Row-level security. Every table carries the organization that sells the show. The policy differs
-- from the platform's default ("no organization set → no rows"), on purpose:
--   * a unit of work acting AS an organization (operator reads: sales, attendees, refunds) sees and
--     writes only that organization's rows, so an operator query that forgets its WHERE cannot leak
--     or touch another organization's buyers;
--   * a unit of work acting as NO organization is the buyer's or the system's (placing, paying,
--     expiring an order: the payments worker and the expiry sweeper work across every organization).
--     Those paths scope their queries themselves (by buyer, by order id) and never run inside an
--     operator's unit of work, so they need every row and get it.
-- An operator unit of work always names its organization (after `identity.facade.authorize_operator`),
-- which is what makes the second rule safe.

CREATE TABLE ordering.orders (
    order_id uuid PRIMARY KEY,
    organization_id uuid NOT NULL,
    show_id uuid NOT NULL,
    -- A hold becomes at most one order: a second attempt names the first.
    hold_id text NOT NULL UNIQUE,
    buyer_kind text NOT NULL CHECK (buyer_kind IN ('user', 'guest')),
    buyer_subject text NOT NULL,
    buyer_email text,
    buyer_name text,
    status text NOT NULL CHECK (status IN ('pending_payment', 'payment_failed', 'paid', 'expired', 'cancelled',
                                           'refund_pending', 'refunded', 'partially_refunded')),
    currency char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    total bigint NOT NULL CHECK (total >= 0),
    expires_at timestamptz NOT NULL,
    show_starts_at timestamptz NOT NULL,
    payment_intent_id text,
    amount_paid bigint NOT NULL DEFAULT 0 CHECK (amount_paid >= 0),
    paid_at timestamptz,
    failure_reason text,
    unseated boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);
CREATE INDEX orders_of_buyer ON ordering.orders (buyer_kind, buyer_subject, created_at DESC, order_id DESC);
CREATE INDEX orders_of_show ON ordering.orders (show_id, status);
-- The expiry sweeper's and the reconciliation's queue: only orders awaiting payment.
CREATE INDEX orders_awaiting_payment ON ordering.orders (expires_at)
    WHERE status IN ('pending_payment', 'payment_failed');

CREATE TABLE ordering.order_lines (
    order_id uuid NOT NULL REFERENCES ordering.orders ON DELETE RESTRICT,
    line_no integer NOT NULL CHECK (line_no > 0),
    organization_id uuid NOT NULL,
    tier_id text NOT NULL,
    tier_name text NOT NULL,
    unit_price bigint NOT NULL CHECK (unit_price >= 0),
    unit_fee bigint NOT NULL CHECK (unit_fee >= 0),
    quantity integer NOT NULL CHECK (quantity > 0),
    seat_id text,
    seat_label text,
    zone_id text,
    PRIMARY KEY (order_id, line_no),
    -- A seat line is one seat; a GA line is a quantity of one zone.
    CHECK ((seat_id IS NOT NULL AND zone_id IS NULL AND quantity = 1) OR (seat_id IS NULL AND zone_id IS NOT NULL))
);

CREATE TABLE ordering.refunds (
    refund_id text PRIMARY KEY,
    order_id uuid NOT NULL REFERENCES ordering.orders ON DELETE RESTRICT,
    organization_id uuid NOT NULL,
    amount bigint NOT NULL CHECK (amount > 0),
    status text NOT NULL CHECK (status IN ('requested', 'pending', 'requires_action', 'succeeded', 'failed', 'canceled')),
    reason text,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);
CREATE INDEX refunds_of_order ON ordering.refunds (order_id);

CREATE TABLE ordering.tickets (
    ticket_id uuid PRIMARY KEY,
    order_id uuid NOT NULL REFERENCES ordering.orders ON DELETE RESTRICT,
    organization_id uuid NOT NULL,
    show_id uuid NOT NULL,
    line_no integer NOT NULL,
    seat_id text,
    zone_id text,
    unit integer,
    code text NOT NULL UNIQUE,
    status text NOT NULL CHECK (status IN ('valid', 'void')),
    issued_at timestamptz NOT NULL,
    voided_at timestamptz,
    FOREIGN KEY (order_id, line_no) REFERENCES ordering.order_lines (order_id, line_no),
    CHECK ((seat_id IS NOT NULL AND zone_id IS NULL AND unit IS NULL) OR (seat_id IS NULL AND zone_id IS NOT NULL AND unit > 0)),
    -- An order's place is ticketed once, whatever happens to it afterwards.
    UNIQUE NULLS NOT DISTINCT (order_id, line_no, unit)
);
-- The last word on "never sold twice": one valid ticket per seat of a show. A voided ticket
-- (refunded order) no longer counts, so the seat can be sold and ticketed again.
CREATE UNIQUE INDEX tickets_one_valid_per_seat ON ordering.tickets (show_id, seat_id)
    WHERE seat_id IS NOT NULL AND status = 'valid';
CREATE INDEX tickets_of_order ON ordering.tickets (order_id);
CREATE INDEX tickets_of_show ON ordering.tickets (show_id, status);

-- The audit log: one row per change of an order, never updated nor deleted.
CREATE TABLE ordering.order_events (
    event_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id uuid NOT NULL REFERENCES ordering.orders ON DELETE RESTRICT,
    organization_id uuid NOT NULL,
    at timestamptz NOT NULL,
    actor text NOT NULL,          -- user:<id> | guest:<id> | operator:<id> | system:<what>
    action text NOT NULL,         -- the trigger: created, payment_succeeded, expired, refund_requested, ...
    from_status text,             -- NULL for `created`
    to_status text NOT NULL,
    detail jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX order_events_of_order ON ordering.order_events (order_id, event_id);

-- The application never deletes anything here (an order, a refund, a ticket is history), never
-- rewrites an order's lines, and only ever appends to the audit log.
REVOKE DELETE, TRUNCATE ON ordering.orders, ordering.order_lines, ordering.refunds, ordering.tickets FROM lml_app;
REVOKE UPDATE ON ordering.order_lines FROM lml_app;
REVOKE UPDATE, DELETE, TRUNCATE ON ordering.order_events FROM lml_app;

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['orders', 'order_lines', 'refunds', 'tickets', 'order_events'] LOOP
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
