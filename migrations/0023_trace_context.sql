-- The trace (a W3C `traceparent`) in which a row of work was recorded, so that the worker that takes
-- the row up continues that trace: an outbox event, a Stripe event in the inbox, a message to send.
-- NULL when the row was recorded outside a trace (traces not exported, or a periodic job).
ALTER TABLE platform.outbox ADD COLUMN trace_context text;
ALTER TABLE payments.stripe_events ADD COLUMN trace_context text;
ALTER TABLE notifications.messages ADD COLUMN trace_context text;
