-- The public listing (issue 14): a row per show a buyer can browse to (a show, not cancelled, of a
-- published event), carrying what `GET /v1/events` sorts and filters on, so the listing walks one
-- index in start order instead of looking up every published event's first show. An event's rows
-- are rewritten by each catalog unit of work that touched the event, in its transaction, just before
-- it commits (catalog/infrastructure/pg_listing.py).
-- Rows, not a "next show" per event: a stored next show time goes stale as shows start, and the
-- listing's `from` and `to` pick any range.
CREATE TABLE catalog.listed_shows (
    show_id uuid PRIMARY KEY REFERENCES catalog.shows (id),
    event_id uuid NOT NULL REFERENCES catalog.events (id),
    organization_id uuid NOT NULL,
    starts_at timestamptz NOT NULL,
    city_key text NOT NULL,  -- lower(city): the filter is case-insensitive
    category text NOT NULL,
    search tsvector NOT NULL
);
-- Walking shows in start order, and each row's "is this its event's first show in range?" check
-- and upcoming count.
CREATE INDEX listed_shows_by_start ON catalog.listed_shows (starts_at, event_id);
CREATE INDEX listed_shows_of_event ON catalog.listed_shows (event_id, starts_at);
CREATE INDEX listed_shows_by_city ON catalog.listed_shows (city_key, starts_at, event_id);
CREATE INDEX listed_shows_by_category ON catalog.listed_shows (category, starts_at, event_id);
CREATE INDEX listed_shows_search ON catalog.listed_shows USING gin (search);

ALTER TABLE catalog.listed_shows ENABLE ROW LEVEL SECURITY;
ALTER TABLE catalog.listed_shows FORCE ROW LEVEL SECURITY;
REVOKE TRUNCATE ON catalog.listed_shows FROM lml_app;
CREATE POLICY listed_shows_create ON catalog.listed_shows FOR INSERT
    WITH CHECK (organization_id = platform.current_org());
CREATE POLICY listed_shows_update ON catalog.listed_shows FOR UPDATE
    USING (organization_id = platform.current_org());
CREATE POLICY listed_shows_delete ON catalog.listed_shows FOR DELETE
    USING (organization_id = platform.current_org());
-- Only published events' shows are ever here: public, whoever reads. No condition on the organization
-- either, whose `x = current_org() OR current_org() IS NULL` the planner cannot estimate: it guessed a
-- few dozen of 20,000 rows would pass and chose to sort them all rather than walk the index in order.
CREATE POLICY listed_shows_read ON catalog.listed_shows FOR SELECT USING (true);

INSERT INTO catalog.listed_shows (show_id, event_id, organization_id, starts_at, city_key, category, search)
SELECT s.id, e.id, e.organization_id, s.starts_at, lower(e.city), e.category, e.search
FROM catalog.shows s JOIN catalog.events e ON e.id = s.event_id
WHERE e.status = 'published' AND s.status <> 'cancelled';

-- The listing no longer reads events' own search words and city: their indexes only cost writes.
DROP INDEX catalog.events_search;
DROP INDEX catalog.events_by_city;
