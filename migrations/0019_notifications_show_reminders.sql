-- The reminder sent the day before a show to every holder of a valid ticket: an announcement made
-- by the platform itself (its words are its template's, so it has no subject or body), one per show.
-- Its recipients are recorded in batches exactly as an operator's announcement's are.

ALTER TABLE notifications.announcements
    ADD COLUMN kind text NOT NULL DEFAULT 'announcement' CHECK (kind IN ('announcement', 'show_reminder'));
ALTER TABLE notifications.announcements DROP CONSTRAINT announcements_subject_check;
ALTER TABLE notifications.announcements DROP CONSTRAINT announcements_body_check;
ALTER TABLE notifications.announcements ADD CONSTRAINT announcements_words_check CHECK (
    CASE kind
        WHEN 'announcement' THEN length(subject) BETWEEN 1 AND 200 AND length(body) BETWEEN 1 AND 10000
        ELSE subject = '' AND body = ''
    END
);
CREATE UNIQUE INDEX one_reminder_per_show ON notifications.announcements (show_id) WHERE kind = 'show_reminder';
