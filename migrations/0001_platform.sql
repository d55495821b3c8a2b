-- The application's role: not a superuser and not the owner of any table, so that
-- row-level security applies to every query it runs. Production creates it with a
-- password beforehand; a development machine gets it here.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'lml_app') THEN
        CREATE ROLE lml_app LOGIN;
    END IF;
END
$$;

CREATE SCHEMA IF NOT EXISTS platform;
CREATE SCHEMA IF NOT EXISTS identity;
CREATE SCHEMA IF NOT EXISTS venues;
CREATE SCHEMA IF NOT EXISTS catalog;
CREATE SCHEMA IF NOT EXISTS seating;
CREATE SCHEMA IF NOT EXISTS ordering;
CREATE SCHEMA IF NOT EXISTS payments;

DO $$
DECLARE s text;
BEGIN
    FOREACH s IN ARRAY ARRAY['platform', 'identity', 'venues', 'catalog', 'seating', 'ordering', 'payments'] LOOP
        EXECUTE format('GRANT USAGE ON SCHEMA %I TO lml_app', s);
        EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO lml_app', s);
        EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT USAGE, SELECT ON SEQUENCES TO lml_app', s);
    END LOOP;
END
$$;
GRANT SELECT ON platform.schema_migrations TO lml_app;

-- The organization a unit of work acts as (`SET LOCAL app.org_id`), or NULL when it acts as none.
-- Policies of tenant-owned tables compare their rows with it.
CREATE FUNCTION platform.current_org() RETURNS uuid
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT nullif(current_setting('app.org_id', true), '')::uuid $$;

-- Integration events written in the same transaction as the change that caused them,
-- relayed by the worker at least once.
CREATE TABLE platform.outbox (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_type text NOT NULL,
    payload jsonb NOT NULL,
    status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'dead')),
    attempts integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error text,
    created_at timestamptz NOT NULL DEFAULT now(),
    processed_at timestamptz
);
CREATE INDEX outbox_due ON platform.outbox (next_attempt_at, id) WHERE status = 'pending';
CREATE INDEX outbox_dead ON platform.outbox (id) WHERE status = 'dead';
