-- The admission context: each show's waiting room as its operator set it. The line itself (who waits,
-- who was let in) lives in Redis; this is what the worker's admission tick and the hold route's
-- pass check read, and what puts a room back in Redis if Redis lost it.
--
-- Row-level security as ordering's (0007): an operator's unit of work sees and writes only its
-- organization's rooms; one acting as none (the worker, the hold route's check) sees every room.

CREATE SCHEMA IF NOT EXISTS admission;
GRANT USAGE ON SCHEMA admission TO lml_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA admission GRANT SELECT, INSERT, UPDATE ON TABLES TO lml_app;

CREATE TABLE admission.waiting_rooms (
    show_id uuid PRIMARY KEY,
    organization_id uuid NOT NULL,
    enabled boolean NOT NULL,
    opens_at timestamptz NOT NULL,
    admit_per_minute integer NOT NULL CHECK (admit_per_minute BETWEEN 1 AND 100000),
    max_active integer NOT NULL CHECK (max_active BETWEEN 1 AND 1000000),
    pass_seconds integer NOT NULL CHECK (pass_seconds BETWEEN 60 AND 3600),
    paused boolean NOT NULL DEFAULT false,
    updated_at timestamptz NOT NULL
);
CREATE INDEX waiting_rooms_enabled ON admission.waiting_rooms (show_id) WHERE enabled;
GRANT SELECT, INSERT, UPDATE ON admission.waiting_rooms TO lml_app;

ALTER TABLE admission.waiting_rooms ENABLE ROW LEVEL SECURITY;
ALTER TABLE admission.waiting_rooms FORCE ROW LEVEL SECURITY;
CREATE POLICY waiting_rooms_tenant ON admission.waiting_rooms
    USING (platform.current_org() IS NULL OR organization_id = platform.current_org())
    WITH CHECK (platform.current_org() IS NULL OR organization_id = platform.current_org());
