-- Identity: users, organizations (the tenants), memberships with roles, refresh tokens.
-- No row-level security here: these tables are what decides which organization a caller
-- may act as, so they are read before any organization is chosen.

CREATE TABLE identity.users (
    id uuid PRIMARY KEY,
    -- Stored normalized (trimmed, lower case); the unique index makes it case-insensitive anyway.
    email text NOT NULL CHECK (email = lower(btrim(email)) AND length(email) BETWEEN 3 AND 254),
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    password_hash text NOT NULL,
    is_platform_admin boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email_key ON identity.users (lower(email));

CREATE TABLE identity.organizations (
    id uuid PRIMARY KEY,
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE identity.memberships (
    org_id uuid NOT NULL REFERENCES identity.organizations (id) ON DELETE CASCADE,
    user_id uuid NOT NULL REFERENCES identity.users (id) ON DELETE CASCADE,
    role text NOT NULL CHECK (role IN ('owner', 'manager', 'box_office')),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, user_id)
);
CREATE INDEX memberships_by_user ON identity.memberships (user_id);

-- Opaque refresh tokens, kept only as SHA-256 digests. Each login starts a family; every
-- rotation adds a token to it; presenting a used token again revokes the whole family.
CREATE TABLE identity.refresh_tokens (
    token_hash text PRIMARY KEY CHECK (token_hash ~ '^[0-9a-f]{64}$'),
    family_id uuid NOT NULL,
    user_id uuid NOT NULL REFERENCES identity.users (id) ON DELETE CASCADE,
    issued_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    used_at timestamptz,
    revoked_at timestamptz
);
CREATE INDEX refresh_tokens_by_family ON identity.refresh_tokens (family_id);
CREATE INDEX refresh_tokens_by_user ON identity.refresh_tokens (user_id);
CREATE INDEX refresh_tokens_by_expiry ON identity.refresh_tokens (expires_at);
