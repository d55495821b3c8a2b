-- Payments: the Stripe PaymentIntent of each order, the refunds sent to Stripe, and the inbox of
-- Stripe events. No foreign keys to ordering: contexts do not reach into each other's tables.
-- No row-level security: these rows are read by the worker and by platform admins, never by an
-- organization's operators directly.

-- One PaymentIntent per order, guaranteed here (the primary key) rather than by Stripe's
-- idempotency keys alone, which expire after 24 hours and which the emulator does not honour.
CREATE TABLE payments.payment_intents (
    order_id uuid PRIMARY KEY,
    show_id uuid NOT NULL,
    payment_intent_id text NOT NULL UNIQUE,
    -- Handed to the buyer's app to confirm the payment; never logged.
    client_secret text NOT NULL,
    -- Stripe's PaymentIntent status as last seen (create, webhook, reconciliation).
    status text NOT NULL,
    amount bigint NOT NULL CHECK (amount > 0),
    currency char(3) NOT NULL CHECK (currency = upper(currency)),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- Every refund of one of our PaymentIntents: requested by ordering (then sent to Stripe by the
-- outbox handler with the idempotency key `refund:{order_id}:{seq}`), or made elsewhere (the Stripe
-- dashboard) and adopted when its event arrives.
CREATE TABLE payments.refunds (
    id uuid PRIMARY KEY,
    order_id uuid NOT NULL,
    seq integer NOT NULL CHECK (seq > 0),
    payment_intent_id text NOT NULL,
    amount bigint NOT NULL CHECK (amount > 0),
    currency char(3) NOT NULL CHECK (currency = upper(currency)),
    reason text NOT NULL,
    -- `requested` until Stripe has it, then Stripe's refund status (pending, succeeded, failed, canceled,
    -- requires_action); `rejected` when Stripe refused to create it.
    status text NOT NULL DEFAULT 'requested',
    stripe_refund_id text UNIQUE,
    failure_reason text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (order_id, seq)
);

-- The inbox: each Stripe event stored once (its id is the key), then applied by the worker.
-- Reconciliation adds synthetic events (ids starting with `reconciliation:`) through the same path.
CREATE TABLE payments.stripe_events (
    event_id text PRIMARY KEY,
    -- Arrival order, for stable cursor pagination of the admin list.
    seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    event_type text NOT NULL,
    source text NOT NULL CHECK (source IN ('webhook', 'reconciliation')),
    payload jsonb NOT NULL,
    status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'processed', 'ignored', 'dead')),
    attempts integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error text,
    -- Why an event was ignored (an unknown type, a PaymentIntent that is not ours).
    note text,
    stripe_created_at timestamptz,
    received_at timestamptz NOT NULL DEFAULT now(),
    processed_at timestamptz
);
CREATE INDEX stripe_events_due ON payments.stripe_events (next_attempt_at, seq) WHERE status = 'pending';
CREATE INDEX stripe_events_by_status ON payments.stripe_events (status, seq);
