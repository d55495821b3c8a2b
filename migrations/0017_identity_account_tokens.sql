-- Identity's account flows that need email (issue 11): one-time tokens for guest recovery and password
-- reset, a user's phone, and an organization's mail settings.

-- One-time tokens mailed to an address, kept only as SHA-256 digests (a leaked table gives no usable
-- link). Redeemed once: `UPDATE ... SET used_at WHERE used_at IS NULL AND expires_at > now RETURNING`,
-- so of two redemptions of one token exactly one wins. A guest recovery token names no user (the
-- guest may have bought under that email, or not: the answer never says); a password reset names the
-- user whose email it was sent to.
CREATE TABLE identity.account_tokens (
    id uuid PRIMARY KEY,
    kind text NOT NULL CHECK (kind IN ('guest_recovery', 'password_reset')),
    token_hash text NOT NULL UNIQUE CHECK (token_hash ~ '^[0-9a-f]{64}$'),
    email text NOT NULL CHECK (email = lower(btrim(email)) AND length(email) BETWEEN 3 AND 254),
    user_id uuid REFERENCES identity.users (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    used_at timestamptz,
    CHECK ((kind = 'password_reset') = (user_id IS NOT NULL))
);
CREATE INDEX account_tokens_by_expiry ON identity.account_tokens (expires_at);

-- E.164: a plus, then up to 15 digits, the first not 0.
ALTER TABLE identity.users ADD COLUMN phone text CHECK (phone ~ '^\+[1-9][0-9]{1,14}$');

-- The sender's display name and the reply-to address of the organization's mail to buyers (the
-- envelope sender stays ours). NULL: the platform's defaults.
ALTER TABLE identity.organizations
    ADD COLUMN mail_from_name text CHECK (length(mail_from_name) BETWEEN 1 AND 100 AND mail_from_name !~ '[\r\n]'),
    ADD COLUMN reply_to text CHECK (length(reply_to) BETWEEN 3 AND 254);
