-- Seat quality for shows that went on sale before seats were ranked (0021): their ranks are computed the
-- first time their inventory is loaded into the fast store, from the pinned layout (kept in MongoDB,
-- which a migration cannot read), and written once, onto seats that have none, as putting a show on
-- sale writes them. The sales path may write these columns for that, and only these.
GRANT UPDATE (rank, row_no, row_pos) ON seating.show_seats TO lml_app;
GRANT UPDATE (rows) ON seating.show_inventories TO lml_app;
