-- Seating's own copy of each show's terms of sale (window, limits, hold time, currency, price tiers,
-- the pinned layout version), written by the catalog's on-sale in the same transaction as the
-- inventory, and marked cancelled by the catalog's cancellation in its transaction too. The hold
-- path, the seat map and the labels of held places read it here: seating never calls the catalog.
CREATE TABLE seating.show_terms (
    show_id uuid PRIMARY KEY REFERENCES seating.show_inventories (show_id),
    organization_id uuid NOT NULL,
    event_id uuid NOT NULL,
    cancelled boolean NOT NULL DEFAULT false,
    opens_at timestamptz NOT NULL,
    closes_at timestamptz NOT NULL,
    starts_at timestamptz NOT NULL,
    max_seats_per_buyer integer NOT NULL CHECK (max_seats_per_buyer > 0),
    hold_seconds integer NOT NULL CHECK (hold_seconds > 0),
    currency char(3) NOT NULL,
    layout_id text NOT NULL,
    layout_version integer NOT NULL,
    layout_hash text NOT NULL,
    -- [{"tier_id", "name", "price", "fees": [{"name", "amount"}], "unit_total"}]
    tiers jsonb NOT NULL CHECK (jsonb_typeof(tiers) = 'array'),
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- The inventory's policies (0005): an operator's unit of work sees its organization's rows, one
-- acting as no organization (buyers, the worker) every row; only an operator's creates them.
ALTER TABLE seating.show_terms ENABLE ROW LEVEL SECURITY;
ALTER TABLE seating.show_terms FORCE ROW LEVEL SECURITY;
CREATE POLICY show_terms_read ON seating.show_terms FOR SELECT
    USING (platform.current_org() IS NULL OR organization_id = platform.current_org());
CREATE POLICY show_terms_update ON seating.show_terms FOR UPDATE
    USING (platform.current_org() IS NULL OR organization_id = platform.current_org());
CREATE POLICY show_terms_create ON seating.show_terms FOR INSERT
    WITH CHECK (organization_id = platform.current_org());
REVOKE UPDATE, DELETE, TRUNCATE ON seating.show_terms FROM lml_app;
GRANT UPDATE (cancelled, updated_at) ON seating.show_terms TO lml_app;

-- The shows already on sale get their copy now. Seating never reads the catalog's tables; this
-- one-off backfill must, since only the catalog knew the terms (the opening instant is computed as
-- `lml.catalog.domain.sale.window_opens` computes it).
INSERT INTO seating.show_terms (show_id, organization_id, event_id, cancelled, opens_at, closes_at, starts_at,
    max_seats_per_buyer, hold_seconds, currency, layout_id, layout_version, layout_hash, tiers)
SELECT s.id, s.organization_id, s.event_id, s.status = 'cancelled' OR e.status = 'cancelled',
       CASE WHEN s.on_sale_at IS NULL THEN s.went_on_sale_at ELSE greatest(s.on_sale_at, s.went_on_sale_at) END,
       coalesce(s.off_sale_at, s.starts_at), s.starts_at, s.max_seats_per_buyer, s.hold_seconds, s.currency,
       s.layout_id::text, s.layout_version, s.layout_hash,
       (SELECT coalesce(jsonb_agg(jsonb_build_object(
                'tier_id', t.tier_id, 'name', t.name, 'price', t.price, 'fees', t.fees,
                'unit_total', t.price
                    + coalesce((SELECT sum((f->>'amount')::bigint) FROM jsonb_array_elements(t.fees) f), 0))
                ORDER BY t.position), '[]'::jsonb)
        FROM catalog.price_tiers t WHERE t.show_id = s.id)
FROM catalog.shows s JOIN catalog.events e ON e.id = s.event_id
WHERE s.went_on_sale_at IS NOT NULL
  AND EXISTS (SELECT FROM seating.show_inventories i WHERE i.show_id = s.id);
