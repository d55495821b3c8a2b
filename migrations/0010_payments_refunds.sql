-- A refund that Stripe settled (or refused) keeps that outcome; see ordering's twin in 0009.
CREATE FUNCTION payments.refund_stays_final() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.status IN ('succeeded', 'failed', 'canceled', 'rejected')
       AND (NEW.status, NEW.amount) IS DISTINCT FROM (OLD.status, OLD.amount) THEN
        RAISE EXCEPTION 'refund % is % and cannot change', OLD.id, OLD.status
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER refunds_stay_final BEFORE UPDATE ON payments.refunds
    FOR EACH ROW EXECUTE FUNCTION payments.refund_stays_final();
