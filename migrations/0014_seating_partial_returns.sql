-- Some of an order's places can go back on sale on their own (a buyer's refund of some tickets). A
-- seat is its own row (status `returned`); a GA zone's row counts how many of its places came back,
-- and turns `returned` once all of them have.
ALTER TABLE seating.order_places ADD COLUMN returned integer NOT NULL DEFAULT 0
    CHECK (returned >= 0 AND returned <= quantity);
GRANT UPDATE (returned) ON seating.order_places TO lml_app;
