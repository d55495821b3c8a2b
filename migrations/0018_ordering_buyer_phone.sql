-- The buyer's phone (E.164), when they gave one: a guest at checkout, a user in their profile. The
-- order confirmation may then also go by SMS.
ALTER TABLE ordering.orders ADD COLUMN buyer_phone text CHECK (buyer_phone ~ '^\+[1-9][0-9]{1,14}$');

-- A guest who proved they receive mail at an address (a redeemed recovery link) sees every order
-- placed by guests with that email.
CREATE INDEX orders_of_guest_email ON ordering.orders (lower(buyer_email), created_at DESC, order_id DESC)
    WHERE buyer_kind = 'guest';
