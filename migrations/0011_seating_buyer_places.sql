-- A show's limit of seats per buyer counts what each buyer has ordered (reserved or sold), not only
-- what they hold: without it, a buyer who orders can hold and order again without end.
--
-- `buyer_places` is that count, one row per buyer (limit key: `user:<id>`, or `guest-email:<hash>`
-- for guests, see `lml.platform.domain.buyer_limit`) per show. Reserving an order adds to it with a
-- conditional upsert that refuses past the show's limit, atomically; releasing or refunding takes
-- back. Each change counts `version` up: Redis follows the row (only when newer), as it follows seats.
CREATE TABLE seating.buyer_places (
    show_id uuid NOT NULL REFERENCES seating.show_inventories (show_id),
    buyer_key text NOT NULL,
    organization_id uuid NOT NULL,
    places integer NOT NULL CHECK (places >= 0),
    version integer NOT NULL DEFAULT 0,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (show_id, buyer_key)
);

-- Whose limit each order counts against, and the hold it was made from: releasing or refunding an
-- order knows whose count to take back, and Redis drops the hold in the same step as it counts the
-- order (never both held and ordered). Written once when the order is first reserved.
CREATE TABLE seating.order_buyers (
    order_id uuid PRIMARY KEY,
    show_id uuid NOT NULL REFERENCES seating.show_inventories (show_id),
    buyer_key text NOT NULL,
    hold_id text NOT NULL,
    organization_id uuid NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX order_buyers_of_buyer ON seating.order_buyers (show_id, buyer_key);

-- Same policy as the inventory (0005, 0006): an operator's unit of work sees its organization's
-- rows; one acting as no organization (buyers, the payment and expiry workers) sees and writes every
-- row, scoping its statements by show, order and buyer it got from its own records.
DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['buyer_places', 'order_buyers'] LOOP
        EXECUTE format('ALTER TABLE seating.%I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE seating.%I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format($p$CREATE POLICY %I ON seating.%I
                         USING (platform.current_org() IS NULL OR organization_id = platform.current_org())
                         WITH CHECK (platform.current_org() IS NULL OR organization_id = platform.current_org())$p$,
                       t || '_access', t);
        EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE ON seating.%I FROM lml_app', t);
    END LOOP;
END
$$;
GRANT UPDATE (places, version, updated_at) ON seating.buyer_places TO lml_app;

-- The orders placed before this migration count too. Seating never reads ordering's tables; this
-- one-off backfill must, since only ordering knew who placed them (the limit key is spelled here as
-- `buyer_limit.limit_key` spells it: the emails are stored normalized).
INSERT INTO seating.order_buyers (order_id, show_id, buyer_key, hold_id, organization_id)
SELECT o.order_id, o.show_id,
       CASE WHEN o.buyer_kind = 'guest' AND btrim(coalesce(o.buyer_email, '')) <> ''
            THEN 'guest-email:' || left(encode(sha256(convert_to(lower(btrim(o.buyer_email)), 'UTF8')), 'hex'), 32)
            ELSE o.buyer_kind || ':' || o.buyer_subject END,
       o.hold_id, o.organization_id
FROM ordering.orders o
WHERE EXISTS (SELECT FROM seating.order_places p WHERE p.order_id = o.order_id);

INSERT INTO seating.buyer_places (show_id, buyer_key, organization_id, places, version)
SELECT b.show_id, b.buyer_key, b.organization_id, sum(p.quantity), 1
FROM seating.order_buyers b
JOIN seating.order_places p ON p.order_id = b.order_id AND p.status IN ('reserved', 'sold')
GROUP BY b.show_id, b.buyer_key, b.organization_id;
