-- Seating's inventory of each show that went on sale: one row per seat and one per GA zone.
-- Seating owns these rows because holds, orders and availability change or read them on the hot
-- path; the catalog creates them (through `lml.seating.facade`) in the transaction that puts a
-- show on sale.
--
-- Row-level security. An operator's unit of work (acting as an organization) sees and changes only
-- its organization's rows. A unit of work acting as no organization is a buyer's or the system's
-- (holds, orders, payments, refunds, availability): it needs every row of every show that went on
-- sale, whatever organization sells it, including cancelled shows (refunds), so it sees them all.
-- That is safe because rows exist only for shows the catalog put on sale (materialization IS going
-- on sale), no-organization code only ever addresses rows by a show id it got from the catalog, and
-- a subquery on a "show is open" flag in every policy check would tax the conditional seat updates
-- of the sales path while refunds would still need the closed shows. Only an operator's unit of
-- work creates inventory (the insert policy needs the organization), nobody deletes it, and the
-- identity columns (show, seat, zone, organization) are not updatable by the application at all.

CREATE TABLE seating.show_inventories (
    show_id uuid PRIMARY KEY,
    organization_id uuid NOT NULL,
    seat_count integer NOT NULL CHECK (seat_count >= 0),
    zone_count integer NOT NULL CHECK (zone_count >= 0),
    created_at timestamptz NOT NULL DEFAULT now()
);

-- fillfactor: a seat row is updated several times (held, reserved, sold) and `status` is in no
-- index, so free room on the page keeps those updates HOT (no index writes, no bloat).
CREATE TABLE seating.show_seats (
    show_id uuid NOT NULL REFERENCES seating.show_inventories (show_id),
    seat_id text NOT NULL,
    organization_id uuid NOT NULL,
    tier_id text,
    status text NOT NULL DEFAULT 'available' CHECK (status IN ('available', 'blocked', 'reserved', 'sold')),
    version integer NOT NULL DEFAULT 0,
    order_id uuid,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (show_id, seat_id),
    -- A seat is sold at its tier's price: only a blocked seat may lack one.
    CONSTRAINT show_seats_sellable_has_tier CHECK (tier_id IS NOT NULL OR status = 'blocked'),
    -- An available or blocked seat belongs to no order.
    CONSTRAINT show_seats_order_only_when_taken CHECK (order_id IS NULL OR status IN ('reserved', 'sold'))
) WITH (fillfactor = 80);

CREATE TABLE seating.show_zones (
    show_id uuid NOT NULL REFERENCES seating.show_inventories (show_id),
    zone_id text NOT NULL,
    organization_id uuid NOT NULL,
    tier_id text NOT NULL,
    capacity integer NOT NULL CHECK (capacity >= 0),
    sold integer NOT NULL DEFAULT 0 CHECK (sold >= 0),
    reserved integer NOT NULL DEFAULT 0 CHECK (reserved >= 0),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (show_id, zone_id),
    CONSTRAINT show_zones_within_capacity CHECK (sold + reserved <= capacity)
) WITH (fillfactor = 80);

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['show_inventories', 'show_seats', 'show_zones'] LOOP
        EXECUTE format('ALTER TABLE seating.%I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE seating.%I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format($p$CREATE POLICY %I ON seating.%I FOR SELECT
                         USING (platform.current_org() IS NULL OR organization_id = platform.current_org())$p$,
                       t || '_read', t);
        EXECUTE format($p$CREATE POLICY %I ON seating.%I FOR UPDATE
                         USING (platform.current_org() IS NULL OR organization_id = platform.current_org())$p$,
                       t || '_update', t);
        EXECUTE format($p$CREATE POLICY %I ON seating.%I FOR INSERT
                         WITH CHECK (organization_id = platform.current_org())$p$,
                       t || '_create', t);
        EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE ON seating.%I FROM lml_app', t);
    END LOOP;
END
$$;
-- Column grants: what the sales path moves. A new column that must change needs its own grant.
GRANT UPDATE (tier_id, status, version, order_id, updated_at) ON seating.show_seats TO lml_app;
GRANT UPDATE (sold, reserved, updated_at) ON seating.show_zones TO lml_app;
