-- Best available (issue 16). Each seat's quality and place, computed once when the show goes on sale
-- from its pinned layout: its rank among the show's seats (1 = best), its row (an index into the show's
-- rows, kept on its inventory) and its position in the row (seats side by side are consecutive).
-- Redis's best-available structures are rebuilt from these after a flush. Shows that went on sale
-- before have none (NULL): best available offers them no seat.
ALTER TABLE seating.show_seats
    ADD COLUMN rank integer CHECK (rank > 0),
    ADD COLUMN row_no integer CHECK (row_no >= 0),
    ADD COLUMN row_pos integer CHECK (row_pos >= 0);

-- The show's rows, in the layout's order: [[section label, row label], ...].
ALTER TABLE seating.show_inventories
    ADD COLUMN rows jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(rows) = 'array');

-- The operator's single-seat rule: whose holds may not leave a free seat alone between taken seats
-- (or at a row's edge): best-available choices only (the default), all holds, or none.
ALTER TABLE catalog.shows
    ADD COLUMN avoid_single_seats text NOT NULL DEFAULT 'best_available'
        CHECK (avoid_single_seats IN ('best_available', 'all_holds', 'off'));
ALTER TABLE seating.show_terms
    ADD COLUMN avoid_single_seats text NOT NULL DEFAULT 'best_available'
        CHECK (avoid_single_seats IN ('best_available', 'all_holds', 'off'));
