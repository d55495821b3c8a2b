-- The catalog: events, their buyer-facing revisions, shows (performances) and their price tiers.
-- A show's pricing rules (section / row / seat / GA zone → tier) are one JSON document: they are
-- only ever read and replaced whole, and can run to thousands of seat-level entries.
--
-- Row-level security, two audiences:
--   * an operator's unit of work (acting as an organization) sees and changes only its own rows,
--     drafts included;
--   * a buyer's (acting as no organization) reads every organization's events that were published
--     (cancelled ones too: a ticket holder must see the cancellation), their shows and price tiers,
--     and never a draft. It writes nothing.
-- The venue's name, city and timezone are copied onto the event: public filters by city need no
-- other context's table.

CREATE TABLE catalog.events (
    id uuid PRIMARY KEY,
    organization_id uuid NOT NULL,
    venue_id uuid NOT NULL,
    venue_name text NOT NULL,
    city text NOT NULL,
    country text,
    timezone text NOT NULL,
    title text NOT NULL CHECK (length(btrim(title)) BETWEEN 1 AND 200),
    description text NOT NULL DEFAULT '' CHECK (length(description) <= 10000),
    category text NOT NULL CHECK (category ~ '^[a-z0-9][a-z0-9-]{0,39}$'),
    images text[] NOT NULL DEFAULT '{}',
    status text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'published', 'cancelled')),
    revision integer NOT NULL DEFAULT 0 CHECK (revision >= 0),
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    published_at timestamptz,
    cancelled_at timestamptz,
    search tsvector GENERATED ALWAYS AS (
        to_tsvector('simple', title || ' ' || description || ' ' || category || ' ' || venue_name || ' ' || city)
    ) STORED,
    CONSTRAINT events_published_has_a_date CHECK (status <> 'published' OR published_at IS NOT NULL)
);
CREATE INDEX events_of_organization ON catalog.events (organization_id, id DESC);
CREATE INDEX events_search ON catalog.events USING gin (search) WHERE status = 'published';
CREATE INDEX events_by_city ON catalog.events (lower(city)) WHERE status = 'published';

-- What buyers saw, from `recorded_at` until the next revision (revision 1 = at publication).
CREATE TABLE catalog.event_revisions (
    event_id uuid NOT NULL REFERENCES catalog.events (id),
    revision integer NOT NULL CHECK (revision >= 1),
    organization_id uuid NOT NULL,
    title text NOT NULL,
    description text NOT NULL,
    category text NOT NULL,
    images text[] NOT NULL,
    venue_name text NOT NULL,
    recorded_at timestamptz NOT NULL,
    recorded_by uuid,
    PRIMARY KEY (event_id, revision)
);

CREATE TABLE catalog.shows (
    id uuid PRIMARY KEY,
    event_id uuid NOT NULL REFERENCES catalog.events (id),
    organization_id uuid NOT NULL,
    starts_at timestamptz NOT NULL,
    doors_at timestamptz,
    layout_id uuid NOT NULL,
    layout_version integer NOT NULL CHECK (layout_version >= 1),
    layout_hash text NOT NULL,
    currency text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    pricing jsonb NOT NULL DEFAULT '[]',
    on_sale_at timestamptz,
    off_sale_at timestamptz,
    max_seats_per_buyer integer NOT NULL CHECK (max_seats_per_buyer BETWEEN 1 AND 100),
    hold_seconds integer NOT NULL CHECK (hold_seconds BETWEEN 60 AND 3600),
    status text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'on_sale', 'cancelled')),
    blocked_seat_ids text[] NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    went_on_sale_at timestamptz,
    cancelled_at timestamptz,
    CONSTRAINT shows_sale_window_in_order CHECK (on_sale_at IS NULL OR off_sale_at IS NULL OR on_sale_at < off_sale_at),
    CONSTRAINT shows_sale_ends_by_the_start CHECK (off_sale_at IS NULL OR off_sale_at <= starts_at),
    CONSTRAINT shows_on_sale_has_a_date CHECK (status <> 'on_sale' OR went_on_sale_at IS NOT NULL)
);
CREATE INDEX shows_of_event ON catalog.shows (event_id, starts_at);
-- The public listing: events by their first upcoming show.
CREATE INDEX shows_upcoming ON catalog.shows (starts_at, event_id) WHERE status <> 'cancelled';

CREATE TABLE catalog.price_tiers (
    show_id uuid NOT NULL REFERENCES catalog.shows (id),
    tier_id text NOT NULL,
    organization_id uuid NOT NULL,
    position integer NOT NULL,
    name text NOT NULL,
    price bigint NOT NULL CHECK (price >= 0),
    fees jsonb NOT NULL DEFAULT '[]',
    PRIMARY KEY (show_id, tier_id)
);

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['events', 'event_revisions', 'shows', 'price_tiers'] LOOP
        EXECUTE format('ALTER TABLE catalog.%I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE catalog.%I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format($p$CREATE POLICY %I ON catalog.%I FOR INSERT
                         WITH CHECK (organization_id = platform.current_org())$p$, t || '_create', t);
        EXECUTE format($p$CREATE POLICY %I ON catalog.%I FOR UPDATE
                         USING (organization_id = platform.current_org())$p$, t || '_update', t);
        EXECUTE format('REVOKE TRUNCATE ON catalog.%I FROM lml_app', t);
    END LOOP;
END
$$;

CREATE POLICY events_read ON catalog.events FOR SELECT USING (
    organization_id = platform.current_org()
    OR (platform.current_org() IS NULL AND published_at IS NOT NULL)
);
CREATE POLICY event_revisions_read ON catalog.event_revisions FOR SELECT USING (
    organization_id = platform.current_org()
);
CREATE POLICY shows_read ON catalog.shows FOR SELECT USING (
    organization_id = platform.current_org()
    OR (platform.current_org() IS NULL AND EXISTS (
        SELECT 1 FROM catalog.events e WHERE e.id = shows.event_id AND e.published_at IS NOT NULL
    ))
);
CREATE POLICY price_tiers_read ON catalog.price_tiers FOR SELECT USING (
    organization_id = platform.current_org()
    OR (platform.current_org() IS NULL AND EXISTS (
        SELECT 1 FROM catalog.shows s JOIN catalog.events e ON e.id = s.event_id
        WHERE s.id = price_tiers.show_id AND e.published_at IS NOT NULL
    ))
);
-- A draft show's tiers are replaced whole when it changes.
CREATE POLICY price_tiers_replace ON catalog.price_tiers FOR DELETE USING (
    organization_id = platform.current_org()
);
-- Events, revisions and shows are never deleted: cancellation is a status, history is kept.
REVOKE DELETE ON catalog.events, catalog.event_revisions, catalog.shows FROM lml_app;
