-- Venues: an organization's venues, its layouts, and each layout version's lifecycle.
-- The seat maps themselves live in MongoDB (`layout_drafts`, insert-only `layout_versions`);
-- these rows say which versions exist, their status and, once published, their content hash.
-- Every table holds one organization's rows: row-level security keeps each to its own.

CREATE TABLE venues.venues (
    id uuid PRIMARY KEY,
    organization_id uuid NOT NULL,
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    address text NOT NULL DEFAULT '' CHECK (length(address) <= 500),
    city text NOT NULL CHECK (length(city) BETWEEN 1 AND 100),
    country text CHECK (country ~ '^[A-Z]{2}$'),
    timezone text NOT NULL,
    -- The largest published layout of the venue (seats + standing), kept up to date at publication.
    seat_capacity integer NOT NULL DEFAULT 0 CHECK (seat_capacity >= 0),
    standing_capacity integer NOT NULL DEFAULT 0 CHECK (standing_capacity >= 0),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX venues_name_per_organization ON venues.venues (organization_id, lower(name));

CREATE TABLE venues.layouts (
    id uuid PRIMARY KEY,
    organization_id uuid NOT NULL,
    venue_id uuid NOT NULL REFERENCES venues.venues (id),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX layouts_by_venue ON venues.layouts (venue_id);

CREATE TABLE venues.layout_versions (
    layout_id uuid NOT NULL REFERENCES venues.layouts (id),
    version integer NOT NULL CHECK (version >= 1),
    organization_id uuid NOT NULL,
    status text NOT NULL CHECK (status IN ('draft', 'published', 'archived')),
    name text NOT NULL,
    layout_type text NOT NULL CHECK (layout_type IN ('seated', 'standing', 'hybrid')),
    seat_count integer NOT NULL CHECK (seat_count >= 0),
    zone_capacity integer NOT NULL CHECK (zone_capacity >= 0),
    -- SHA-256 of the canonical JSON, set when published and never again.
    hash text CHECK (hash ~ '^[0-9a-f]{64}$'),
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    published_at timestamptz,
    archived_at timestamptz,
    PRIMARY KEY (layout_id, version),
    CHECK ((status = 'draft') = (hash IS NULL)),
    CHECK ((status = 'draft') = (published_at IS NULL)),
    CHECK ((status = 'archived') = (archived_at IS NOT NULL))
);
-- A layout has at most one draft: edits go there, and a new one starts only once it is published.
CREATE UNIQUE INDEX layout_versions_one_draft ON venues.layout_versions (layout_id) WHERE status = 'draft';

-- Defence in depth for "a published version never changes": whatever the code does, the database
-- lets a version move only draft → published → archived, and changes nothing else once published.
CREATE FUNCTION venues.guard_layout_version() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.status <> 'draft' THEN
            RAISE EXCEPTION 'layout % version % is %: it cannot be deleted', OLD.layout_id, OLD.version, OLD.status
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN OLD;
    END IF;
    IF OLD.status <> 'draft' AND (
        NEW.layout_id, NEW.version, NEW.organization_id, NEW.name, NEW.layout_type, NEW.seat_count,
        NEW.zone_capacity, NEW.hash, NEW.created_at, NEW.published_at
    ) IS DISTINCT FROM (
        OLD.layout_id, OLD.version, OLD.organization_id, OLD.name, OLD.layout_type, OLD.seat_count,
        OLD.zone_capacity, OLD.hash, OLD.created_at, OLD.published_at
    ) THEN
        RAISE EXCEPTION 'layout % version % is %: it never changes', OLD.layout_id, OLD.version, OLD.status
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF NOT (OLD.status = NEW.status
            OR (OLD.status = 'draft' AND NEW.status = 'published')
            OR (OLD.status = 'published' AND NEW.status = 'archived')) THEN
        RAISE EXCEPTION 'layout % version %: % → % is not allowed', OLD.layout_id, OLD.version, OLD.status, NEW.status
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER layout_versions_guard BEFORE UPDATE OR DELETE ON venues.layout_versions
    FOR EACH ROW EXECUTE FUNCTION venues.guard_layout_version();

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['venues', 'layouts', 'layout_versions'] LOOP
        EXECUTE format('ALTER TABLE venues.%I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE venues.%I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format(
            'CREATE POLICY %I ON venues.%I USING (organization_id = platform.current_org())'
            ' WITH CHECK (organization_id = platform.current_org())',
            t || '_tenant', t);
    END LOOP;
END
$$;
