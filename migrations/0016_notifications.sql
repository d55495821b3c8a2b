-- Notifications: every message (email or SMS) recorded before it is sent, with its attempts, and the
-- operators' announcements to a show's ticket holders. No foreign keys to other contexts' tables.
--
-- Row-level security as ordering's (0007): a unit of work acting as an organization (an operator
-- listing an order's messages or a show's announcements) sees and writes only that organization's
-- rows; one acting as none (the worker recording and sending, account mail) sees every row. Account
-- mail belongs to no organization (organization_id NULL), so no operator ever sees it.

CREATE SCHEMA IF NOT EXISTS notifications;
GRANT USAGE ON SCHEMA notifications TO lml_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA notifications GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO lml_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA notifications GRANT USAGE, SELECT ON SEQUENCES TO lml_app;

CREATE TABLE notifications.announcements (
    announcement_id uuid PRIMARY KEY,
    organization_id uuid NOT NULL,
    show_id uuid NOT NULL,
    subject text NOT NULL CHECK (length(subject) BETWEEN 1 AND 200),
    body text NOT NULL CHECK (length(body) BETWEEN 1 AND 10000),
    created_by text NOT NULL,
    created_at timestamptz NOT NULL,
    -- The last recipient (email) whose message is recorded: holders are taken in ascending order.
    cursor text,
    -- Set once every holder's message is recorded.
    planned_at timestamptz
);
CREATE INDEX announcements_of_show ON notifications.announcements (show_id, created_at DESC);
CREATE INDEX announcements_unplanned ON notifications.announcements (created_at) WHERE planned_at IS NULL;

CREATE TABLE notifications.messages (
    message_id uuid PRIMARY KEY,
    -- One message per (event, recipient, kind): SHA-256 hex of the three.
    dedupe_key text NOT NULL UNIQUE,
    kind text NOT NULL CHECK (kind IN ('order_confirmation', 'payment_failed', 'refund_processed', 'show_cancelled',
                                       'show_reminder', 'announcement', 'guest_recovery', 'password_reset')),
    channel text NOT NULL CHECK (channel IN ('email', 'sms')),
    recipient text NOT NULL,
    organization_id uuid,
    order_id uuid,
    show_id uuid,
    announcement_id uuid REFERENCES notifications.announcements ON DELETE RESTRICT,
    data jsonb NOT NULL DEFAULT '{}',
    -- The one-time token of account mail, kept only while the message may still be sent.
    secret text,
    status text NOT NULL CHECK (status IN ('queued', 'sent', 'failed', 'dead')),
    attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    last_error text,
    provider_message_id text,
    next_attempt_at timestamptz NOT NULL,
    created_at timestamptz NOT NULL,
    sent_at timestamptz,
    CHECK (secret IS NULL OR status IN ('queued', 'failed')),
    CHECK ((status = 'sent') = (sent_at IS NOT NULL))
);
-- The senders' queue: only messages still to be sent.
CREATE INDEX messages_due ON notifications.messages (next_attempt_at) WHERE status IN ('queued', 'failed');
CREATE INDEX messages_of_order ON notifications.messages (order_id, created_at) WHERE order_id IS NOT NULL;
-- The per-recipient limit counts a recipient's recent messages.
CREATE INDEX messages_to_recipient ON notifications.messages (recipient, created_at);
CREATE INDEX messages_of_announcement ON notifications.messages (announcement_id, status)
    WHERE announcement_id IS NOT NULL;

-- A message or an announcement is history: never deleted by the application.
REVOKE DELETE, TRUNCATE ON notifications.messages, notifications.announcements FROM lml_app;

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['messages', 'announcements'] LOOP
        EXECUTE format('ALTER TABLE notifications.%I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE notifications.%I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format(
            'CREATE POLICY %I ON notifications.%I
                 USING (platform.current_org() IS NULL OR organization_id = platform.current_org())
                 WITH CHECK (platform.current_org() IS NULL OR organization_id = platform.current_org())',
            t || '_tenant', t);
    END LOOP;
END
$$;
