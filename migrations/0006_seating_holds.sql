-- Holds live in Redis, which follows PostgreSQL after each commit (orders, sales, refunds, blocks)
-- and is rebuilt from it after a flush. Each row's version orders those updates, so that Redis
-- applies a change only if it is newer than what it has: a late or replayed message never moves a
-- sold seat back. `show_seats.version` exists already; GA zones get theirs here.
ALTER TABLE seating.show_zones ADD COLUMN version integer NOT NULL DEFAULT 0;
GRANT UPDATE (version) ON seating.show_zones TO lml_app;

-- What each order took from a show's inventory: its seats (one row each) and its GA places (one
-- row per zone). GA places are counters on `show_zones`, so without these rows a sale, a release
-- or a refund of an order would not know how many places of which zone are its own; they also tell
-- which seats an order had once it let them go (a released seat no longer carries the order id).
-- `status` moves reserved → sold → returned, or reserved → released; each move is conditional,
-- which makes every call idempotent.
CREATE TABLE seating.order_places (
    show_id uuid NOT NULL REFERENCES seating.show_inventories (show_id),
    order_id uuid NOT NULL,
    place text NOT NULL,  -- a seat id, or a zone id for GA places
    is_zone boolean NOT NULL,
    quantity integer NOT NULL CHECK (quantity > 0 AND (quantity = 1 OR is_zone)),
    organization_id uuid NOT NULL,
    status text NOT NULL CHECK (status IN ('reserved', 'sold', 'released', 'returned')),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (order_id, is_zone, place)
);
CREATE INDEX order_places_of_show ON seating.order_places (show_id, order_id);

-- Same policy as the inventory (0005): an operator's unit of work sees its organization's rows; one
-- acting as no organization (buyers, the payment and expiry workers) sees and writes every row,
-- scoping its statements by order and show ids it got from its own records.
ALTER TABLE seating.order_places ENABLE ROW LEVEL SECURITY;
ALTER TABLE seating.order_places FORCE ROW LEVEL SECURITY;
CREATE POLICY order_places_access ON seating.order_places
    USING (platform.current_org() IS NULL OR organization_id = platform.current_org())
    WITH CHECK (platform.current_org() IS NULL OR organization_id = platform.current_org());
REVOKE UPDATE, DELETE, TRUNCATE ON seating.order_places FROM lml_app;
GRANT UPDATE (status, updated_at) ON seating.order_places TO lml_app;
